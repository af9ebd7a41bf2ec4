"""Paper-vs-ours comparison and the paper-layout regression table."""

import numpy as np
import pandas as pd
import pytest

from nqp_helpers.compare import compare_to_paper
from nqp_helpers.errors import NQPInputError


def _tidy(outcome, est, se, p, n=5560, term="Inn", **extra):
    return pd.DataFrame(
        {
            "term": [term],
            "estimate": [est],
            "std_error": [se],
            "statistic": [est / se],
            "p_value": [p],
            "conf_low": [est - 2 * se],
            "conf_high": [est + 2 * se],
            "n_obs": [n],
            "n_clusters": [278],
            "estimator": ["twfe"],
            "outcome": [outcome],
            **extra,
        }
    )


@pytest.fixture
def ours():
    return pd.concat(
        [
            _tidy("Pro", 0.40, 0.15, 0.008).assign(spec="twfe_controls"),  # same sign & *** -> same
            _tidy("Lab", 0.70, 0.30, 0.02).assign(spec="twfe_controls"),  # ** vs paper *** -> significance differs
            _tidy("Mea", 0.05, 0.10, 0.60).assign(spec="twfe_controls"),  # not significant here
            _tidy("Obj", -0.20, 0.10, 0.04).assign(spec="twfe_controls"),  # sign differs
        ],
        ignore_index=True,
    )


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
