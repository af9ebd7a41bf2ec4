"""Monte Carlo teaching lab: the cores it builds (``make_cores``) equal the tidy wrappers (``fit_wrappers``) on a
simulated panel; the MC is deterministic and its truth is ``true_effects``; the error splits exactly into trend and
weighting parts."""

import numpy as np
import pandas as pd
import pytest

from nqp_helpers import montecarlo as mc
from nqp_helpers.data.semi_synthetic import simulate_panel
from nqp_helpers.errors import NQPInputError
from nqp_helpers.estimators.batched import TWFECore

SEED = 20260101


@pytest.fixture(scope="module")
def skeleton():
    from nqp_helpers.data.real_panel import real_panel

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
    kw = {
        "n_draws": 2,
        "scenarios": ["constant", "heterogeneous"],
        "skeleton": skeleton,
        "progress": False,
        "designs": ("resample", "fixed"),
    }
    a = mc.run_montecarlo(**kw)
    b = mc.run_montecarlo(**kw)
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 2 * 2 * 2 * len(mc.ESTIMATORS)
    assert list(a.columns[:7]) == ["design", "scenario", "draw", "population", "seed", "outcome", "estimator"]
    p = simulate_panel(skeleton, seed=SEED + 2, scenario="heterogeneous")
    tr = p.attrs["truth"].query("outcome == 'Pro' and estimand == 'att'")["value"].iloc[0]
    het = a[(a["scenario"] == "heterogeneous") & (a["draw"] == 2)]
    assert np.allclose(het["truth"], tr, rtol=0, atol=1e-12)  # population ATT, both designs
    fixed = a[a["design"] == "fixed"]
    assert np.allclose(fixed["truth_sample"], fixed["truth"], rtol=0, atol=1e-12)
    # the resampled draw: the same numbers as the tidy wrappers on resample_cities(population, (seed, draw))
    smp = mc.resample_cities(p, seed=(SEED, 2))
    row = het[het["design"] == "resample"].set_index("estimator")
    assert row.loc["twfe", "truth_sample"] == pytest.approx(
        smp.attrs["truth"].query("outcome == 'Pro' and estimand == 'att'")["value"].iloc[0], abs=1e-12
    )
    slow = mc.fit_wrappers(smp, "Pro", ["twfe", "imputation_bjs"])
    for e in ("twfe", "imputation_bjs"):
        assert row.loc[e, "estimate"] == pytest.approx(slow[e]["estimate"], rel=1e-10)
        assert row.loc[e, "std_error"] == pytest.approx(slow[e]["std_error"], rel=1e-10)
    # exact split of the error; robust estimators have no weighting bias
    assert np.allclose(a["trend_bias"] + a["weighting_bias"] + a["sample_gap"], a["error"], atol=1e-12)
    rob = a[a["estimator"] != "twfe"]
    assert np.abs(rob["weighting_bias"]).max() < 1e-8
    # constant effects across cohorts: on the whole population (fixed design) TWFE's weighting bias is negligible
    # relative to its SE (the cell-level moderation term leaves the cohort-by-year mean effects unchanged). A resampled
    # draw keeps its own cities' moderator-driven cell effects, so there it is a small random term (|.| <= 0.25 SE in
    # draws 1-6 at this seed) that averages out across draws; bound it loosely.
    c = a[(a["scenario"] == "constant") & (a["estimator"] == "twfe")]
    fixed_c, res_c = c[c["design"] == "fixed"], c[c["design"] == "resample"]
    assert (np.abs(fixed_c["weighting_bias"]) < 0.05 * fixed_c["std_error"]).all()
    assert (np.abs(res_c["weighting_bias"]) < 0.5 * res_c["std_error"]).all()
    s = mc.summarise(a)
    assert len(s) == 2 * 2 * len(mc.ESTIMATORS)
    assert np.allclose(s["trend_bias"] + s["weighting_bias"] + s["sample_gap"], s["bias"], atol=1e-12)
    assert ((s["coverage"] >= 0) & (s["coverage"] <= 1)).all()
    assert np.allclose(s["se_ratio"], s["mean_se"] / s["sd_estimate"])


def test_cohort_bootstrap_keeps_cohorts():
    ft = np.array([0, 0, 0, 2010, 2010, 2018, 0, 2018, 2022])
    src = mc.cohort_bootstrap(ft, np.random.default_rng(1))
    assert (ft[src] == ft).all()  # every slot is filled from its own cohort, so cohort sizes are kept
    assert src[-1] == 8  # a one-city cohort always draws itself
    draws = np.stack([mc.cohort_bootstrap(ft, np.random.default_rng(k)) for k in range(300)])
    assert set(np.unique(draws[:, 0])) == {0, 1, 2, 6}  # with replacement, any never-treated city
    assert np.array_equal(mc.cohort_bootstrap(ft, np.random.default_rng(1)), src)


