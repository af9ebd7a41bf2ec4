"""Monte Carlo teaching lab: the cores it builds (``make_cores``) equal the tidy wrappers (``fit_wrappers``) on a
simulated panel; the MC is deterministic and its truth is ``true_effects``; the error splits exactly into trend and
weighting parts."""
import numpy as np
import pandas as pd
import pytest

from nqp_helpers import montecarlo as mc
from nqp_helpers.data.semi_synthetic import simulate_panel
from nqp_helpers.estimators.batched import TWFECore
from nqp_helpers.errors import NQPInputError

SEED = 20260101


@pytest.fixture(scope="module")
def skeleton():
    from nqp_helpers.data.real import real_panel
    try:
        return real_panel()
    except NQPInputError as exc:  # processed data not built
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def panel(skeleton):
    return simulate_panel(skeleton, seed=SEED + 7, scenario="heterogeneous")


@pytest.mark.parametrize("outcome", ["Pro", "Obj"])
def test_cores_equal_wrappers(panel, outcome):
    cores = mc.make_cores(panel)
    fast = mc.fit_cores(cores, panel[outcome].to_numpy())
    slow = mc.fit_wrappers(panel, outcome)
    for e in mc.ESTIMATORS:
        for k in ("estimate", "std_error", "conf_low", "conf_high"):
            assert fast[e][k] == pytest.approx(slow[e][k], rel=1e-10, abs=1e-12), (e, k)


def test_twfe_cell_weights_sum_to_one_and_reproduce_twfe(panel):
    w = mc.twfe_cell_weights(panel)
    assert w["weight"].sum() == pytest.approx(1.0, abs=1e-10)
    # TWFE on y1 - y0 effects placed on treated cells = weighted mean of the cell effects
    te = (panel["Pro_y1"] - panel["Pro_y0"]).where(panel["Inn"] == 1, 0.0).to_numpy()
    est = TWFECore(panel).fit(te)["estimate"]
    cell = (panel["Pro_y1"] - panel["Pro_y0"])[panel["Inn"] == 1].to_numpy()
    assert est == pytest.approx(float(w["weight"].to_numpy() @ cell), rel=1e-10)


def test_montecarlo_deterministic_and_truth(skeleton):
    a = mc.run_montecarlo(n_draws=2, scenarios=["constant", "heterogeneous"], skeleton=skeleton, progress=False)
    b = mc.run_montecarlo(n_draws=2, scenarios=["constant", "heterogeneous"], skeleton=skeleton, progress=False)
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 2 * 2 * len(mc.ESTIMATORS)
    assert list(a.columns[:5]) == ["scenario", "draw", "seed", "outcome", "estimator"]
    p = simulate_panel(skeleton, seed=SEED + 2, scenario="heterogeneous")
    tr = p.attrs["truth"].query("outcome == 'Pro' and estimand == 'att'")["value"].iloc[0]
    got = a[(a["scenario"] == "heterogeneous") & (a["draw"] == 2)]["truth"]
    assert np.allclose(got, tr, rtol=0, atol=1e-12)
    # exact split of the error; robust estimators have no weighting bias
    assert np.allclose(a["trend_bias"] + a["weighting_bias"], a["error"], atol=1e-12)
    rob = a[a["estimator"] != "twfe"]
    assert np.abs(rob["weighting_bias"]).max() < 1e-8
    # constant effects across cohorts: TWFE's weighting bias is negligible relative to its SE
    c = a[(a["scenario"] == "constant") & (a["estimator"] == "twfe")]
    assert (np.abs(c["weighting_bias"]) < 0.2 * c["std_error"]).all()
    s = mc.summarise(a)
    assert len(s) == 2 * len(mc.ESTIMATORS)
    assert np.allclose(s["trend_bias"] + s["weighting_bias"], s["bias"], atol=1e-12)
    assert ((s["coverage"] >= 0) & (s["coverage"] <= 1)).all()


def test_bad_parameters(skeleton):
    with pytest.raises(NQPInputError, match="n_draws"):
        mc.run_montecarlo(n_draws=0, skeleton=skeleton)
    with pytest.raises(NQPInputError, match="scenario"):
        mc.run_montecarlo(n_draws=1, scenarios=["wild"], skeleton=skeleton)
    with pytest.raises(NQPInputError, match="outcome"):
        mc.run_montecarlo(n_draws=1, outcome="GDP", skeleton=skeleton)


@pytest.mark.montecarlo
def test_montecarlo_heavy(skeleton):
    """30 draws per scenario, two workers: same numbers as one worker; TWFE's weighting bias is ~0 under constant
    effects and negative under dynamic effects (long-run effects get small or negative weight)."""
    a = mc.run_montecarlo(n_draws=30, skeleton=skeleton, progress=False, n_jobs=2)
    b = mc.run_montecarlo(n_draws=3, skeleton=skeleton, progress=False, n_jobs=1)
    key = ["scenario", "draw", "estimator"]
    m = a.merge(b, on=key, suffixes=("", "_1"))
    assert len(m) == len(b)
    assert np.allclose(m["estimate"], m["estimate_1"], rtol=0, atol=1e-12)
    s = mc.summarise(a).set_index(["scenario", "estimator"])
    assert abs(s.loc[("constant", "twfe"), "weighting_bias"]) < 0.1 * s.loc[("constant", "twfe"), "mean_se"]
    assert s.loc[("dynamic", "twfe"), "weighting_bias"] < -2 * s.loc[("dynamic", "twfe"), "mean_se"] / 10
    for e in ("callaway_santanna", "sun_abraham", "imputation_bjs"):
        assert abs(s.loc[("dynamic", e), "weighting_bias"]) < 1e-8
