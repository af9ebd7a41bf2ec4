import pytest

from nqp_helpers.data.treatment import pilot_table, pilot_units
from nqp_helpers.errors import NQPInputError


@pytest.fixture(scope="module")
def units():
    return pilot_units()


def _year(t, code):
    return int(t.loc[t["city_code"] == code, "first_treat"].iloc[0])


def test_known_pilots(units):
    t = pilot_table(units=units)
    assert _year(t, 440300) == 2008  # Shenzhen
    assert _year(t, 340100) == 2010  # Hefei
    assert _year(t, 130600) == 2022  # Baoding
    assert _year(t, 420600) == 2013  # Xiangyang (襄阳)


def test_alternatives_differ_only_for_uncertain(units):
    d = pilot_table("default", units=units).set_index("city_code")
    e = pilot_table("earliest", units=units).set_index("city_code")
    lt = pilot_table("latest", units=units).set_index("city_code")
    diff = (d["first_treat"] != e["first_treat"]) | (d["first_treat"] != lt["first_treat"])
    assert diff.sum() > 0
    assert (diff == d["year_uncertain"]).all()
    assert (e["first_treat"] <= d["first_treat"]).all() and (d["first_treat"] <= lt["first_treat"]).all()
    assert _year(d.reset_index(), 130100) == 2011  # Shijiazhuang, batch 2-5 midpoint rounded down


def test_district_options(units):
    ign = pilot_table(district_pilots="ignore", units=units)
    tp = pilot_table(district_pilots="treat_parent", units=units)
    dp = pilot_table(district_pilots="drop_parent", units=units)
    assert 110000 not in set(ign["city_code"])
    assert _year(tp, 110000) == 2010
    assert bool(dp.loc[dp["city_code"] == 310000, "drop"].iloc[0])


@pytest.mark.parametrize(
    "kw,name", [({"pilot_years": "middle"}, "pilot_years"), ({"district_pilots": "parent"}, "district_pilots")]
)
def test_bad_option(units, kw, name):
    with pytest.raises(NQPInputError, match=name):
        pilot_table(units=units, **kw)
