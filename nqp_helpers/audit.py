"""Machine checks of a table of reported regression results (the ``reported_results.csv`` format).

Each ``check_*`` function takes such a table and returns tidy findings, one row per thing checked:

``check, table, column, outcome, term, reported, implied, difference, consistent, status, note``

``reported`` is the number as printed, ``implied`` what arithmetic or an identity says it should be (or the
comparison value), ``difference = reported - implied``. ``consistent`` is True/False for a pass/fail test and <NA>
for an informational row; ``status`` is one word ("consistent", "boundary", "inconsistent", "info", "samples
differ"); ``note`` spells out the arithmetic. Findings are stated neutrally: a failed identity says the printed
numbers cannot all come from the model as described, not why.

Published numbers are rounded (3 decimals here), so every test allows the rounding error, half a unit of the last
digit (``ROUND``) per printed number.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats as st

from .errors import NQPInputError
from .paths import PAPER_DIR
from .reported import n_stars, read_fact_csv, reported_results, stars

FINDING_COLUMNS = ["check", "table", "column", "outcome", "term", "reported", "implied", "difference",
                   "consistent", "status", "note"]
ROUND = 0.0005          # half a unit of the third decimal
INDEX_OUTCOMES = ("Pro", "Lab", "Mea", "Obj")
SUB_INDICES = ("Lab", "Mea", "Obj")

TEXT_CLAIM_COLUMNS = ("claim_id", "section", "table", "outcome", "term", "value", "unit", "quote_zh")
TEXT_CLAIM_UNITS = ("percent",)


def text_claims(path=None) -> pd.DataFrame:
    """Numbers stated in the paper's *text* (not its tables), read from ``data/paper/text_claims.csv``.

    Columns ``TEXT_CLAIM_COLUMNS``: ``claim_id`` (unique), ``section`` of the paper, ``table``/``outcome``/``term`` of
    the coefficient the claim talks about, ``value`` as printed, ``unit`` (one of ``TEXT_CLAIM_UNITS``) and
    ``quote_zh`` (the sentence quoted verbatim). A malformed file raises :class:`NQPInputError` naming row and column.
    """
    path = Path(path) if path is not None else PAPER_DIR / "text_claims.csv"
    raw = read_fact_csv(path, TEXT_CLAIM_COLUMNS, "text_claims")
    for col in TEXT_CLAIM_COLUMNS:
        for i in raw.index[raw[col] == ""]:
            raise NQPInputError(f"text_claims: row {i} (CSV line {i + 2}), column '{col}' must not be empty")
    dup = raw["claim_id"].duplicated(keep=False)
    if dup.any():
        i = int(raw.index[dup][0])
        raise NQPInputError(f"text_claims: row {i} (CSV line {i + 2}), column 'claim_id' duplicated "
                            f"({raw.at[i, 'claim_id']!r})")
    out = raw[list(TEXT_CLAIM_COLUMNS)].copy()
    for col, kind in (("table", "integer"), ("value", "number")):
        vals = pd.to_numeric(raw[col], errors="coerce")
        bad = vals.isna() | ((vals % 1 != 0) if kind == "integer" else False)
        for i in raw.index[bad]:
            raise NQPInputError(f"text_claims: row {i} (CSV line {i + 2}), column '{col}' must be a {kind} "
                                f"(value {raw.at[i, col]!r})")
        out[col] = vals.astype("int64" if kind == "integer" else float)
    for i in raw.index[~raw["unit"].isin(TEXT_CLAIM_UNITS)]:
        raise NQPInputError(f"text_claims: row {i} (CSV line {i + 2}), column 'unit' must be one of "
                            f"{list(TEXT_CLAIM_UNITS)} (value {raw.at[i, 'unit']!r})")
    return out.reset_index(drop=True)


def amplification_claims(path=None) -> pd.DataFrame:
    """The text's "amplification effects" (section 四(三), Tables 5-7) in the shape the checks use:
    ``table, outcome, term, claimed_pct`` plus ``claim_id`` and ``quote_zh`` (rows of :func:`text_claims` on an
    interaction term, unit percent)."""
    c = text_claims(path)
    c = c[c["term"].str.contains(":", regex=False) & (c["unit"] == "percent")]
    return (c.rename(columns={"value": "claimed_pct"})[["table", "outcome", "term", "claimed_pct", "claim_id",
                                                         "quote_zh"]].reset_index(drop=True))


def _claims(claims):
    """``"paper"`` -> the paper's text claims from ``text_claims.csv``; a frame or ``None`` passes through."""
    if isinstance(claims, str):
        if claims != "paper":
            raise NQPInputError(f"claims must be 'paper', a DataFrame or None, got {claims!r}")
        return amplification_claims()
    return claims


