"""What the audit chapter glues into its prose: numbers as short strings, the reader's summary table, the closing note.

Conditional wording lives here (tested in ``tests/test_audit.py``), so the chapter's cells stay short calls.
"""

from __future__ import annotations

import pandas as pd

from ._common import (
    MARGINAL_GAP,
    ROUND,
    TESTED,
    _isnum,
    count_words,
    dimension_weights,
    share,
)
from .aggregation import per_dimension_fit

READER_COLUMNS = {
    "number": "#",
    "what": "Finding",
    "strength": "Strength",
    "premise": "Premise",
    "evidence_count": "Evidence",
    "innocent_explanations": "Could be explained by",
}
TERM_LABEL = {"Inn:Hum": "Inn×Hum", "Inn:Dig": "Inn×Dig", "Inn:Ind": "Inn×Ind", "const": "intercept"}


def _ids(v: str) -> list[str]:
    return [i for i in v.split("; ") if i]


def evidencecount_words(row) -> str:
    """ "15 rows; 3 conditional; 3 marginal" for one row of the independent summary."""
    parts = [f"{len(_ids(row['evidence']))} rows"]
    if _ids(row["conditional_evidence"]):
        parts.append(f"{len(_ids(row['conditional_evidence']))} conditional")
    if _ids(row["marginal_rows"]):
        parts.append(f"{len(_ids(row['marginal_rows']))} marginal")
    return "; ".join(parts)


def reader_table(independent: pd.DataFrame) -> pd.DataFrame:
    """The independent findings with human headers and numbered rows, for display (the CSV keeps the row ids)."""
    t = independent.assign(
        number=range(1, len(independent) + 1),
        evidence_count=[evidencecount_words(r) for _, r in independent.iterrows()],
    )
    return t[list(READER_COLUMNS)].rename(columns=READER_COLUMNS)


def closing_note(independent: pd.DataFrame) -> str:
    """Markdown list: each finding, its strength, premise, evidence (row ids) and innocent explanations."""
    if independent.empty:
        return "No check finds the printed numbers inconsistent under its stated premise."
    items = []
    for i, r in enumerate(independent.itertuples(index=False), 1):
        ev = ", ".join(f"`{x}`" for x in _ids(r.evidence))
        item = f"{i}. **{r.what}** *Strength: {r.strength}.* Premise: {r.premise}. Evidence: {ev}."
        if _ids(r.conditional_evidence):
            item += (
                " Resting on the same premise (supporting, not independent): "
                + ", ".join(f"`{x}`" for x in _ids(r.conditional_evidence))
                + "."
            )
        if _ids(r.marginal_rows):
            item += " Marginal rows: " + ", ".join(f"`{x}`" for x in _ids(r.marginal_rows)) + "."
        items.append(item + f" Could be explained by: {r.innocent_explanations}")
    return "\n".join(items)


def _label(r) -> str:
    return f"Table {r['table']} {TERM_LABEL.get(r['term'], r['term'])}, gap {r['gap']:.4f}"


def _list(rows: pd.DataFrame) -> str:
    return "; ".join(_label(r) for _, r in rows.iterrows()) or "none"


def _one(f: pd.DataFrame, check: str) -> pd.Series | None:
    hit = f[f["check"] == check]
    return hit.iloc[0] if len(hit) else None


def _num(x, d=3) -> str:
    return f"{x:.{d}f}" if _isnum(x) else "n/a"


def chapter_numbers(findings: pd.DataFrame, independent: pd.DataFrame, table: pd.DataFrame) -> dict[str, str]:
    """Every number the audit chapter glues, as display strings ("n/a" where a check has no row on this table)."""
    from .findings import headline

    f = findings
    tested = f["status"].isin(TESTED)
    out = {
        "headline": headline(independent),
        "n_findings": str(len(independent)),
        "n_rows": str(len(f)),
        "n_tested": str(int(tested.sum())),
        "n_rows_inconsistent": str(int((f["status"] == "inconsistent").sum())),
    }
    w = dimension_weights()
    out.update(
        weights=", ".join(f"{x:g}" for x in w.values()),
        marginal_gap=f"{MARGINAL_GAP:g}",
        weight_interval=f"[{min(w.values()) - ROUND:.4f}, {max(w.values()) + ROUND:.4f}]",
    )
    out.update(_aggregation_numbers(f))
    _s, lam, _k = per_dimension_fit(table)
    out["lp_lambda"] = ", ".join(f"{d} {x:.3f}" for d, x in lam.items()) or "n/a"
    out.update(_other_numbers(f, table))
    return out


