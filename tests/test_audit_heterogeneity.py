"""The paper's heterogeneity claims checked against group estimates (nqp_helpers.audit.heterogeneity)."""

import pandas as pd
import pytest

from nqp_helpers.audit import check_heterogeneity_claims, heterogeneity_claim_values
from nqp_helpers.audit.heterogeneity import NOT_TESTABLE
from nqp_helpers.errors import NQPInputError
from nqp_helpers.reported import heterogeneity_claims


def test_check_claims_reads_both_directions_and_says_why():
    claims = pd.DataFrame(
        [
            dict(split="admin", kind="greater", group_a="hub", group_b="other"),
            dict(split="admin", kind="greater", group_a="other", group_b="hub"),
            dict(split="admin", kind="signif", group_a="hub", group_b=""),
            dict(split="admin", kind="not_signif", group_a="other", group_b=""),
            dict(split="size", kind="signif", group_a="small", group_b=""),
        ]
    )
    pairs = pd.DataFrame([dict(split="admin", group_a="other", group_b="hub", estimate=-0.3, p_holm=0.01)])
    fig1 = pd.DataFrame(
        [
            dict(split="admin", group_value="hub", estimator="subgroup_twfe", estimate=0.5, p_value=0.01),
            dict(split="admin", group_value="other", estimator="subgroup_twfe", estimate=0.2, p_value=0.3),
        ]
    )
    truth = pd.DataFrame(
        {"estimand": "att_by_group", "outcome": "Pro", "split": "admin", "group": ["hub", "other"], "value": [0.4, 0.6]}
    )
    out = check_heterogeneity_claims(claims, pairs, fig1, 0.05, "Pro", "user", truth)
    assert list(out["claim"]) == [
        "hub > other",
        "other > hub",
        "hub significant",
        "other not significant",
        "small significant",
    ]
    assert list(out["holds"]) == ["yes", "no (opposite sign)", "yes", "yes", NOT_TESTABLE]
    assert out["estimate"].iloc[0] == pytest.approx(0.3) and out["true_difference"].iloc[0] == pytest.approx(-0.2)
    v = heterogeneity_claim_values(out)
    assert v["n_orderings"] == "2" and v["n_orderings_survive"] == "1" and v["n_claims_hold"] == "3 of 5"
    assert v["n_claims_untestable"] == "1"
    assert v["truth_orderings"] == (
        "the true group effects follow 1 of the 2 stated orderings that can be evaluated (not: admin: hub > other)"
    )
    no_truth = check_heterogeneity_claims(claims, pairs, fig1, 0.05, "Pro", "real")
    assert "not known" in heterogeneity_claim_values(no_truth)["truth_orderings"]


def test_paper_claims_by_default():
    pairs = pd.DataFrame(columns=["split", "group_a", "group_b", "estimate", "p_holm"])
    out = check_heterogeneity_claims("paper", pairs, pd.DataFrame(), 0.05, "Pro", "real")
    assert len(out) == len(heterogeneity_claims()) and (out["holds"] == NOT_TESTABLE).all()
    with pytest.raises(NQPInputError, match="claims must be"):
        check_heterogeneity_claims("mine", pairs, pd.DataFrame(), 0.05, "Pro", "real")
