"""Exercise answers: each equals the direct computation it stands for (real track: fast and offline)."""

import numpy as np
import pandas as pd
import pytest

from nqp_helpers.chapters import exercises as ex
from nqp_helpers.chapters.robust_did import available_controls, balanced_sample
from nqp_helpers.data.load import load_panel
from nqp_helpers.estimators.callaway_santanna import callaway_santanna
from nqp_helpers.estimators.twfe import twfe


@pytest.fixture(scope="module")
def real():
    return load_panel("real")


def test_truth_att_is_nan_off_the_semi_synthetic_track(real):
    assert np.isnan(ex.truth_att(real))
    fake = pd.DataFrame({"x": [1]})
    fake.attrs["truth"] = pd.DataFrame(
        {"outcome": ["Pro", "Pro"], "estimand": ["att", "att_by_cohort"], "value": [0.5, 0.7]}
    )
    assert ex.truth_att(fake) == 0.5


def test_cluster_answer_is_the_direct_twfe(real):
    a = ex.ex03_cluster("real", 0, cluster="province")
    ctrl = available_controls(real)
    direct = twfe(real, "Pro", controls=ctrl, cluster="province")
    assert a["se_alt"] == pytest.approx(float(direct["std_error"].iloc[0]))
    assert a["g_alt"] == int(direct["n_clusters"].iloc[0]) < a["g_city"]
    assert a["ratio"] == pytest.approx(a["se_alt"] / a["se_city"])


def test_real_cs_answer_counts_cells(real):
    a = ex.ex10_real()
    d = balanced_sample(real, "Pro", available_controls(real))
    r = callaway_santanna(d, "Pro", controls=available_controls(real), method="dr", aggregation="simple")
    assert a["cond"] == pytest.approx(float(r.query("aggregation == 'simple'")["estimate"].iloc[0]))
    assert a["skipped"] == len(r.attrs["callaway_santanna"]["dropped_cells"]) and a["cells"] > a["skipped"]


def test_randomisation_answer_formulas(real):
    a = ex.ex11_n_draws("real", 3, n_draws=50)
    assert a["floor"] == pytest.approx(1 / 51) and a["p"] >= a["floor"]
    assert a["mc_se"] == pytest.approx(np.sqrt(a["p"] * (1 - a["p"]) / 50))


def test_index_answers_are_the_chapters_numbers(real):
    from nqp_helpers.chapters import index as ch

    a = ex.ex02_rank_year("real", 0, rank_year=2010)
    direct = ch.rank_comparison(real, ch.build_indices(real, "paper"), 2010).numbers
    assert a["year_alt"] == direct["rank_year_used"] == 2010
    assert a["rho_entropy_alt"] == pytest.approx(direct["rho_entropy"]) and a["rho_entropy_alt"] < 1
    assert a["moved_equal_alt"] == pytest.approx(direct["moved_equal"])
    w = ex.ex02_weights("real", 0, weights="entropy")
    ent = ch.build_indices(load_panel("real", weights="entropy"), "entropy").headline["Pro"]
    assert w["mean_alt"] == pytest.approx(float(ent.mean())) and w["mean_alt"] != pytest.approx(w["mean_base"])
    same = ex.ex02_weights("real", 0, weights="paper")
    assert (same["mean_alt"], same["rise_alt"]) == (same["mean_base"], same["rise_base"])


def test_heterogeneity_answers_are_the_chapters_pairwise_tests(real):
    from nqp_helpers.chapters import heterogeneity as het
    from nqp_helpers.data.attributes import subgroups

    sg = subgroups(real)
    present = [s for s in het.SPLITS if s in sg.columns]
    _, pairs = het.equality_tests(real.join(sg), present, "Pro", n_perm=9, seed=1, alpha=0.05, track="real")
    a = ex.ex07_alpha("real", 0, alpha=0.10)
    assert a["pairs"] == len(pairs) > 0
    assert a["n_base"] == int(pairs["survives"].sum()) and a["n_alt"] == int((pairs["p_holm"] < 0.10).sum())
    everything = ex.ex07_alpha("real", 0, alpha=1.0)
    assert everything["n_alt"] == len(pairs)
    assert everything["changed"].count("Holm p") == len(pairs) - a["n_base"]
    s = ex.ex07_scenario("real", 0)  # the scenario is a semi-synthetic parameter: no effect on the real track
    assert (s["n_base"], s["list_base"]) == (s["n_alt"], s["list_alt"]) == (a["n_base"], s["list_alt"])


