"""From rows to independent findings: every check on one table, then rows grouped into the problems they evidence.

Many rows can restate one problem (twenty aggregation rows are one question about how Pro is built), and some rows
rest on a premise another check already rejects (the SE bound assumes the aggregation the coefficient check
rejects). So the headline counts *independent findings*, each with its evidence (row ids), its strength and what
could explain it innocently:

* ``firm``: at least one evidence row is inconsistent beyond rounding by more than ``MARGINAL_GAP``;
* ``marginal``: every evidence row is within ``MARGINAL_GAP`` of consistency after rounding;
* ``unexplained``: the numbers raise a question the paper's text does not answer (no test is failed).

For the aggregation finding the per-dimension rescaling test decides the strength: it is the most lenient form of
the premise, so a firm gap there cannot be closed by any rescaling of the sub-indices.
"""

from __future__ import annotations

import pandas as pd

from ._common import INTERCEPT, _data, _frame, count_words, share
from .aggregation import AGG_PREMISE, check_linear_aggregation
from .checks import (
    check_constants,
    check_iv_vs_ols,
    check_moderation_main_effects,
    check_se_consistency,
)
from .panel import check_r2, check_sample_sizes
from .stars import check_stars

CHECKS = (
    check_stars,
    check_linear_aggregation,
    check_sample_sizes,
    check_r2,
    check_iv_vs_ols,
    check_moderation_main_effects,
    check_constants,
    check_se_consistency,
)
AGG_CHECKS = ("linear_aggregation", "linear_aggregation_common_scale", "linear_aggregation_per_dimension_scale")
SUMMARY_COLUMNS = [
    "finding",
    "what",
    "premise",
    "strength",
    "evidence",
    "conditional_evidence",
    "marginal_rows",
    "innocent_explanations",
]
STRENGTHS = ("firm", "marginal", "unexplained")
# finding id -> a short name for the landing page (the ``what`` column says it with numbers)
SHORT = {
    "aggregation": "Pro's coefficients cannot come from a positively weighted sum of the sub-indices",
    "r2_nested": "R² falls when regressors are added",
    "intercept_stars": "intercepts carry more stars than their ratio allows",
    "slope_stars": "coefficients carry stars their ratio does not allow",
    "psm_n": "PSM sample sizes vary by outcome without explanation",
}

# finding id -> (premise, innocent explanations); order = order on the page
KINDS = {
    "aggregation": (
        f"{AGG_PREMISE}; the four columns of a table share sample, regressors and fixed effects",
        (
            "a non-linear or year-by-year normalisation of Pro or of its sub-indices (a linear rescaling per "
            "sub-index is already allowed by the test); different samples or regressors across the four columns than "
            "the tables state; misreporting, e.g. a column from another specification"
        ),
    ),
    "r2_nested": (
        (
            "the larger model adds regressors to the smaller on the same observations and both tables report one R² "
            "definition (the paper does not say which R² it prints)"
        ),
        (
            "a different R² definition in the two tables (within versus overall R²); controls or fixed effects dropped "
            "in the larger model; misreporting"
        ),
    ),
    "intercept_stars": (
        (
            "stars follow from intercept / SE under the normal or t(G − 1) (the paper says only 稳健标准误, robust "
            "standard errors)"
        ),
        (
            "a typo in the stars or in one digit of the intercept or its SE; stars computed from another SE than the "
            "one printed. Intercepts of fixed-effects models are a normalisation, so little rests on them"
        ),
    ),
    "slope_stars": (
        (
            "stars follow from coefficient / SE under the normal or t(G − 1) (the paper says only 稳健标准误, robust "
            "standard errors)"
        ),
        ("a typo in the stars or in one digit of the coefficient or its SE; stars computed from another SE"),
    ),
    "psm_n": (
        (
            "nothing is tested: a single matching shared by the four outcomes would give one N, but the paper does not "
            "say how it matched"
        ),
        (
            "nearest-neighbour matching repeated per outcome after a random sort, or matching year by year, gives a "
            "different N per outcome legitimately"
        ),
    ),
}


def finding_of(row) -> tuple[str, str]:
    """(finding id, role) of one findings row: role "evidence", "conditional" (rests on another finding's premise)
    or "" (the row evidences no problem)."""
    check, status = row["check"], row["status"]
    if status == "unexplained":
        return ("psm_n" if check == "n_same_across_outcomes" else check), "evidence"
    if status != "inconsistent":
        return "", ""
    if check in AGG_CHECKS:
        return "aggregation", "evidence"
    if check == "se_aggregation_bound":
        return "aggregation", "conditional"
    if check == "stars":
        return ("intercept_stars" if row["term"] == INTERCEPT else "slope_stars"), "evidence"
    return check, "evidence"


def assign_findings(findings: pd.DataFrame) -> pd.DataFrame:
    """``findings`` with the column ``finding`` filled: the independent finding each row evidences ("" if none)."""
    out = findings.copy()
    out["finding"] = [finding_of(r)[0] for _, r in out.iterrows()]
    return out


def run_all(
    df: pd.DataFrame | None = None,
    claims: pd.DataFrame | str | None = "paper",
    n_clusters: int = 278,
    n_years: int = 20,
) -> pd.DataFrame:
    """Every check on ``df`` (default: the paper's reported results), in one findings table with ``finding`` filled.

    ``claims`` goes to :func:`check_moderation_main_effects`: ``"paper"`` (default) reads the text's numbers from
    ``data/paper/text_claims.csv``; pass ``None`` for a table that is not the paper's, or a frame of your own.
    ``n_clusters`` (G of the t(G - 1) reference; also the number of cities) and ``n_years`` go to the stars and
    sample-size checks.
    """
    df = _data(df)
    kw = {
        check_moderation_main_effects: {"claims": claims},
        check_stars: {"n_clusters": n_clusters},
        check_sample_sizes: {"n_cities": n_clusters, "n_years": n_years},
    }
    parts = [f(df, **kw.get(f, {})) for f in CHECKS]
    return assign_findings(_frame([r for p in parts for r in p.to_dict("records")]))