def _aggregation_numbers(f: pd.DataFrame) -> dict[str, str]:
    agg = f[(f["check"] == "linear_aggregation") & f["consistent"].notna()]
    se = f[(f["check"] == "se_aggregation_bound") & f["consistent"].notna()]
    ex = agg[(agg["table"] == 2) & (agg["term"] == "Inn")].head(1)  # Table 2 with controls, the headline
    common, lp = _one(f, "linear_aggregation_common_scale"), _one(f, "linear_aggregation_per_dimension_scale")
    return {
        "agg_bad": share(int((agg["status"] == "inconsistent").sum()), len(agg)),
        "agg_ex_pro": _num(ex["reported"].iloc[0]) if len(ex) else "n/a",
        "agg_ex_implied": _num(ex["implied"].iloc[0]) if len(ex) else "n/a",
        "agg_ex_gap": _num(ex["gap"].iloc[0]) if len(ex) else "n/a",
        "agg_marginal": marginal_sentence(agg),
        "ratio_range": (f"{common['implied']:.3f} to {common['reported']:.3f}" if common is not None else "n/a"),
        "lp_gap": _num(lp["gap"]) if lp is not None else "n/a",
        "se_bad": share(int((se["status"] == "inconsistent").sum()), len(se), start=True),
        "se_marginal": marginal_clause(se),
    }


def _other_numbers(f: pd.DataFrame, table: pd.DataFrame) -> dict[str, str]:
    r2 = f[(f["check"] == "r2_nested") & f["consistent"].notna()]
    bad = r2[r2["status"] == "inconsistent"]
    falls = bad["implied"] - bad["reported"]
    esc = _one(f, "r2_adjusted_escape")
    st = f[f["check"] == "stars"]
    stars_bad = st[st["status"] == "inconsistent"]
    psm = f[f["status"] == "unexplained"]
    full = f[(f["check"] == "n_full_panel") & f["consistent"].notna()]
    amp = f[f["check"] == "amplification_text"]
    return {
        "r2_bad": f"{len(bad)} of the {int(r2['table'].isin(set(bad['table'])).sum())}",
        "r2_falls": f"{falls.min():.3f} to {falls.max():.3f}" if len(bad) else "n/a",
        "r2_adjusted": _num(esc["reported"], 5) if esc is not None else "n/a",
        "stars_n": str(len(st)),
        "stars_boundary": str(int((st["status"] == "boundary").sum())),
        "stars_slopes_ok": str(int(((st["term"] != "const") & (st["status"] != "inconsistent")).sum())),
        "stars_sentence": stars_sentence(st, _star_list(stars_bad, table)),
        "psm_ranges": "; ".join(f"{_spec_label(r['note'])}: N from {_n_range(r)}" for _, r in psm.iterrows()) or "none",
        "n_full_ok": share(int((full["status"] == "consistent").sum()), len(full), start=True),
        "amp_ok": share(int((amp["status"] == "consistent").sum()), len(amp), start=True),
    }


def _n_range(r) -> str:
    return f"{int(r['implied'])} to {int(r['reported'])}"


def _spec_label(note: str) -> str:
    """ "Spec psm_radius: ..." -> "radius matching" (the sample-size notes start with the spec)."""
    spec = note.split(":")[0].replace("Spec ", "")
    return spec.replace("psm_", "").replace("_", " ").replace("nearest", "nearest-neighbour") + " matching"


