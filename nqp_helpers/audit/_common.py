"""Shared pieces of the audit checks: the findings row format, rounding allowances and small helpers.

Every check returns tidy findings with the columns ``FINDING_COLUMNS``. ``gap`` is how far the printed numbers are
from satisfying the check *after* every printed number has been allowed its rounding (``ROUND``, half a unit of the
third decimal); a positive gap means the premise of the check cannot hold, a gap of 0 or less means it can.
A tested row whose positive gap is below ``MARGINAL_GAP`` is flagged ``marginal``: a slightly different rounding
convention, or one more decimal, could close it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..paths import PAPER_DIR
from ..reported import reported_results
from ..variables import OUTCOMES, SUBINDICES

FINDING_COLUMNS = [
    "row_id",
    "check",
    "table",
    "column",
    "outcome",
    "term",
    "reported",
    "implied",
    "difference",
    "gap",
    "consistent",
    "status",
    "marginal",
    "finding",
    "note",
]
ROUND = 0.0005  # half a unit of the third decimal
MARGINAL_GAP = 0.002  # a tested row whose gap after rounding is below this is flagged marginal
INDEX_OUTCOMES = OUTCOMES  # the audit's names for the variables.py constants
SUB_INDICES = SUBINDICES
INTERCEPT = "const"
# status words: a tested row is "consistent", "boundary" or "inconsistent"; an untested one "info", "samples differ"
# (the identity needs one sample) or "unexplained" (the numbers raise a question the paper's text does not answer).
TESTED = ("consistent", "boundary", "inconsistent")


def _isnum(x) -> bool:
    return x is not None and isinstance(x, (int, float, np.integer, np.floating)) and not np.isnan(x)


def row_id(check, table, column, outcome, term) -> str:
    """A stable id of one findings row, e.g. ``linear_aggregation:T2:c2:Pro:Inn``."""
    t = "all" if table is None or pd.isna(table) else f"T{int(table)}"
    c = "all" if str(column) == "all" else f"c{column}"
    return f"{check}:{t}:{c}:{outcome}:{term}"


def _row(check, table, column, outcome, term, reported, implied, consistent, status, note, gap=np.nan) -> dict:
    diff = (reported - implied) if _isnum(reported) and _isnum(implied) else np.nan
    gap = float(gap) if _isnum(gap) else np.nan
    marginal = bool(status == "inconsistent" and 0 < gap < MARGINAL_GAP)
    if marginal:
        note += (
            f" Marginal: the gap after rounding is only {gap:.4f}, below {MARGINAL_GAP:g}; one more printed "
            f"decimal could close it."
        )
    return {
        "row_id": row_id(check, table, column, outcome, term),
        "check": check,
        "table": table,
        "column": str(column),
        "outcome": outcome,
        "term": term,
        "reported": reported,
        "implied": implied,
        "difference": diff,
        "gap": gap,
        "consistent": consistent,
        "status": status,
        "marginal": marginal,
        "finding": "",
        "note": note,
    }


def _frame(rows: list[dict]) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=FINDING_COLUMNS)
    out["table"] = out["table"].astype("Int64")
    for c in ("reported", "implied", "difference", "gap"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    out["consistent"] = out["consistent"].astype("boolean")
    out["marginal"] = out["marginal"].astype(bool)
    out["finding"] = out["finding"].fillna("").astype(str)
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


def interval_product(a: float, b: float, ha: float, hb: float) -> tuple[float, float]:
    """Range of x*y for x in [a - ha, a + ha] and y in [b - hb, b + hb] (the corners bound a bilinear form)."""
    c = [(a + s * ha) * (b + u * hb) for s in (-1, 1) for u in (-1, 1)]
    return min(c), max(c)


def interval_gap(lo1: float, hi1: float, lo2: float, hi2: float) -> float:
    """Distance between intervals [lo1, hi1] and [lo2, hi2]; 0 or negative (minus the overlap) if they overlap."""
    return max(lo1 - hi2, lo2 - hi1)


def dimension_weights(weights=None) -> dict[str, float]:
    """Dimension weights W_d of Lab, Mea, Obj: from ``index_weights.csv`` (Table 1) unless given as a dict or frame."""
    if isinstance(weights, dict):
        return {k: float(weights[k]) for k in SUB_INDICES}
    w = pd.read_csv(PAPER_DIR / "index_weights.csv") if weights is None else weights
    per = w.groupby("dimension")["dimension_weight"].unique()
    return {d: float(per[d][0]) for d in SUB_INDICES}


def index_groups(df: pd.DataFrame):
    """(table, spec, term, group) for groups that contain all four outcomes Pro, Lab, Mea, Obj (one row each)."""
    d = df[df["outcome"].isin(INDEX_OUTCOMES)]
    for (t, spec, term), g in d.groupby(["table", "spec", "term"], sort=True):
        if set(g["outcome"]) == set(INDEX_OUTCOMES) and len(g) == 4:
            yield t, spec, term, g.set_index("outcome").loc[list(INDEX_OUTCOMES)].reset_index()


def count_words(n: int, noun: str) -> str:
    """ "Two intercepts", "One row", "12 rows": a count that can start a sentence."""
    words = ("No", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine")
    return f"{words[n] if n < len(words) else n} {noun}{'' if n == 1 else 's'}"


def share(k: int, n: int, start: bool = False) -> str:
    """ "all 13" when k == n > 1, else "3 of 13"; ``start`` capitalises for a sentence start."""
    out = f"all {n}" if k == n and n > 1 else f"{k} of {n}"
    return out[0].upper() + out[1:] if start else out
