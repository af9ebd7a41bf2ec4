"""Is Pro's column the weighted sum of the sub-indices' columns? Coefficient identity, rescaling tests, SE bound.

The premise of every check here is stated, not assumed true: the paper gives equal dimension weights (0.333, Table 1)
but never writes the aggregation formula or the normalisation. Under the usual linear weighted sum
Pro = sum_d W_d sub_d, estimated on one sample with one set of regressors and fixed effects, OLS and 2SLS slopes are
linear in the outcome, so b_Pro = sum_d W_d b_d term by term. Intercepts are not tested: with city and year fixed
effects their value depends on how the software normalises the effects.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._common import (
    INTERCEPT,
    ROUND,
    SUB_INDICES,
    _cols,
    _data,
    _frame,
    _row,
    _status,
    dimension_weights,
    index_groups,
    interval_gap,
    interval_product,
)
from .rescaling import min_violation, violation

AGG_PREMISE = (
    "the usual linear weighted sum Pro = Σ W_d·sub_d with Table 1's dimension weights, which the paper "
    "implies but does not state"
)
INTERCEPT_NOTE = (
    " Intercept: with city and year fixed effects its value depends on the normalisation of the effects "
    "(a software convention), so it is not tested; informational."
)


def _implied_interval(w: dict, vals: dict, weight_round: float) -> tuple[float, float]:
    """Range of sum_d W_d v_d with each printed W_d and v_d anywhere within its rounding."""
    parts = [interval_product(w[d], vals[d], weight_round, ROUND) for d in SUB_INDICES]
    return sum(p[0] for p in parts), sum(p[1] for p in parts)


def _weighted_mean(w: dict, vals: dict) -> float:
    return sum(w[d] * vals[d] for d in SUB_INDICES) / sum(w.values())


def _decide(term: str, g: pd.DataFrame, gap: float, note: str) -> tuple[bool | None, str, str]:
    """(consistent, status, note) of one Pro group: intercepts and groups with differing N are informational."""
    if term == INTERCEPT:
        return None, "info", note + INTERCEPT_NOTE
    if g["n"].nunique() > 1:
        return (
            None,
            "samples differ",
            note
            + (
                f" N differs across the four columns ({', '.join(map(str, g['n']))}):"
                f" the identity needs one sample; informational."
            ),
        )
    ok = bool(gap <= 0)
    return ok, _status(ok), note


def _same_sample_slopes(df: pd.DataFrame):
    """The same-sample (one N) slope groups: (table, spec, term, group)."""
    for t, spec, term, g in index_groups(df):
        if term != INTERCEPT and g["n"].nunique() == 1:
            yield t, spec, term, g


def check_linear_aggregation(df: pd.DataFrame | None = None, weights=None, weight_round: float = ROUND) -> pd.DataFrame:
    """Pro's coefficient against sum_d W_d b_d, per term, under the premise :data:`AGG_PREMISE`.

    Every printed number may lie anywhere within its rounding (``ROUND``), each dimension weight within
    ``weight_round`` of its printed value (0.333 -> [0.3325, 0.3335], which contains 1/3). ``gap`` is the distance
    between the two resulting intervals. Slope rows on one sample are tested; intercept rows and groups whose four
    columns have different N (PSM) are informational. Two summary rows follow: a common rescaling
    (``linear_aggregation_common_scale``: Pro = a + c sum W_d sub_d) and a separate non-negative factor per
    sub-index (``linear_aggregation_per_dimension_scale``, the linear program of :mod:`.rescaling`).
    """
    df = _data(df)
    w = dimension_weights(weights)
    rows = []
    for t, spec, term, g in index_groups(df):
        b = dict(zip(g["outcome"], g["coef"]))
        lo, hi = _implied_interval(w, b, weight_round)
        gap = interval_gap(b["Pro"] - ROUND, b["Pro"] + ROUND, lo, hi)
        mean = _weighted_mean(w, b)
        terms = " + ".join(f"{w[d]:g}×{b[d]:g}" for d in SUB_INDICES)
        note = (
            f"Pro {b['Pro']:g} vs Σ W_d b_d = {terms}: with rounding of every printed number and W_d in "
            f"[{w['Lab'] - weight_round:.4f}, {w['Lab'] + weight_round:.4f}] the implied value lies in "
            f"[{lo:.4f}, {hi:.4f}] (renormalised weights: {mean:.4f}); gap after rounding {gap:+.4f} "
            f"[columns {_cols(g)}]."
        )
        ok, status, note = _decide(term, g, gap, note)
        if ok is False:
            note += (
                f" Inconsistent under {AGG_PREMISE}. Could be explained by a non-linear or year-by-year "
                f"normalisation, different samples or regressors across the four columns, or misreporting."
            )
        pro_col = g.loc[g["outcome"] == "Pro", "column"].iloc[0]
        rows.append(_row("linear_aggregation", t, pro_col, "Pro", term, b["Pro"], mean, ok, status, note, gap))
    slopes = list(_same_sample_slopes(df))
    if slopes:
        rows.append(_common_scale_row(slopes))
        rows.append(_per_dimension_row(slopes))
    return _frame(rows)


def _common_scale_row(slopes) -> dict:
    """Pro = a + c x (mean of the sub-indices): one ratio c for all slopes, each ratio known to an interval."""
    bounds, mids = [], []
    for _t, _s, _term, g in slopes:
        b = dict(zip(g["outcome"], g["coef"]))
        m = float(np.mean([b[d] for d in SUB_INDICES]))
        lo = (b["Pro"] - ROUND) / (m + ROUND) if m > 0 else -np.inf
        hi = (b["Pro"] + ROUND) / (m - ROUND) if m > ROUND else np.inf
        bounds.append((lo, hi))
        mids.append(b["Pro"] / m if m != 0 else np.nan)
    lo, hi = max(x[0] for x in bounds), min(x[1] for x in bounds)
    ok = bool(lo <= hi)
    note = (
        f"Ratio b_Pro / mean(b_Lab, b_Mea, b_Obj) over {len(slopes)} same-sample slope terms runs from "
        f"{np.nanmin(mids):.3f} to {np.nanmax(mids):.3f}. "
    )
    note += (
        f"A common rescaling c of the aggregate would need c ≥ {lo:.3f} and c ≤ {hi:.3f} at once, so none "
        f"reconciles the slopes."
        if not ok
        else f"A common rescaling c in [{lo:.3f}, {hi:.3f}] reconciles them within rounding."
    )
    return _row(
        "linear_aggregation_common_scale",
        pd.NA,
        "all",
        "Pro",
        "slopes",
        float(np.nanmax(mids)),
        float(np.nanmin(mids)),
        ok,
        _status(ok),
        note,
    )


def per_dimension_fit(df: pd.DataFrame | None = None) -> tuple[float, dict[str, float], int]:
    """(smallest gap after rounding, best lambda per sub-index, number of slope terms) of the per-dimension
    rescaling program over the same-sample slope terms of ``df``."""
    slopes = list(_same_sample_slopes(_data(df)))
    if not slopes:
        return float("nan"), {}, 0
    s, lam, _pro, _subs = _fit(slopes)
    return s, dict(zip(SUB_INDICES, lam)), len(slopes)


def _fit(slopes):
    pro = np.array([g["coef"].iloc[0] for *_, g in slopes])
    subs = np.array([[g.set_index("outcome").at[d, "coef"] for d in SUB_INDICES] for *_, g in slopes])
    s, lam = min_violation(pro, subs, ROUND)
    return s, lam, pro, subs


def _per_dimension_row(slopes) -> dict:
    """Pro = a + sum_d lambda_d sub_d with a separate lambda_d >= 0 per sub-index: the linear program."""
    s, lam, pro, subs = _fit(slopes)
    ok = bool(s <= 1e-9)
    lam_txt = ", ".join(f"λ_{d} = {x:.3f}" for d, x in zip(SUB_INDICES, lam))
    note = (
        f"Each sub-index given its own non-negative factor (Pro = a + Σ λ_d sub_d; equal weights are λ_d = 1/3), "
        f"over {len(slopes)} same-sample slope terms, every printed number within its rounding: "
    )
    if ok:
        note += f"feasible, e.g. {lam_txt}."
    else:
        resid = np.abs(pro - subs @ lam) - ROUND * (1 + lam.sum())
        worst = [f"Table {slopes[i][0]} {slopes[i][2]}" for i in np.argsort(-resid)[:3]]
        note += (
            f"infeasible. The best choice ({lam_txt}) still leaves a gap of {s:.4f} beyond rounding, largest at "
            f"{', '.join(worst)}. Check: violation at that λ = {violation(pro, subs, lam, ROUND):.4f}."
        )
    return _row(
        "linear_aggregation_per_dimension_scale", pd.NA, "all", "Pro", "slopes", s, 0.0, ok, _status(ok), note, s
    )


def se_bound_rows(df: pd.DataFrame, weights=None, weight_round: float = ROUND) -> list[dict]:
    """se(Pro) <= sum_d W_d se(d) under :data:`AGG_PREMISE` (triangle inequality), per same-sample slope term.

    Under that premise Pro's residual is sum_d W_d times the sub-indices' residuals, so for heteroskedasticity-robust
    and cluster-robust SEs alike (same sample, regressors and small-sample factor) se(Pro) cannot exceed
    sum_d W_d se(d), whatever the correlation. The bound rests on the premise the coefficient check rejects, so these
    rows are supporting evidence of that finding, not an independent one. Intercepts: informational.
    """
    w = dimension_weights(weights)
    rows = []
    for t, spec, term, g in index_groups(df):
        se = dict(zip(g["outcome"], g["se"]))
        bound = max(_implied_interval(w, se, weight_round))
        mean = _weighted_mean(w, se)
        gap = (se["Pro"] - ROUND) - bound
        pro_col = g.loc[g["outcome"] == "Pro", "column"].iloc[0]
        note = (
            f"se(Pro) {se['Pro']:g} vs Σ W_d se_d ({', '.join(f'{se[d]:g}' for d in SUB_INDICES)}; renormalised "
            f"weights: {mean:.4f}; largest value allowed by rounding {bound:.4f}); gap after rounding {gap:+.4f} "
            f"[columns {_cols(g)}]. Triangle inequality under {AGG_PREMISE}; it adds no evidence independent "
            f"of the coefficient check, which already rejects that premise."
        )
        ok, status, note = _decide(term, g, gap, note)
        rows.append(_row("se_aggregation_bound", t, pro_col, "Pro", term, se["Pro"], mean, ok, status, note, gap))
    return rows
