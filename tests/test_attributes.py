import pandas as pd

from nqp_helpers.data.attributes import size_class
from nqp_helpers.paths import PROCESSED_DIR


def test_size_class_bounds():
    assert size_class(1000) == "超大城市"
    assert size_class(999.9) == "特大城市"
    assert size_class(100) == "大城市Ⅱ型"
    assert size_class(19.9) == "小城市Ⅱ型"
    assert size_class(float("nan")) == ""


def test_roster_attributes():
    r = pd.read_csv(PROCESSED_DIR / "roster.csv")
    r = r[r["included"]].set_index("city_code")
    assert r.loc[110000, "admin_level"] == "municipality"
    assert r.loc[440300, "admin_level"] == "sub_provincial"
    assert r.loc[340100, "admin_level"] == "provincial_capital"
    assert r.loc[340100, "region"] == "central" and r.loc[230100, "region"] == "northeast"
    assert set(r["region"]) == {"east", "central", "west", "northeast"}
    assert r.loc[230200, "old_industrial_base"] == 1  # Qiqihar listed
    assert r.loc[230100, "old_industrial_base"] == 1  # Harbin via a district
    assert r.loc[230400, "old_industrial_base"] == 0  # Hegang: Heilongjiang list complete
    assert pd.isna(r.loc[440300, "old_industrial_base"])  # unknown elsewhere