def __getattr__(name):
    # Backward compatibility: the claims used to be typed here; they now live in data/paper/text_claims.csv.
    if name == "PAPER_TEXT_AMPLIFICATION":
        return amplification_claims()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ----------------------------------------------------------------------------------------------- helpers
def _row(check, table, column, outcome, term, reported, implied, consistent, status, note) -> dict:
    diff = (reported - implied) if _isnum(reported) and _isnum(implied) else np.nan
    return dict(check=check, table=table, column=str(column), outcome=outcome, term=term,
                reported=reported, implied=implied, difference=diff, consistent=consistent,
                status=status, note=note)


def _isnum(x) -> bool:
    return x is not None and isinstance(x, (int, float, np.integer, np.floating)) and not np.isnan(x)


def _frame(rows: list[dict]) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=FINDING_COLUMNS)
    out["table"] = out["table"].astype("Int64")
    for c in ("reported", "implied", "difference"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    out["consistent"] = out["consistent"].astype("boolean")
    return out


def _status(ok: bool | None, boundary: bool = False) -> str:
    if ok is None:
        return "info"
    if not ok:
        return "inconsistent"
    return "boundary" if boundary else "consistent"


def _f(x, d=3) -> str:
    return "NA" if not _isnum(x) else f"{x:.{d}f}"


def _cols(sub: pd.DataFrame) -> str:
    return "/".join(str(c) for c in sub["column"])


def _data(df):
    return reported_results() if df is None else df


def dimension_weights(weights=None) -> dict[str, float]:
    """Dimension weights W_d of Lab, Mea, Obj: from ``index_weights.csv`` (Table 1) unless given as a dict or frame."""
    if isinstance(weights, dict):
        return {k: float(weights[k]) for k in SUB_INDICES}
    w = pd.read_csv(PAPER_DIR / "index_weights.csv") if weights is None else weights
    per = w.groupby("dimension")["dimension_weight"].unique()
    return {d: float(per[d][0]) for d in SUB_INDICES}


def _index_groups(df: pd.DataFrame):
    """(table, spec, term) groups that contain all four outcomes Pro, Lab, Mea, Obj (one row each)."""
    d = df[df["outcome"].isin(INDEX_OUTCOMES)]
    for (t, spec, term), g in d.groupby(["table", "spec", "term"], sort=True):
        if set(g["outcome"]) == set(INDEX_OUTCOMES) and len(g) == 4:
            yield t, spec, term, g.set_index("outcome").loc[list(INDEX_OUTCOMES)].reset_index()


# ----------------------------------------------------------------------------------------------- stars
def check_stars(df: pd.DataFrame | None = None, df_resid: int | None = None, n_clusters: int = 278,
                decimals: int = 3) -> pd.DataFrame:
    """Are the printed stars what coef/SE gives?

    The ratio z = coef/se is referred to the normal and to t with ``df_resid`` (default G - 1 = ``n_clusters`` - 1 =
    277) degrees of freedom; stars at 10/5/1% (two-sided). Because coef and se are rounded to ``decimals``, z is only
    known to lie in an interval; the printed stars are *consistent* if some z in that interval gives them under either
    reference distribution, *boundary* if the interval or the two distributions straddle a threshold.
    ``reported``/``implied`` are the number of stars printed / implied by t.
    """
    df = _data(df)
    dof = n_clusters - 1 if df_resid is None else df_resid
    h = 0.5 * 10 ** (-decimals)
    rows = []
    for r in df.itertuples(index=False):
        z = r.coef / r.se
        b, s = abs(r.coef), r.se
        z_lo, z_hi = max(b - h, 0) / (s + h), (b + h) / max(s - h, 1e-12)
        p_n, p_t = 2 * st.norm.sf(abs(z)), 2 * st.t.sf(abs(z), dof)
        s_n, s_t = stars(p_n), stars(p_t)
        levels = [n_stars(stars(2 * dist.sf(zz))) for zz in (z_lo, z_hi) for dist in (st.norm, st.t(dof))]
        ok = bool(min(levels) <= n_stars(r.stars) <= max(levels))
        boundary = ok and max(levels) > min(levels)
        note = (f"z = {r.coef:g}/{r.se:g} = {z:.3f} (rounding of the printed numbers allows {z_lo:.3f} to "
                f"{z_hi:.3f}); p normal = {p_n:.4f} -> '{s_n}', p t({dof}) = {p_t:.4f} -> '{s_t}'; "
                f"printed '{r.stars}'.")
        if boundary:
            note += " A star threshold falls inside the rounding interval or between normal and t."
        if not ok:
            note += f" No z in the rounding interval gives '{r.stars}'."
        rows.append(_row("stars", r.table, r.column, r.outcome, r.term, n_stars(r.stars), n_stars(s_t),
                         ok, _status(ok, boundary), note))
    return _frame(rows)


# ----------------------------------------------------------------------------------------------- aggregation
def check_linear_aggregation(df: pd.DataFrame | None = None, weights=None) -> pd.DataFrame:
    """Pro's coefficients must be the W-weighted sum of the sub-indices' coefficients.

    Pro = sum_d W_d * sub_d. With the same sample, regressors, fixed effects (and, for IV, instruments), OLS/2SLS
    coefficients are linear in the outcome, so b_Pro = sum_d W_d * b_d for every term. Within-dimension weights do
    not enter (they only build each sub_d); dimension weights do. Table 1's W_d (0.333 each) sum to 0.999, so the
    implied value is given both raw (sum W_d b_d) and renormalised (the mean); the two differ by 0.1%. A row is
    consistent if the printed Pro value is within rounding (0.001) of either. Groups whose four columns have
    different N (PSM) are reported with status "samples differ": the identity needs one sample.

    A last row asks whether a re-scaled Pro (Pro = a + c * sum W_d sub_d, e.g. min-max normalised after
    aggregation) could reconcile the slopes: that needs one common ratio c = b_Pro / implied for all slope terms.
    """
    df = _data(df)
    w = dimension_weights(weights)
    wsum = sum(w.values())
    rows, ratios = [], []
    for t, spec, term, g in _index_groups(df):
        b = dict(zip(g["outcome"], g["coef"]))
        raw = sum(w[d] * b[d] for d in SUB_INDICES)
        norm = raw / wsum
        tol = 2 * ROUND
        gap = min(abs(b["Pro"] - raw), abs(b["Pro"] - norm))
        same_n = g["n"].nunique() == 1
        terms = " + ".join(f"{w[d]:g}x{b[d]:g}" for d in SUB_INDICES)
        note = (f"Pro {b['Pro']:g} vs sum W_d b_d = {terms} = {raw:.4f} (W sum {wsum:g}; renormalised = mean = "
                f"{norm:.4f}); gap {b['Pro'] - norm:+.4f} ({(b['Pro'] / norm - 1) * 100:+.1f}% of implied) "
                f"[columns {_cols(g)}].")
        if same_n:
            ok = bool(gap <= tol)
            status = _status(ok)
            if term != "const" and norm != 0 and b["Pro"] != 0:
                lo = (abs(b["Pro"]) - ROUND) / (abs(norm) + ROUND)
                hi = (abs(b["Pro"]) + ROUND) / max(abs(norm) - ROUND, 1e-12)
                ratios.append((t, spec, term, np.sign(b["Pro"] * norm), lo, hi))
            if term == "const":
                note += " (Intercepts obey the identity too when all four use the same FE normalisation.)"
        else:
            ok, status = None, "samples differ"
            note += f" N differs across the four columns ({', '.join(map(str, g['n']))}): identity exact only on one sample."
        pro_col = g.loc[g["outcome"] == "Pro", "column"].iloc[0]
        rows.append(_row("linear_aggregation", t, pro_col, "Pro", term, b["Pro"], norm, ok, status, note))
    if ratios:
        lo = max(r[4] for r in ratios)
        hi = min(r[5] for r in ratios)
        same_sign = all(r[3] > 0 for r in ratios)
        ok = bool(lo <= hi and same_sign)
        allr = [(r[4] + r[5]) / 2 for r in ratios]
        note = (f"Ratio b_Pro / implied over {len(ratios)} slope terms (same-sample groups) ranges "
                f"{min(allr):.3f} to {max(allr):.3f}; a common rescaling factor c would make them equal within "
                f"rounding (largest lower bound {lo:.3f} vs smallest upper bound {hi:.3f}).")
        rows.append(_row("linear_aggregation_common_scale", pd.NA, "all", "Pro", "slopes", max(allr), min(allr),
                         ok, _status(ok), note))
    return _frame(rows)


# ----------------------------------------------------------------------------------------------- samples
def check_sample_sizes(df: pd.DataFrame | None = None, n_cities: int = 278, n_years: int = 20) -> pd.DataFrame:
    """N against the balanced panel (n_cities x n_years) and N across outcomes of one specification.

    A full-sample regression on the balanced panel has N = n_cities x n_years (5560 = 278 x 20) if nothing is
    dropped. Within one table and spec, a matched sample (PSM) is chosen on the covariates, not the outcome, so its N
    should be the same for every outcome. N should also be one number per column.
    """
    df = _data(df)
    full = n_cities * n_years
    rows = []
    cols = df.groupby(["table", "column"], sort=True)
    for (t, c), g in cols:
        if g["n"].nunique() > 1:
            rows.append(_row("n_within_column", t, c, g["outcome"].iloc[0], "all", g["n"].max(), g["n"].min(),
                             False, "inconsistent", f"N differs across terms of one column: {sorted(g['n'].unique())}."))
    first = cols.first().reset_index()
    for r in first.itertuples(index=False):
        psm = "psm" in r.spec.lower()
        note = f"N = {r.n}; balanced panel {n_cities} x {n_years} = {full}; {full - r.n} fewer; N/{n_years} = {r.n / n_years:g}."
        if psm:
            note += " Matched sample: fewer observations are expected."
            rows.append(_row("n_full_panel", r.table, r.column, r.outcome, "all", r.n, full, None, "info", note))
        else:
            ok = bool(r.n == full)
            rows.append(_row("n_full_panel", r.table, r.column, r.outcome, "all", r.n, full, ok, _status(ok), note))
    for (t, spec), g in first.groupby(["table", "spec"], sort=True):
        if g["outcome"].nunique() < 2:
            continue
        ok = bool(g["n"].nunique() == 1)
        ns = ", ".join(f"{o} {n}" for o, n in zip(g["outcome"], g["n"]))
        note = f"Spec {spec}: N by outcome {ns}; range {g['n'].max() - g['n'].min()}."
        if "psm" in spec.lower():
            note += " Matching uses the controls, not the outcome, so one matching should give one sample."
        rows.append(_row("n_same_across_outcomes", t, _cols(g), "all", "all", g["n"].max(), g["n"].min(),
                         ok, _status(ok), note))
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
    larger model contains the smaller one's controls. Missing R2 (IV) is reported as info.
    """
    df = _data(df)
    rows = []
    cols = df.groupby(["table", "column"], sort=True)
    for (t, c), g in cols:
        r2 = g["r2"]
        if r2.isna().all():
            rows.append(_row("r2_range", t, c, g["outcome"].iloc[0], "all", np.nan, np.nan, None, "info",
                             "R2 not reported for this column."))
            continue
        if r2.nunique() > 1 or r2.isna().any():
            rows.append(_row("r2_within_column", t, c, g["outcome"].iloc[0], "all", r2.max(), r2.min(), False,
                             "inconsistent", f"R2 differs across terms of one column: {sorted(r2.unique())}."))
        v = float(r2.iloc[0])
        ok = bool(0 <= v <= 1)
        rows.append(_row("r2_range", t, c, g["outcome"].iloc[0], "all", v, np.nan, ok, _status(ok),
                         f"R2 = {v:g}."))
    first = cols.first().reset_index()
    for (ts, ss), (tb, sb) in nested:
        a = first[(first["table"] == ts) & (first["spec"] == ss)].set_index("outcome")
        b = first[(first["table"] == tb) & (first["spec"] == sb)].set_index("outcome")
        for o in [o for o in b.index if o in a.index]:
            ra, rb = a.at[o, "r2"], b.at[o, "r2"]
            if not (_isnum(ra) and _isnum(rb)):
                continue
            same_n = a.at[o, "n"] == b.at[o, "n"]
            ok = bool(rb >= ra - 2 * ROUND) if same_n else None
            note = (f"{o}: Table {tb} col {b.at[o, 'column']} ({sb}) R2 {rb:g} vs Table {ts} col "
                    f"{a.at[o, 'column']} ({ss}) R2 {ra:g}: change {rb - ra:+.3f}; N {b.at[o, 'n']} vs {a.at[o, 'n']}. "
                    f"The larger model adds regressors to the smaller on the same sample, so its R2 cannot be lower "
                    f"(same R2 definition and controls assumed).")
            if not same_n:
                note += " Samples differ: not a test."
            rows.append(_row("r2_nested", tb, b.at[o, "column"], o, "all", rb, ra, ok,
                             _status(ok) if ok is not None else "samples differ", note))
    return _frame(rows)


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
        note = (f"{r.spec}: IV {r.coef:g} ({r.se:g}) / OLS {b0:g} ({s0:g}) = {r.coef / b0:.3f}; gap {r.coef - b0:+.3f}"
                f" = {(r.coef - b0) / r.se:.2f} IV SEs; SE ratio {r.se / s0:.2f}.")
        rows.append(_row("iv_vs_ols", r.table, r.column, r.outcome, "Inn", r.coef, b0, None, "info", note))
    return _frame(rows)


# ----------------------------------------------------------------------------------------------- moderation
def check_moderation_main_effects(df: pd.DataFrame | None = None, base=(2, "baseline_controls"),
                                  claims: pd.DataFrame | str | None = "paper") -> pd.DataFrame:
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
        note = (f"Inn {a:g} at {m} = 0 (uncentred {m}) vs Table {base[0]} col {b0.at[o, 'column']} {ref:g}: "
                f"ratio {a / ref:.3f} ({(a / ref - 1) * 100:+.1f}%).")
        rows.append(_row("moderation_main_effect", t, col, o, "Inn", a, ref, None, "info", note))
        mstar = (ref - a) / c if c != 0 else np.nan
        note = (f"(baseline - Inn) / {inter[0]} = ({ref:g} - {a:g}) / {c:g} = {_f(mstar)}: the {m} level at which "
                f"a + c x {m} equals the baseline effect.")
        rows.append(_row("moderation_implied_level", t, col, o, inter[0], mstar, np.nan, None, "info", note))
    if claims is not None:
        for r in claims.itertuples(index=False):
            hit = mods[(mods["table"] == r.table) & (mods["outcome"] == r.outcome) & (mods["term"] == r.term)]
            if hit.empty:
                continue
            c = float(hit["coef"].iloc[0])
            a = float(mods[(mods["table"] == r.table) & (mods["outcome"] == r.outcome)
                           & (mods["term"] == "Inn")]["coef"].iloc[0])
            ok = bool(abs(r.claimed_pct / 100 - c) <= ROUND)
            ref = b0.at[r.outcome, "coef"] if r.outcome in b0.index else np.nan
            same = df[(df["coef"].round(3) == round(c, 3)) & ~df.index.isin(hit.index)]
            also = "; ".join(f"Table {x.table} col {x.column} {x.outcome} {x.term}" for x in same.itertuples())
            note = (f"Text: {r.claimed_pct:g}%; 100 x {r.term} coefficient = {100 * c:.1f}. The coefficient is in index "
                    f"points per unit of the moderator; as a share of the Inn effect it would be {c:g}/{a:g} = "
                    f"{c / a * 100:.1f}% (Inn at moderator 0, same column) or {c:g}/{_f(ref)} = "
                    f"{c / ref * 100:.1f}% (baseline).")
            if also:
                note += f" The value {c:g} also appears at: {also}."
            if getattr(r, "claim_id", None):
                note += f" Source: data/paper/text_claims.csv, claim {r.claim_id}."
            rows.append(_row("amplification_text", r.table, hit["column"].iloc[0], r.outcome, r.term,
                             r.claimed_pct / 100, c, ok, _status(ok), note))
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
            note = (f"const {k:g}, Inn {b:g}: ybar = const + s x Inn lies in [{lo:.3f}, {hi:.3f}] for a treated share "
                    f"s in [0, 1]" + (f"; s = {treated_share:g} gives {implied:.3f}." if treated_share is not None
                                       else "."))
        else:
            implied = np.nan
            note = (f"const {k:g} ({g.at['const', 'se']:g}){g.at['const', 'stars']}: with controls/moderators it is ybar "
                    f"minus xbar'b over all regressors; its value and stars depend on the FE normalisation.")
        rows.append(_row("constant", t, c, o, "const", k, implied, None, "info", note))
    return _frame(rows)


# ----------------------------------------------------------------------------------------------- SEs
def check_se_consistency(df: pd.DataFrame | None = None, weights=None, coef_tol: float = 0.05,
                         se_tol: float = 0.25) -> pd.DataFrame:
    """Standard errors across outcomes and across columns.

    1. Bound: Pro's residuals are the W-weighted sum of the sub-indices' residuals (same sample and regressors), so
       its robust or cluster-robust SE is the norm of a weighted sum of score sums and, by the triangle inequality,
       se(Pro) <= sum_d W_d se(d) whatever the correlation between sub-indices (same small-sample factor in all
       four). Tested per term with the renormalised W (the larger, more lenient bound).
    2. Columns of one table with the same outcome (e.g. without/with controls, two matchings, two instruments): the
       Inn coefficient and SE are compared; a pair whose coefficient moves by less than ``coef_tol`` while its SE
       moves by more than ``se_tol`` is marked in the note. Informational: such changes are possible.
    """
    df = _data(df)
    w = dimension_weights(weights)
    wsum = sum(w.values())
    rows = []
    for t, spec, term, g in _index_groups(df):
        se = dict(zip(g["outcome"], g["se"]))
        bound = sum(w[d] * se[d] for d in SUB_INDICES) / wsum
        pro_col = g.loc[g["outcome"] == "Pro", "column"].iloc[0]
        note = (f"se(Pro) {se['Pro']:g} vs bound mean({', '.join(f'{se[d]:g}' for d in SUB_INDICES)}) = {bound:.4f}"
                f" [columns {_cols(g)}]; se(sum W_d y_d) <= sum W_d se(y_d) for any correlation (triangle "
                f"inequality).")
        if g["n"].nunique() == 1:
            ok = bool(se["Pro"] <= bound + 2 * ROUND)
            rows.append(_row("se_aggregation_bound", t, pro_col, "Pro", term, se["Pro"], bound, ok, _status(ok), note))
        else:
            rows.append(_row("se_aggregation_bound", t, pro_col, "Pro", term, se["Pro"], bound, None,
                             "samples differ", note + " N differs across the columns: bound needs one sample."))
    inn = df[df["term"] == "Inn"]
    for (t, o), g in inn.groupby(["table", "outcome"], sort=True):
        g = g.sort_values("column")
        for i in range(len(g)):
            for j in range(i + 1, len(g)):
                a, b = g.iloc[i], g.iloc[j]
                dc = b["coef"] / a["coef"] - 1
                ds = b["se"] / a["se"] - 1
                note = (f"col {a['column']} ({a['spec']}) {a['coef']:g} ({a['se']:g}), t = {a['coef'] / a['se']:.2f} vs "
                        f"col {b['column']} ({b['spec']}) {b['coef']:g} ({b['se']:g}), t = {b['coef'] / b['se']:.2f}: "
                        f"coefficient {dc * 100:+.1f}%, SE {ds * 100:+.1f}%.")
                if abs(dc) < coef_tol and abs(ds) > se_tol:
                    note += " Near-identical coefficient with a markedly different SE."
                rows.append(_row("se_across_columns", t, f"{a['column']} vs {b['column']}", o, "Inn", b["se"], a["se"],
                                 None, "info", note))
    return _frame(rows)


# ----------------------------------------------------------------------------------------------- all
CHECKS = (check_stars, check_linear_aggregation, check_sample_sizes, check_r2, check_iv_vs_ols,
          check_moderation_main_effects, check_constants, check_se_consistency)


def run_all(df: pd.DataFrame | None = None, claims: pd.DataFrame | str | None = "paper") -> pd.DataFrame:
    """Every check on ``df`` (default: the paper's reported results), concatenated in one findings table.

    ``claims`` goes to :func:`check_moderation_main_effects`: ``"paper"`` (default) reads the text's numbers from
    ``data/paper/text_claims.csv``; pass ``None`` for a table that is not the paper's, or a frame of your own.
    """
    df = _data(df)
    parts = [f(df, claims=claims) if f is check_moderation_main_effects else f(df) for f in CHECKS]
    return _frame([r for p in parts for r in p.to_dict("records")])


def summary(findings: pd.DataFrame) -> pd.DataFrame:
    """Count of findings by check and status (a compact overview for the audit chapter)."""
    return (findings.groupby(["check", "status"]).size().unstack(fill_value=0).reset_index())
