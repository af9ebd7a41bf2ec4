"""Specification curve: grid size, spot checks against direct estimator calls, determinism, real-track skips."""

import numpy as np
import pandas as pd
import pytest

from nqp_helpers import speccurve as sc
from nqp_helpers.errors import NQPInputError
from nqp_helpers.estimators.imputation import imputation_did
from nqp_helpers.estimators.psm_did import psm_did
from nqp_helpers.estimators.twfe import twfe


@pytest.fixture(scope="module")
def panel():
    from nqp_helpers.data.load import load_panel

    try:
        return load_panel("semi_synthetic", seed=20260101)
    except NQPInputError as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def specs(panel):
    return sc.run_speccurve(panel, outcomes=["Pro", "Obj"])


def test_grid_size():
    g = sc.spec_grid()
    assert len(g) == 4 * 4 * 2 * 5 * 3 * 2 == 960
    assert not g.duplicated(["outcome", *sc.DIMENSIONS]).any()
    assert len(sc.spec_grid("Pro", estimator="twfe", cluster=["city"])) == 4 * 2 * 5
    with pytest.raises(NQPInputError, match="estimator"):
        sc.spec_grid(estimator="ols")
    with pytest.raises(NQPInputError, match="dimension"):
        sc.spec_grid(colour="red")


def test_every_spec_estimated(specs):
    assert len(specs) == 2 * 240
    assert specs["estimate"].notna().all()
    assert (specs["conf_low"] < specs["estimate"]).all() and (specs["estimate"] < specs["conf_high"]).all()
    # clustering changes the SE only
    a = specs.set_index(["outcome", "weights", "controls", "sample", "estimator", "cluster"])["estimate"]
    assert np.allclose(a.xs("city", level="cluster"), a.xs("province", level="cluster"), atol=1e-12)


def _direct(panel, r):
    d = sc.sample_panel(panel.sort_values(["city_code", "year"]).reset_index(drop=True), r["sample"])
    if r["weights"] != "paper":
        full, _ = sc.index_columns(panel.sort_values(["city_code", "year"]).reset_index(drop=True), [r["weights"]])
        d = d.assign(**{r["outcome"]: full.loc[d.index, f"{r['outcome']}__{r['weights']}"].to_numpy()})
    cl = sc.CLUSTER_COLUMNS[r["cluster"]]
    ctrl = list(sc.CONTROLS) if r["controls"] == "paper" else []
    if r["estimator"] == "twfe":
        return twfe(d, r["outcome"], controls=ctrl, cluster=cl).query("term == 'Inn'").iloc[0]
    if r["estimator"] == "psm_did":
        return psm_did(d, r["outcome"], controls=ctrl, cluster=cl).query("term == 'Inn'").iloc[0]
    return imputation_did(d, r["outcome"], controls=ctrl, cluster=cl, horizons=[]).query("term == 'att'").iloc[0]


def test_spot_checks_against_direct_calls(panel, specs):
    picks = pd.concat(
        [
            specs[specs["estimator"] == "twfe"].sample(4, random_state=3),
            specs[specs["estimator"] != "twfe"].sample(3, random_state=4),
        ]
    )
    for _, r in picks.iterrows():
        w = _direct(panel, r)
        assert r["estimate"] == pytest.approx(w["estimate"], rel=1e-8), r.to_dict()
        assert r["std_error"] == pytest.approx(w["std_error"], rel=1e-7), r.to_dict()
        assert r["n_obs"] == w["n_obs"]


def test_paper_weights_equal_panel_index(panel):
    idx, _ = sc.index_columns(panel, ["paper"])
    assert np.allclose(idx["Pro__paper"], panel["Pro"], atol=1e-10)


def test_deterministic_and_truth(panel, specs):
    again = sc.run_speccurve(panel, outcomes=["Pro", "Obj"])
    pd.testing.assert_frame_equal(specs, again)
    tr = panel.attrs["truth"].query("outcome == 'Pro' and estimand == 'att'")["value"].iloc[0]
    t = specs[(specs["outcome"] == "Pro") & (specs["weights"] == "paper") & (specs["sample"] == "all")]["truth"]
    assert np.allclose(t, tr, atol=1e-12)
    # every other weighting has its own exact truth: that of the re-weighted index (same bounds, same weights)
    from nqp_helpers.data.semi_synthetic import reweight_index

    ent = reweight_index(panel, "entropy").attrs["truth"]
    tr_e = ent.query("outcome == 'Pro' and estimand == 'att'")["value"].iloc[0]
    t_e = specs[(specs["outcome"] == "Pro") & (specs["weights"] == "entropy") & (specs["sample"] == "all")]["truth"]
    assert np.allclose(t_e, tr_e, atol=1e-12) and abs(tr_e - tr) > 1e-6


