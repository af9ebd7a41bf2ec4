"""Informational comparisons of the printed numbers: IV against OLS, moderation main effects and the text's
"amplification" percentages, intercepts, and standard errors across outcomes and columns."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._common import ROUND, _data, _f, _frame, _row, _status
from .aggregation import se_bound_rows
from .claims import _claims


# ----------------------------------------------------------------------------------------------- IV vs OLS
def check_iv_vs_ols(df: pd.DataFrame | None = None, ols=(2, "baseline_controls"), iv_table: int = 4) -> pd.DataFrame:
    """IV / OLS ratio of the Inn coefficient per outcome and instrument (informational).

    OLS is the baseline with controls (``ols`` = (table, spec)); every spec of ``iv_table`` is an IV column. Notes
    give the ratio, the IV - OLS gap in IV standard errors and the SE ratio.
    """
    df = _data(df)
    inn = df[df["term"] == "Inn"]
    base = inn[(inn["table"] == ols[0]) & (inn["spec"] == ols[1])].set_index("outcome")
    rows = []
    for r in inn[inn["table"] == iv_table].itertuples(index=False):
        if r.outcome not in base.index:
            continue
        b0, s0 = base.at[r.outcome, "coef"], base.at[r.outcome, "se"]
        note = (
            f"{r.spec}: IV {r.coef:g} ({r.se:g}) / OLS {b0:g} ({s0:g}) = {r.coef / b0:.3f}; gap {r.coef - b0:+.3f}"
            f" = {(r.coef - b0) / r.se:.2f} IV SEs; SE ratio {r.se / s0:.2f}."
        )
        rows.append(_row("iv_vs_ols", r.table, r.column, r.outcome, "Inn", r.coef, b0, None, "info", note))
    return _frame(rows)


# ----------------------------------------------------------------------------------------------- moderation
def check_moderation_main_effects(
    df: pd.DataFrame | None = None, base=(2, "baseline_controls"), claims: pd.DataFrame | str | None = "paper"
) -> pd.DataFrame:
    """Main effect of Inn in the moderation models against the baseline, and the text's "amplification" percentages.

    In Y = a Inn + b M + c Inn x M + ..., with an uncentred moderator M the Inn coefficient a is the effect at M = 0,
    which may lie outside the data; it is not comparable to the baseline average effect. Rows per moderation table and
    outcome: the ratio a / baseline (shrinkage) and the moderator level m* = (baseline - a) / c at which the
    conditional effect a + c m* would equal the baseline estimate (a rough reading, since TWFE does not weight
    effects by the mean moderator). ``claims`` (table, outcome, term, claimed_pct; default ``"paper"`` = the text's
    numbers from ``data/paper/text_claims.csv``, see :func:`amplification_claims`) are checked against 100 x c; the
    note gives alternative relative readings and where else the same number appears in the table.
    """
    df = _data(df)
    claims = _claims(claims)
    b0 = df[(df["table"] == base[0]) & (df["spec"] == base[1]) & (df["term"] == "Inn")].set_index("outcome")
    mods = df[df["spec"].str.startswith("moderation")]
    rows = []
    for (t, o), g in mods.groupby(["table", "outcome"], sort=True):
        g = g.set_index("term")
        inter = [x for x in g.index if ":" in x]
        if "Inn" not in g.index or not inter or o not in b0.index:
            continue
        a, c, ref = g.at["Inn", "coef"], g.at[inter[0], "coef"], b0.at[o, "coef"]
        col = g["column"].iloc[0]
        m = inter[0].split(":")[1]
        note = (
            f"Inn {a:g} at {m} = 0 (uncentred {m}) vs Table {base[0]} col {b0.at[o, 'column']} {ref:g}: "
            f"ratio {a / ref:.3f} ({(a / ref - 1) * 100:+.1f}%)."
        )
        rows.append(_row("moderation_main_effect", t, col, o, "Inn", a, ref, None, "info", note))
        mstar = (ref - a) / c if c != 0 else np.nan
        note = (
            f"(baseline - Inn) / {inter[0]} = ({ref:g} - {a:g}) / {c:g} = {_f(mstar)}: the {m} level at which "
            f"a + c x {m} equals the baseline effect."
        )
        rows.append(_row("moderation_implied_level", t, col, o, inter[0], mstar, np.nan, None, "info", note))
    if claims is not None:
        for r in claims.itertuples(index=False):
            hit = mods[(mods["table"] == r.table) & (mods["outcome"] == r.outcome) & (mods["term"] == r.term)]
            if hit.empty:
                continue
            c = float(hit["coef"].iloc[0])
            a = float(
                mods[(mods["table"] == r.table) & (mods["outcome"] == r.outcome) & (mods["term"] == "Inn")][
                    "coef"
                ].iloc[0]
            )
            ok = bool(abs(r.claimed_pct / 100 - c) <= ROUND)
            ref = b0.at[r.outcome, "coef"] if r.outcome in b0.index else np.nan
            same = df[(df["coef"].round(3) == round(c, 3)) & ~df.index.isin(hit.index)]
            also = "; ".join(f"Table {x.table} col {x.column} {x.outcome} {x.term}" for x in same.itertuples())
            note = (
                f"Text: {r.claimed_pct:g}%; 100 x {r.term} coefficient = {100 * c:.1f}. The coefficient is in index "
                f"points per unit of the moderator; as a share of the Inn effect it would be {c:g}/{a:g} = "
                f"{c / a * 100:.1f}% (Inn at moderator 0, same column) or {c:g}/{_f(ref)} = "
                f"{c / ref * 100:.1f}% (baseline)."
            )
            if also:
                note += f" The value {c:g} also appears at: {also}."
            if getattr(r, "claim_id", None):
                note += f" Source: data/paper/text_claims.csv, claim {r.claim_id}."
            rows.append(
                _row(
                    "amplification_text",
                    r.table,
                    hit["column"].iloc[0],
                    r.outcome,
                    r.term,
                    r.claimed_pct / 100,
                    c,
                    ok,
                    _status(ok),
                    note,
                    abs(r.claimed_pct / 100 - c) - ROUND,
                )
            )
    return _frame(rows)


# ----------------------------------------------------------------------------------------------- constants
def check_constants(df: pd.DataFrame | None = None, treated_share: float | None = None) -> pd.DataFrame:
    """What the printed intercepts of fixed-effects models can tell (informational).

    With city and year FE the intercept is a normalisation (reghdfe/fixest report ybar - xbar'b, other software
    drops a reference city/year), so its value and its stars depend on that choice. Without controls,
    const = ybar - s x b_Inn with s the share of treated city-years, so ybar lies between const and const + b_Inn
    for s in [0, 1] (or equals const + s b_Inn when ``treated_share`` is given).
    """
    df = _data(df)
    rows = []
    for (t, c), g in df.groupby(["table", "column"], sort=True):
        g = g.set_index("term")
        if "const" not in g.index:
            continue
        k = g.at["const", "coef"]
        spec, o = g["spec"].iloc[0], g["outcome"].iloc[0]
        if "no_controls" in spec and "Inn" in g.index:
            b = g.at["Inn", "coef"]
            lo, hi = sorted((k, k + b))
            implied = k + treated_share * b if treated_share is not None else np.nan
            note = (
                f"const {k:g}, Inn {b:g}: ybar = const + s x Inn lies in [{lo:.3f}, {hi:.3f}] for a treated share "
                f"s in [0, 1]" + (f"; s = {treated_share:g} gives {implied:.3f}." if treated_share is not None else ".")
            )
        else:
            implied = np.nan
            note = (
                f"const {k:g} ({g.at['const', 'se']:g}){g.at['const', 'stars']}: with controls/moderators it is ybar "
                f"minus xbar'b over all regressors; its value and stars depend on the FE normalisation."
            )
        rows.append(_row("constant", t, c, o, "const", k, implied, None, "info", note))
    return _frame(rows)


# ----------------------------------------------------------------------------------------------- SEs
def check_se_consistency(
    df: pd.DataFrame | None = None, weights=None, coef_tol: float = 0.05, se_tol: float = 0.25
) -> pd.DataFrame:
    """Standard errors across outcomes and across columns.

    1. Bound (:func:`.aggregation.se_bound_rows`): under the linear-aggregation premise Pro's residuals are the
       W-weighted sum of the sub-indices' residuals, so by the triangle inequality se(Pro) <= sum_d W_d se(d),
       whatever the correlation. Slope terms on one sample are tested; intercepts are informational. The rows rest on
       the premise the coefficient check rejects, so they support that finding rather than add an independent one.
    2. Columns of one table with the same outcome (e.g. without/with controls, two matchings, two instruments): the
       Inn coefficient and SE are compared; a pair whose coefficient moves by less than ``coef_tol`` while its SE
       moves by more than ``se_tol`` is marked in the note. Informational: such changes are possible.
    """
    df = _data(df)
    rows = se_bound_rows(df, weights)
    inn = df[df["term"] == "Inn"]
    for (t, o), g in inn.groupby(["table", "outcome"], sort=True):
        g = g.sort_values("column")
        for i in range(len(g)):
            for j in range(i + 1, len(g)):
                a, b = g.iloc[i], g.iloc[j]
                dc = b["coef"] / a["coef"] - 1
                ds = b["se"] / a["se"] - 1
                note = (
                    f"col {a['column']} ({a['spec']}) {a['coef']:g} ({a['se']:g}), t = {a['coef'] / a['se']:.2f} vs "
                    f"col {b['column']} ({b['spec']}) {b['coef']:g} ({b['se']:g}), t = {b['coef'] / b['se']:.2f}: "
                    f"coefficient {dc * 100:+.1f}%, SE {ds * 100:+.1f}%."
                )
                if abs(dc) < coef_tol and abs(ds) > se_tol:
                    note += " Near-identical coefficient with a markedly different SE."
                rows.append(
                    _row(
                        "se_across_columns",
                        t,
                        f"{a['column']} vs {b['column']}",
                        o,
                        "Inn",
                        b["se"],
                        a["se"],
                        None,
                        "info",
                        note,
                    )
                )
    return _frame(rows)
