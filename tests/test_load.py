import numpy as np
import pandas as pd
import pytest
from toy_panels import toy_panel

from nqp_helpers.data.load import load_panel, track_of
from nqp_helpers.errors import NQPInputError, PanelValidationError
from nqp_helpers.indicators import INDICATOR_CODES
from nqp_helpers.paths import PROCESSED_DIR

HAVE_REAL = (PROCESSED_DIR / "real_panel.csv").exists()


def _user_panel(n=8, seed=0):
    df = toy_panel(n_units=n, years=range(2004, 2012), cohorts=(2007, 2009), seed=seed)
    rng = np.random.default_rng(seed)
    for c in ("lab_productivity", "lab_schooling", "mea_broadband", "obj_co2_intensity"):
        df[c] = rng.lognormal(0, 0.5, len(df))
    return df.drop(columns=["unit", "y", "Inn"])


@pytest.mark.parametrize("ext", [".csv", ".parquet", ".xlsx", ".dta"])
def test_user_file_round_trip(tmp_path, ext):
    df = _user_panel()
    p = tmp_path / f"panel{ext}"
    {
        ".csv": lambda: df.to_csv(p, index=False),
        ".parquet": lambda: df.to_parquet(p),
        ".xlsx": lambda: df.to_excel(p, index=False),
        ".dta": lambda: df.to_stata(p, write_index=False),
    }[ext]()
    out = load_panel(p)
    assert track_of(out) == "user"
    assert (out["Inn"] == ((out.first_treat > 0) & (out.year >= out.first_treat)).astype(int)).all()
    assert out["Lab"].notna().all() and out["Mea"].notna().all() and out["Obj"].notna().all()
    assert set(out.attrs["missing_indicators"]) == set(INDICATOR_CODES) - {
        "lab_productivity",
        "lab_schooling",
        "mea_broadband",
        "obj_co2_intensity",
    }


def test_user_file_invalid(tmp_path):
    df = _user_panel().rename(columns={"year": "Year"})
    p = tmp_path / "bad.csv"
    df.to_csv(p, index=False)
    with pytest.raises(PanelValidationError, match="did you mean 'Year'"):
        load_panel(p)


def test_pickle_refused(tmp_path):
    p = tmp_path / "x.pkl"
    _user_panel().to_pickle(p)
    with pytest.raises(NQPInputError, match="pickle"):
        load_panel(p)


def test_unknown_source_and_option():
    with pytest.raises(NQPInputError, match="'realistic'.*semi_synthetic"):
        load_panel("realistic")
    with pytest.raises(NQPInputError, match="frobnicate"):
        load_panel("semi_synthetic", frobnicate=1)
    with pytest.raises(NQPInputError, match="scenario"):
        load_panel(scenario="wild")


def test_track_of():
    df = pd.DataFrame({"a": [1]})
    with pytest.raises(NQPInputError):
        track_of(df)
    df.attrs["track"] = "real"
    assert track_of(df) == "real"


@pytest.mark.skipif(not HAVE_REAL, reason="real track not built")
def test_real_and_semi_synthetic_tracks():
    r = load_panel("real")
    assert track_of(r) == "real"
    assert "mea_robots" in r.attrs["missing_indicators"]
    assert not any(c.endswith("_y0") for c in r.columns)
    s = load_panel(seed=3)
    assert track_of(s) == "semi_synthetic" and "truth" in s.attrs
    assert s["city_code"].nunique() == r["city_code"].nunique()
    e = load_panel(seed=3, weights="equal")
    assert not np.allclose(e["Pro"], s["Pro"])
    # the potential outcomes (and so the truth) follow the weighting actually used
    tr = e["Inn"] == 1
    np.testing.assert_allclose(e.loc[tr, "Pro"], e.loc[tr, "Pro_y1"], atol=1e-10)
    np.testing.assert_allclose(e.loc[~tr, "Pro"], e.loc[~tr, "Pro_y0"], atol=1e-10)
