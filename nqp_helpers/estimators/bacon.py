"""Goodman-Bacon (2021) decomposition of the staggered two-way fixed-effects DiD coefficient.

What
    :func:`bacon_decomposition` splits the TWFE coefficient of ``y ~ D | unit + time`` (no controls, balanced panel)
    into every 2×2 DiD it averages — earlier- vs later-treated, later- vs earlier-treated (already-treated units used
    as controls), treated vs never-treated, and later-treated vs always-treated — with the variance-weighted shares of
    Goodman-Bacon (2021, eq. 10a–10g). :func:`bacon_summary` aggregates by comparison type.

Why
    With staggered pilots (seven cohorts 2008–2022) the TWFE estimate is a weighted average that includes
    "forbidden" comparisons where already-treated cities serve as controls; the decomposition shows how much weight
    those comparisons carry.

Conventions
    * The treatment indicator is rebuilt from ``first_treat``: ``D = first_treat > 0 and time >= first_treat``.
      Units whose ``first_treat`` lies after the last panel period are never treated *in sample* and are pooled with
      the never-treated group; units treated at or before the first period form the "always treated" group.
    * Weights are the unnormalised Goodman-Bacon weights divided by their sum (which equals the variance of the
      two-way demeaned treatment), so they sum to one and ``sum(weight * estimate)`` equals the TWFE coefficient
      exactly (tested to 1e-10 against :func:`~nqp_helpers.estimators._common.fit_within`).
    * The decomposition is descriptive: ``std_error`` (and the columns derived from it) are NaN.
    * Only balanced panels without controls are supported (the covariate version of Goodman-Bacon §5 is not
      implemented); anything else raises :class:`~nqp_helpers.errors.NQPInputError`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._attrs import safe_attr
from ..errors import NQPInputError
from ._common import first_treat_to_int, require_columns, tidy

TYPE_EARLY_LATE = "Earlier vs Later Treated"
TYPE_LATE_EARLY = "Later vs Earlier Treated"
TYPE_NEVER = "Treated vs Never Treated"
TYPE_ALWAYS = "Later vs Always Treated"


def _prepare(df, outcome, first_treat, unit, time, controls):
    if controls:
        raise NQPInputError(
            f"bacon_decomposition: controls={list(controls)!r} given; the decomposition is implemented for the model "
            "without controls only (Goodman-Bacon 2021 eq. 10). Drop the parameter `controls`."
        )
    require_columns(df, [outcome, first_treat, unit, time], "bacon_decomposition")
    d = df[[unit, time, outcome, first_treat]].copy()
    if d[[unit, time]].duplicated().any():
        u, t = d.loc[d[[unit, time]].duplicated(), [unit, time]].iloc[0]
        raise NQPInputError(f"bacon_decomposition: duplicated ({unit}, {time}) row ({u}, {t})")
    miss = d[outcome].isna()
    if miss.any():
        u, t = d.loc[miss, [unit, time]].iloc[0]
        raise NQPInputError(
            f"bacon_decomposition needs a balanced panel: column {outcome!r} is missing at ({unit}, {time}) = "
            f"({u}, {t}) and {int(miss.sum()) - 1} other row(s)"
        )
    d[first_treat] = first_treat_to_int(d[first_treat])
    if (d.groupby(unit)[first_treat].nunique() > 1).any():
        bad = d.groupby(unit)[first_treat].nunique()
        raise NQPInputError(f"column {first_treat!r} varies within unit {bad[bad > 1].index[0]!r}")
    wide = d.pivot(index=unit, columns=time, values=outcome).sort_index(axis=1)
    if wide.isna().any().any():
        u = wide.index[wide.isna().any(axis=1)][0]
        t = wide.columns[wide.loc[u].isna()][0]
        raise NQPInputError(f"bacon_decomposition needs a balanced panel: no row for ({unit}, {time}) = ({u}, {t})")
    ft = d.groupby(unit)[first_treat].first().reindex(wide.index).to_numpy()
    return wide, ft


def bacon_decomposition(
    df: pd.DataFrame,
    outcome: str,
    first_treat: str = "first_treat",
    unit: str = "city_code",
    time: str = "year",
    controls=None,
) -> pd.DataFrame:
    """Every 2×2 DiD inside the TWFE coefficient, with its Goodman-Bacon weight.

    Returns a tidy frame (one row per 2×2 comparison) with the extra columns ``type``, ``treated`` (cohort of the
    group whose treatment switches), ``control`` (cohort of the comparison group; ``0`` = never treated, the cohort
    year otherwise), ``weight`` (sums to 1) and ``n_units``. ``estimate`` is the 2×2 DiD. Comparisons with zero
    weight (e.g. always-treated units as the "treated" group) are omitted. ``attrs["twfe_estimate"]`` holds
    ``sum(weight * estimate)``, which equals the TWFE coefficient.
    """
    wide, ft = _prepare(df, outcome, first_treat, unit, time, controls)
    times = wide.columns.to_numpy()
    Y = wide.to_numpy(float)
    n_units, n_t = Y.shape
    t_min, t_max = times.min(), times.max()
    # Cohort of each unit: 0 = never treated in sample; otherwise the first treated period (clipped to the panel).
    treated_in_sample = (ft > 0) & (ft <= t_max)
    cohort = np.where(treated_in_sample, ft, 0)
    always = treated_in_sample & (ft <= t_min)
    cohort = np.where(always, t_min, cohort)  # always-treated pooled into one cohort
    cohorts = sorted(set(cohort[cohort > 0].tolist()))
    if not cohorts:
        raise NQPInputError(f"bacon_decomposition: no unit is treated within the panel ({first_treat!r})")
    share = {c: np.mean(cohort == c) for c in [0, *cohorts]}
    dbar = {c: np.mean(times >= c) for c in cohorts}
    dbar[0] = 0.0
    means = {c: Y[cohort == c].mean(axis=0) for c in [0, *cohorts] if share[c] > 0}

    def seg(c, lo, hi):  # mean over periods lo <= t < hi for group c
        m = (times >= lo) & (times < hi)
        return means[c][m].mean()

    rows = []
    if share[0] > 0:
        for k in cohorts:
            nk, nu = share[k], share[0]
            nku = nk / (nk + nu)
            w = (nk + nu) ** 2 * nku * (1 - nku) * dbar[k] * (1 - dbar[k])
            if w <= 0:
                continue
            est = (seg(k, k, np.inf) - seg(k, -np.inf, k)) - (seg(0, k, np.inf) - seg(0, -np.inf, k))
            rows.append((TYPE_NEVER, k, 0, est, w, int(round((nk + nu) * n_units))))
    for i, k in enumerate(cohorts):  # k treated earlier than l
        for l in cohorts[i + 1 :]:  # noqa: E741 (k, l: Goodman-Bacon's notation for earlier and later cohorts)
            nk, nl = share[k], share[l]
            nkl = nk / (nk + nl)
            base = (nk + nl) ** 2 * nkl * (1 - nkl)
            # earlier k vs later l (not yet treated), window [t_min, l)
            w_k = base * (dbar[k] - dbar[l]) * (1 - dbar[k])
            if w_k > 0:
                est = (seg(k, k, l) - seg(k, -np.inf, k)) - (seg(l, k, l) - seg(l, -np.inf, k))
                rows.append((TYPE_EARLY_LATE, k, l, est, w_k, int(round((nk + nl) * n_units))))
            # later l vs earlier k (already treated), window [k, t_max]
            w_l = base * dbar[l] * (dbar[k] - dbar[l])
            if w_l > 0:
                est = (seg(l, l, np.inf) - seg(l, k, l)) - (seg(k, l, np.inf) - seg(k, k, l))
                typ = TYPE_ALWAYS if (always.any() and k == t_min) else TYPE_LATE_EARLY
                rows.append((typ, l, k, est, w_l, int(round((nk + nl) * n_units))))
    out = pd.DataFrame(rows, columns=["type", "treated", "control", "estimate", "weight", "n_units"])
    out["weight"] = out["weight"] / out["weight"].sum()
    terms = [f"{r.treated} vs {'never' if r.control == 0 else r.control}" for r in out.itertuples()]
    res = tidy(
        terms,
        out["estimate"],
        np.full(len(out), np.nan),
        df_resid=None,
        n_obs=(out["n_units"] * n_t).to_numpy(),
        n_clusters=out["n_units"].to_numpy(),
        estimator="bacon_decomposition",
        outcome=outcome,
        type=out["type"].to_numpy(),
        treated=out["treated"].to_numpy(),
        control=out["control"].to_numpy(),
        weight=out["weight"].to_numpy(),
        n_units=out["n_units"].to_numpy(),
    )
    res.attrs["twfe_estimate"] = safe_attr(float((res["weight"] * res["estimate"]).sum()))
    return res


def bacon_summary(decomposition: pd.DataFrame) -> pd.DataFrame:
    """Aggregate a :func:`bacon_decomposition` by comparison type.

    Columns: ``type``, ``weight`` (total share), ``estimate`` (weight-averaged 2×2 estimate within the type),
    ``n_comparisons``; a final row ``type == "Total"`` whose estimate is the TWFE coefficient.
    """
    d = decomposition
    g = d.assign(wy=d["weight"] * d["estimate"]).groupby("type", sort=False)
    out = pd.DataFrame({"weight": g["weight"].sum(), "wy": g["wy"].sum(), "n_comparisons": g.size()})
    out["estimate"] = out["wy"] / out["weight"]
    out = out.reset_index()[["type", "weight", "estimate", "n_comparisons"]]
    total = pd.DataFrame(
        {
            "type": ["Total"],
            "weight": [out["weight"].sum()],
            "estimate": [float((d["weight"] * d["estimate"]).sum())],
            "n_comparisons": [int(out["n_comparisons"].sum())],
        }
    )
    return pd.concat([out, total], ignore_index=True)