def test_first_stage_answer_is_text(real):
    a = ex.ex05_real_first_stage()
    assert set(a) == {"F_iv_ntl", "F_iv_lzh"} and all(isinstance(v, str) and v for v in a.values())


def test_speccurve_answers_on_a_small_table():
    rows = []
    for w in ("paper", "equal"):
        for cl, se in (("city", 0.1), ("province", 0.3)):
            est = 0.25 if w == "paper" else -0.05
            rows.append(
                dict(
                    outcome="Obj",
                    weights=w,
                    controls="paper",
                    sample="all",
                    estimator="twfe",
                    cluster=cl,
                    estimate=est,
                    conf_low=est - 1.96 * se,
                    conf_high=est + 1.96 * se,
                )
            )
    specs = pd.DataFrame(rows)
    o = ex.ex14_outcome(specs, "Obj")
    assert (o["n"], o["min"], o["max"], o["share_sig_pos"]) == (4, -0.05, 0.25, 0.25)
    c = ex.ex14_cluster(specs, "Obj")
    assert (c["pairs"], c["flips"], c["max_est_diff"]) == (2, 1, 0.0)


# --- 08 audit: the paper's printed table (data/paper), no panel ----------------------------------------------------
def test_audit_cluster_answer_matches_the_stars_check():
    from nqp_helpers.audit import check_stars
    from nqp_helpers.reported import reported_results

    table = reported_results(None)
    a = ex.ex08_n_clusters(table, n_clusters=30)
    for key, g in (("base", 278), ("alt", 30)):
        direct = check_stars(table, n_clusters=g)["status"].value_counts()
        assert a[f"boundary_{key}"] == direct.get("boundary", 0)
        assert a[f"inconsistent_{key}"] == direct.get("inconsistent", 0)
    assert a["flips"] >= abs(a["boundary_alt"] - a["boundary_base"])
    assert a["n_stars"] == a["consistent_alt"] + a["boundary_alt"] + a["inconsistent_alt"]
    assert a["n_bad_alt"] > a["n_bad_base"]  # 30 x 20 is not the panel's N: the same parameter is G and cities
    same = ex.ex08_n_clusters(table, n_clusters=278)
    assert same["flips"] == 0 and same["headline_alt"] == same["headline_base"]


def test_audit_years_answer_matches_the_sample_size_check():
    from nqp_helpers.audit import check_sample_sizes
    from nqp_helpers.reported import reported_results

    table = reported_results(None)
    a = ex.ex08_n_years(table, n_years=19)
    direct = check_sample_sizes(table, n_years=19)
    full = direct[(direct["check"] == "n_full_panel") & (direct["status"] != "info")]
    assert (a["tested"], a["ok_alt"]) == (len(full), int((full["status"] == "consistent").sum()))
    assert a["implied_alt"] == 278 * 19 and a["ok_base"] >= a["ok_alt"]


# --- 12 teaching lab: a tiny Monte Carlo (4 draws from 2 populations) ----------------------------------------------
@pytest.fixture(scope="module")
def lab():
    from nqp_helpers.data.real_panel import real_panel
    from nqp_helpers.montecarlo import run_montecarlo

    sk = real_panel()
    return sk, run_montecarlo(
        n_draws=4, n_populations=2, base_seed=5, skeleton=sk, progress=False, designs=("resample", "fixed")
    )


def _twfe(draws, scenario, design):
    from nqp_helpers.montecarlo import summarise

    s = summarise(draws)
    return s[(s["design"] == design) & (s["scenario"] == scenario) & (s["estimator"] == "twfe")].iloc[0]


def test_fewer_draws_answer_is_the_run_with_fewer_draws(lab):
    from nqp_helpers.errors import NQPInputError
    from nqp_helpers.montecarlo import run_montecarlo

    sk, draws = lab
    a = ex.ex12_n_draws(draws, n_draws=2)
    short = run_montecarlo(
        n_draws=2,
        n_populations=2,
        base_seed=5,
        skeleton=sk,
        progress=False,
        scenarios=("constant", "dynamic"),
        estimators=("twfe",),
    )
    for sc in ("constant", "dynamic"):
        r = _twfe(short, sc, "resample")
        assert a[f"cov_{sc}_alt"] == r["coverage"]
        assert a[f"mcse_{sc}_alt"] == pytest.approx(r["coverage_mcse"], nan_ok=True)
        assert a[f"cov_{sc}_all"] == _twfe(draws, sc, "resample")["coverage"]
    with pytest.raises(NQPInputError, match="n_draws"):
        ex.ex12_n_draws(draws, n_draws=5)


