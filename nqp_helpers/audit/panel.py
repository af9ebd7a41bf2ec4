"""Sample sizes and R²: N against the balanced panel and across outcomes; R² in range and across nested models."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..variables import CONTROLS
from ._common import ROUND, _cols, _data, _frame, _isnum, _row, _status

PSM_NOTE = (
    " The paper says only that it matched on the controls by radius and by nearest-neighbour matching "
    "(with common support), not how: nearest-neighbour matching repeated per outcome after a random sort, "
    "or matching year by year, can legitimately give a different N per outcome; one matching shared by the "
    "four outcomes would give one N. Unexplained rather than inconsistent."
)


# ----------------------------------------------------------------------------------------------- samples
def check_sample_sizes(df: pd.DataFrame | None = None, n_cities: int = 278, n_years: int = 20) -> pd.DataFrame:
    """N against the balanced panel (n_cities x n_years) and N across outcomes of one specification.

    A full-sample regression on the balanced panel has N = n_cities x n_years (5560 = 278 x 20) if nothing is
    dropped. Within one table and spec, a matched sample (PSM) is chosen on the covariates, not the outcome, so its N
    should be the same for every outcome if one matching serves all four; the paper does not say how it matched, so
    differing N in matched samples are "unexplained" (untested) rather than inconsistent. N should also be one number
    per column.
    """
    df = _data(df)
    full = n_cities * n_years
    rows = []
    cols = df.groupby(["table", "column"], sort=True)
    for (t, c), g in cols:
        if g["n"].nunique() > 1:
            rows.append(
                _row(
                    "n_within_column",
                    t,
                    c,
                    g["outcome"].iloc[0],
                    "all",
                    g["n"].max(),
                    g["n"].min(),
                    False,
                    "inconsistent",
                    f"N differs across terms of one column: {sorted(g['n'].unique())}.",
                    float(g["n"].max() - g["n"].min()),
                )
            )
    first = cols.first().reset_index()
    for r in first.itertuples(index=False):
        psm = "psm" in r.spec.lower()
        note = (
            f"N = {r.n}; balanced panel {n_cities} x {n_years} = {full}; {full - r.n} fewer; "
            f"N/{n_years} = {r.n / n_years:g}."
        )
        if psm:
            note += " Matched sample: fewer observations are expected."
            rows.append(_row("n_full_panel", r.table, r.column, r.outcome, "all", r.n, full, None, "info", note))
        else:
            ok = bool(r.n == full)
            rows.append(
                _row(
                    "n_full_panel",
                    r.table,
                    r.column,
                    r.outcome,
                    "all",
                    r.n,
                    full,
                    ok,
                    _status(ok),
                    note,
                    float(abs(full - r.n)),
                )
            )
    for (t, spec), g in first.groupby(["table", "spec"], sort=True):
        if g["outcome"].nunique() < 2:
            continue
        ok = bool(g["n"].nunique() == 1)
        ns = ", ".join(f"{o} {n}" for o, n in zip(g["outcome"], g["n"]))
        note = f"Spec {spec}: N by outcome {ns}; range {g['n'].max() - g['n'].min()}."
        gap = float(g["n"].max() - g["n"].min())
        if "psm" in spec.lower():
            ok, status = None, ("unexplained" if not ok else "info")
            note += PSM_NOTE if status == "unexplained" else " One N for all outcomes of the matched sample."
        else:
            status = _status(ok)
        rows.append(
            _row("n_same_across_outcomes", t, _cols(g), "all", "all", g["n"].max(), g["n"].min(), ok, status, note, gap)
        )
    return _frame(rows)


# ----------------------------------------------------------------------------------------------- R2
DEFAULT_NESTED = (
    ((2, "baseline_no_controls"), (2, "baseline_controls")),
    ((2, "baseline_controls"), (5, "moderation_Hum")),
    ((2, "baseline_controls"), (6, "moderation_Dig")),
    ((2, "baseline_controls"), (7, "moderation_Ind")),
)


def check_r2(df: pd.DataFrame | None = None, nested=DEFAULT_NESTED) -> pd.DataFrame:
    """R2 in [0, 1], one R2 per column, and no fall when regressors are added to a nested model on the same sample.

    ``nested`` lists pairs ((table, small spec), (table, larger spec)); by default controls added to the baseline
    (Table 2) and moderator + interaction added to the baseline with controls (Tables 5-7). Adding regressors on the
    same observations cannot lower an OLS R2 (overall or within), provided both use the same definition of R2 and the
    larger model contains the smaller one's controls (the paper does not say which R2 it prints). ``gap`` is the fall
    beyond the rounding of both printed values. Missing R2 (IV) is reported as info. If any comparison fails, a row
    ``r2_adjusted_escape`` gives the largest fall of *adjusted* R2 the extra regressors could cause
    (:func:`adjusted_r2_fall`), to show whether adjusted R2 could explain the printed falls.
    """
    df = _data(df)
    rows = []
    cols = df.groupby(["table", "column"], sort=True)
    for (t, c), g in cols:
        r2 = g["r2"]
        if r2.isna().all():
            rows.append(
                _row(
                    "r2_range",
                    t,
                    c,
                    g["outcome"].iloc[0],
                    "all",
                    np.nan,
                    np.nan,
                    None,
                    "info",
                    "R2 not reported for this column.",
                )
            )
            continue
        if r2.nunique() > 1 or r2.isna().any():
            rows.append(
                _row(
                    "r2_within_column",
                    t,
                    c,
                    g["outcome"].iloc[0],
                    "all",
                    r2.max(),
                    r2.min(),
                    False,
                    "inconsistent",
                    f"R2 differs across terms of one column: {sorted(r2.unique())}.",
                    float(r2.max() - r2.min()) - 2 * ROUND,
                )
            )
        v = float(r2.iloc[0])
        ok = bool(0 <= v <= 1)
        rows.append(
            _row(
                "r2_range",
                t,
                c,
                g["outcome"].iloc[0],
                "all",
                v,
                np.nan,
                ok,
                _status(ok),
                f"R2 = {v:g}.",
                max(-v, v - 1),
            )
        )
    first = cols.first().reset_index()
    adj = 0.0
    for (ts, ss), (tb, sb) in nested:
        a = first[(first["table"] == ts) & (first["spec"] == ss)].set_index("outcome")
        b = first[(first["table"] == tb) & (first["spec"] == sb)].set_index("outcome")
        for o in [o for o in b.index if o in a.index]:
            ra, rb = a.at[o, "r2"], b.at[o, "r2"]
            if not (_isnum(ra) and _isnum(rb)):
                continue
            same_n = a.at[o, "n"] == b.at[o, "n"]
            gap = (ra - ROUND) - (rb + ROUND)
            ok = bool(gap <= 0) if same_n else None
            note = (
                f"{o}: Table {tb} col {b.at[o, 'column']} ({sb}) R² {rb:g} vs Table {ts} col "
                f"{a.at[o, 'column']} ({ss}) R² {ra:g}: change {rb - ra:+.3f}; N {b.at[o, 'n']} vs {a.at[o, 'n']}. "
                f"Premise: the larger model adds regressors to the smaller on the same observations, with the same "
                f"R² definition, so its R² cannot be lower."
            )
            if ok is False:
                q = added_terms(df, (ts, ss), (tb, sb))
                note += (
                    f" Innocent readings: a different R² definition (within vs overall) in the two tables, or "
                    f"controls dropped in the larger model. Adjusted R² cannot explain it: {q} extra regressors "
                    f"lower it by at most {adjusted_r2_fall(ra, int(a.at[o, 'n']), q):.5f}."
                )
                adj = max(adj, adjusted_r2_fall(ra, int(a.at[o, "n"]), q))
            if not same_n:
                note += " Samples differ: not a test."
            rows.append(
                _row(
                    "r2_nested",
                    tb,
                    b.at[o, "column"],
                    o,
                    "all",
                    rb,
                    ra,
                    ok,
                    _status(ok) if ok is not None else "samples differ",
                    note,
                    gap,
                )
            )
    falls = [r["implied"] - r["reported"] for r in rows if r["check"] == "r2_nested" and r["status"] == "inconsistent"]
    if falls:
        rows.append(
            _row(
                "r2_adjusted_escape",
                pd.NA,
                "all",
                "all",
                "all",
                adj,
                min(falls),
                None,
                "info",
                f"Could adjusted R² explain the falls? Adding the extra regressors lowers adjusted R² by at "
                f"most {adj:.5f} (K = city and year dummies, Inn and {len(CONTROLS)} controls), against "
                f"printed falls of {min(falls):.3f} to {max(falls):.3f}: no.",
            )
        )
    return _frame(rows)


def added_terms(df: pd.DataFrame, small, large) -> int:
    """Printed slope terms of the larger spec that the smaller lacks (e.g. M and Inn x M: 2)."""
    terms = [set(df[(df["table"] == t) & (df["spec"] == s)]["term"]) - {"const"} for t, s in (small, large)]
    return len(terms[1] - terms[0])


def adjusted_r2_fall(r2: float, n: int, q: int, k: int | None = None, n_cities: int = 278, n_years: int = 20) -> float:
    """Largest fall of adjusted R² when ``q`` regressors that explain nothing are added to a model with R² ``r2``,
    ``n`` observations and ``k`` regressors (default: city and year dummies, Inn and the six controls:
    (n_cities - 1) + (n_years - 1) + 1 + 6). adj R² = 1 - (1 - R²)(n - 1)/(n - k - 1)."""
    k = (n_cities - 1) + (n_years - 1) + 1 + len(CONTROLS) if k is None else k
    return float((1 - r2) * (n - 1) * (1 / (n - k - q - 1) - 1 / (n - k - 1)))
