"""Panel validation: ``validate_panel`` checks a city-year panel against ``schema.SCHEMA`` and reports every problem.

Checks (each problem names the column and, where it applies, the (city_code, year) rows):
missing or misspelt required columns (closest name suggested with difflib), duplicate city-years, non-numeric values
in numeric columns, missing or non-whole values in the key and treatment columns, years outside ``YEAR_RANGE``,
values <= 0 in columns whose log is taken, treatment years outside the sample, first_treat varying
within a city, treatment switching off (Inn 1 -> 0), Inn inconsistent with first_treat, unknown city codes (when
``known_codes`` is given) and an unbalanced panel (rejected, or kept with a warning naming the missing city-years).
"""

from __future__ import annotations

import difflib
import warnings

import numpy as np
import pandas as pd

from ..errors import NQPInputError, PanelValidationError
from ..indicators import INDEX_COLUMNS, INDICATOR_CODES
from .schema import BY_NAME, NO_MISSING, NUMERIC_DTYPES, SCHEMA, YEAR_RANGE

BALANCED = ("reject", "warn")
MAX_ROWS_SHOWN = 8


def _cell(v) -> str:
    """A key value as written in a message: whole floats without '.0' (a NaN elsewhere makes the column float)."""
    if isinstance(v, (float, np.floating)) and np.isfinite(v) and float(v).is_integer():
        return str(int(v))
    return str(v)


def _rows(df: pd.DataFrame, mask) -> str:
    sub = df.loc[mask, ["city_code", "year"]] if {"city_code", "year"} <= set(df.columns) else None
    if sub is None:
        idx = list(df.index[mask])
        return f"rows {idx[:MAX_ROWS_SHOWN]}" + (" ..." if len(idx) > MAX_ROWS_SHOWN else "")
    pairs = [f"({_cell(c)}, {_cell(y)})" for c, y in zip(sub["city_code"], sub["year"])]
    more = f" ... and {len(pairs) - MAX_ROWS_SHOWN} more" if len(pairs) > MAX_ROWS_SHOWN else ""
    return "(city_code, year) " + ", ".join(pairs[:MAX_ROWS_SHOWN]) + more


def _suggest(name: str, columns) -> str:
    columns = [str(c) for c in columns if str(c) not in BY_NAME]  # a valid column of its own is no misspelling
    close = difflib.get_close_matches(name, columns, n=1, cutoff=0.6)
    if not close:
        close = [c for c in columns if c.lower() == name.lower()]
    return f" (did you mean {close[0]!r}?)" if close else ""


