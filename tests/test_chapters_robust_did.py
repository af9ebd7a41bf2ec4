"""Chapter 11 report module: the shared balanced sample, the conditional comparison table, the overlap summary."""

import numpy as np
import pandas as pd
import pytest
from toy_panels import staggered_panel

from nqp_helpers.chapters.robust_did import (
    PAPER_CONTROLS,
    adjusted_outcome_cs,
    available_controls,
    balanced_sample,
    comparison_display,
    conditional_comparison,
    conditional_headline,
    conditional_verdict,
    overlap_facts,
    overlap_summary,
)
from nqp_helpers.errors import NQPInputError
from nqp_helpers.estimators.callaway_santanna import callaway_santanna
from nqp_helpers.variables import PAPER_VARIABLES


def test_controls_are_the_papers_six():
    assert PAPER_CONTROLS is PAPER_VARIABLES["controls"] and len(PAPER_CONTROLS) == 6
    assert available_controls(pd.DataFrame({"Eco": [1.0], "Gov": [np.nan]})) == ["Eco"]


def test_balanced_sample_drops_gaps_and_recodes_late_pilots():
    df = staggered_panel()
    df.loc[(df["city_code"] == 100001) & (df["year"] == 2012), "x1"] = np.nan
    df.loc[df["city_code"] == 100002, "first_treat"] = 2030
    d = balanced_sample(df, "y", ["x1"])
    assert 100001 not in set(d["city_code"]) and len(d) == (df["city_code"].nunique() - 1) * df["year"].nunique()
    assert (d.loc[d["city_code"] == 100002, "first_treat"] == 0).all()
    with pytest.raises(NQPInputError, match="zz"):
        balanced_sample(df, "y", ["zz"])


def test_conditional_comparison_rows_match_direct_calls():
    df = staggered_panel()
    df["Inn"] = ((df["first_treat"] > 0) & (df["year"] >= df["first_treat"])).astype(int)
    tab, cells = conditional_comparison(df, "y", ["x1"], truth=1.0)
    assert len(tab) == 1 + 2 * 4 + 1 and tab["n_cities"].eq(df["city_code"].nunique()).all()
    direct = (
        callaway_santanna(df, "y", controls=["x1"], method="ipw", control_group="not_yet_treated", aggregation="simple")
        .query("term == 'ATT'")["estimate"]
        .iloc[0]
    )
    row = tab[(tab["estimator"] == "Callaway–Sant'Anna, controls, IPW") & (tab["comparison"] == "not yet treated")]
    assert row["estimate"].iloc[0] == pytest.approx(direct, abs=1e-12)
    s = overlap_summary(cells, "dr", "never treated")
    n_cells = len(cells[(cells["method"] == "dr") & (cells["comparison"] == "never treated")])
    assert s["cells_kept"].sum() + s["cells_skipped"].sum() == n_cells
    assert ((s["ps_min"] > 0) & (s["ps_max"] < 1)).all()
    facts = overlap_facts(cells, "dr", "never treated")
    assert facts["cells_kept"] == s["cells_kept"].sum() and 0 < facts["ps_min"] <= facts["ps_max"] < 1
    shown = comparison_display(tab.assign(truth=np.nan))
    assert list(shown.columns)[:3] == ["Estimator", "Comparison group", "Estimate"]
    assert (shown["Truth"] == "—").all() and shown["(SE)"].str.startswith("(").all()
    h = conditional_headline(tab)
    assert h["cs_ipw"] == pytest.approx(
        float(
            tab[(tab["estimator"] == "Callaway–Sant'Anna, controls, IPW") & (tab["comparison"] == "never treated")][
                "estimate"
            ].iloc[0]
        )
    )
    assert h["n_cities"] == df["city_code"].nunique() and np.isfinite(h["twfe"])


def test_adjusted_outcome_cs_removes_a_time_varying_control():
    """y = unit + year + 2 x_it + 1.0 * Inn, x trending faster for pilots: the two-step estimate recovers 1.0."""
    df = staggered_panel()
    rng = np.random.default_rng(0)
    pilot = df["first_treat"] > 0
    df["x"] = 0.3 * (df["year"] - 2010) * pilot + rng.normal(0, 1, len(df))
    df["Inn"] = (pilot & (df["year"] >= df["first_treat"])).astype(int)
    df["y"] = df["city_code"] % 7 + 0.1 * df["year"] + 2 * df["x"] + 1.0 * df["Inn"] + rng.normal(0, 0.1, len(df))
    assert adjusted_outcome_cs(df, "y", ["x"]) == pytest.approx(1.0, abs=0.05)
    plain = callaway_santanna(df, "y", aggregation="simple").query("term == 'ATT'")["estimate"].iloc[0]
    assert abs(plain - 1.0) > 0.5  # the unadjusted comparison is biased by the control's trend


def test_conditional_verdict_words():
    h = {"cs_dr": 0.2}
    assert (
        "far from it, and the two-step estimate on the control-adjusted outcome (0.560) is close to"
        in conditional_verdict(h, truth=0.565, adjusted=0.56)
    )
    assert "Without a known truth" in conditional_verdict(h, truth=float("nan"), adjusted=0.5)


