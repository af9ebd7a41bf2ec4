"""Chapter 03's report layer (nqp_helpers.chapters.baseline): Table 2, its comparison and the bias decomposition."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from nqp_helpers.chapters import baseline as ch
from nqp_helpers.data.load import load_panel
from nqp_helpers.display import fmt_num
from nqp_helpers.errors import NQPInputError
from nqp_helpers.estimators.twfe import twfe
from nqp_helpers.index_report import tidy_table2
from nqp_helpers.reported import reported
from nqp_helpers.variables import CONTROLS, OUTCOMES


@pytest.fixture(scope="module")
def semi():
    return load_panel("semi_synthetic")


@pytest.fixture(scope="module")
def fitted(semi):
    outcomes, controls = ch.sample_spec(semi)
    return outcomes, controls, ch.fit_table2(semi, outcomes, controls)


def test_bad_cluster_is_named(semi):
    with pytest.raises(NQPInputError, match="cluster='nope'"):
        ch.sample_spec(semi, "nope")


def test_sample_notes_name_what_is_missing():
    assert ch.sample_notes("semi_synthetic", list(OUTCOMES), list(CONTROLS)).startswith("All four")
    text = ch.sample_notes("real", ["Pro", "Lab", "Obj"], ["Eco", "Fin"])
    assert "not estimated: Mea" in text and "this dimension" in text
    assert "Controls absent:** Gov, Fix, Tra, Ope" in text and "use Eco, Fin" in text and "proxies" in text


def test_table2_columns_follow_the_paper(semi, fitted):
    outcomes, controls, t2 = fitted
    assert outcomes == list(OUTCOMES) and controls == list(CONTROLS)
    assert list(t2.fits) == [f"({2 * i + 1 + c}) {y}" for i, y in enumerate(outcomes) for c in (0, 1)]
    assert t2.column_of["(4) Lab"] == 4 and t2.controls_of["(4) Lab"] and not t2.controls_of["(3) Lab"]
    direct = twfe(semi, "Mea", controls=controls)
    assert t2.beta("Mea", True) == float(direct.loc[direct["term"] == "Inn", "estimate"].iloc[0])
    assert np.isnan(t2.beta("Nope", True))


def test_sample_numbers_and_comparison(semi, fitted):
    _, _, t2 = fitted
    paper2 = reported(2, term=None)
    n = ch.sample_numbers(t2, paper2, "city_code")
    assert n["n_clusters"] == semi["city_code"].nunique() and n["paper_n"] == int(paper2["n"].iloc[0])
    assert n["n_noctrl"] == len(semi) >= n["n_ctrl"]
    truth = ch.truth_by_outcome(semi)
    comp = ch.comparison_table(t2, truth)
    assert len(comp) == 8 and set(comp["term"]) == {"Inn"}
    assert set(ch.comparison_columns(truth)) <= set(comp.columns)
    assert "truth" not in ch.comparison_columns(None)
    table2 = tidy_table2(t2.fits, paper2, t2.column_of, t2.controls_of, truth)
    fig = ch.table2_figure(table2, t2, truth)
    assert "the truth" in fig.axes[0].get_title()
    plt.close(fig)


def test_truth_only_on_the_semi_synthetic_track(semi):
    truth = ch.truth_by_outcome(semi)
    tt = semi.attrs["truth"]
    assert truth["Lab"] == float(tt.loc[(tt["estimand"] == "att") & (tt["outcome"] == "Lab"), "value"].iloc[0])
    assert ch.truth_by_outcome(load_panel("real")) is None


def test_decomposition_adds_up_exactly(semi, fitted):
    _, controls, t2 = fitted
    truth = ch.truth_by_outcome(semi)
    d = ch.bias_decomposition(semi, t2, controls, truth)
    # OLS is linear in the outcome: Y = Y(0) + Inn*(Y(1)-Y(0)) splits the coefficient exactly
    np.testing.assert_allclose(d["estimate"], d["trend_gap"] + d["effect_part"], rtol=0, atol=1e-10)
    np.testing.assert_allclose(d["weighting_gap"], d["effect_part"] - d["truth"], atol=1e-14)
    numbers, verdict = ch.decomposition_numbers(d)
    assert numbers["decomp_verdict"] == verdict == ch.decomposition_verdict(d.set_index("model").loc["(2) Pro"])
    r = d.set_index("model")
    assert numbers["gap_Pro"] == fmt_num(r.loc["(2) Pro", "trend_gap"], 3)
    assert numbers["wgap_noctrl_Lab"] == fmt_num(r.loc["(3) Lab", "weighting_gap"], 4)  # 4 digits for weighting gaps


def test_decomposition_numbers_without_potential_outcomes():
    numbers, verdict = ch.decomposition_numbers(None)
    assert verdict is None and numbers["decomp_verdict"].startswith("On this track")
    assert numbers["gap_noctrl_Obj"] == numbers["max_abs_wgap"] == "—" and len(numbers) == 4 * 2 * 4 + 3


@pytest.mark.parametrize(
    "gap, se, wgap, start",
    [
        (0.01, 0.1, 0.001, "Both parts are small"),
        (0.5, 0.1, 0.01, "Most of the distance between our estimate and the truth is the trend gap"),
        (0.01, 0.1, 0.3, "Most of the distance between our estimate and the truth is the weighting gap"),
    ],
)
def test_verdict_follows_the_numbers(gap, se, wgap, start):
    assert ch.decomposition_verdict(
        pd.Series({"trend_gap": gap, "trend_gap_se": se, "weighting_gap": wgap})
    ).startswith(start)


def test_pro_is_the_weighted_sum_of_the_subindices(semi, fitted):
    _, _, t2 = fitted
    paper2 = reported(2, term=None)
    n = ch.linearity_numbers(semi, "paper", t2, paper2, ch.truth_by_outcome(semi))
    assert n["ours_pro_ctrl"] == pytest.approx(n["ours_comb_ctrl"], abs=1e-9)
    assert n["ours_pro_noctrl"] == pytest.approx(n["ours_comb_noctrl"], abs=1e-9)
    inn = paper2[paper2["term"] == "Inn"].set_index("column")["coef"]
    assert n["paper_mean_ctrl"] == pytest.approx(inn[[4, 6, 8]].mean()) and n["paper_pro_noctrl"] == inn[1]
    assert n["dim_weights"].count("0.333") == 3
    assert ch.linearity_note(semi, "paper", "semi_synthetic") is None
    broken = semi.assign(Pro=semi["Pro"] + 1.0)
    assert ch.linearity_note(broken, "paper", "user").startswith("**Note:**")


def test_track_notes():
    assert ch.track_note("semi_synthetic", None).startswith("**semi-synthetic track.** Simulated")
    assert "Both parts" in ch.track_note("semi_synthetic", "Both parts are small")
    assert "3 of 18 indicators" in ch.track_note("real", None)
    assert ch.track_note("user", None).startswith("**user track.** User panel")
