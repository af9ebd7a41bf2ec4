"""Sun-Abraham IW: saturated coefficients = CS ATT(g,t) (never-treated, universal base); IW vs pyfixest saturated."""

import numpy as np
import pytest
from toy_panels import staggered_panel as toy_panel  # 60 units, 3 cohorts + never treated

from nqp_helpers.errors import NQPInputError
from nqp_helpers.estimators.callaway_santanna import callaway_santanna
from nqp_helpers.estimators.sun_abraham import sun_abraham

pf = pytest.importorskip("pyfixest")


def test_saturated_equals_cs_universal():
    df = toy_panel()
    r = sun_abraham(df, "y", leads=3, lags=3)
    cs = callaway_santanna(df, "y", base_period="universal", aggregation=None)
    sat = r[r["aggregation"] == "cohort_event_time"]
    j = sat.merge(cs, on=["cohort", "time"], suffixes=("", "_cs"))
    assert len(j) == len(sat) == (cs["event_time"] != -1).sum()
    assert np.max(np.abs(j["estimate"] - j["estimate_cs"])) < 1e-8


def test_iw_matches_pyfixest_saturated():
    df = toy_panel()
    r = sun_abraham(df, "y", leads=3, lags=3)
    fit = pf.event_study(
        df, yname="y", idname="city_code", tname="year", gname="first_treat", estimator="saturated", cluster="city_code"
    )
    agg = fit.aggregate()
    agg.index = agg.index.astype(int)
    iw = r[(r["aggregation"] == "event_time") & ~r["reference"]].set_index("event_time")
    common = iw.index.intersection(agg.index)
    assert len(common) == 6
    assert np.max(np.abs(iw.loc[common, "estimate"] - agg.loc[common, "Estimate"].astype(float))) < 1e-8
    assert np.max(np.abs(iw.loc[common, "std_error"] - agg.loc[common, "Std. Error"].astype(float))) < 1e-8


def test_att_and_weights():
    df = toy_panel()
    r = sun_abraham(df, "y", leads=2, lags=2)
    sat = r[r["aggregation"] == "cohort_event_time"]
    assert np.allclose(sat.groupby("event_time")["weight"].sum(), 1)
    post = sat[(sat["event_time"] >= 0) & (sat["event_time"] <= 2)]
    att = r.loc[r["term"] == "att", "estimate"].iloc[0]
    assert att == pytest.approx(np.average(post["estimate"], weights=post["n_cell"]))
    # the truth: cohort effects (1 + .2 e)(1 + .5 k); TWFE-free estimate should be near the truth
    truth = {0: np.mean([1, 1.5, 2]), 1: 1.2 * np.mean([1, 1.5, 2])}
    iw = r[r["aggregation"] == "event_time"].set_index("event_time")["estimate"]
    for e, v in truth.items():
        assert abs(iw[e] - v) < 0.5


def test_last_treated_control_and_errors():
    df = toy_panel()
    r = sun_abraham(df, "y", leads=2, lags=2, control_cohort="last_treated")
    sat = r[r["aggregation"] == "cohort_event_time"]
    assert set(sat["cohort"]) == {2014, 2016} and sat["time"].max() < 2018
    with pytest.raises(NQPInputError, match="control_cohort"):
        sun_abraham(df, "y", control_cohort="bad")
    with pytest.raises(NQPInputError, match="never-treated"):
        sun_abraham(df[df["first_treat"] > 0], "y")
