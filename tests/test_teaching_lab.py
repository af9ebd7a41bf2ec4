"""Teaching-lab report layer: the glued numbers are the summary's, the verdicts follow the 0.5-SE rule, the tables
have human headers and no missing values, the figures draw."""

import matplotlib
import numpy as np
import pytest
from toy_panels import toy_skeleton

from nqp_helpers import montecarlo as mc
from nqp_helpers import teaching_lab as lab
from nqp_helpers.errors import NQPInputError

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def mc_run():
    sk = toy_skeleton(n_cities=60)
    draws = mc.run_montecarlo(n_draws=6, n_populations=2, skeleton=sk, progress=False, designs=("resample", "fixed"))
    return sk, draws, mc.summarise(draws)


def test_lab_numbers_are_the_summary(mc_run):
    _, draws, summary = mc_run
    num = lab.lab_numbers(summary, draws)
    s = summary.set_index(["design", "scenario", "estimator"])
    assert num["resample_dynamic_twfe_coverage"] == s.loc[("resample", "dynamic", "twfe"), "coverage"]
    assert num["fixed_constant_sun_abraham_se_ratio"] == s.loc[("fixed", "constant", "sun_abraham"), "se_ratio"]
    c = summary[(summary["design"] == "resample") & (summary["scenario"] == "constant")]
    assert num["resample_constant_coverage_min"] == c["coverage"].min()
    assert num["resample_constant_se_ratio_max"] == c["se_ratio"].max()
    assert num["n_draws"] == 6 and num["n_populations"] == 2
    assert num["cs_sa_phrase"].startswith("give the same point estimate")  # balanced, never-treated, no covariates
    assert all(np.isfinite(v) for v in num.values() if isinstance(v, float))
    with pytest.raises(NQPInputError, match="summary columns"):
        lab.lab_numbers(summary.drop(columns="se_ratio"), draws)


def test_verdict_rule():
    assert lab.twfe_verdict(0.01, 0.04).startswith("recovers the truth: its bias is 0.25")
    assert lab.twfe_verdict(-0.1, 0.04).startswith("is biased: its bias is 2.5 times")


def test_tables_and_figures(mc_run):
    sk, draws, summary = mc_run
    t1 = lab.results_table(summary)
    assert len(t1) == 3 * len(mc.ESTIMATORS) and "Coverage" in t1.columns
    assert not t1.isna().any().any()
    t2 = lab.uncertainty_table(summary, "constant")
    assert set(t2["Draws"]) == {"new cities", "same cities"} and not t2.isna().any().any()
    assert set(t2["Estimator"]) == set(mc.ESTIMATOR_LABELS.values())
    w, wn = lab.weights_numbers(sk)
    assert wn["n_cells"] == int((sk["Inn"] == 1).sum())
    for fig in (
        lab.weights_figure(w),
        lab.bias_coverage_figure(summary, "Pro"),
        lab.estimates_figure(draws, "Pro", scenario="heterogeneous"),
    ):
        assert len(fig.axes) >= 1
        matplotlib.pyplot.close(fig)


def test_phrases_follow_the_numbers():
    assert lab.se_phrase(0.9, 1.1) == "the cluster-robust SE measures the spread it claims to measure"
    assert "overstates" in lab.se_phrase(7.3, 8.4)
    assert "understates" in lab.se_phrase(0.5, 0.6)
    assert lab.sample_coverage_phrase(0.99).startswith("above the nominal 95 %")
    assert lab.sample_coverage_phrase(0.93).startswith("not above")


def test_value_range():
    assert lab.value_range(1.0, 1.0, 3) == "1.000"
    assert lab.value_range(0.93, 0.95, 3) == "0.930 to 0.950"
    assert lab.value_range(7.32, 8.42, 1) == "7.3 to 8.4"


def test_track_note():
    assert lab.track_note("semi_synthetic") is None
    note = lab.track_note("real")
    assert note.startswith("The chosen track is 'real': its outcomes have no known truth")
    assert note.count("\n") == 1 and note.endswith("(cities, years, pilot timing).")