def marginal_sentence(rows: pd.DataFrame) -> str:
    """ "Two rows are marginal, with gaps below 0.002 after rounding: ...." or "No row is marginal."."""
    m = rows[rows["marginal"]]
    if m.empty:
        return "No row is marginal."
    verb = "is" if len(m) == 1 else "are"
    return f"{count_words(len(m), 'row')} {verb} marginal, with gaps below {MARGINAL_GAP:g} after rounding: {_list(m)}."


def marginal_clause(rows: pd.DataFrame) -> str:
    """ ", one of them marginally (...)" or "" (to follow a count of inconsistent rows)."""
    m = rows[rows["marginal"]]
    if m.empty:
        return ""
    return f", {count_words(len(m), '').strip().lower()} of them marginally ({_list(m)})"


def _star_list(rows: pd.DataFrame, table: pd.DataFrame) -> str:
    """ "Table 2 col 1: 2.790 (1.090) ***; ..." for star rows, with the printed numbers from ``table``."""
    out = []
    for _, r in rows.iterrows():
        hit = table[
            (table["table"] == r["table"]) & (table["column"].astype(str) == r["column"]) & (table["term"] == r["term"])
        ]
        if len(hit):
            h = hit.iloc[0]
            out.append(
                f"Table {r['table']} col {r['column']} {TERM_LABEL.get(r['term'], r['term'])}: "
                f"{h['coef']:.3f} ({h['se']:.3f}) {h['stars']}"
            )
    return "; ".join(out) or "none"


ROW_COLUMNS = {
    "table": "Table",
    "column": "Column",
    "outcome": "Outcome",
    "term": "Term",
    "reported": "Printed",
    "implied": "Implied",
    "gap": "Gap after rounding",
    "status": "Status",
    "marginal": "Marginal",
}


def rows_table(findings: pd.DataFrame, checks, statuses=None, note: bool = False) -> pd.DataFrame:
    """Rows of ``checks`` (optionally only some ``statuses``) with human headers; "marginal"/"" in Marginal."""
    f = findings[findings["check"].isin([checks] if isinstance(checks, str) else checks)]
    if statuses is not None:
        f = f[f["status"].isin(statuses)]
    cols = list(ROW_COLUMNS) + (["note"] if note else [])
    out = f[cols].assign(
        term=f["term"].map(lambda t: TERM_LABEL.get(t, t)), marginal=f["marginal"].map({True: "marginal", False: ""})
    )
    return out.rename(columns={**ROW_COLUMNS, "note": "Arithmetic"})


def stars_sentence(stars_rows: pd.DataFrame, where: str) -> str:
    """What the stars check found on slopes and intercepts, in one or two sentences."""
    bad = stars_rows[stars_rows["status"] == "inconsistent"]
    slopes_bad = bad[bad["term"] != "const"]
    first = (
        "Every slope coefficient carries stars its ratio allows."
        if slopes_bad.empty
        else f"{count_words(len(slopes_bad), 'slope coefficient')} carry more or fewer stars than any rounding allows."
    )
    if bad.empty:
        return first
    ints = bad[bad["term"] == "const"]
    verb = "carries" if len(bad) == 1 else "carry"
    what = "intercept" if len(ints) == len(bad) else "estimate"
    return f"{first} {count_words(len(bad), what)} {verb} stars that no rounding allows: {where}."


def landing_sentence(independent: pd.DataFrame) -> str:
    """ "4 findings (3 firm, 1 unexplained): Pro's ... (firm); ...": the landing page's summary of the audit."""
    from .findings import SHORT, headline

    items = "; ".join(f"{SHORT.get(r.finding, r.finding)} ({r.strength})" for r in independent.itertuples())
    return f"{headline(independent)}: {items}" if items else headline(independent)


def landing_numbers() -> dict[str, str]:
    """The audit's glue for the landing page, on the paper's table: ``audit_findings`` (count and list)."""
    from .findings import independent_findings, run_all

    return {"audit_findings": landing_sentence(independent_findings(run_all()))}
