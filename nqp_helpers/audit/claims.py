"""The numbers stated in the paper's *text* (not its tables), read from ``data/paper/text_claims.csv``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import NQPInputError
from ..paths import PAPER_DIR
from ..reported import read_fact_csv

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
        raise NQPInputError(
            f"text_claims: row {i} (CSV line {i + 2}), column 'claim_id' duplicated ({raw.at[i, 'claim_id']!r})"
        )
    out = raw[list(TEXT_CLAIM_COLUMNS)].copy()
    for col, kind in (("table", "integer"), ("value", "number")):
        vals = pd.to_numeric(raw[col], errors="coerce")
        bad = vals.isna() | ((vals % 1 != 0) if kind == "integer" else False)
        for i in raw.index[bad]:
            raise NQPInputError(
                f"text_claims: row {i} (CSV line {i + 2}), column '{col}' must be a {kind} (value {raw.at[i, col]!r})"
            )
        out[col] = vals.astype("int64" if kind == "integer" else float)
    for i in raw.index[~raw["unit"].isin(TEXT_CLAIM_UNITS)]:
        raise NQPInputError(
            f"text_claims: row {i} (CSV line {i + 2}), column 'unit' must be one of "
            f"{list(TEXT_CLAIM_UNITS)} (value {raw.at[i, 'unit']!r})"
        )
    return out.reset_index(drop=True)


def amplification_claims(path=None) -> pd.DataFrame:
    """The text's "amplification effects" (section 四(三), Tables 5-7) in the shape the checks use:
    ``table, outcome, term, claimed_pct`` plus ``claim_id`` and ``quote_zh`` (rows of :func:`text_claims` on an
    interaction term, unit percent)."""
    c = text_claims(path)
    c = c[c["term"].str.contains(":", regex=False) & (c["unit"] == "percent")]
    return c.rename(columns={"value": "claimed_pct"})[
        ["table", "outcome", "term", "claimed_pct", "claim_id", "quote_zh"]
    ].reset_index(drop=True)


def _claims(claims):
    """``"paper"`` -> the paper's text claims from ``text_claims.csv``; a frame or ``None`` passes through."""
    if isinstance(claims, str):
        if claims != "paper":
            raise NQPInputError(f"claims must be 'paper', a DataFrame or None, got {claims!r}")
        return amplification_claims()
    return claims
