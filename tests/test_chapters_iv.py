"""Chapter 05's report layer (nqp_helpers.chapters.iv): availability, first stage, Table 4, the split, violation."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from nqp_helpers.chapters import iv as ch
from nqp_helpers.data.load import load_panel
from nqp_helpers.display import fmt_num
from nqp_helpers.estimators.iv import iv_twfe
from nqp_helpers.reported import reported
from nqp_helpers.variables import CONTROLS, INSTRUMENTS

SEED = 20260101
OUT = ["Pro", "Lab"]


@pytest.fixture(scope="module")
def semi():
    return load_panel("semi_synthetic", seed=SEED)


@pytest.fixture(scope="module")
def t4(semi):
    return ch.table4(semi, list(INSTRUMENTS), OUT, SEED)


@pytest.fixture(scope="module")
def fs(semi):
    return ch.first_stage(semi, list(INSTRUMENTS), OUT)


def test_availability_by_track(semi):
    a = ch.availability(semi)
    assert a.run and a.instruments == list(INSTRUMENTS) and "simulated" in a.note()
    real = ch.availability(load_panel("real"))
    assert "iv_lzh" not in real.instruments and "`iv_lzh`) cannot be run" in real.note()
    assert "proxy" in real.note() and "Outcome(s) absent on this track: Mea" in real.note()
    none = ch.availability(semi.drop(columns=list(INSTRUMENTS) + ["Fin"]))
    assert not none.run and "neither instrument" in none.note() and "control(s) Fin are absent" in none.note()
    user_panel = semi.copy()
    user_panel.attrs = {"track": "user"}
    assert ch.availability(user_panel).note().startswith("Instruments estimated: iv_ntl, iv_lzh; outcomes: Pro")


def test_shift_year_correlation(semi):
    assert ch.shift_year_correlation(semi) == pytest.approx(np.corrcoef(semi["rd_intensity_lag"], semi["year"])[0, 1])
    assert ch.shift_year_correlation(semi.drop(columns="rd_intensity_lag")) == "n/a"


def test_first_stage_rows_and_verdict(fs):
    assert list(fs["instrument"]) == ["iv_ntl", "iv_ntl", "iv_lzh", "iv_lzh"] and list(fs["term"]) == list(
        fs["instrument"]
    )
    n = ch.first_stage_numbers(fs)
    assert n["F_iv_ntl"] == float(fs.loc[fs.instrument == "iv_ntl", "first_stage_F"].iloc[0])
    for f, start in (
        (30.0, "every instrument estimated here clears both"),
        (15.0, "every instrument estimated here clears the rule of thumb"),
        (5.0, "at least one instrument"),
    ):
        fake = pd.DataFrame({"instrument": ["iv_ntl"], "first_stage_F": [f]})
        n = ch.first_stage_numbers(fake)
        assert n["F_verdict"].startswith(start) and n["F_iv_lzh"] == "n/a"


def test_table4_columns(semi, t4):
    tab = t4.table
    inn = tab[tab.term == "Inn"]
    assert set(inn["instrument"]) == set(INSTRUMENTS) and len(inn) == 8  # the paper's 8 columns
    assert inn["estimate"].notna().sum() == 4 and set(inn.loc[inn.estimate.isna(), "outcome"]) == {"Mea", "Obj"}
    direct = iv_twfe(semi, "Lab", instruments=["iv_lzh"], controls=list(CONTROLS))
    row = inn[(inn.instrument == "iv_lzh") & (inn.outcome == "Lab")].iloc[0]
    assert row["estimate"] == float(direct["estimate"].iloc[0]) and row["spec"] == "iv_laozihao"
    np.testing.assert_allclose(inn["iv_ols_ratio"], inn["estimate"] / inn["ols_estimate"])
    np.testing.assert_allclose(inn["truth"], inn["outcome"].map(ch.true_att(semi)))
    paper_ols = float(reported(2, "Pro", "baseline_controls")["coef"].iloc[0])
    assert inn.loc[inn.outcome == "Pro", "ols_paper"].eq(paper_ols).all()
    assert tab.loc[tab.term != "Inn", ["truth", "first_stage_F"]].isna().all().all()
    n = ch.ratio_numbers(t4)
    assert n["ratio_min"] == inn["iv_ols_ratio"].min() and n["ols_Pro"] == float(t4.ols["Pro"].estimate.iloc[0])
    assert n["iv_lzh_Pro"] == float(inn.loc[(inn.instrument == "iv_lzh") & (inn.outcome == "Pro"), "estimate"].iloc[0])
    layout = ch.table4_layout(t4, list(INSTRUMENTS), OUT, ch.true_att(semi))
    assert "and the truth" in layout.caption
    fig = ch.iv_figure(inn, with_truth=True)
    assert fig.axes[0].get_legend() is not None
    plt.close(fig)


def test_split_adds_up_and_reads_the_numbers(semi, t4, fs):
    d = ch.decompose(semi, ["Pro"], list(INSTRUMENTS), "exclusion not imposed")
    assert list(d["estimator"]) == ["OLS (TWFE)", "2SLS iv_ntl", "2SLS iv_lzh"]
    np.testing.assert_allclose(d["estimate"], d["bias_term"] + d["weighted_effect"], atol=1e-10)
    iv_est = t4.table.query("term == 'Inn' and outcome == 'Pro' and instrument == 'iv_ntl'")["estimate"].iloc[0]
    assert d.loc[d.estimator == "2SLS iv_ntl", "estimate"].iloc[0] == pytest.approx(iv_est, abs=1e-8)
    text = ch.split_text(semi, d, t4, fs, list(INSTRUMENTS))
    assert text.startswith(f"**What the split shows (Pro).** True ATT {fmt_num(d['att'].iloc[0])}.")
    assert "was *not* told to violate exclusion" in text
    violated = semi.copy()
    violated.attrs = {**semi.attrs, "options": {"iv_exclusion_violation": True}}
    assert "simulated with `iv_exclusion_violation=True`" in ch.split_text(violated, d, t4, fs, list(INSTRUMENTS))


def test_violation_moves_the_estimates(t4):
    v = ch.violation(SEED, t4, ["iv_ntl"], ["Pro"])
    assert (
        len(v) == 1
        and v["estimate_default"].iloc[0]
        == t4.table.query("term == 'Inn' and outcome == 'Pro' and instrument == 'iv_ntl'")["estimate"].iloc[0]
    )
    n = ch.violation_numbers(v, ["iv_ntl"], ["Pro"])
    assert n["viol_Pro_ntl"] == v["estimate_violation"].iloc[0]
    assert n["viol_err1"] > n["viol_err0"]  # a direct effect of the instrument biases 2SLS
    assert f"{fmt_num(n['viol_err1'])} with the direct effect" in ch.violation_text(n)
    assert ch.violation_numbers(None) == {"viol_err0": "n/a", "viol_err1": "n/a", "viol_Pro_ntl": "n/a"}