def test_variance_decomposition_sums_to_one(specs):
    v = sc.variance_decomposition(specs)
    tot = v.groupby("outcome")["share"].sum()
    assert np.allclose(tot, 1.0)
    assert (v.loc[v["dimension"] == "cluster", "share"] < 1e-12).all()


def test_sample_levels(panel):
    p = panel.sort_values(["city_code", "year"]).reset_index(drop=True)
    assert (sc.sample_panel(p, "no_municipalities")["admin_level"] != "municipality").all()
    assert (sc.sample_panel(p, "no_2022_cohort")["first_treat"] != 2022).all()
    e = sc.sample_panel(p, "pilot_years_earliest")
    assert len(e) == len(p) and (e["first_treat"] != p["first_treat"]).any()
    with pytest.raises(NQPInputError, match="sample"):
        sc.sample_panel(p, "odd")


# --- what chapter 14 shows, on hand-made specification tables ------------------------------------------------------


def _specs(truth=True):
    """Two weightings x two samples x two estimators for Pro; the misdated sample is off by 0.1."""
    rows = []
    for w, tv in (("paper", 1.0), ("entropy", 2.0)):
        for s in ("all", "pilot_years_latest"):
            for e, bias in (("twfe", 0.0), ("imputation_bjs", 0.05)):
                est = tv + bias + (0.1 if s.startswith("pilot_years_") else 0.0)
                rows.append(
                    dict(
                        outcome="Pro",
                        weights=w,
                        sample=s,
                        estimator=e,
                        estimate=est,
                        std_error=0.1,
                        conf_low=est - 0.2,
                        conf_high=est + 0.2,
                        truth=tv,
                        note="",
                    )
                )
    rows.append(
        dict(outcome="Pro", weights="critic", sample="all", estimator="psm_did", estimate=np.nan, note="no match")
    )
    df = pd.DataFrame(rows)
    return df if truth else df.drop(columns="truth")


def test_run_summary_lists_skips_and_times():
    p = pd.DataFrame({"x": [1]})
    p.attrs.update(track="real", index_weights=pd.DataFrame({"code": ["a1", "b2"]}))
    t = dict(total_s=1.0, psm_s=0.1, twfe_s=0.2, psm_did_s=0.3, imputation_bjs_s=0.4)
    txt = sc.run_summary(_specs(), p, t).splitlines()
    assert txt[0] == "Skipped 1 of 9 specifications on the 'real' track:" and txt[1] == "     1  no match"
    assert "(a1, b2)" in txt[2] and txt[3].startswith("Computed in 1.0 s (PSM matching 0.1 s")
    p.attrs["track"] = "user"
    assert sc.run_summary(_specs().dropna(subset=["estimate"]), p, t).startswith("All 8 specifications estimated.")
    assert sc.true_att(p, "Pro") is None


def test_curve_values_truth_sentences_and_means():
    one = sc.outcome_specs(_specs(), "Pro")
    assert len(one) == 8
    v = sc.curve_values(one)
    assert v["o_min"] == 1.0 and v["o_max"] == pytest.approx(2.15) and v["o_share_sig"] == 1.0
    s = sc.truth_sentences(_specs(), "Pro")
    assert (
        s["truth_range"] == "the true ATT on Pro is 1.000 with paper weights and 2.000 with entropy weights "
        "(paper weights: 1.000)"
    )
    assert "ranges from 0.000 to 0.050" in s["truth_verdict"] and "at most 0.5 standard errors" in s["truth_verdict"]
    assert "recovers its own truth" in s["truth_verdict"] and "+0.125 on average (latest dates)" in s["truth_verdict"]
    assert sc.truth_sentences(_specs(truth=False), "Pro")["truth_verdict"] == "not known on this track."
    m = sc.mean_by_weighting(one)
    assert m.at["paper", "twfe"] == pytest.approx(1.05) and m.at["entropy", "truth (all cities)"] == 2.0
    assert sc.mean_by_weighting(one.iloc[:0]).empty


def test_decomposition_table_and_values():
    vd = pd.DataFrame(
        {"outcome": "Pro", "dimension": [*sc.DIMENSIONS, "interactions"], "share": [0.5, 0.1, 0.2, 0.15, 0.0, 0.05]}
    )
    wide = sc.decomposition_table(vd)
    assert list(wide.index) == [*sc.DIMENSIONS, "interactions"] and list(wide.columns) == ["Pro"]
    v = sc.decomposition_values(wide, "Pro")
    assert v["top_dim"] == "weights" and v["top_share"] == 0.5 and v["cluster_share"] == 0.0
    assert v["vd_Pro_sample"] == 0.2 and np.isnan(sc.decomposition_values(wide, "Lab")["top_share"])
