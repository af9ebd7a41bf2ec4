"""Callaway & Sant'Anna (2021) group-time ATTs and their aggregations (balanced panel, with or without covariates).

What: for every cohort ``g`` (first treated year) and year ``t``, ``ATT(g,t) = E[Y_t - Y_b | G = g] - E[Y_t - Y_b |
control]`` with base year ``b`` = ``g - 1 - anticipation`` for post-treatment cells (and for every cell under
``base_period="universal"``) or ``t - 1`` for pre-treatment cells under ``base_period="varying"``. Controls are the
never-treated units (``control_group="never_treated"``) or the units not yet treated by ``max(t, b) + anticipation``
(``"not_yet_treated"``, never-treated included, own cohort excluded), exactly as in the R package ``did`` (and
moderndid). Without covariates each cell is that difference of mean changes; with ``controls`` it is the 2x2 estimator
of :mod:`.drdid` (``method``: ``"dr"`` doubly robust — did's default, Sant'Anna & Zhao 2020 locally efficient DR,
``DRDID::drdid_panel`` —, ``"ipw"``, ``"reg"``) under parallel trends conditional on the covariates, whose values are
taken in the cell's base period (did's rule: the earlier of the two years of the cell), so they act as time-invariant
pre-treatment characteristics.

Aggregations follow ``did::aggte``: ``simple`` (post cells weighted by cohort size), ``dynamic`` (by event time
``e = t - g``, cohort-size weights; overall = mean over ``e >= 0``), ``group`` (mean over a cohort's post cells; overall
weighted by cohort size), ``calendar`` (by year over treated cohorts; overall = mean over years).

Why: ATT(g,t) use only clean 2x2 comparisons, so they are immune to the negative-weight problem of TWFE with
heterogeneous dynamic effects.

SE convention (differs from the package default, as in ``did``): analytic influence-function SEs clustered at the
unit, ``se = sqrt(sum_i psi_i^2) / n`` with no small-sample factor, and normal (z) inference; with covariates the
influence function includes the estimation error of the propensity-score (logit) and outcome-regression (OLS)
coefficients. The aggregated SEs include the estimation error of the cohort-share weights (the ``wif`` term of
``did``). Units whose outcome is missing in some year are dropped (balanced panel, as ``did`` with
``allow_unbalanced_panel=FALSE``); the count is in ``attrs["callaway_santanna"]["dropped_units"]``. Cohorts treated in
(or before) the first sample year + anticipation have no pre-period and are dropped. Optional multiplier bootstrap
(``n_boot > 0``, Mammen weights drawn with ``numpy.random.default_rng(seed)``): SE = IQR of the bootstrap draws /
(z_.75 - z_.25), plus a uniform (sup-t) critical value per aggregation block in column ``crit_uniform`` and bands
``conf_low_uniform/high``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .._attrs import safe_attr
from ..errors import NQPInputError
from ._common import first_treat_to_int, require_columns, tidy
from .drdid import METHODS, drdid_2x2

__all__ = ["att_gt_matrix", "callaway_santanna"]

_AGGS = ("simple", "dynamic", "group", "calendar")


def _wide(df, outcome, first_treat, unit, time, controls=()):
    """Balanced wide outcome (units x years), cohort per unit, covariate cube (years x units x k) and drop counts."""
    controls = list(controls)
    require_columns(df, [outcome, first_treat, unit, time, *controls], "callaway_santanna")
    if df.duplicated([unit, time]).any():
        row = df.loc[df.duplicated([unit, time]), [unit, time]].iloc[0]
        raise NQPInputError(f"duplicate ({unit}, {time}) row: ({row[unit]}, {row[time]})")
    d = df[[unit, time, outcome, first_treat, *controls]].copy()
    d[first_treat] = first_treat_to_int(d[first_treat])
    if (d.groupby(unit)[first_treat].nunique() > 1).any():
        bad = d.groupby(unit)[first_treat].nunique()
        raise NQPInputError(f"column {first_treat!r} varies within unit {bad[bad > 1].index[0]!r}")
    for c in controls:
        if not pd.api.types.is_numeric_dtype(d[c]):
            raise NQPInputError(f"control {c!r} must be numeric (got dtype {d[c].dtype})")
    Y = d.pivot(index=unit, columns=time, values=outcome).sort_index(axis=1)
    G = d.groupby(unit)[first_treat].first().reindex(Y.index)
    complete = Y.notna().all(axis=1)
    dropped = int((~complete).sum())
    cube = [d.pivot(index=unit, columns=time, values=c).reindex(index=Y.index, columns=Y.columns) for c in controls]
    ok_x = np.ones(len(Y), bool)
    for w in cube:
        ok_x &= w.notna().all(axis=1).to_numpy()
    dropped_x = int((complete.to_numpy() & ~ok_x).sum())
    keep = complete.to_numpy() & ok_x
    Y, G = Y[keep], G[keep]
    if len(Y) == 0:
        what = f"outcome {outcome!r}" + (f" and controls {controls}" if controls else "")
        raise NQPInputError(f"{what}: no unit observed in every year")
    X = np.stack([w.to_numpy(float)[keep] for w in cube], axis=-1).transpose(1, 0, 2) if controls else None
    return Y, G, dropped, dropped_x, X


def _cell_2x2(dy, d, Xc, method):
    """One (g,t) cell with covariates, gated as in did/moderndid: (att, inf, diagnostics) or (None, reason)."""
    if method in ("dr", "reg"):
        gram = Xc[d == 0].T @ Xc[d == 0]
        if np.linalg.cond(gram) > 1.0 / np.finfo(float).eps:
            return None, "too few comparison units for the outcome regression"
    try:
        r = drdid_2x2(dy, d, Xc, method)
    except np.linalg.LinAlgError:
        return None, "overlap violated or collinear controls (singular logit or regression design)"
    if method in ("dr", "ipw") and r.ps_max >= 0.999:
        return None, "overlap violated (a propensity score >= 0.999)"
    return r, ""


def att_gt_matrix(
    Y: pd.DataFrame,
    G: pd.Series,
    control_group="never_treated",
    anticipation=0,
    base_period="varying",
    X: np.ndarray | None = None,
    method: str = "dr",
    covariate_year="base",
):
    """Core: ATT(g,t) and the n x K influence-function matrix (did scaling: se_k = sqrt(mean(psi_k^2)/n)).

    ``Y``: units x years wide outcome (balanced); ``G``: first treated year per unit (0 = never); ``X``: optional
    covariate cube (years x units x k, no intercept) for the 2x2 estimator ``method`` of :mod:`.drdid`, taken in
    year ``min(base, t)`` (``covariate_year="base"``, did's rule) or in the fixed year ``covariate_year``.
    Returns (cells DataFrame [cohort, time, base, att, n_treated, n_control, ps_min, ps_max, n_trimmed],
    psi ndarray, dropped cells list).
    """
    years = np.asarray(Y.columns)
    y = Y.to_numpy(float)
    g = G.to_numpy()
    n = len(g)
    never = g == 0
    cohorts = sorted(c for c in np.unique(g) if c > 0 and c - anticipation > years.min())
    cells, psis, dropped = [], [], []
    pos = {t: j for j, t in enumerate(years)}
    nan3 = (np.nan, np.nan, 0)
    for c in cohorts:
        treat = g == c
        post_base = c - 1 - anticipation
        for j, t in enumerate(years):
            if base_period == "varying":
                if t >= c - anticipation:
                    b = post_base
                else:
                    if j == 0:
                        continue
                    b = years[j - 1]
            else:
                b = post_base
            if b not in pos:
                continue
            if control_group == "never_treated":
                ctrl = never
            else:
                ctrl = never | ((g > max(t, b) + anticipation) & (g != c))
            if t == b:  # universal base: the normalised cell (0 by construction)
                cells.append((c, t, b, 0.0, treat.sum(), ctrl.sum(), *nan3))
                psis.append(np.zeros(n))
                continue
            if ctrl.sum() == 0 or treat.sum() == 0:
                continue
            dy = y[:, pos[t]] - y[:, pos[b]]
            if X is None:
                mt, mc = dy[treat].mean(), dy[ctrl].mean()
                a = np.zeros(n)
                a[treat] = (dy[treat] - mt) / treat.sum()
                a[ctrl] -= (dy[ctrl] - mc) / ctrl.sum()
                cells.append((c, t, b, mt - mc, int(treat.sum()), int(ctrl.sum()), *nan3))
                psis.append(n * a)
                continue
            sub = treat | ctrl
            xyear = min(b, t) if covariate_year == "base" else covariate_year
            Xc = np.column_stack([np.ones(sub.sum()), X[pos[xyear]][sub]])
            r, why = _cell_2x2(dy[sub], treat[sub].astype(float), Xc, method)
            if r is None:
                dropped.append({"cohort": int(c), "time": int(t), "reason": why})
                continue
            a = np.zeros(n)
            a[sub] = n / sub.sum() * r.inf
            cells.append((c, t, b, r.att, int(treat.sum()), int(ctrl.sum()), r.ps_min, r.ps_max, r.n_trimmed))
            psis.append(a)
    cells = pd.DataFrame(
        cells, columns=["cohort", "time", "base", "att", "n_treated", "n_control", "ps_min", "ps_max", "n_trimmed"]
    )
    psi = np.column_stack(psis) if psis else np.zeros((n, 0))
    return cells, psi, dropped


def _wif(keep, pg_cell, cell_cohort, g):
    """did::get_wif: influence function of the estimated weights pg_k / sum(pg) (n x len(keep))."""
    pk = pg_cell[keep]
    s = pk.sum()
    ind = np.column_stack([(g == cell_cohort[k]).astype(float) - pg_cell[k] for k in keep])
    if1 = ind / s
    if2 = ind.sum(axis=1, keepdims=True) @ (pk / s**2)[None, :]
    return if1 - if2


def _agg(att, psi, keep, pg_cell, cell_cohort, g, use_wif=True):
    keep = np.asarray(keep)
    w = pg_cell[keep] / pg_cell[keep].sum()
    est = float(w @ att[keep])
    inf = psi[:, keep] @ w
    if use_wif:
        inf = inf + _wif(keep, pg_cell, cell_cohort, g) @ att[keep]
    return est, inf


def _aggregate(kind, cells, psi, g):
    """Return list of (term, estimate, influence vector, extra dict) for one aggregation (did::compute.aggte)."""
    att = cells["att"].to_numpy()
    coh = cells["cohort"].to_numpy()
    tt = cells["time"].to_numpy()
    et = tt - coh
    glist = np.array(sorted(np.unique(coh)))
    pgg = np.array([np.mean(g == c) for c in glist])
    pg_cell = pgg[np.searchsorted(glist, coh)]
    out = []
    if kind == "simple":
        keep = np.flatnonzero(coh <= tt)
        est, inf = _agg(att, psi, keep, pg_cell, coh, g)
        out.append(("ATT", est, inf, {}))
    elif kind == "dynamic":
        infs, ests = [], []
        for e in sorted(np.unique(et)):
            keep = np.flatnonzero(et == e)
            est, inf = _agg(att, psi, keep, pg_cell, coh, g)
            out.append((f"rel_{int(e)}", est, inf, {"event_time": int(e)}))
            if e >= 0:
                ests.append(est)
                infs.append(inf)
        out.append(("ATT", float(np.mean(ests)), np.mean(infs, axis=0), {}))
    elif kind == "group":
        gests, ginfs = [], []
        for c in glist:
            keep = np.flatnonzero((coh == c) & (c <= tt))
            est, inf = _agg(att, psi, keep, pg_cell, coh, g, use_wif=False)
            out.append((f"cohort_{int(c)}", est, inf, {"cohort": int(c)}))
            gests.append(est)
            ginfs.append(inf)
        gests, ginfs = np.array(gests), np.column_stack(ginfs)
        wif = _wif(np.arange(len(glist)), pgg, glist, g)
        w = pgg / pgg.sum()
        out.append(("ATT", float(w @ gests), ginfs @ w + wif @ gests, {}))
    elif kind == "calendar":
        ests, infs = [], []
        for t1 in sorted(np.unique(tt[tt >= glist.min()])):
            keep = np.flatnonzero((tt == t1) & (coh <= tt))
            if keep.size == 0:
                continue
            est, inf = _agg(att, psi, keep, pg_cell, coh, g)
            out.append((f"year_{int(t1)}", est, inf, {"time": int(t1)}))
            ests.append(est)
            infs.append(inf)
        out.append(("ATT", float(np.mean(ests)), np.mean(infs, axis=0), {}))
    else:
        raise NQPInputError(f"parameter aggregation={kind!r} must be one of {_AGGS} or None")
    return out


def _mammen(rng, shape):
    s5 = np.sqrt(5.0)
    p = (s5 + 1) / (2 * s5)
    return np.where(rng.random(shape) < p, (1 - s5) / 2, (1 + s5) / 2)


def callaway_santanna(
    df: pd.DataFrame,
    outcome: str,
    first_treat: str = "first_treat",
    unit: str = "city_code",
    time: str = "year",
    controls=(),
    cluster: str | None = None,
    control_group: str = "never_treated",
    anticipation: int = 0,
    base_period: str = "varying",
    aggregation="dynamic",
    n_boot: int = 0,
    seed: int = 0,
    alpha: float = 0.05,
    method: str = "dr",
    covariate_year="base",
) -> pd.DataFrame:
    """Callaway–Sant'Anna ATT(g,t) plus aggregations; tidy rows.

    ``aggregation``: one of ``"simple"``, ``"dynamic"``, ``"group"``, ``"calendar"``, a list of them, ``"all"`` or
    ``None`` (ATT(g,t) rows only).  Rows with ``aggregation="att_gt"`` carry ``cohort``, ``time`` (year), ``base``
    and ``event_time``; aggregated rows carry the aggregation name, ``event_time``/``cohort``/``time`` where relevant,
    and an overall row with term ``"ATT"``.  ``cluster`` must be ``None`` or ``unit`` (SEs are clustered by unit
    through the influence function).

    ``controls``: covariate columns for conditional parallel trends, estimated in each cell by ``method``
    (``"dr"`` doubly robust, ``"ipw"``, ``"reg"`` outcome regression; see :mod:`.drdid`), with values taken in
    year ``min(base, t)`` (``covariate_year="base"``: the base period, as did/moderndid) or in one fixed year
    (``covariate_year=2004``: truly time-invariant, pre-treatment covariates).  Units with a missing control in any
    year are dropped (count in ``attrs``).  ATT(g,t) rows then carry the overlap diagnostics ``ps_min``,
    ``ps_max`` (propensity-score range in the cell, DR/IPW) and ``n_trimmed``/``share_trimmed`` (comparison units
    with a score >= 0.995, given weight 0); cells that did/moderndid would skip (a score >= 0.999, or too few
    comparison units for the regression) are listed in ``attrs["callaway_santanna"]["dropped_cells"]``.
    Without controls ``method`` is irrelevant (all three reduce to the difference of mean changes).
    """
    controls = list(controls)
    if method not in METHODS:
        raise NQPInputError(f"parameter method={method!r} must be one of {METHODS}")
    if cluster not in (None, unit):
        raise NQPInputError(f"parameter cluster={cluster!r}: only unit-level clustering ({unit!r}) is supported")
    if control_group not in ("never_treated", "not_yet_treated"):
        raise NQPInputError(f"parameter control_group={control_group!r} must be 'never_treated' or 'not_yet_treated'")
    if base_period not in ("varying", "universal"):
        raise NQPInputError(f"parameter base_period={base_period!r} must be 'varying' or 'universal'")
    if not isinstance(anticipation, (int, np.integer)) or anticipation < 0:
        raise NQPInputError(f"parameter anticipation={anticipation!r} must be a non-negative integer")
    if aggregation is None:
        aggs = []
    elif aggregation == "all":
        aggs = list(_AGGS)
    elif isinstance(aggregation, str):
        aggs = [aggregation]
    else:
        aggs = list(aggregation)
    for a in aggs:
        if a not in _AGGS:
            raise NQPInputError(f"parameter aggregation={a!r} must be one of {_AGGS}, 'all' or None")
    Y, G, dropped, dropped_x, X = _wide(df, outcome, first_treat, unit, time, controls)
    if covariate_year != "base" and covariate_year not in set(Y.columns):
        raise NQPInputError(f"parameter covariate_year={covariate_year!r} must be 'base' or a year of the panel")
    g = G.to_numpy()
    if control_group == "never_treated" and not (g == 0).any():
        raise NQPInputError(f"column {first_treat!r}: no never-treated unit; use control_group='not_yet_treated'")
    cells, psi, dropped_cells = att_gt_matrix(Y, G, control_group, anticipation, base_period, X, method, covariate_year)
    if cells.empty:
        raise NQPInputError(f"column {first_treat!r}: no estimable ATT(g,t) cell")
    n = len(g)
    blocks = [
        (
            "att_gt",
            [
                (
                    f"ATT({c},{t})",
                    a,
                    psi[:, k],
                    {"cohort": int(c), "time": int(t), "base": int(b), "event_time": int(t - c)},
                )
                for k, (c, t, b, a) in enumerate(cells[["cohort", "time", "base", "att"]].itertuples(index=False))
            ],
        )
    ]
    for a in aggs:
        blocks.append((a, _aggregate(a, cells, psi, g)))
    rng = np.random.default_rng(seed) if n_boot > 0 else None
    V = _mammen(rng, (n_boot, n)) if n_boot > 0 else None
    frames = []
    z = stats.norm.ppf(1 - alpha / 2)
    for name, rows in blocks:
        inf = np.column_stack([r[2] for r in rows])
        est = np.array([r[1] for r in rows], dtype=float)
        se = np.sqrt((inf**2).mean(axis=0) / n)
        se[se <= np.sqrt(np.finfo(float).eps) * 10] = np.nan  # did: normalised / degenerate cells
        crit_u = np.full(len(rows), np.nan)
        if n_boot > 0:
            bres = V @ inf / n
            iqr = np.quantile(bres, 0.75, axis=0) - np.quantile(bres, 0.25, axis=0)
            se = iqr / (stats.norm.ppf(0.75) - stats.norm.ppf(0.25))
            se[se <= np.sqrt(np.finfo(float).eps) * 10] = np.nan
            ok = np.isfinite(se)
            if ok.any():
                tmax = np.max(np.abs(bres[:, ok]) / se[ok], axis=1)
                crit_u[:] = np.quantile(tmax, 1 - alpha)
        extra = pd.DataFrame([r[3] for r in rows], columns=["cohort", "time", "base", "event_time"])
        fr = tidy(
            [r[0] for r in rows],
            est,
            se,
            df_resid=None,
            n_obs=int(n * Y.shape[1]),
            n_clusters=n,
            estimator="callaway_santanna",
            outcome=outcome,
            alpha=alpha,
            aggregation=name,
            cohort=extra["cohort"].to_numpy(),
            time=extra["time"].to_numpy(),
            base=extra["base"].to_numpy(),
            event_time=extra["event_time"].to_numpy(),
            crit_uniform=crit_u,
        )
        fr["conf_low_uniform"] = fr["estimate"] - crit_u * fr["std_error"]
        fr["conf_high_uniform"] = fr["estimate"] + crit_u * fr["std_error"]
        if name == "att_gt":
            fr["n_treated"] = cells["n_treated"].to_numpy()
            fr["n_control"] = cells["n_control"].to_numpy()
            if controls:
                for col in ("ps_min", "ps_max", "n_trimmed"):
                    fr[col] = cells[col].to_numpy()
                fr["share_trimmed"] = cells["n_trimmed"].to_numpy() / cells["n_control"].to_numpy()
        frames.append(fr)
    out = pd.concat(frames, ignore_index=True)
    for col in ("cohort", "time", "base", "event_time"):
        out[col] = out[col].astype("Int64")
    out.attrs["callaway_santanna"] = safe_attr(
        {
            "dropped_units": dropped,
            "dropped_units_controls": dropped_x,
            "dropped_cells": dropped_cells,
            "controls": controls,
            "method": method if controls else "unconditional",
            "covariate_year": covariate_year,
            "n_units": n,
            "control_group": control_group,
            "base_period": base_period,
            "anticipation": anticipation,
            "n_boot": n_boot,
            "seed": seed,
            "z": float(z),
        }
    )
    return out
