"""Regression tables in the paper's layout (Tables 2-7): numbered columns, coefficient with stars, SE beneath.

:func:`paper_layout` puts our fits, the paper's printed numbers and (semi-synthetic track) the truth into one frame of
display strings: columns ``(outcome, "(k)")`` numbered as in the paper; per coefficient a block "Ours" / SE /
"Paper" / SE / "Truth"; then rows for controls and fixed effects; then N and R² (ours and the paper's).
:func:`paper_numbers` gives the same cells as numbers (full precision) for the CSV. Rendering goes through
``maketables.MTable`` (great-tables HTML, LaTeX), never hand-built HTML: :func:`render_html`, :func:`to_latex`;
:func:`save_regtable` writes ``<name>.csv`` and ``<name>.tex`` to the chapter's results folder.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import atomic
from .display import MISSING, fmt_num, save_table
from .errors import NQPInputError
from .reported import reported_results, stars

__all__ = ["STAR_NOTE", "RegTable", "paper_layout", "paper_numbers", "render_html", "save_regtable", "to_latex"]

STAR_NOTE = "*** p < 0.01, ** p < 0.05, * p < 0.10; standard errors in parentheses."
TERM_LABELS = {"Inn": "Pilot (Inn)", "const": "Constant"}
STAT_ROWS = {
    "n_obs": ("N", "n"),
    "r2_overall": ("R²", "r2"),
    "r2": ("R²", "r2"),
    "r2_within": ("R² (within)", None),
    "first_stage_F": ("First-stage F", None),
    "n_clusters": ("Clusters", None),
}
# compact enough for eight numbered columns in the book's text column at 1400 px (maketables defaults: 16 px, 10 px)
GT_STYLE = {
    "table_font_size_all": "13px",
    "source_notes_font_size": "11px",
    "table_width": "100%",
    "data_row_padding": "1px",
}
GROUP_MODEL = "Specification"
GROUP_STATS = "Statistics"


@dataclass
class RegTable:
    """A paper-layout table: display strings (``cells``), full-precision numbers (``numbers``), caption and notes."""

    cells: pd.DataFrame
    numbers: pd.DataFrame
    caption: str = ""
    notes: list[str] = field(default_factory=list)

    def _repr_html_(self) -> str:
        return render_html(self)


def _paper_cells(table: int | None, column: int | None, rep: pd.DataFrame) -> pd.DataFrame:
    if table is None or column is None:
        return rep.iloc[0:0]
    return rep[(rep["table"] == int(table)) & (rep["column"] == int(column))]


def _cell(est, p_or_stars, digits) -> str:
    if est is None or not np.isfinite(est):
        return MISSING
    s = p_or_stars if isinstance(p_or_stars, str) else stars(p_or_stars)
    return fmt_num(est, digits) + s


def _se(se, digits) -> str:
    return MISSING if se is None or not np.isfinite(se) else f"({fmt_num(se, digits)})"


def _num(x) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def paper_numbers(
    fits: Mapping[str, pd.DataFrame],
    terms,
    *,
    table: int | None = None,
    column_of: Mapping[str, int] | None = None,
    truth: Mapping | None = None,
    stats=("n_obs", "r2_overall"),
    paper: pd.DataFrame | None = None,
    truth_term: str | None = None,
) -> pd.DataFrame:
    """Long frame, one row per (column, term or statistic, source): the numbers behind :func:`paper_layout`.

    fits: {label: tidy frame of one model} in display order; column_of: {label: the paper's column number} (default
    1, 2, ... in order); truth: {outcome: true value of ``truth_term``} (default ``terms[0]``; semi-synthetic) or None.
    """
    if not fits:
        raise NQPInputError("paper_layout: no models given")
    rep = reported_results() if paper is None else paper
    rows = []
    for k, (label, d) in enumerate(fits.items(), start=1):
        if "term" not in d.columns or "estimate" not in d.columns:
            raise NQPInputError(f"paper_layout: the fit {label!r} lacks a 'term' or 'estimate' column")
        col = int((column_of or {}).get(label, k))
        outcome = str(d["outcome"].iloc[0]) if "outcome" in d.columns and len(d) else label
        pr = _paper_cells(table, col, rep)
        base = {"column": col, "model": label, "outcome": outcome}
        for term in terms:
            hit = d[d["term"] == term]
            r = hit.iloc[0] if len(hit) else None
            rows.append(
                {
                    **base,
                    "row": term,
                    "source": "ours",
                    "estimate": _num(r["estimate"]) if r is not None else math.nan,
                    "std_error": _num(r.get("std_error")) if r is not None else math.nan,
                    "p_value": _num(r.get("p_value")) if r is not None else math.nan,
                    "stars": stars(_num(r.get("p_value"))) if r is not None else "",
                }
            )
            ph = pr[pr["term"] == term]
            rows.append(
                {
                    **base,
                    "row": term,
                    "source": "paper",
                    "estimate": _num(ph["coef"].iloc[0]) if len(ph) else math.nan,
                    "std_error": _num(ph["se"].iloc[0]) if len(ph) else math.nan,
                    "p_value": math.nan,
                    "stars": str(ph["stars"].iloc[0]) if len(ph) and not pd.isna(ph["stars"].iloc[0]) else "",
                }
            )
            if truth is not None and term == (truth_term or terms[0]):
                rows.append(
                    {
                        **base,
                        "row": term,
                        "source": "truth",
                        "estimate": _num(truth.get(outcome)),
                        "std_error": math.nan,
                        "p_value": math.nan,
                        "stars": "",
                    }
                )
        for s in stats:
            v = _num(d[s].iloc[0]) if s in d.columns and len(d) else math.nan
            rows.append(
                {
                    **base,
                    "row": s,
                    "source": "ours",
                    "estimate": v,
                    "std_error": math.nan,
                    "p_value": math.nan,
                    "stars": "",
                }
            )
            pcol = STAT_ROWS.get(s, (s, None))[1]
            if pcol and len(pr):
                rows.append(
                    {
                        **base,
                        "row": s,
                        "source": "paper",
                        "estimate": _num(pr[pcol].iloc[0]),
                        "std_error": math.nan,
                        "p_value": math.nan,
                        "stars": "",
                    }
                )
    return pd.DataFrame(rows)


def paper_layout(
    fits: Mapping[str, pd.DataFrame],
    terms,
    *,
    table: int | None = None,
    column_of: Mapping[str, int] | None = None,
    controls: bool | Mapping[str, bool] | None = None,
    truth: Mapping | None = None,
    stats=("n_obs", "r2_overall"),
    fixed_effects=("City", "Year"),
    digits: int = 3,
    caption: str = "",
    notes=(),
    paper: pd.DataFrame | None = None,
    term_labels: Mapping[str, str] | None = None,
    extra_rows: Mapping[str, Mapping[str, str]] | None = None,
    truth_term: str | None = None,
    truth_note: str | None = None,
) -> RegTable:
    """Our fits beside the paper's Table ``table`` in its layout (see the module docstring).

    controls: True/False for all columns or {label: bool}; default: each fit's ``controls`` column if present.
    extra_rows: more specification rows, {row name: {label: text}} (e.g. {"Matching": {...}}).
    truth_term: the term whose truth ``truth`` gives (default ``terms[0]``); truth_note replaces the default note
    (which says the truth is the ATT) when the truth is of another estimand, e.g. an interaction.
    Missing cells show "—"; a note says why. Returns a :class:`RegTable` (display it, or pass it to
    :func:`save_regtable`).
    """
    nums = paper_numbers(
        fits, terms, table=table, column_of=column_of, truth=truth, stats=stats, paper=paper, truth_term=truth_term
    )
    tl = {**TERM_LABELS, **(term_labels or {})}
    col_keys = []
    for k, (label, d) in enumerate(fits.items(), start=1):
        c = int((column_of or {}).get(label, k))
        outcome = str(d["outcome"].iloc[0]) if "outcome" in d.columns and len(d) else label
        col_keys.append((label, (outcome, f"({c})")))
    rows: dict[tuple[str, str], dict] = {}

    def put(group, name, label, value):
        rows.setdefault((group, name), {})[label] = value

    sources = ["ours", "paper"] + (["truth"] if truth is not None else [])
    names = {"ours": "Ours", "paper": "Paper", "truth": "Truth"}
    for term in terms:
        g = tl.get(term, term)
        for src in sources:
            sel = nums[(nums["row"] == term) & (nums["source"] == src)]
            if src == "truth" and sel.empty:
                continue
            for label, _ in col_keys:
                r = sel[sel["model"] == label]
                est = float(r["estimate"].iloc[0]) if len(r) else math.nan
                put(g, names[src], label, _cell(est, str(r["stars"].iloc[0]) if len(r) else "", digits))
                if src != "truth":
                    put(
                        g, f"{names[src]} SE", label, _se(float(r["std_error"].iloc[0]) if len(r) else math.nan, digits)
                    )
    for label, d in fits.items():
        wc = controls.get(label) if isinstance(controls, Mapping) else controls
        if wc is None and "controls" in d.columns and len(d):
            wc = bool(d["controls"].iloc[0])
        put(GROUP_MODEL, "Controls", label, MISSING if wc is None else ("Yes" if wc else "No"))
        for fe in fixed_effects:
            put(GROUP_MODEL, f"{fe} FE", label, "Yes")
        for name, vals in (extra_rows or {}).items():
            put(GROUP_MODEL, name, label, str(vals.get(label, MISSING)))
    for s in stats:
        name = STAT_ROWS.get(s, (s, None))[0]
        for src in ("ours", "paper"):
            sel = nums[(nums["row"] == s) & (nums["source"] == src)]
            if sel.empty:
                continue
            for label, _ in col_keys:
                r = sel[sel["model"] == label]
                v = float(r["estimate"].iloc[0]) if len(r) else math.nan
                txt = (
                    MISSING
                    if not np.isfinite(v)
                    else (
                        f"{int(v):,}"
                        if s in ("n_obs", "n_clusters")
                        else fmt_num(v, digits if s != "first_stage_F" else 1)
                    )
                )
                put(GROUP_STATS, f"{name} ({names[src].lower()})", label, txt)
    index = pd.MultiIndex.from_tuples(list(rows), names=["group", "row"])
    cells = pd.DataFrame(
        [[rows[k].get(label, MISSING) for label, _ in col_keys] for k in rows],
        index=index,
        columns=pd.MultiIndex.from_tuples([c for _, c in col_keys]),
    )
    all_notes = [STAR_NOTE]
    if table is not None:
        all_notes.append(f"Paper: the numbers printed in the paper's Table {table}, same column.")
    if truth is not None:
        all_notes.append(
            truth_note
            or ("Truth: the true average effect on the treated of the semi-synthetic world (known by construction).")
        )
    all_notes += [n for n in notes if n]
    if (cells == MISSING).to_numpy().any():
        all_notes.append(f"{MISSING}: not available (not estimable on this track, or not printed in the paper).")
    return RegTable(cells=cells, numbers=nums, caption=caption, notes=all_notes)


def _mtable(rt: RegTable):
    from maketables import MTable

    df = rt.cells.copy()
    # SE rows carry no label, as in the paper (the row index must stay unique for MTable, so use spaces)
    new_rows = []
    for g, r in df.index:
        new_rows.append((g, " " * (1 + list(df.index).index((g, r))) if r.endswith(" SE") else r))
    df.index = pd.MultiIndex.from_tuples(new_rows)
    return MTable(df, notes=" ".join(rt.notes), caption=rt.caption or None, rgroup_sep="t")


def render_html(rt: RegTable) -> str:
    """great-tables HTML of the table (via maketables), inside a box that scrolls on its own on a phone."""
    gt = _mtable(rt).make(type="gt", gt_style=GT_STYLE)
    # a stable id (great-tables draws a random one), so the same table gives the same HTML
    gt = gt.with_id("nqp-" + hashlib.sha1(rt.cells.to_csv().encode("utf-8")).hexdigest()[:10])
    return f'<div class="nqp-table nqp-regtable">{gt.as_raw_html()}</div>'


def to_latex(rt: RegTable) -> str:
    """LaTeX (booktabs) of the table, via maketables."""
    return _mtable(rt).make(type="tex")


def save_regtable(rt: RegTable, name: str, notebook: str):
    """Write ``<name>.csv`` (the numbers, full precision) and ``<name>.tex`` (the layout) to the chapter's results
    folder, atomically; return the two paths."""
    csv = save_table(rt.numbers, name, notebook)
    tex = csv.with_suffix(".tex")
    atomic.write_text(tex, to_latex(rt))
    return csv, tex