def validate_panel(df: pd.DataFrame, balanced: str = "reject", known_codes=None) -> pd.DataFrame:
    """Validate a city-year panel; return it unchanged if it passes, else raise ``PanelValidationError`` listing
    every problem. ``balanced``: ``"reject"`` (unbalanced panel is an error) or ``"warn"``
    (``warnings.warn`` naming the missing city-years). ``known_codes``: iterable of allowed city codes."""
    if balanced not in BALANCED:
        raise NQPInputError(f"unknown balanced={balanced!r}; allowed: {list(BALANCED)}")
    if not isinstance(df, pd.DataFrame):
        raise NQPInputError(f"validate_panel needs a pandas DataFrame, got {type(df).__name__}")
    problems: list[str] = []
    cols = list(df.columns)
    if len(df) == 0:
        problems.append("the panel has no rows")
    for spec in SCHEMA:
        if spec.required == "required" and spec.name not in cols:
            problems.append(f"missing required column {spec.name!r}{_suggest(spec.name, cols)}")
    if "first_treat" not in cols and "Inn" not in cols:
        hint = _suggest("first_treat", cols) or _suggest("Inn", cols)
        problems.append(f"missing treatment column: need 'first_treat' or 'Inn'{hint}")
    outcome_cols = [c for c in list(INDEX_COLUMNS) + list(INDICATOR_CODES) if c in cols]
    if not outcome_cols:
        hint = next((s for s in (_suggest(c, cols) for c in list(INDEX_COLUMNS) + list(INDICATOR_CODES)) if s), "")
        problems.append(
            "missing outcome columns: need at least one of 'Pro', 'Lab', 'Mea', 'Obj' or one of the 18 "
            f"indicator columns{hint}"
        )

    # numeric columns
    num = {}
    for c in cols:
        spec = BY_NAME.get(c)
        if spec is None or spec.dtype not in NUMERIC_DTYPES:
            continue
        s = df[c]
        if s.dtype == bool:
            num[c] = s.astype(float)
            continue
        numeric = s.dtype.kind in "iuf"  # already numbers: no text to check (the common case, and fast)
        conv = s if numeric else pd.to_numeric(s, errors="coerce")
        blank = s.isna() if numeric else s.isna() | (s.astype(str).str.strip() == "")
        bad = conv.isna() & ~blank
        if bad.any():
            vals = [repr(v) for v in s[bad].tolist()[:MAX_ROWS_SHOWN]]
            problems.append(f"column {c!r}: non-numeric value(s) {', '.join(vals)} at {_rows(df, bad.to_numpy())}")
        num[c] = conv
        if c in NO_MISSING:
            miss = blank.to_numpy()
            if miss.any():
                hint = " (use 0 for a never-treated city)" if c == "first_treat" else ""
                problems.append(f"column {c!r}: missing value(s){hint} at {_rows(df, miss)}")
        if spec.dtype == "int":
            frac = (conv.notna() & np.isfinite(conv) & (conv != np.floor(conv))).to_numpy() | np.isinf(conv).to_numpy()
            if frac.any():
                vals = ", ".join(f"{v:g}" for v in conv[frac].tolist()[:MAX_ROWS_SHOWN])
                problems.append(f"column {c!r}: values must be whole numbers, got {vals} at {_rows(df, frac)}")
        if c == "year":
            out = (conv.notna() & ((conv < YEAR_RANGE[0]) | (conv > YEAR_RANGE[1]))).to_numpy()
            if out.any():
                vals = ", ".join(f"{v:g}" for v in conv[out].tolist()[:MAX_ROWS_SHOWN])
                problems.append(
                    f"column 'year': year(s) {vals} outside {YEAR_RANGE[0]}-{YEAR_RANGE[1]} at {_rows(df, out)}"
                )
        if spec.log_taken:
            nonpos = (conv <= 0).to_numpy()
            if nonpos.any():
                vals = ", ".join(f"{v:g}" for v in conv[nonpos].tolist()[:MAX_ROWS_SHOWN])
                problems.append(f"column {c!r}: values <= 0 ({vals}) cannot be logged, at {_rows(df, nonpos)}")

    have_keys = "city_code" in num and "year" in num
    if have_keys:
        dup = df.duplicated(["city_code", "year"], keep=False).to_numpy()
        if dup.any():
            problems.append(f"columns 'city_code', 'year': duplicate city-years at {_rows(df, dup)}")
        year = num["year"]
        code = num["city_code"]
        y_min, y_max = year.min(), year.max()
        if "first_treat" in num:
            ft = num["first_treat"].fillna(0)
            out = ((ft != 0) & ((ft < y_min) | (ft > y_max))).to_numpy()
            if out.any():
                vals = sorted(set(ft[out].astype(int).tolist()))
                problems.append(
                    f"column 'first_treat': treatment year(s) {vals} outside the sample "
                    f"{int(y_min)}-{int(y_max)} at {_rows(df, out)}"
                )
            nuniq = ft.groupby(code).transform("nunique")
            vary = (nuniq > 1).to_numpy()
            if vary.any():
                cities = sorted(set(code[vary].astype(int).tolist()))
                problems.append(
                    f"column 'first_treat': varies within city {cities[:MAX_ROWS_SHOWN]} at {_rows(df, vary)}"
                )
            if "Inn" in num:
                implied = ((ft > 0) & (year >= ft)).astype(float)
                incons = (num["Inn"].notna() & (num["Inn"] != implied)).to_numpy()
                if incons.any():
                    problems.append(
                        "column 'Inn': inconsistent with first_treat (Inn should be first_treat > 0 and "
                        f"year >= first_treat) at {_rows(df, incons)}"
                    )
        if "Inn" in num:
            order = np.lexsort((year.to_numpy(), code.to_numpy()))
            inn_s = num["Inn"].to_numpy()[order]
            code_s = code.to_numpy()[order]
            prev_max = pd.Series(inn_s).groupby(code_s).cummax().to_numpy()
            off = np.zeros(len(df), bool)
            off[order] = (prev_max == 1) & (inn_s == 0)
            if off.any():
                problems.append(f"column 'Inn': treatment switches off (1 -> 0) at {_rows(df, off)}")
            badv = (num["Inn"].notna() & ~num["Inn"].isin([0, 1])).to_numpy()
            if badv.any():
                problems.append(f"column 'Inn': values other than 0/1 at {_rows(df, badv)}")
        if known_codes is not None:
            known = set(int(k) for k in known_codes)
            unk = (~code.isin(known) & code.notna()).to_numpy()
            if unk.any():
                problems.append(
                    f"column 'city_code': unknown city code(s) "
                    f"{sorted(set(code[unk].astype(int).tolist()))[:MAX_ROWS_SHOWN]} at {_rows(df, unk)}"
                )
        ok = code.notna() & year.notna()
        if ok.any():
            pairs = set(zip(code[ok].astype(int), year[ok].astype(int)))
            full = {(c, y) for c in set(code[ok].astype(int)) for y in set(year[ok].astype(int))}
            missing = sorted(full - pairs)
            if missing:
                shown = ", ".join(f"({c}, {y})" for c, y in missing[:MAX_ROWS_SHOWN])
                more = f" ... and {len(missing) - MAX_ROWS_SHOWN} more" if len(missing) > MAX_ROWS_SHOWN else ""
                msg = f"columns 'city_code', 'year': unbalanced panel, missing (city_code, year) {shown}{more}"
                if balanced == "reject":
                    problems.append(msg + " (pass balanced='warn' to keep it)")
                else:
                    warnings.warn(msg, UserWarning, stacklevel=2)
    if problems:
        raise PanelValidationError(f"panel failed validation ({len(problems)} problem(s)):\n- " + "\n- ".join(problems))
    return df
