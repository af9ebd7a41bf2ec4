"""The paper's Figure-1 claims (``data/paper/heterogeneity_claims.csv``, read by ``reported.heterogeneity_claims``)
checked against the group estimates of a run: a significance claim against the group's own split-sample TWFE
(p < 0.10 and positive, the paper's own reading), an ordering claim against the pooled model's Holm-adjusted pairwise
test. Figure 1 prints no numbers, so unlike the other audit checks these need estimates; chapter 07 supplies them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.semi_synthetic.truth import true_values
from ..errors import NQPInputError
from ..reported import heterogeneity_claims

NOT_TESTABLE = "not testable on this track"
SIGNIFICANCE = 0.10  # the paper's weakest star


def _claims(claims) -> pd.DataFrame:
    """``"paper"`` -> the paper's claims from ``heterogeneity_claims.csv``; a frame passes through."""
    if isinstance(claims, str):
        if claims != "paper":
            raise NQPInputError(f"claims must be 'paper' or a DataFrame, got {claims!r}")
        return heterogeneity_claims()
    return claims


def claim_text(kind: str, a: str, b) -> str:
    """The claim as the table states it: ``a > b``, ``a significant`` or ``a not significant``."""
    return f"{a} > {b}" if kind == "greater" else f"{a} {'significant' if kind == 'signif' else 'not significant'}"


def _check_one(c, pairs: pd.DataFrame, fig1: pd.DataFrame, alpha: float) -> dict:
    """One claim: an ordering against the Holm-adjusted pairwise test, a significance claim against the group's own
    split-sample TWFE (p < 0.10 and positive)."""
    split, kind, a, b = c.split, c.kind, c.group_a, c.group_b
    row = dict(split=split, claim=claim_text(kind, a, b), kind=kind, estimate=np.nan, p=np.nan, holds=NOT_TESTABLE)
    if kind == "greater":
        hit = pairs[
            (pairs["split"] == split)
            & (
                ((pairs["group_a"] == a) & (pairs["group_b"] == b))
                | ((pairs["group_a"] == b) & (pairs["group_b"] == a))
            )
        ]
        if len(hit):
            h = hit.iloc[0]
            diff = h["estimate"] if h["group_a"] == a else -h["estimate"]
            row.update(
                estimate=diff,
                p=h["p_holm"],
                holds="yes"
                if diff > 0 and h["p_holm"] < alpha
                else ("same sign, not significant after Holm" if diff > 0 else "no (opposite sign)"),
            )
        return row
    hit = (
        fig1[
            (fig1["split"] == split)
            & (fig1["group_value"] == a)
            & fig1["estimate"].notna()
            & (fig1["estimator"] == "subgroup_twfe")
        ]
        if len(fig1)
        else fig1
    )
    if len(hit):
        h = hit.iloc[0]
        sig = h["p_value"] < SIGNIFICANCE and h["estimate"] > 0
        row.update(estimate=h["estimate"], p=h["p_value"], holds="yes" if sig == (kind == "signif") else "no")
    return row


def check_heterogeneity_claims(
    claims,
    pairs: pd.DataFrame,
    fig1: pd.DataFrame,
    alpha: float,
    outcome: str,
    track: str,
    truth: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Each heterogeneity claim (``"paper"`` = the paper's, or a frame with ``split, kind, group_a, group_b``) checked
    against ``fig1`` (chapter 07's Figure 1 table) and ``pairs`` (its Holm-adjusted pairwise orderings); with
    ``truth`` (semi-synthetic track) ``true_difference`` gives the truth of each ordering."""
    claims = _claims(claims)
    out = pd.DataFrame([_check_one(c, pairs, fig1, alpha) for c in claims.itertuples(index=False)])
    out = out.assign(outcome=outcome, track=track)
    if truth is not None:
        tv = true_values(truth, "att_by_group", outcome=outcome, by=("split", "group"))
        out["true_difference"] = [
            float(tv[(sp, a)] - tv[(sp, b)]) if k == "greater" and (sp, a) in tv and (sp, b) in tv else np.nan
            for sp, k, a, b in zip(claims["split"], claims["kind"], claims["group_a"], claims["group_b"])
        ]
    return out


def heterogeneity_claim_values(checked: pd.DataFrame) -> dict[str, str]:
    """Glued strings: orderings stated and surviving, claims holding and untestable, and what the truth says."""
    ordering = checked["kind"] == "greater"
    out = {
        "n_orderings": str(int(ordering.sum())),
        "n_orderings_survive": str(int((ordering & (checked["holds"] == "yes")).sum())),
        "n_claims_hold": f"{int((checked['holds'] == 'yes').sum())} of {len(checked)}",
        "n_claims_untestable": str(int((checked["holds"] == NOT_TESTABLE).sum())),
    }
    if "true_difference" not in checked:
        out["truth_orderings"] = "the true group effects are not known on this track"
        return out
    g = checked[ordering & checked["true_difference"].notna()]
    reversed_ = [f"{sp}: {c}" for sp, c, v in zip(g["split"], g["claim"], g["true_difference"]) if v <= 0]
    out["truth_orderings"] = (
        f"the true group effects follow {int((g['true_difference'] > 0).sum())} of the "
        f"{len(g)} stated orderings that can be evaluated" + (f" (not: {'; '.join(reversed_)})" if reversed_ else "")
    )
    return out
