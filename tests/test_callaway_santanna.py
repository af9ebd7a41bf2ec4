"""Callaway-Sant'Anna: ATT(g,t), aggregations and analytic IF SEs vs moderndid; closed-form 2x2 check."""
import warnings

import numpy as np
import pandas as pd
import pytest

from nqp_helpers.errors import NQPInputError
from nqp_helpers.estimators.callaway_santanna import callaway_santanna
from toy_panels import staggered_panel as toy_panel  # 60 units, 3 cohorts + never treated

md = pytest.importorskip("moderndid")


MD_CG = {"never_treated": "nevertreated", "not_yet_treated": "notyettreated"}


@pytest.mark.parametrize("control_group", ["never_treated", "not_yet_treated"])
@pytest.mark.parametrize("base_period", ["varying", "universal"])
@pytest.mark.parametrize("anticipation", [0, 1])
def test_matches_moderndid(control_group, base_period, anticipation):
    df = toy_panel()
    r = callaway_santanna(df, "y", control_group=control_group, base_period=base_period,
                          anticipation=anticipation, aggregation="all")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = md.att_gt(df, yname="y", tname="year", idname="city_code", gname="first_treat",
                      control_group=MD_CG[control_group], base_period=base_period, anticipation=anticipation,
                      est_method="reg", boot=False, cband=False)
        mg = pd.DataFrame({"cohort": np.asarray(m.groups), "time": np.asarray(m.times),
                           "att_m": np.asarray(m.att_gt), "se_m": np.asarray(m.se_gt)})
        a = r[r["aggregation"] == "att_gt"].astype({"cohort": int, "time": int})
        j = a.merge(mg, on=["cohort", "time"], how="outer", indicator=True)
        assert (j["_merge"] == "both").all()
        assert np.max(np.abs(j["estimate"] - j["att_m"])) < 1e-8
        ok = j["se_m"].notna()
        assert (j["std_error"].notna() == ok).all()
        assert np.max(np.abs(j.loc[ok, "std_error"] / j.loc[ok, "se_m"] - 1)) < 1e-6
        for typ in ("simple", "dynamic", "group", "calendar"):
            ag = md.aggte(m, type=typ)
            rr = r[r["aggregation"] == typ]
            ov = rr[rr["term"] == "ATT"].iloc[0]
            assert abs(ov["estimate"] - ag.overall_att) < 1e-8
            assert abs(ov["std_error"] / ag.overall_se - 1) < 1e-6
            if typ != "simple":
                sub = rr[rr["term"] != "ATT"]
                assert np.max(np.abs(sub["estimate"].to_numpy() - np.asarray(ag.att_by_event))) < 1e-8
                se_m = np.asarray(ag.se_by_event, float)
                okk = np.isfinite(se_m)
                assert np.max(np.abs(sub["std_error"].to_numpy()[okk] / se_m[okk] - 1)) < 1e-6


def test_two_cohort_closed_form():
    df = toy_panel(cohorts=(2014, 2017))
    r = callaway_santanna(df, "y", aggregation=None)
    w = df.pivot(index="city_code", columns="year", values="y")
    g = df.groupby("city_code")["first_treat"].first()
    for c, t in [(2014, 2016), (2017, 2012), (2017, 2019)]:
        b = c - 1 if t >= c else t - 1
        dy = w[t] - w[b]
        hand = dy[g == c].mean() - dy[g == 0].mean()
        row = r[(r["cohort"] == c) & (r["time"] == t)].iloc[0]
        assert row["estimate"] == pytest.approx(hand, abs=1e-12)
        # IF variance of a difference of two means
        se = np.sqrt(dy[g == c].var(ddof=0) / (g == c).sum() + dy[g == 0].var(ddof=0) / (g == 0).sum())
        assert row["std_error"] == pytest.approx(se, rel=1e-10)


def test_bootstrap_deterministic_and_close():
    df = toy_panel()
    a = callaway_santanna(df, "y", aggregation="dynamic", n_boot=499, seed=3)
    b = callaway_santanna(df, "y", aggregation="dynamic", n_boot=499, seed=3)
    pd.testing.assert_frame_equal(a, b)
    an = callaway_santanna(df, "y", aggregation="dynamic")
    ratio = a["std_error"] / an["std_error"]
    assert ratio.dropna().between(0.7, 1.3).all()
    assert (a["crit_uniform"] >= 1.96 - 0.2).all()


def test_nan_coding_and_errors():
    df = toy_panel()
    a = callaway_santanna(df, "y", aggregation="simple")
    b = callaway_santanna(df.assign(first_treat=df["first_treat"].replace(0, np.nan)), "y", aggregation="simple")
    pd.testing.assert_frame_equal(a, b)
    with pytest.raises(NQPInputError, match="control_group"):
        callaway_santanna(df, "y", control_group="bad")
    with pytest.raises(NQPInputError, match="aggregation"):
        callaway_santanna(df, "y", aggregation="bad")
    with pytest.raises(NQPInputError, match="never-treated"):
        callaway_santanna(df[df["first_treat"] > 0], "y")
