"""Callaway-Sant'Anna: ATT(g,t), aggregations and analytic IF SEs vs moderndid; closed-form 2x2 check."""

import warnings

import numpy as np
import pandas as pd
import pytest
from toy_panels import (
    staggered_panel as toy_panel,  # 60 units, 3 cohorts + never treated
)

from nqp_helpers.errors import NQPInputError
from nqp_helpers.estimators.callaway_santanna import callaway_santanna

md = pytest.importorskip("moderndid")


MD_CG = {"never_treated": "nevertreated", "not_yet_treated": "notyettreated"}


@pytest.mark.parametrize("control_group", ["never_treated", "not_yet_treated"])
@pytest.mark.parametrize("base_period", ["varying", "universal"])
@pytest.mark.parametrize("anticipation", [0, 1])
def test_matches_moderndid(control_group, base_period, anticipation):
    df = toy_panel()
    r = callaway_santanna(
        df, "y", control_group=control_group, base_period=base_period, anticipation=anticipation, aggregation="all"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = md.att_gt(
            df,
            yname="y",
            tname="year",
            idname="city_code",
            gname="first_treat",
            control_group=MD_CG[control_group],
            base_period=base_period,
            anticipation=anticipation,
            est_method="reg",
            boot=False,
            cband=False,
        )
        mg = pd.DataFrame(
            {
                "cohort": np.asarray(m.groups),
                "time": np.asarray(m.times),
                "att_m": np.asarray(m.att_gt),
                "se_m": np.asarray(m.se_gt),
            }
        )
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


# --- covariates (conditional parallel trends): DR, IPW, OR against moderndid -----------------------------------

METHODS = ("dr", "ipw", "reg")


def _md_att_gt(df, y, unit, controls, method, control_group, base_period="varying"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return md.att_gt(
            df,
            yname=y,
            tname="year",
            idname=unit,
            gname="first_treat",
            xformla="~" + "+".join(controls),
            est_method=method,
            control_group=MD_CG[control_group],
            base_period=base_period,
            boot=False,
            cband=False,
        )


def _compare(r, m, aggs=("simple", "dynamic")):
    """ATT(g,t) estimates to 1e-8, SEs to 1e-6 relative, the same cells, and the aggregations."""
    a = r[r["aggregation"] == "att_gt"].astype({"cohort": int, "time": int})
    mg = pd.DataFrame(
        {
            "cohort": np.asarray(m.groups).astype(int),
            "time": np.asarray(m.times).astype(int),
            "att_m": np.asarray(m.att_gt),
            "se_m": np.asarray(m.se_gt),
        }
    )
    j = a.merge(mg, on=["cohort", "time"], how="outer", indicator=True)
    assert (j["_merge"] == "both").all(), j.loc[j["_merge"] != "both", ["cohort", "time", "_merge"]]
    assert np.max(np.abs(j["estimate"] - j["att_m"])) < 1e-8
    ok = j["se_m"].notna()
    assert (j["std_error"].notna() == ok).all()
    assert np.max(np.abs(j.loc[ok, "std_error"] / j.loc[ok, "se_m"] - 1)) < 1e-6
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for typ in aggs:
            ag = md.aggte(m, type=typ)
            ov = r[(r["aggregation"] == typ) & (r["term"] == "ATT")].iloc[0]
            assert abs(ov["estimate"] - ag.overall_att) < 1e-8
            assert abs(ov["std_error"] / ag.overall_se - 1) < 1e-6


@pytest.fixture(scope="module")
def mpdta():
    """County teen employment 2003-2007 (Callaway & Sant'Anna 2021), shipped inside moderndid (load_mpdta)."""
    from moderndid.core.data import load_mpdta

    d = load_mpdta()
    d = d.to_pandas() if hasattr(d, "to_pandas") else d
    return d.rename(columns={"first.treat": "first_treat"})


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("control_group", ["never_treated", "not_yet_treated"])
@pytest.mark.parametrize("base_period", ["varying", "universal"])
def test_covariates_match_moderndid_mpdta(mpdta, method, control_group, base_period):
    r = callaway_santanna(
        mpdta,
        "lemp",
        unit="countyreal",
        controls=["lpop"],
        method=method,
        control_group=control_group,
        base_period=base_period,
        aggregation=["simple", "dynamic"],
    )
    _compare(r, _md_att_gt(mpdta, "lemp", "countyreal", ["lpop"], method, control_group, base_period))
    assert r.attrs["callaway_santanna"]["method"] == method


@pytest.fixture(scope="module")
def paper_panel():
    """Semi-synthetic panel, balanced on Pro and the paper's six (time-varying) controls; late pilots never treated."""
    from nqp_helpers.chapters.robust_did import PAPER_CONTROLS, balanced_sample
    from nqp_helpers.data.load import load_panel

    return balanced_sample(load_panel("semi_synthetic"), "Pro", PAPER_CONTROLS), list(PAPER_CONTROLS)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("control_group", ["never_treated", "not_yet_treated"])
def test_covariates_match_moderndid_paper_controls(paper_panel, method, control_group):
    d, controls = paper_panel
    r = callaway_santanna(
        d, "Pro", controls=controls, method=method, control_group=control_group, aggregation=["simple", "dynamic"]
    )
    m = _md_att_gt(
        d[["city_code", "year", "Pro", "first_treat", *controls]], "Pro", "city_code", controls, method, control_group
    )
    _compare(r, m)
    a = r[r["aggregation"] == "att_gt"]
    if method == "reg":
        assert a["ps_min"].isna().all() and not r.attrs["callaway_santanna"]["dropped_cells"]
    else:  # overlap diagnostics: scores in (0, 0.999), share trimmed in [0, 1]
        assert ((a["ps_min"] > 0) & (a["ps_max"] < 0.999) & a["share_trimmed"].between(0, 1)).all()
        for cell in r.attrs["callaway_santanna"]["dropped_cells"]:
            assert "overlap" in cell["reason"] or "comparison units" in cell["reason"]


def test_covariates_taken_in_base_period_and_fixed_year():
    """With a time-varying covariate, ``covariate_year=2010`` equals did run on the covariate frozen at 2010."""
    df = toy_panel()
    r_base = callaway_santanna(df, "y", controls=["x1"], method="reg", aggregation=None)
    x2010 = df.loc[df["year"] == 2010].set_index("city_code")["x1"]
    frozen = df.assign(x1=df["city_code"].map(x2010))
    r_fixed = callaway_santanna(df, "y", controls=["x1"], method="reg", aggregation=None, covariate_year=2010)
    pd.testing.assert_frame_equal(
        r_fixed.drop(columns=[]), callaway_santanna(frozen, "y", controls=["x1"], method="reg", aggregation=None)
    )
    assert not np.allclose(r_base["estimate"], r_fixed["estimate"])
    _compare(
        r_base.assign(aggregation="att_gt"), _md_att_gt(df, "y", "city_code", ["x1"], "reg", "never_treated"), aggs=()
    )


def test_covariate_errors_and_missing_controls():
    df = toy_panel()
    with pytest.raises(NQPInputError, match="method"):
        callaway_santanna(df, "y", controls=["x1"], method="bad")
    with pytest.raises(NQPInputError, match="nope"):
        callaway_santanna(df, "y", controls=["nope"])
    with pytest.raises(NQPInputError, match="x1"):
        callaway_santanna(df.assign(x1="a"), "y", controls=["x1"])
    with pytest.raises(NQPInputError, match="covariate_year"):
        callaway_santanna(df, "y", controls=["x1"], covariate_year=1990)
    gap = df.copy()
    gap.loc[gap["city_code"].isin([100001, 100002]) & (gap["year"] == 2015), "x1"] = np.nan
    r = callaway_santanna(gap, "y", controls=["x1"], aggregation="simple")
    assert r.attrs["callaway_santanna"]["dropped_units_controls"] == 2
    assert r["n_clusters"].iloc[0] == df["city_code"].nunique() - 2


def test_perfect_separation_cell_is_dropped_like_did():
    """A covariate that singles out one cohort: did skips its cells (overlap); so do we, and say why."""
    df = toy_panel()
    df["z"] = (df["first_treat"] == 2018).astype(float) + 0.01 * df["x1"]
    r = callaway_santanna(df, "y", controls=["z"], method="dr", aggregation=None)
    dropped = r.attrs["callaway_santanna"]["dropped_cells"]
    assert dropped and all(c["cohort"] == 2018 and "overlap" in c["reason"] for c in dropped)
    assert 2018 not in set(r["cohort"].dropna().astype(int))
    _compare(r.assign(aggregation="att_gt"), _md_att_gt(df, "y", "city_code", ["z"], "dr", "never_treated"), aggs=())
