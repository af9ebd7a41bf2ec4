"""Property-based tests (hypothesis) of the validation layer: ``load_panel`` on a user file.

A small valid panel is corrupted in one random way (a column missing or renamed, a duplicated row, a NaN or a string
in a numeric column, a value <= 0 where a log is taken, treatment switching off, a year out of range or not whole);
the file must be rejected with ``NQPInputError`` naming the column and, for a corrupted cell, the (city_code, year)
of its row: never another exception, never accepted. Harmless variations (a missing value in an outcome or a
control, reordered rows and columns) must be accepted. ``derandomize=True`` makes the examples the same in every run.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from toy_panels import toy_panel

from nqp_helpers.data.load import load_panel
from nqp_helpers.data.schema import YEAR_RANGE
from nqp_helpers.errors import NQPInputError

SETTINGS = settings(
    max_examples=20, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)
NUMERIC = ["city_code", "year", "first_treat", "Inn", "Pro", "gdp_pc", "Eco"]
KEYS = ["city_code", "year", "first_treat", "Inn"]  # columns where a missing value is an error
NOT_NUMBERS = ["n/a", "abc", "1,234", "--", "三", "0x1F", "1.2.3", "TRUE?"]


def good_panel() -> pd.DataFrame:
    df = toy_panel(n_units=6, years=range(2004, 2010), cohorts=(2006, 2008)).drop(columns=["unit", "y", "cluster"])
    rng = np.random.default_rng(0)
    df["Pro"] = rng.uniform(1, 5, len(df))
    df["gdp_pc"] = rng.uniform(1e4, 1e5, len(df))  # its log is taken (Eco = ln gdp_pc)
    df["Eco"] = np.log(df["gdp_pc"])
    return df


GOOD = good_panel()
ROWS = st.integers(0, len(GOOD) - 1)


def _load(df: pd.DataFrame):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "panel.csv"
        df.to_csv(path, index=False)
        return load_panel(path)


def _rejected(df: pd.DataFrame, column: str, row: tuple | None = None) -> str:
    try:
        _load(df)
    except NQPInputError as exc:
        msg = str(exc)
    else:
        pytest.fail(f"accepted a bad panel (expected an error on column {column!r}, row {row})")
    assert repr(column) in msg, msg
    if row is not None:
        assert f"({row[0]}, {row[1]})" in msg, msg
    return msg


def _where(i: int) -> tuple:
    return int(GOOD.loc[i, "city_code"]), int(GOOD.loc[i, "year"])


@SETTINGS
@given(col=st.sampled_from(["city_code", "year"]), how=st.sampled_from(["drop", "upper", "typo", "space"]))
def test_missing_or_renamed_required_column(col, how):
    new = {"upper": col.upper(), "typo": col[:-1], "space": f" {col}"}.get(how)
    df = GOOD.drop(columns=col) if how == "drop" else GOOD.rename(columns={col: new})
    msg = _rejected(df, col)
    if how != "drop":
        assert f"did you mean {new!r}" in msg


@SETTINGS
@given(cols=st.sampled_from([["first_treat", "Inn"], ["Pro"]]))
def test_missing_treatment_or_outcome(cols):
    with pytest.raises(NQPInputError, match="treatment column" if "Inn" in cols else "outcome column"):
        _load(GOOD.drop(columns=cols))


@SETTINGS
@given(i=ROWS, k=st.integers(1, 3))
def test_duplicate_rows(i, k):
    df = pd.concat([GOOD] + [GOOD.iloc[[i]]] * k, ignore_index=True)
    assert "duplicate" in _rejected(df, "city_code", _where(i))


@SETTINGS
@given(i=ROWS, col=st.sampled_from(KEYS))
def test_missing_value_in_key_or_treatment_column(i, col):
    df = GOOD.astype({col: float})
    df.loc[i, col] = np.nan
    _rejected(df, col, _where(i))


@SETTINGS
@given(
    i=ROWS,
    col=st.sampled_from(NUMERIC),
    text=st.sampled_from(NOT_NUMBERS)
    | st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=6),
)
def test_string_in_numeric_column(i, col, text):
    try:
        float(text)
        return  # a number written as text ("1e3", " 5") is a number
    except ValueError:
        pass
    if not text.strip() or text.strip().lower() in ("nan", "na", "n/a", "null", "none", "-nan", "#n/a", "<na>", ""):
        return  # read_csv reads these as missing values: covered by the NaN tests
    df = GOOD.astype({col: object})
    df.loc[i, col] = text
    _rejected(df, col, _where(i))


@SETTINGS
@given(i=ROWS, v=st.floats(max_value=0, allow_nan=False, allow_infinity=False))
def test_value_that_cannot_be_logged(i, v):
    df = GOOD.copy()
    df.loc[i, "gdp_pc"] = v
    assert "cannot be logged" in _rejected(df, "gdp_pc", _where(i))


@SETTINGS
@given(city=st.integers(0, 5), off=st.integers(0, 5))
def test_treatment_switching_off(city, off):
    df = GOOD.copy()
    code = df["city_code"].unique()[city]
    treated_years = df.loc[(df["city_code"] == code) & (df["Inn"] == 1), "year"].tolist()
    if len(treated_years) < 2:
        return  # a never-treated or last-year city cannot switch off
    year = treated_years[1:][off % (len(treated_years) - 1)]
    df.loc[(df["city_code"] == code) & (df["year"] == year), "Inn"] = 0
    _rejected(df, "Inn", (code, year))


@SETTINGS
@given(
    i=ROWS,
    year=st.integers(-5000, YEAR_RANGE[0] - 1)
    | st.integers(YEAR_RANGE[1] + 1, 10**6)
    | st.sampled_from([2005.5, 2004.25]),
)
def test_year_out_of_range_or_not_whole(i, year):
    df = GOOD.astype({"year": float})
    df.loc[i, "year"] = year
    c = int(GOOD.loc[i, "city_code"])
    msg = _rejected(df, "year")
    assert f"({c}, {year:g})" in msg or f"({c}, {int(year)})" in msg, msg


@SETTINGS
@given(i=ROWS, col=st.sampled_from(["Pro", "Eco", "gdp_pc"]), seed=st.integers(0, 10**6))
def test_harmless_variations_are_accepted(i, col, seed):
    df = GOOD.copy()
    df.loc[i, col] = np.nan  # missing data in an outcome or control: allowed
    rng = np.random.default_rng(seed)
    df = df.sample(frac=1, random_state=rng).iloc[:, rng.permutation(df.shape[1])]
    out = _load(df)
    assert out.attrs["track"] == "user" and len(out) == len(GOOD)
