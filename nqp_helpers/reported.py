"""The paper's reported numbers (Tables 2-7) and the map from each paper exhibit to the notebook that re-makes it.

The numbers themselves live only in ``data/paper/reported_results.csv``; this module reads and validates them so that
every notebook, check and comparison uses one copy. ``exhibits()`` is the single source for the README's
"List of tables and programs" and for the book's status page.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import NQPInputError
from .paths import PAPER_DIR
from .variables import CONTROLS, HETEROGENEITY, INSTRUMENTS, MODERATOR_TABLES, MODERATORS

REQUIRED_COLUMNS = ("table", "column", "outcome", "spec", "term", "coef", "se", "stars", "n", "r2")
STAR_LEVELS = ("", "*", "**", "***")
# Conventional thresholds of the paper's notes: ***, ** and * at 1%, 5% and 10%.
STAR_THRESHOLDS = ((0.01, "***"), (0.05, "**"), (0.10, "*"))


def _bad(path: Path, row_idx: int, column: str, value, why: str) -> NQPInputError:
    # CSV line = data row + 2 (header is line 1).
    return NQPInputError(
        f"reported_results: {path.name}, row {row_idx} (CSV line {row_idx + 2}), "
        f"column '{column}': {why} (value {value!r})"
    )


def read_fact_csv(path: Path, required, what: str) -> pd.DataFrame:
    """Read one of the paper's fact files as stripped strings; a missing file or column is an NQPInputError."""
    if not path.exists():
        raise NQPInputError(f"{what}: file not found: {path}")
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in required if c not in raw.columns]
    if missing:
        raise NQPInputError(f"{what}: {path.name} lacks column(s) {missing}; has {list(raw.columns)}")
    return raw.apply(lambda s: s.str.strip())


def reported_results(path: str | Path | None = None) -> pd.DataFrame:
    """Read and validate the paper's reported coefficients (one row per table x column x term).

    Checks: every column of ``REQUIRED_COLUMNS`` present; ``table``, ``column`` and ``n`` positive integers; ``coef``
    numeric; ``se`` numeric and > 0; ``stars`` one of "", "*", "**", "***"; ``r2`` empty or in [0, 1]; no duplicated
    (table, column, term). A failure raises :class:`NQPInputError` naming the row and column.
    """
    path = Path(path) if path is not None else PAPER_DIR / "reported_results.csv"
    raw = read_fact_csv(path, REQUIRED_COLUMNS, "reported_results")
    out = pd.DataFrame(index=raw.index)
    for col in ("table", "column", "n"):
        vals = pd.to_numeric(raw[col], errors="coerce")
        for i in raw.index[vals.isna() | (vals <= 0) | (vals % 1 != 0)]:
            raise _bad(path, i, col, raw.at[i, col], "must be a positive integer")
        out[col] = vals.astype("int64")
    for col in ("outcome", "spec", "term"):
        for i in raw.index[raw[col] == ""]:
            raise _bad(path, i, col, raw.at[i, col], "must not be empty")
        out[col] = raw[col]
    for col in ("coef", "se"):
        vals = pd.to_numeric(raw[col], errors="coerce")
        for i in raw.index[vals.isna()]:
            raise _bad(path, i, col, raw.at[i, col], "must be numeric")
        out[col] = vals.astype(float)
    for i in out.index[out["se"] <= 0]:
        raise _bad(path, i, "se", raw.at[i, "se"], "a standard error must be > 0")
    for i in raw.index[~raw["stars"].isin(STAR_LEVELS)]:
        raise _bad(path, i, "stars", raw.at[i, "stars"], f"must be one of {list(STAR_LEVELS)}")
    out["stars"] = raw["stars"]
    r2 = pd.to_numeric(raw["r2"].replace("", np.nan), errors="coerce")
    for i in raw.index[(raw["r2"] != "") & (r2.isna() | (r2 < 0) | (r2 > 1))]:
        raise _bad(path, i, "r2", raw.at[i, "r2"], "must be empty or a number in [0, 1]")
    out["r2"] = r2.astype(float)
    dup = out.duplicated(["table", "column", "term"], keep=False)
    if dup.any():
        i = int(out.index[dup][0])
        raise _bad(path, i, "term", raw.at[i, "term"], "duplicated (table, column, term)")
    extra = [c for c in raw.columns if c not in REQUIRED_COLUMNS]
    for c in extra:
        out[c] = raw[c]
    return out[list(REQUIRED_COLUMNS) + extra].reset_index(drop=True)


