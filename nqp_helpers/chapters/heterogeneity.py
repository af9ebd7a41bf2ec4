"""Figure 1 (subgroup heterogeneity) as a results table: per group the paper's split-sample TWFE, the imputation
(BJS) estimate for the same rows, the group's truth, and the attribution of every TWFE miss beyond 2 SE.

The attribution is the exact split used for Table 2 (``estimators.heterogeneity.subgroup_gap_split``): TWFE =
trend gap (coefficient on the untreated outcome) + effect part, weighting gap = effect part − the group's ATT.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .estimators.heterogeneity import subgroup_gap_split, subgroup_robust

ESTIMATOR_LABELS = {"subgroup_twfe": "TWFE, split sample (paper)", "imputation_bjs": "Imputation (BJS)"}


def figure1_rows(x: pd.DataFrame, outcome: str, split: str, controls, truth: pd.DataFrame | None = None
                 ) -> pd.DataFrame:
    """Rows of one split (``x``: usable rows, ``split`` the group column): both estimators per group, plus
    ``truth`` and, for the TWFE rows on the semi-synthetic track, ``trend_gap``, ``trend_gap_se`` and
    ``weighting_gap``."""
    res = subgroup_robust(x, outcome, split, controls=controls)
    if truth is not None and {f"{outcome}_y0", f"{outcome}_y1"} <= set(x.columns):
        tg = truth[(truth["estimand"] == "att_by_group") & (truth["outcome"] == outcome) & (truth["split"] == split)]
        res["truth"] = res["group_value"].map(tg.set_index("group")["value"])
        gaps = subgroup_gap_split(x, outcome, f"{outcome}_y0", f"{outcome}_y1", split, controls=controls)
        gaps = gaps.set_index("group_value")
        tw = res["estimator"] == "subgroup_twfe"
        for c in ("trend_gap", "trend_gap_se", "weighting_gap"):
            res[c] = np.where(tw, res["group_value"].map(gaps[c]), np.nan)
    return res.assign(split=split)


def explain_misses(fig1: pd.DataFrame, k: float = 2.0) -> str:
    """Markdown: one bullet per TWFE row more than ``k`` SE from its group truth, attributing the gap to the trend
    and weighting parts and giving the group's never-treated cities; a sentence when there is none or no truth."""
    if "truth" not in fig1 or fig1["truth"].isna().all():
        return "The group truths are not known on this track, so misses cannot be measured."
    tw = fig1[(fig1["estimator"] == "subgroup_twfe") & fig1["estimate"].notna()]
    miss = tw[(tw["estimate"] - tw["truth"]).abs() > k * tw["std_error"]]
    if miss.empty:
        return (f"No split-sample TWFE estimate is more than {k:g} standard errors from its group truth "
                f"({len(tw)} groups).")
    out = []
    for r in miss.itertuples(index=False):
        gap = r.estimate - r.truth
        main = "trend gap" if abs(r.trend_gap) >= abs(r.weighting_gap) else "weighting gap"
        out.append(f"* {r.split} = {r.group_value}: TWFE {r.estimate:.3f} against a truth of {r.truth:.3f} "
                   f"(gap {gap:+.3f}, {abs(gap) / r.std_error:.1f} SE). Trend gap {r.trend_gap:+.3f} "
                   f"(SE {r.trend_gap_se:.3f}), weighting gap {r.weighting_gap:+.3f}: mostly the {main}. "
                   f"{int(r.pilot_cities)} pilot and {int(r.never_treated_cities)} never-treated cities.")
    return "\n".join(out)
