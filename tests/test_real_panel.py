import numpy as np
import pytest

from nqp_helpers.data.real_panel import coverage_table, provenance_table, real_panel
from nqp_helpers.errors import NQPInputError


@pytest.fixture(scope="module")
def panel():
    return real_panel()


def test_shape_and_attrs(panel):
    assert panel.attrs["track"] == "real"
    assert panel.attrs["options"]["pilot_years"] == "default"
    assert panel.groupby("city_code")["year"].count().eq(20).all()
    assert list(panel[["city_code", "year"]].drop_duplicates().index) == list(range(len(panel)))
    assert "laozihao" not in panel.columns


def test_treatment_columns(panel):
    ft = panel.groupby("city_code")["first_treat"].first()
    assert ft[440300] == 2008 and ft[340100] == 2010 and ft[130600] == 2022 and ft[110000] == 0
    sz = panel[panel["city_code"] == 440300]
    assert (sz["Inn"] == (sz["year"] >= 2008).astype(int)).all()


def test_known_values(panel):
    sz = panel.set_index(["city_code", "year"])
    # Shenzhen 2023: GDP 34,606.4 亿, resident pop 1,779.01 万 (PROVENANCE spot checks)
    assert sz.loc[(440300, 2023), "gdp"] == pytest.approx(34606.4, rel=1e-4)
    assert sz.loc[(440300, 2023), "Eco"] == pytest.approx(np.log(34606.4e8 / 1779.01e4), rel=1e-6)
    # Beijing FDI 2019 = 14,213 million US$ → Ope about 0.028
    assert 0.02 < sz.loc[(110000, 2019), "Ope"] < 0.035
    assert sz.loc[(110000, 2024 - 1), "rd_intensity_lag"] == pytest.approx(2.54)


def test_ranges(panel):
    assert panel["Eco"].between(7, 14).all() or panel["Eco"].dropna().between(7, 14).all()
    for col, lo, hi in [
        ("Gov", 0, 0.5),
        ("Fix", 0, 6),
        ("Fin", 0, 15),
        ("Ope", 0, 0.5),
        ("Tra", 0, 100),
        ("obj_co2_intensity", 0, 50),
        ("lab_productivity", 0, 100),
    ]:
        assert panel[col].dropna().between(lo, hi).all(), col


def test_imputed_flags_exact(panel):
    from nqp_helpers.data import raw_readers as rs

    raw = rs.read_population()
    m = panel[["city_code", "year", "pop", "pop_imputed"]].merge(
        raw[["city_code", "year", "pop"]], on=["city_code", "year"], how="left", suffixes=("", "_raw")
    )
    filled = m["pop_raw"].isna() & m["pop"].notna()
    assert (m["pop_imputed"] == filled).all() and filled.any()
    assert (m.loc[m["pop_raw"].notna(), "pop"] == m.loc[m["pop_raw"].notna(), "pop_raw"]).all()
    # never extrapolated: no imputed cell before a city's first observation
    for code, g in m.groupby("city_code"):
        obs = g.loc[g["pop_raw"].notna(), "year"]
        if len(obs):
            assert not g.loc[g["year"] < obs.min(), "pop"].notna().any()


def test_options_and_errors():
    dp = real_panel(district_pilots="drop_parent")
    assert 110000 not in set(dp["city_code"])
    du = real_panel(drop_uncertain=True)
    assert 130100 not in set(du["city_code"])
    with pytest.raises(NQPInputError, match="pilot_years"):
        real_panel(pilot_years="median")
    with pytest.raises(NQPInputError, match="district_pilots"):
        real_panel(district_pilots="x")


def test_tables():
    assert coverage_table().loc["Fin"].min() > 0.9
    assert {"source", "licence", "used_for"} <= set(provenance_table().columns)