def reported(
    table: int,
    outcome: str | None = None,
    spec: str | None = None,
    term: str | None = "Inn",
    df: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Rows of the paper's table ``table``, optionally narrowed to an outcome, a spec and a term (``None`` = all).

    Raises :class:`NQPInputError` listing what is available when nothing matches.
    """
    d = reported_results() if df is None else df
    sel = d["table"] == int(table)
    for name, val in (("outcome", outcome), ("spec", spec), ("term", term)):
        if val is not None:
            if not (d.loc[sel, name] == val).any():
                avail = sorted(d.loc[sel, name].unique())
                raise NQPInputError(f"reported: table {table} has no {name} {val!r}; available: {avail}")
            sel &= d[name] == val
    return d[sel].reset_index(drop=True)


HETEROGENEITY_CLAIM_COLUMNS = (
    "claim_id",
    "section",
    "figure_panel",
    "split",
    "kind",
    "group_a",
    "group_b",
    "group_a_zh",
    "group_b_zh",
    "quote_zh",
)
HETEROGENEITY_CLAIM_KINDS = ("signif", "not_signif", "greater")


def _bad_claim(path: Path, row_idx: int, column: str, value, why: str) -> NQPInputError:
    return NQPInputError(
        f"heterogeneity_claims: {path.name}, row {row_idx} (CSV line {row_idx + 2}), "
        f"column '{column}': {why} (value {value!r})"
    )


def heterogeneity_claims(path: str | Path | None = None) -> pd.DataFrame:
    """The paper's Figure 1 claims (section 四(四)), read from ``data/paper/heterogeneity_claims.csv``.

    One row per claim: ``kind`` "signif"/"not_signif" (group ``group_a`` has a significant / no significant effect)
    or "greater" (``group_a``'s effect exceeds ``group_b``'s); ``split`` and the groups use the project's split names
    (``nqp_helpers.chapters.heterogeneity.SPLITS``), ``*_zh`` the paper's names, ``quote_zh`` the sentence verbatim.
    A malformed file raises :class:`NQPInputError` naming row and column.
    """
    path = Path(path) if path is not None else PAPER_DIR / "heterogeneity_claims.csv"
    raw = read_fact_csv(path, HETEROGENEITY_CLAIM_COLUMNS, "heterogeneity_claims")
    for col in ("claim_id", "section", "figure_panel", "split", "kind", "group_a", "quote_zh"):
        for i in raw.index[raw[col] == ""]:
            raise _bad_claim(path, i, col, raw.at[i, col], "must not be empty")
    for i in raw.index[~raw["kind"].isin(HETEROGENEITY_CLAIM_KINDS)]:
        raise _bad_claim(path, i, "kind", raw.at[i, "kind"], f"must be one of {list(HETEROGENEITY_CLAIM_KINDS)}")
    for i in raw.index[(raw["kind"] == "greater") != (raw["group_b"] != "")]:
        raise _bad_claim(path, i, "group_b", raw.at[i, "group_b"], "must be given exactly when kind is 'greater'")
    for i in raw.index[raw["claim_id"].duplicated()]:
        raise _bad_claim(path, i, "claim_id", raw.at[i, "claim_id"], "duplicated")
    return raw[list(HETEROGENEITY_CLAIM_COLUMNS)].reset_index(drop=True)


def _one_star(p) -> str:
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return ""
    p = float(p)
    if math.isnan(p):
        return ""
    if not 0 <= p <= 1:
        raise NQPInputError(f"stars: p-value {p} is outside [0, 1]")
    for cut, s in STAR_THRESHOLDS:
        if p < cut:
            return s
    return ""


def stars(p):
    """Significance stars of the paper's notes: "***" p < 0.01, "**" p < 0.05, "*" p < 0.10, else "".

    A scalar gives a string; a list/array/Series gives a list/Series of strings. NaN gives "".
    """
    if isinstance(p, pd.Series):
        return p.map(_one_star)
    if np.ndim(p) == 0:
        return _one_star(p)
    return [_one_star(x) for x in np.asarray(p, dtype=float).ravel()]


def n_stars(s: str) -> int:
    """Number of stars in a star string ("" -> 0, "***" -> 3)."""
    return len(s or "")


def _exhibit(exhibit, label, stem, files, tables, requires, description):
    """One row of :data:`EXHIBITS`; the notebook and its output paths come from the chapter's file stem."""
    return (exhibit, label, f"notebooks/{stem}.py", tuple(f"{stem}/{f}" for f in files), tables, requires, description)


# exhibit, paper label, notebook, outputs (relative to the results folder), tables of reported_results.csv,
# panel columns needed beyond the index and treatment, description
EXHIBITS = (
    _exhibit(
        "Table 1",
        "表1 新质生产力评价指标体系",
        "02_t1_index",
        ["table1.csv"],
        (),
        (),
        "Index system: 18 indicators in 3 dimensions with the paper's objective-AHP weights; "
        "the index built from them and its alternatives (entropy, CRITIC, equal).",
    ),
    _exhibit(
        "Table 2",
        "表2 基准回归结果",
        "03_t2_baseline",
        ["table2.csv"],
        (2,),
        CONTROLS,
        "Baseline two-way fixed-effects DiD of Pro, Lab, Mea, Obj on Inn, without and with controls.",
    ),
    _exhibit(
        "Table 3",
        "表3 PSM-DID 估计结果",
        "04_t3_psm_did",
        ["table3.csv"],
        (3,),
        CONTROLS,
        "PSM-DID: radius and nearest-neighbour matching on the controls, then the baseline regression.",
    ),
    _exhibit(
        "Table 4",
        "表4 工具变量法估计结果",
        "05_t4_iv",
        ["table4.csv"],
        (4,),
        CONTROLS + INSTRUMENTS,
        "IV (2SLS) with shift-share instruments: 1997 night lights or laozihao firms x lagged national R&D intensity.",
    ),
    _exhibit(
        "Tables 5-7",
        "表5-表7 放大机制的检验结果",
        "06_t5_t7_amplification",
        [f"table{t}.csv" for t in MODERATOR_TABLES.values()],
        tuple(MODERATOR_TABLES.values()),
        CONTROLS + MODERATORS,
        "Amplification (moderation): Inn x human capital (Hum), digital factors (Dig), "
        "manufacturing agglomeration (Ind).",
    ),
    _exhibit(
        "Figure 1",
        "图1 分城市异质性估计结果",
        "07_f1_heterogeneity",
        ["figure1.csv"],
        (),
        CONTROLS + HETEROGENEITY,
        "Heterogeneity by innovation type, population size, administrative level and old-industrial-base status.",
    ),
)
_EXHIBIT_COLUMNS = ["exhibit", "paper_label", "notebook", "outputs", "reported_tables", "requires", "description"]


def exhibits() -> pd.DataFrame:
    """Every paper exhibit -> notebook -> output file(s) in the results folder, with what it needs and does.

    ``outputs`` and ``requires`` are "; "-joined strings (so the table writes to CSV and renders as HTML);
    ``reported_tables`` lists the tables of ``reported_results.csv`` the exhibit is compared with.
    """
    rows = [
        (e, lab, nb, "; ".join(out), ", ".join(map(str, tabs)), "; ".join(req), desc)
        for e, lab, nb, out, tabs, req, desc in EXHIBITS
    ]
    return pd.DataFrame(rows, columns=_EXHIBIT_COLUMNS)
