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
    fake.attrs["truth"] = pd.DataFrame({"outcome": ["Pro", "Pro"], "estimand": ["att", "att_by_cohort"],
                                        "value": [0.5, 0.7]})
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


def test_first_stage_answer_is_text(real):
    a = ex.ex05_real_first_stage()
    assert set(a) == {"F_iv_ntl", "F_iv_lzh"} and all(isinstance(v, str) and v for v in a.values())


def test_speccurve_answers_on_a_small_table():
    rows = []
    for w in ("paper", "equal"):
        for cl, se in (("city", 0.1), ("province", 0.3)):
            est = 0.25 if w == "paper" else -0.05
            rows.append(dict(outcome="Obj", weights=w, controls="paper", sample="all", estimator="twfe", cluster=cl,
                             estimate=est, conf_low=est - 1.96 * se, conf_high=est + 1.96 * se))
    specs = pd.DataFrame(rows)
    o = ex.ex14_outcome(specs, "Obj")
    assert (o["n"], o["min"], o["max"], o["share_sig_pos"]) == (4, -0.05, 0.25, 0.25)
    c = ex.ex14_cluster(specs, "Obj")
    assert (c["pairs"], c["flips"], c["max_est_diff"]) == (2, 1, 0.0)