def test_resample_cities_ids_and_truths():
    from toy_panels import toy_skeleton

    pop = simulate_panel(toy_skeleton(n_cities=40), seed=3, scenario="dynamic")
    smp = mc.resample_cities(pop, seed=(5, 1))
    assert len(smp) == len(pop)
    assert smp["city_code"].nunique() == pop["city_code"].nunique()  # duplicates get new, unique ids
    assert not smp.duplicated(["city_code", "year"]).any()

    def size(d):
        return d.groupby("city_code")["first_treat"].first().value_counts().sort_index()

    pd.testing.assert_series_equal(size(smp), size(pop))
    assert smp["source_city"].nunique() < pop["city_code"].nunique()  # some city drawn twice (n = 40)
    # each new city carries all the rows of its source city
    one = smp[smp["city_code"] == 7]
    src = pop[pop["city_code"] == one["source_city"].iloc[0]]
    assert np.array_equal(one["Pro"].to_numpy(), src["Pro"].to_numpy())
    # two truths: the sample's ATT (its treated cells) and the population's
    te = (smp["Pro_y1"] - smp["Pro_y0"])[smp["Inn"] == 1].mean()

    def att(d):
        return d.query("outcome == 'Pro' and estimand == 'att'")["value"].iloc[0]

    assert att(smp.attrs["truth"]) == pytest.approx(te, abs=1e-12)
    assert att(smp.attrs["population_truth"]) == att(pop.attrs["truth"])
    pd.testing.assert_frame_equal(smp, mc.resample_cities(pop, seed=(5, 1)))
    with pytest.raises(NQPInputError, match="balanced"):
        mc.resample_cities(pop.iloc[1:], seed=0)


def test_bad_parameters(skeleton):
    with pytest.raises(NQPInputError, match="n_draws"):
        mc.run_montecarlo(n_draws=0, skeleton=skeleton)
    with pytest.raises(NQPInputError, match="n_populations"):
        mc.run_montecarlo(n_draws=2, n_populations=0, skeleton=skeleton)
    with pytest.raises(NQPInputError, match="scenario"):
        mc.run_montecarlo(n_draws=1, scenarios=["wild"], skeleton=skeleton)
    with pytest.raises(NQPInputError, match="designs"):
        mc.run_montecarlo(n_draws=1, designs=["bootstrap"], skeleton=skeleton)
    with pytest.raises(NQPInputError, match="outcome"):
        mc.run_montecarlo(n_draws=1, outcome="GDP", skeleton=skeleton)


@pytest.mark.montecarlo
def test_montecarlo_heavy(skeleton):
    """The lab's done-when at the page's defaults (200 resampled draws per scenario, 20 populations): in the
    constant world every estimator covers the population ATT 90-99 % of the time and its mean SE is within
    [0.75, 1.33] of the spread of its estimates; in the dynamic world TWFE covers < 50 %. The first, fixed-city
    design over-covers (SE many times the spread). Two workers give the same numbers as one."""
    a = mc.run_montecarlo(
        n_draws=200, n_populations=20, skeleton=skeleton, progress=False, n_jobs=2, designs=("resample", "fixed")
    )
    b = mc.run_montecarlo(
        n_draws=3, n_populations=20, skeleton=skeleton, progress=False, n_jobs=1, designs=("resample", "fixed")
    )
    key = ["design", "scenario", "draw", "estimator"]
    m = a.merge(b, on=key, suffixes=("", "_1"))
    assert len(m) == len(b)
    assert np.allclose(m["estimate"], m["estimate_1"], rtol=0, atol=1e-12)
    s = mc.summarise(a).set_index(["design", "scenario", "estimator"])
    for e in mc.ESTIMATORS:
        r = s.loc[("resample", "constant", e)]
        assert 0.90 <= r["coverage"] <= 0.99, (e, r["coverage"])
        assert 0.75 <= r["se_ratio"] <= 1.33, (e, r["se_ratio"])
        assert s.loc[("fixed", "constant", e), "se_ratio"] > 3
    assert s.loc[("resample", "dynamic", "twfe"), "coverage"] < 0.5
    assert (
        abs(s.loc[("resample", "constant", "twfe"), "weighting_bias"])
        < 0.1 * s.loc[("resample", "constant", "twfe"), "mean_se"]
    )
    for e in ("callaway_santanna", "sun_abraham", "imputation_bjs"):
        assert abs(s.loc[("resample", "dynamic", e), "weighting_bias"]) < 1e-8
