"""Paper-vs-ours comparison and the paper-layout regression table."""
import numpy as np
import pandas as pd
import pytest

from nqp_helpers.compare import compare_to_paper, regression_table, style_table
from nqp_helpers.errors import NQPInputError


def _tidy(outcome, est, se, p, n=5560, term="Inn", **extra):
    return pd.DataFrame({"term": [term], "estimate": [est], "std_error": [se], "statistic": [est / se],
                         "p_value": [p], "conf_low": [est - 2 * se], "conf_high": [est + 2 * se], "n_obs": [n],
                         "n_clusters": [278], "estimator": ["twfe"], "outcome": [outcome], **extra})


@pytest.fixture
def ours():
    return pd.concat([
        _tidy("Pro", 0.40, 0.15, 0.008).assign(spec="twfe_controls"),     # same sign & *** -> same
        _tidy("Lab", 0.70, 0.30, 0.02).assign(spec="twfe_controls"),      # ** vs paper *** -> significance differs
        _tidy("Mea", 0.05, 0.10, 0.60).assign(spec="twfe_controls"),      # not significant here
        _tidy("Obj", -0.20, 0.10, 0.04).assign(spec="twfe_controls"),     # sign differs
    ], ignore_index=True)


def test_compare_status_words(ours):
    c = compare_to_paper(ours, 2, {"twfe_controls": "baseline_controls"})
    inn = c[c["term"] == "Inn"].set_index("outcome")
    assert inn.at["Pro", "status"] == "same sign & significance"
    assert inn.at["Lab", "status"] == "same sign, significance differs"
    assert inn.at["Mea", "status"] == "not significant here"
    assert inn.at["Obj", "status"] == "sign differs"
    assert inn.at["Pro", "difference"] == pytest.approx(0.40 - 0.413)
    assert inn.at["Pro", "coef_paper"] == pytest.approx(0.413) and inn.at["Pro", "n_paper"] == 5560
    # the paper's intercepts were not estimated here
    assert (c.loc[c["term"] == "const", "status"] == "not estimable on this track").all()
    assert len(c) == 8 and set(c["spec"]) == {"baseline_controls"}


def test_compare_dict_input_and_truth(ours):
    by_model = {"m": ours[ours["outcome"] == "Pro"]}
    c = compare_to_paper(by_model, 2, {"m": "baseline_controls"}, truth={"Pro": 0.5})
    r = c[(c["term"] == "Inn") & (c["outcome"] == "Pro")].iloc[0]
    assert r["truth"] == 0.5 and r["estimate_minus_truth"] == pytest.approx(-0.1)
    assert r["paper_minus_truth"] == pytest.approx(0.413 - 0.5)
    lab = c[(c["term"] == "Inn") & (c["outcome"] == "Lab")].iloc[0]
    assert lab["status"] == "not estimable on this track" and np.isnan(lab["estimate"])


def test_compare_single_spec_and_errors(ours):
    c = compare_to_paper(ours.drop(columns="spec"), 2, "baseline_controls")
    assert (c.loc[c["term"] == "Inn", "status"] != "not estimable on this track").all()
    with pytest.raises(NQPInputError, match="table 9"):
        compare_to_paper(ours, 9, "x")
    with pytest.raises(NQPInputError, match="spec"):
        compare_to_paper(ours.drop(columns="spec"), 2, {"a": "baseline_controls"})
    with pytest.raises(NQPInputError, match="available"):
        compare_to_paper(ours, 2, {"twfe_controls": "baseline_typo"})


def test_regression_table_layout():
    res = {"(1)": _tidy("Pro", 0.484, 0.186, 0.009, r2_within=0.1, r2_overall=0.87),
           "(2)": pd.concat([_tidy("Pro", 0.413, 0.155, 0.03, r2_within=0.2, r2_overall=0.9),
                             _tidy("Pro", 0.01, 0.02, 0.5, term="Eco")], ignore_index=True)}
    t = regression_table(res, ["Inn", "Eco"], paper={"(1)": (2, 1), "(2)": (2, 2)},
                         controls={"(1)": False, "(2)": True})
    assert list(t.columns) == ["(1)", "(2)"]
    assert t.iloc[0].tolist() == ["0.484***", "0.413**"]
    assert t.iloc[1].tolist() == ["(0.186)", "(0.155)"]
    assert t.iloc[2, 0] == "paper: 0.484*** (0.186)"
    assert t.iloc[3].tolist() == ["", "0.010"]          # Eco only in model 2
    labels = list(t.index)
    assert labels[:3] == ["Inn", "", ""]
    assert labels[-6:] == ["Controls", "City FE", "Year FE", "N", "R² (within)", "R²"]
    assert t.loc["Controls"].tolist() == ["No", "Yes"] and t.loc["N"].tolist() == ["5560", "5560"]
    assert t.loc["R²"].tolist() == ["0.870", "0.900"]
    assert (t.map(type) == str).all().all()
    html = style_table(t, caption="Table 2").to_html()
    assert "Table 2" in html and "0.484***" in html


def test_regression_table_without_paper_or_stats():
    t = regression_table({"A": _tidy("Lab", -0.0001, 0.1, 0.99)}, ["Inn"], stats=("n_obs", "r2_within"))
    assert t.iloc[0, 0] == "0.000" and "R² (within)" not in t.index and t.loc["Controls", "A"] == ""
    with pytest.raises(NQPInputError):
        regression_table({}, ["Inn"])


def test_compare_accepts_semi_synthetic_truth_table():
    truth = pd.DataFrame({"outcome": ["Lab", "Lab", "Lab"], "estimand": ["att", "att_by_cohort", "interaction"],
                          "split": ["", "", "Hum"], "value": [0.7, 9.9, 0.5]})
    ours = {"m": pd.concat([_tidy("Lab", 0.6, 0.3, 0.04), _tidy("Lab", 0.45, 0.2, 0.03, term="Inn:Hum")])}
    c = compare_to_paper(ours, 5, {"m": "moderation_Hum"}, truth=truth).set_index(["outcome", "term"])
    assert c.at[("Lab", "Inn"), "truth"] == 0.7 and c.at[("Lab", "Inn:Hum"), "truth"] == 0.5
    assert c.at[("Lab", "Inn:Hum"), "estimate_minus_truth"] == pytest.approx(-0.05)
    assert np.isnan(c.at[("Pro", "Inn"), "truth"])
