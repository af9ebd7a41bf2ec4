import warnings

import pandas as pd
import pytest
from toy_panels import toy_panel

from nqp_helpers.data.schema import SCHEMA, schema_table
from nqp_helpers.data.validate import validate_panel
from nqp_helpers.errors import PanelValidationError
from nqp_helpers.paths import BOOK_DIR


def _good():
    df = toy_panel(n_units=6, years=range(2004, 2010), cohorts=(2006,)).drop(columns=["unit", "y"])
    df["Pro"] = 1.0
    return df


def _fails(df, *needles, **kw):
    with pytest.raises(PanelValidationError) as e:
        validate_panel(df, **kw)
    msg = str(e.value)
    for n in needles:
        assert n in msg, msg
    return msg


def test_good_panel_passes():
    df = _good()
    assert validate_panel(df) is df


def test_misspelt_required_column_suggests():
    _fails(_good().rename(columns={"city_code": "city_cod"}), "'city_code'", "did you mean 'city_cod'")


def test_missing_treatment_and_outcome():
    msg = _fails(_good().drop(columns=["first_treat", "Inn", "Pro"]), "first_treat", "outcome")
    assert "2 problem" in msg


def test_duplicate_city_years():
    df = _good()
    df = pd.concat([df, df.iloc[[0]]], ignore_index=True)
    c, y = df.loc[0, "city_code"], df.loc[0, "year"]
    _fails(df, "duplicate", f"({c}, {y})")


def test_non_numeric_value_shown():
    df = _good()
    df["Pro"] = df["Pro"].astype(object)
    df.loc[3, "Pro"] = "n/a"
    _fails(df, "'Pro'", "'n/a'", f"({df.loc[3, 'city_code']}, {df.loc[3, 'year']})")


def test_cannot_log():
    df = _good()
    df["gdp_pc"] = 1000.0
    df.loc[5, "gdp_pc"] = 0.0
    _fails(df, "'gdp_pc'", "cannot be logged", f"({df.loc[5, 'city_code']}, {df.loc[5, 'year']})")


def test_treatment_outside_sample():
    df = _good()
    c = df["city_code"].iloc[-1]
    df.loc[df.city_code == c, "first_treat"] = 2030
    df.loc[df.city_code == c, "Inn"] = 0
    _fails(df, "'first_treat'", "2030", f"({c}, 2004)")


def test_treatment_switches_off():
    df = _good()
    c = df["city_code"].iloc[-1]
    row = df.index[(df.city_code == c) & (df.year == 2008)][0]
    df.loc[row, "Inn"] = 0
    _fails(df, "'Inn'", "switches off", f"({c}, 2008)")


def test_inn_inconsistent_with_first_treat():
    df = _good()
    c = df["city_code"].iloc[0]  # never treated
    row = df.index[(df.city_code == c) & (df.year == 2009)][0]
    df.loc[row, "Inn"] = 1
    _fails(df, "'Inn'", "inconsistent", f"({c}, 2009)")


def test_first_treat_varies_within_city():
    df = _good()
    c = df["city_code"].iloc[-1]
    row = df.index[(df.city_code == c) & (df.year == 2004)][0]
    df.loc[row, "first_treat"] = 2007
    _fails(df, "'first_treat'", "varies within city", f"({c}, 2004)")


def test_unknown_codes():
    df = _good()
    known = set(df["city_code"]) - {df["city_code"].iloc[0]}
    _fails(df, "'city_code'", "unknown", f"({df['city_code'].iloc[0]}, 2004)", known_codes=known)


def test_unbalanced_reject_or_warn():
    df = _good()
    c = df["city_code"].iloc[0]
    df = df[~((df.city_code == c) & (df.year == 2005))]
    _fails(df, "unbalanced", f"({c}, 2005)")
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        validate_panel(df, balanced="warn")
    assert any(f"({c}, 2005)" in str(x.message) for x in w)


def test_all_problems_listed_at_once():
    df = _good().rename(columns={"year": "yaer"})
    df["gdp"] = -1.0
    msg = _fails(df, "'year'", "'gdp'")
    assert msg.count("\n- ") >= 2


def test_schema_documented_in_book():
    page = (BOOK_DIR / "data_dictionary.md").read_text(encoding="utf-8")
    for spec in SCHEMA:
        assert f"`{spec.name}`" in page, spec.name
    assert len(schema_table()) == len(SCHEMA)
