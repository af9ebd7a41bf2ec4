"""Chapter 04's report layer (nqp_helpers.chapters.psm_did): availability, balance, Table 3 and the matched N."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from nqp_helpers.chapters import psm_did as ch
from nqp_helpers.data.load import load_panel
from nqp_helpers.display import fmt_num
from nqp_helpers.estimators.psm_did import psm_did
from nqp_helpers.reported import reported
from nqp_helpers.variables import CONTROLS, OUTCOMES

SEED = 20260101


@pytest.fixture(scope="module")
def semi():
    return load_panel("semi_synthetic", seed=SEED)


@pytest.fixture(scope="module")
def methods():
    return ch.matching_methods(0.05, 1)


@pytest.fixture(scope="module")
def samples(semi, methods):
    return ch.matched_samples(semi, methods, "year", SEED)


@pytest.fixture(scope="module")
def t3(semi, samples, methods):
    return ch.table3(
        semi, samples, methods, list(OUTCOMES), ps_by="year", sample="matched", seed=SEED, caliper=0.05, n_neighbors=1
    )


def test_availability_names_missing_controls_and_outcomes(semi):
    a = ch.availability(semi)
    assert a.run and a.notes() == [] and a.outcomes == list(OUTCOMES)
    assert a.summary().startswith(f"{a.n_complete} of {len(semi)} city-years")
    b = ch.availability(semi.drop(columns=["Gov"]).assign(Mea=np.nan))
    assert not b.run and b.missing == ["Gov"] and b.absent == ["Mea"] and b.n_complete == 0
    assert "control(s) Gov are absent" in b.notes()[0] and "Mea" in b.notes()[1]


def test_missing_numbers_cover_every_glued_number(methods):
    n = ch.glued_missing(methods)
    assert set(n.values()) == {"n/a"} and {"est_radius_Pro", "est_nearest_Pro", "max_gap_truth"} <= set(n)


def test_balance_summary_counts(samples):
    balance, n = ch.balance_summary(samples, "year")
    assert set(balance["method"]) == {"radius", "nearest"} and (balance["ps_by"] == "year").all()
    assert n["max_smd_before"] == balance["smd_before"].abs().max()
    for m in ("radius", "nearest"):
        after = balance.loc[balance.method == m, "smd_after"].abs()
        assert n[f"n_bad_{m}"] == int((after > 0.1).sum()) and n[f"max_smd_after_{m}"] == after.max()
    s = samples["radius"]
    assert n["n_off_support_radius"] == int((~s["_on_support"] & (s["_treat"] > 0)).sum())
    fig = ch.overlap_figure(samples)
    assert [ax.get_title() for ax in fig.axes] == [
        "Before matching",
        "After radius matching",
        "After nearest-neighbour matching",
    ]
    plt.close(fig)


def test_table3_rows_match_direct_estimates(semi, t3):
    tab = t3.table
    assert set(tab["spec"]) == {"psm_radius", "psm_nearest", "psm_radius_pooled", "psm_nearest_pooled"}
    direct = psm_did(
        semi,
        "Lab",
        covariates=list(CONTROLS),
        ps_by="pooled",
        sample="matched",
        first_treat="first_treat",
        seed=SEED,
        method="nearest",
        n_neighbors=1,
    )
    row = tab[(tab.spec == "psm_nearest_pooled") & (tab.outcome == "Lab") & (tab.term == "Inn")].iloc[0]
    assert row["estimate"] == float(direct["estimate"].iloc[0]) and row["ps_by"] == "pooled"
    inn = tab[tab.term == "Inn"]
    att = semi.attrs["truth"].query("estimand == 'att'").set_index("outcome")["value"]
    np.testing.assert_allclose(inn["truth"], inn["outcome"].map(att))
    assert tab.loc[tab.term != "Inn", ["truth", "truth_sample"]].isna().all().all()
    assert inn["truth_sample"].notna().all() and (inn["method"].isin(["radius", "nearest"])).all()
    layout = ch.table3_layout(t3, list(OUTCOMES), ch.matching_methods(0.05, 1))
    assert "and the truth" in layout.caption


def test_headline_numbers_and_check(semi, t3):
    methods = ch.matching_methods(0.05, 1)
    base = ch.add_baseline(t3, semi, list(OUTCOMES))
    inn = t3.table[t3.table.term == "Inn"]
    assert (inn["baseline_twfe"] == inn["outcome"].map(base)).all()
    n = ch.headline_numbers(t3, methods, list(OUTCOMES))
    est = inn.set_index(["spec", "outcome"])["estimate"]
    assert n["est_nearest_Obj"] == est[("psm_nearest", "Obj")]
    assert n["paper_radius_Pro"] == float(reported(3, "Pro", "psm_radius")["coef"].iloc[0])
    main = inn[inn.spec.isin(["psm_radius", "psm_nearest"])]
    assert n["max_gap_truth"] == pytest.approx((main["estimate"] - main["truth"]).abs().max())
    text = ch.semi_synthetic_check(t3, base, methods, len(semi))
    assert f"True ATT for Pro: {fmt_num(t3.truth['Pro'])}" in text and f"of {fmt_num(len(semi))} rows" in text
    z = ((main["estimate"] - main["truth_sample"]).abs() / main["std_error"]).max()
    assert ("Every PSM-DID column is within 1.96" in text) == (z < 1.96)


def test_no_truth_no_check(t3):
    bare = ch.Table3(t3.table, t3.fits, {})
    assert ch.semi_synthetic_check(bare, {}, {}, 0).startswith("No true effects")
    assert ch.headline_numbers(bare, ch.matching_methods(0.05, 1), ["Pro"])["max_gap_truth"] == "n/a"


def test_matched_n_is_one_sample_per_reading(semi):
    n = ch.matched_n(semi, ch.matching_methods(0.05, 1), ["Pro", "Lab"], SEED)
    ours = n[n["sample"] != "paper"]
    assert len(ours) == 8 and (ours["N Pro"] == ours["N Lab"]).all()  # the score never sees the outcome
    support = ours[(ours["sample"] == "support")].set_index(["method", "ps_by"])["N Pro"]
    assert support[("radius", "year")] == support[("nearest", "year")]  # support does not depend on the rule
    paper = n[n["sample"] == "paper"].set_index("method")
    assert paper.loc["radius", "N Lab"] == int(reported(3, "Lab", "psm_radius")["n"].iloc[0])