def summary(findings: pd.DataFrame) -> pd.DataFrame:
    """Count of rows by check and status (a compact overview; the headline counts independent findings instead)."""
    return findings.groupby(["check", "status"]).size().unstack(fill_value=0).reset_index()


def _where(rows: pd.DataFrame) -> str:
    return "; ".join(f"Table {r.table} col {r.column}" for r in rows.itertuples())


def _what(fid: str, ev: pd.DataFrame, findings: pd.DataFrame) -> str:
    """One sentence saying what the finding is, with its counts (the rows are the evidence)."""
    if fid == "aggregation":
        rows = findings[findings["check"] == "linear_aggregation"]
        tested = rows[rows["consistent"].notna()]
        lp = ev[ev["check"] == "linear_aggregation_per_dimension_scale"]
        s = (
            f"; even a separate non-negative factor per sub-index leaves a gap of {lp['gap'].iloc[0]:.3f} beyond "
            f"rounding"
            if len(lp)
            else ""
        )
        return (
            f"Pro's slopes cannot come from a non-negative linear aggregate of Lab, Mea and Obj: "
            f"{share(int((tested['status'] == 'inconsistent').sum()), len(tested))} same-sample slope terms miss "
            f"the weighted sum beyond rounding{s}."
        )
    if fid == "r2_nested":
        rows = findings[(findings["check"] == "r2_nested") & findings["consistent"].notna()]
        tabs = sorted(set(ev["table"]))
        n_t = int(rows["table"].isin(tabs).sum())
        rest = len(rows) - n_t
        tail = f"; it does not fall in the {rest} other nested comparisons" if rest else ""
        return (
            f"R² falls when regressors are added on the same observations, in {len(ev)} of the {n_t} columns of "
            f"Tables {', '.join(map(str, tabs))}{tail}."
        )
    if fid in ("intercept_stars", "slope_stars"):
        what = count_words(len(ev), "intercept" if fid == "intercept_stars" else "coefficient")
        verb = "carries" if len(ev) == 1 else "carry"
        return f"{what} {verb} more stars than estimate / SE allows after rounding: {_where(ev)}."
    if fid == "psm_n":
        return (
            f"Matched-sample N differs across the four outcomes, by up to {int(ev['gap'].max())} observations, in "
            f"{len(ev)} PSM specification{'s' if len(ev) != 1 else ''}, and the paper does not say how it "
            f"matched."
        )
    return f"{len(ev)} rows of the check '{fid}' are inconsistent: {_where(ev)}."


def _strength(ev: pd.DataFrame) -> str:
    if (ev["status"] == "unexplained").all():
        return "unexplained"
    lp = ev[ev["check"] == "linear_aggregation_per_dimension_scale"]
    decisive = lp if len(lp) else ev
    return "marginal" if decisive["marginal"].all() else "firm"


def _innocent(fid: str, ev: pd.DataFrame, findings: pd.DataFrame) -> str:
    if fid in KINDS:
        text = KINDS[fid][1]
    else:
        text = "a typo in one printed number; a specification or sample other than the one the table states"
    esc = findings[findings["check"] == "r2_adjusted_escape"]
    if fid == "r2_nested" and len(esc):
        text += (
            f". Adjusted R² cannot explain the falls: the extra regressors move it by at most "
            f"{esc['reported'].iloc[0]:.5f}"
        )
    return text + "."


def independent_findings(findings: pd.DataFrame) -> pd.DataFrame:
    """One row per independent finding (columns ``SUMMARY_COLUMNS``), in page order; ``findings`` from
    :func:`run_all` (``finding`` filled). Evidence, conditional evidence and marginal rows are "; "-joined row ids."""
    f = findings if findings["finding"].ne("").any() else assign_findings(findings)
    roles = pd.Series([finding_of(r)[1] for _, r in f.iterrows()], index=f.index)
    order = [k for k in KINDS] + sorted(set(f["finding"]) - set(KINDS) - {""})
    rows = []
    for fid in order:
        mine = f[f["finding"] == fid]
        if mine.empty:
            continue
        ev, cond = mine[roles[mine.index] == "evidence"], mine[roles[mine.index] == "conditional"]
        premise = KINDS[fid][0] if fid in KINDS else "the check's own premise (see the rows' notes)"
        rows.append(
            {
                "finding": fid,
                "what": _what(fid, ev, f),
                "premise": premise,
                "strength": _strength(ev),
                "evidence": "; ".join(ev["row_id"]),
                "conditional_evidence": "; ".join(cond["row_id"]),
                "marginal_rows": "; ".join(mine.loc[mine["marginal"], "row_id"]),
                "innocent_explanations": _innocent(fid, ev, f),
            }
        )
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def headline(independent: pd.DataFrame) -> str:
    """The landing page's count, e.g. "4 findings (3 firm, 1 unexplained)"; "no findings" if none."""
    n = len(independent)
    if n == 0:
        return "no findings"
    counts = independent["strength"].value_counts()
    parts = ", ".join(f"{int(counts[s])} {s}" for s in STRENGTHS if s in counts)
    return f"{n} finding{'s' if n != 1 else ''} ({parts})"