def test_more_populations_answer_is_the_run_with_more_populations(lab):
    from nqp_helpers.montecarlo import run_montecarlo

    sk, draws = lab
    a = ex.ex12_n_populations(draws, sk, 5, n_populations=3)
    r = _twfe(
        run_montecarlo(
            n_draws=3,
            n_populations=3,
            base_seed=5,
            skeleton=sk,
            progress=False,
            designs=("fixed",),
            scenarios=("constant",),
            estimators=("twfe",),
        ),
        "constant",
        "fixed",
    )
    assert (a["n_base"], a["n_alt"]) == (2, 3)
    assert a["cov_alt"] == r["coverage"] and a["se_ratio_alt"] == pytest.approx(r["se_ratio"], rel=1e-9)
    assert a["p_all_alt"] == pytest.approx(0.95**3)
    assert a["cov_base"] == _twfe(draws, "constant", "fixed")["coverage"]


def test_outcome_answer_reproduces_the_page_for_its_own_outcome(lab):
    sk, draws = lab
    a = ex.ex12_outcome(draws, sk, 5, outcome="Pro")  # the page's own outcome: the page's own numbers
    for sc in ("constant", "dynamic", "heterogeneous"):
        r = _twfe(draws, sc, "resample")
        assert a[f"{sc}_bias"] == pytest.approx(r["bias"], rel=1e-9, abs=1e-12)
        assert a[f"{sc}_mean_se"] == pytest.approx(r["mean_se"], rel=1e-9)


# --- 06 amplification: the answers equal the chapter's own computations on the semi-synthetic track ---------------
SEED06 = 20260101


def test_amplification_centring_answer_is_the_identity():
    from nqp_helpers.estimators.moderation import moderation
    from nqp_helpers.variables import CONTROLS

    a = ex.ex06_plot_outcome(SEED06, plot_outcome="Lab", moderator="Hum")
    r = moderation(load_panel("semi_synthetic", seed=SEED06), "Lab", "Hum", controls=list(CONTROLS))
    r = r.set_index("term")
    assert a["inn_0"] == pytest.approx(float(r.at["Inn", "estimate"]), abs=1e-12)
    assert a["inter_c"] == pytest.approx(a["inter_0"], abs=1e-10) and a["gap"] < 1e-10
    assert a["inn_c"] == pytest.approx(a["inn_0"] + a["inter_0"] * a["mean_m"], abs=1e-10)
    assert 0 <= a["share_le0"] <= 1


def test_amplification_seed_answer_is_the_worlds_table():
    from nqp_helpers.chapters import amplification as amp

    a = ex.ex06_seed(SEED06, other_seed=SEED06 + 1, moderator="Dig")
    w = amp.moderation_worlds(
        {
            "cell_level": load_panel("semi_synthetic", seed=SEED06 + 1),
            "city_level": load_panel("semi_synthetic", seed=SEED06 + 1, moderation="city_level"),
        }
    )
    r = w[(w["world"] == "city_level") & (w["moderator"] == "Dig")].iloc[0]
    assert (a["est_b"], a["truth_b"], a["reg_b"], a["z_b"]) == pytest.approx(
        (r["estimate"], r["truth"], r["regression_estimand"], r["z"]), abs=1e-12
    )
    c = w[(w["world"] == "cell_level") & (w["moderator"] == "Dig")].iloc[0]
    assert a["cell_z_b"] == pytest.approx(c["z"], abs=1e-12) and 0 < a["within_b"] < 1


def test_amplification_scenario_answer_counts_the_interactions():
    from nqp_helpers.estimators.moderation import moderation
    from nqp_helpers.variables import CONTROLS

    a = ex.ex06_scenario(SEED06, scenario="heterogeneous")
    p = load_panel("semi_synthetic", seed=SEED06, scenario="heterogeneous")
    r = moderation(p, "Pro", "Hum", controls=list(CONTROLS)).set_index("term").loc["Inn:Hum"]
    t = p.attrs["truth"]
    t = t[(t["estimand"] == "interaction") & (t["split"] == "Hum") & (t["outcome"] == "Pro")]["value"].iloc[0]
    assert a["hum_alt"] == pytest.approx(float(r["estimate"]), abs=1e-12)
    assert a["hum_truth_alt"] == pytest.approx(float(t), abs=1e-12)
    assert a["n_inter"] == 12 and 0 <= a["cover_base"] <= 12 and 0 <= a["cover_alt"] <= 12
    assert 0 <= a["same_alt"] <= 36 and a["att_alt"] == pytest.approx(ex.truth_att(p, "Pro"))
