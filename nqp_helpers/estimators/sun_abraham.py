"""Sun & Abraham (2021) interaction-weighted (IW) event-study estimator.

What: a TWFE regression of the outcome on a full set of cohort x relative-time dummies ``1[G_i = g] 1[t - g = e]`` for
every treated cohort ``g`` and every relative time ``e`` it is observed at, except the reference ``e = -1`` (unit and
year fixed effects, optional controls).  The control cohort is the never-treated units (``control_cohort=
"never_treated"``) or the last-treated cohort (``"last_treated"``: its units get no dummies and all years from its
adoption year on are dropped, as in ``eventstudyinteract``).  The cohort-specific coefficients (CATT_{g,e}) are then
averaged at each event time with weights equal to the cohort's share of the treated observations at that event time:
``IW_e = sum_g n_{g,e} CATT_{g,e} / sum_g n_{g,e}``; ``att`` averages every cohort-event cell with
``0 <= e <= lags`` with weights ``n_{g,e}``.  Saturation is complete (no binning), so far leads and lags do not
contaminate the reported window; rows are reported for ``-leads <= e <= lags``.

Why: the saturated regression removes the "forbidden comparisons" that contaminate dynamic TWFE coefficients under
heterogeneous effects.  With never-treated controls, no covariates and a balanced panel, CATT_{g,e} equals
Callaway–Sant'Anna ATT(g, g+e) with a universal base period (checked in the tests to 1e-8).

SE convention: package default CR1 (fixest small-sample factor, t(G-1)) for the saturated coefficients; the IW
aggregates use the delta method ``R V R'`` with the cohort-share weights treated as FIXED (the extra variance term of
the estimated shares in Sun & Abraham's Proposition 6 is not added; with cohort shares estimated from ~100 treated
cities it is second order).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._attrs import safe_attr
from ..errors import NQPInputError
from ._common import first_treat_to_int, fit_within, require_columns, tidy

__all__ = ["sun_abraham"]


def sun_abraham(
    df: pd.DataFrame,
    outcome: str,
    first_treat: str = "first_treat",
    unit: str = "city_code",
    time: str = "year",
    leads: int = 5,
    lags: int = 5,
    controls=(),
    cluster: str | None = None,
    control_cohort: str = "never_treated",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Sun–Abraham IW event study. Tidy rows with ``aggregation`` in
    ``{"event_time", "att", "cohort_event_time"}``: the IW estimate per event time (``rel_e``, with the ``ref=-1``
    row at 0 flagged ``reference=True``), the post-period average ``att``, and every saturated coefficient
    (``ATT(g,t)``, with ``cohort``, ``time``, ``event_time`` and the share ``weight`` used at its event time).
    """
    controls = list(controls)
    require_columns(df, [outcome, first_treat, unit, time, *controls, cluster], "sun_abraham")
    if control_cohort not in ("never_treated", "last_treated"):
        raise NQPInputError(f"parameter control_cohort={control_cohort!r} must be 'never_treated' or 'last_treated'")
    for name, v in (("leads", leads), ("lags", lags)):
        if not isinstance(v, (int, np.integer)) or v < 0:
            raise NQPInputError(f"parameter {name}={v!r} must be a non-negative integer")
    if df.duplicated([unit, time]).any():
        row = df.loc[df.duplicated([unit, time]), [unit, time]].iloc[0]
        raise NQPInputError(f"duplicate ({unit}, {time}) row: ({row[unit]}, {row[time]})")
    d = df.copy()
    d["_g"] = first_treat_to_int(d[first_treat]).to_numpy()
    if (d.groupby(unit)["_g"].nunique() > 1).any():
        bad = d.groupby(unit)["_g"].nunique()
        raise NQPInputError(f"column {first_treat!r} varies within unit {bad[bad > 1].index[0]!r}")
    d = d.dropna(subset=[outcome, *controls])
    if control_cohort == "never_treated":
        if not (d["_g"] == 0).any():
            raise NQPInputError(f"column {first_treat!r}: no never-treated unit; use control_cohort='last_treated'")
        ctrl_g = {0}
    else:
        glast = int(d.loc[d["_g"] > 0, "_g"].max())
        d = d[d[time] < glast]
        ctrl_g = {0, glast}
    d["_rel"] = np.where(d["_g"].isin(ctrl_g), np.nan, d[time] - d["_g"])
    cells = d.dropna(subset=["_rel"]).groupby(["_g", "_rel"]).size().rename("n").reset_index()
    cells = cells[cells["_rel"] != -1].reset_index(drop=True)
    if cells.empty:
        raise NQPInputError(f"column {first_treat!r}: no treated cohort with an estimable cohort x event-time cell")
    names = []
    cols = {}
    for c, e in cells[["_g", "_rel"]].itertuples(index=False):
        nm = f"_sa_{int(c)}_{'m' if e < 0 else 'p'}{abs(int(e))}"
        names.append(nm)
        cols[nm] = ((d["_g"] == c) & (d["_rel"] == e)).astype(float).to_numpy()
    d = pd.concat([d, pd.DataFrame(cols, index=d.index)], axis=1)
    fit = fit_within(d, outcome, names + controls, unit, time, cluster=cluster or unit)
    k = len(names)
    b, V = fit.coef[:k], fit.vcov[:k, :k]
    cells["coef"] = b
    cells["se"] = np.sqrt(np.diag(V))
    cells["weight"] = cells["n"] / cells.groupby("_rel")["n"].transform("sum")
    common = dict(
        df_resid=fit.df_resid,
        n_obs=fit.n_obs,
        n_clusters=fit.n_clusters,
        estimator="sun_abraham",
        outcome=outcome,
        alpha=alpha,
    )
    # IW per event time
    terms, est, se, ets = [], [], [], []
    for e in range(-leads, lags + 1):
        if e == -1:
            terms.append("rel_-1")
            est.append(0.0)
            se.append(0.0)
            ets.append(-1)
            continue
        m = (cells["_rel"] == e).to_numpy()
        if not m.any():
            continue
        R = np.where(m, cells["weight"].to_numpy(), 0.0)
        terms.append(f"rel_{e}")
        est.append(float(R @ b))
        se.append(float(np.sqrt(R @ V @ R)))
        ets.append(e)
    iw = tidy(terms, est, se, **common, event_time=ets, reference=[e == -1 for e in ets], aggregation="event_time")
    iw.loc[iw["reference"], ["statistic", "p_value"]] = np.nan
    # overall post average
    post = ((cells["_rel"] >= 0) & (cells["_rel"] <= lags)).to_numpy()
    if post.any():
        R = np.where(post, cells["n"].to_numpy(float), 0.0)
        R /= R.sum()
        att = tidy(["att"], [R @ b], [np.sqrt(R @ V @ R)], **common, aggregation="att")
    else:
        att = None
    sat = tidy(
        [f"ATT({int(c)},{int(c + e)})" for c, e in cells[["_g", "_rel"]].itertuples(index=False)],
        b,
        cells["se"].to_numpy(),
        **common,
        aggregation="cohort_event_time",
        cohort=cells["_g"].astype(int).to_numpy(),
        time=(cells["_g"] + cells["_rel"]).astype(int).to_numpy(),
        event_time=cells["_rel"].astype(int).to_numpy(),
        weight=cells["weight"].to_numpy(),
        n_cell=cells["n"].to_numpy(),
    )
    out = pd.concat([iw, att, sat], ignore_index=True)
    for col in ("event_time", "cohort", "time", "n_cell"):
        out[col] = out[col].astype("Int64")
    out["reference"] = out["reference"].astype("boolean").fillna(False).astype(bool)
    out.attrs["sun_abraham"] = safe_attr(
        {"control_cohort": control_cohort, "weights_fixed": True, "coef_names": names, "vcov": V.tolist()}
    )
    return out