def test_robust_comparison_and_pivot_on_the_real_track():
    from nqp_helpers.chapters.robust_did import comparison_pivot, robust_comparison
    from nqp_helpers.data.load import load_panel

    real = load_panel("real")
    comp, cs_table = robust_comparison(real, ["Pro"], horizons=2)
    assert comp["estimator"].str.startswith("de Chaisemartin").sum() == 1 and comp["truth"].isna().all()
    d = balanced_sample(real, "Pro")
    cs = callaway_santanna(d, "Pro", aggregation="simple").query("term == 'ATT'")["estimate"].iloc[0]
    assert comp.set_index("estimator").loc["Callaway–Sant'Anna (never treated)", "estimate"] == pytest.approx(cs)
    assert set(cs_table["aggregation"]) == {"simple", "dynamic", "group"}
    piv = comparison_pivot(comp, ["Pro"])
    assert list(piv.index) == list(comp["estimator"]) and "truth" not in " ".join(piv.index)


def test_untreated_bias_check_and_breakdown_words():
    from nqp_helpers.chapters.robust_did import breakdown_values, honest_figure, untreated_bias_check

    df = staggered_panel()
    df["Inn"] = ((df["first_treat"] > 0) & (df["year"] >= df["first_treat"])).astype(int)
    df["Pro_y0"] = df["y"] - df["Inn"] * 5.0  # not the untreated outcome: estimates far from 0 -> "not parallel"
    df.attrs["truth"] = pd.DataFrame({"outcome": ["Pro"], "estimand": ["att"], "value": [1.0]})
    bias, msg = untreated_bias_check(df)
    assert len(bias) == 3 and "**not parallel**" in msg
    sens = pd.DataFrame(
        {
            "term": ["original", "robust", "robust", "robust", "robust"],
            "method": ["relative_magnitude", "relative_magnitude", "relative_magnitude", "smoothness", "smoothness"],
            "bound": [np.nan, 0.0, 1.0, 0.0, 0.1],
            "estimate": [0.5, np.nan, np.nan, np.nan, np.nan],
            "conf_low": [0.3, 0.2, -0.1, 0.1, 0.05],
            "conf_high": [0.7, 0.8, 1.1, 0.9, 0.95],
        }
    )
    assert breakdown_values(sens) == {"relative_magnitude": "1", "smoothness": "beyond the largest bound tried"}
    fig = honest_figure(sens, "Pro")
    assert len(fig.axes) == 2


def test_overlap_display_dashes_for_cohorts_without_cells():
    from nqp_helpers.chapters.robust_did import overlap_display

    s = pd.DataFrame(
        {
            "cohort": [2008, 2010],
            "cells_kept": [0, 3],
            "cells_skipped": [5, 0],
            "ps_min": [np.nan, 0.01],
            "ps_max": [np.nan, 0.9],
            "share_trimmed_max": [np.nan, 0.0],
        }
    )
    out = overlap_display(s)
    assert list(out.iloc[0, 3:]) == ["—", "—", "—"] and list(out.iloc[1, 3:]) == ["0.010", "0.900", "0.0%"]


def test_dcdh_equals_cs_not_yet_treated_on_the_real_track():
    from nqp_helpers.chapters.robust_did import comparison_figure, dcdh_horizons, dcdh_vs_cs
    from nqp_helpers.data.load import load_panel

    d = balanced_sample(load_panel("real"), "Pro")
    check = dcdh_vs_cs(d, "Pro", dcdh_horizons(d))
    assert len(check) == dcdh_horizons(d) and check["difference"].abs().max() < 1e-8
    comp = pd.DataFrame(
        {
            "outcome": ["Pro"] * 2,
            "estimator": ["a", "b"],
            "estimate": [0.1, 0.2],
            "conf_low": [0.0, 0.1],
            "conf_high": [0.2, 0.3],
            "truth": [np.nan] * 2,
        }
    )
    assert len(comparison_figure(comp, ["Pro"], with_truth=False).axes) == 1


def test_dcdh_check_runs_on_the_shared_sample_with_its_horizons():
    import moderndid

    from nqp_helpers.chapters.robust_did import dcdh_check, dcdh_horizons

    df = staggered_panel(n_units=40)
    df["Inn"] = ((df["first_treat"] > 0) & (df["year"] >= df["first_treat"])).astype(int)
    df.loc[(df["city_code"] == 100001) & (df["year"] == 2015), "y"] = np.nan  # leaves the shared balanced sample
    check, horizons, num = dcdh_check(df, "y")
    assert horizons == dcdh_horizons(balanced_sample(df, "y")) == 7  # 2021 - 2014, below the cap of 8
    assert list(check["horizon_l"]) == list(range(1, horizons + 1))
    assert num == {"moderndid_version": moderndid.__version__, "dcdh_maxdiff": float(check["difference"].abs().max())}
    assert num["dcdh_maxdiff"] < 1e-8  # binary, permanent treatment: dCDH is CS not-yet-treated at e = l - 1


def test_comparison_numbers_pick_the_three_quoted_estimators():
    from nqp_helpers.chapters.robust_did import HEADLINE_ESTIMATORS, comparison_numbers

    piv = pd.DataFrame(
        {"Pro": [0.1, 0.2, 0.3, 0.4], "Lab": [1.0, 2.0, 3.0, 4.0]},
        index=["TWFE, no controls", *HEADLINE_ESTIMATORS[::-1]],
    )
    assert comparison_numbers(piv) == {"cmp_0": 0.4, "cmp_1": 0.3, "cmp_2": 0.2}
    assert comparison_numbers(piv, "Lab")["cmp_0"] == 4.0
    assert all(np.isnan(v) for v in comparison_numbers(piv.drop(columns="Pro")).values())
