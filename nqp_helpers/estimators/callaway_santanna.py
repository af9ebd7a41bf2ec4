"""Callaway & Sant'Anna (2021) group-time ATTs and their aggregations (unconditional, balanced panel).

What: for every cohort ``g`` (first treated year) and year ``t``,
``ATT(g,t) = E[Y_t - Y_b | G = g] - E[Y_t - Y_b | control]`` with base year ``b`` = ``g - 1 - anticipation`` for
post-treatment cells (and for every cell under ``base_period="universal"``) or ``t - 1`` for pre-treatment cells under
``base_period="varying"``.  Controls are the never-treated units (``control_group="never_treated"``) or the units not
yet treated by ``max(t, b) + anticipation`` (``"not_yet_treated"``, never-treated included, own cohort excluded), exactly
as in the R package ``did`` (and moderndid).  No covariates (the paper's controls are not used here).

Aggregations follow ``did::aggte``: ``simple`` (post cells weighted by cohort size), ``dynamic`` (by event time
``e = t - g``, cohort-size weights; overall = mean over ``e >= 0``), ``group`` (mean over a cohort's post cells; overall
weighted by cohort size), ``calendar`` (by year over treated cohorts; overall = mean over years).

Why: ATT(g,t) use only clean 2x2 comparisons, so they are immune to the negative-weight problem of TWFE with
heterogeneous dynamic effects.

SE convention (differs from the package default, as in ``did``): analytic influence-function SEs clustered at the unit,
``se = sqrt(sum_i psi_i^2) / n`` with no small-sample factor, and normal (z) inference.  The aggregated SEs include the
estimation error of the cohort-share weights (the ``wif`` term of ``did``).  Units whose outcome is missing in some
year are dropped (balanced panel, as ``did`` with ``allow_unbalanced_panel=FALSE``); the count is in
``attrs["callaway_santanna"]["dropped_units"]``.  Cohorts treated in (or before) the first sample year + anticipation
have no pre-period and are dropped.  Optional multiplier bootstrap (``n_boot > 0``, Mammen weights drawn with
``numpy.random.default_rng(seed)``): SE = IQR of the bootstrap draws / (z_.75 - z_.25), plus a uniform
(sup-t) critical value per aggregation block in column ``crit_uniform`` and bands ``conf_low_uniform/high``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .._attrs import safe_attr
from ..errors import NQPInputError
from ._common import first_treat_to_int, require_columns, tidy

__all__ = ["callaway_santanna", "att_gt_matrix"]

_AGGS = ("simple", "dynamic", "group", "calendar")


def _wide(df, outcome, first_treat, unit, time):
    require_columns(df, [outcome, first_treat, unit, time], "callaway_santanna")
    if df.duplicated([unit, time]).any():
        row = df.loc[df.duplicated([unit, time]), [unit, time]].iloc[0]
        raise NQPInputError(f"duplicate ({unit}, {time}) row: ({row[unit]}, {row[time]})")
    d = df[[unit, time, outcome, first_treat]].copy()
    d[first_treat] = first_treat_to_int(d[first_treat])
    if (d.groupby(unit)[first_treat].nunique() > 1).any():
        bad = d.groupby(unit)[first_treat].nunique()
        raise NQPInputError(f"column {first_treat!r} varies within unit {bad[bad > 1].index[0]!r}")
    Y = d.pivot(index=unit, columns=time, values=outcome).sort_index(axis=1)
    G = d.groupby(unit)[first_treat].first().reindex(Y.index)
    complete = Y.notna().all(axis=1)
    dropped = int((~complete).sum())
    Y, G = Y[complete], G[complete]
    if len(Y) == 0:
        raise NQPInputError(f"outcome {outcome!r}: no unit observed in every year")
    return Y, G, dropped


def att_gt_matrix(Y: pd.DataFrame, G: pd.Series, control_group="never_treated", anticipation=0,
                  base_period="varying"):
    """Core: ATT(g,t) and the n x K influence-function matrix (did scaling: se_k = sqrt(mean(psi_k^2)/n)).

    ``Y``: units x years wide outcome (balanced); ``G``: first treated year per unit (0 = never).
    Returns (cells DataFrame [cohort, time, base, att, n_treated, n_control], psi ndarray).
    """
    years = np.asarray(Y.columns)
    y = Y.to_numpy(float)
    g = G.to_numpy()
    n = len(g)
    never = g == 0
    cohorts = sorted(c for c in np.unique(g) if c > 0 and c - anticipation > years.min())
    cells, psis = [], []
    pos = {t: j for j, t in enumerate(years)}
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
                cells.append((c, t, b, 0.0, treat.sum(), ctrl.sum()))
                psis.append(np.zeros(n))
                continue
            if ctrl.sum() == 0 or treat.sum() == 0:
                continue
            dy = y[:, pos[t]] - y[:, pos[b]]
            mt, mc = dy[treat].mean(), dy[ctrl].mean()
            a = np.zeros(n)
            a[treat] = (dy[treat] - mt) / treat.sum()
            a[ctrl] -= (dy[ctrl] - mc) / ctrl.sum()
            cells.append((c, t, b, mt - mc, int(treat.sum()), int(ctrl.sum())))
            psis.append(n * a)
    cells = pd.DataFrame(cells, columns=["cohort", "time", "base", "att", "n_treated", "n_control"])
    psi = np.column_stack(psis) if psis else np.zeros((n, 0))
    return cells, psi


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


def callaway_santanna(df: pd.DataFrame, outcome: str, first_treat: str = "first_treat", unit: str = "city_code",
                      time: str = "year", controls=(), cluster: str | None = None,
                      control_group: str = "never_treated", anticipation: int = 0, base_period: str = "varying",
                      aggregation="dynamic", n_boot: int = 0, seed: int = 0, alpha: float = 0.05) -> pd.DataFrame:
    """Callaway–Sant'Anna ATT(g,t) plus aggregations; tidy rows.

    ``aggregation``: one of ``"simple"``, ``"dynamic"``, ``"group"``, ``"calendar"``, a list of them, ``"all"`` or
    ``None`` (ATT(g,t) rows only).  Rows with ``aggregation="att_gt"`` carry ``cohort``, ``time`` (year), ``base``
    and ``event_time``; aggregated rows carry the aggregation name, ``event_time``/``cohort``/``time`` where relevant,
    and an overall row with term ``"ATT"``.  ``controls`` (covariates) are not supported yet and must be empty;
    ``cluster`` must be ``None`` or ``unit`` (SEs are clustered by unit through the influence function).
    """
    if tuple(controls):
        raise NQPInputError("parameter controls: covariates are not supported by callaway_santanna (unconditional)")
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
    Y, G, dropped = _wide(df, outcome, first_treat, unit, time)
    g = G.to_numpy()
    if control_group == "never_treated" and not (g == 0).any():
        raise NQPInputError(f"column {first_treat!r}: no never-treated unit; use control_group='not_yet_treated'")
    cells, psi = att_gt_matrix(Y, G, control_group, anticipation, base_period)
    if cells.empty:
        raise NQPInputError(f"column {first_treat!r}: no estimable ATT(g,t) cell")
    n = len(g)
    blocks = [("att_gt", [(f"ATT({c},{t})", a, psi[:, k], {"cohort": int(c), "time": int(t), "base": int(b),
                                                         "event_time": int(t - c)})
                          for k, (c, t, b, a) in enumerate(cells[["cohort", "time", "base", "att"]].itertuples(
                              index=False))])]
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
        fr = tidy([r[0] for r in rows], est, se, df_resid=None, n_obs=int(n * Y.shape[1]), n_clusters=n,
                  estimator="callaway_santanna", outcome=outcome, alpha=alpha, aggregation=name,
                  cohort=extra["cohort"].to_numpy(), time=extra["time"].to_numpy(),
                  base=extra["base"].to_numpy(), event_time=extra["event_time"].to_numpy(),
                  crit_uniform=crit_u)
        fr["conf_low_uniform"] = fr["estimate"] - crit_u * fr["std_error"]
        fr["conf_high_uniform"] = fr["estimate"] + crit_u * fr["std_error"]
        if name == "att_gt":
            fr["n_treated"] = cells["n_treated"].to_numpy()
            fr["n_control"] = cells["n_control"].to_numpy()
        frames.append(fr)
    out = pd.concat(frames, ignore_index=True)
    for col in ("cohort", "time", "base", "event_time"):
        out[col] = out[col].astype("Int64")
    out.attrs["callaway_santanna"] = safe_attr({
        "dropped_units": dropped, "n_units": n, "control_group": control_group, "base_period": base_period,
        "anticipation": anticipation, "n_boot": n_boot, "seed": seed, "z": float(z)})
    return out
