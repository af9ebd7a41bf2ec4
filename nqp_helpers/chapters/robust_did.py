"""Chapter 10 (robust DiD): samples and the conditional Callaway–Sant'Anna comparison with the paper's controls.

What: :func:`balanced_sample` (the one sample every robust estimator shares), :func:`conditional_comparison`
(TWFE with the paper's six controls beside Callaway–Sant'Anna without and with them — doubly robust, IPW and outcome
regression, never-treated and not-yet-treated comparisons — all on one sample) and :func:`overlap_summary`
(propensity-score ranges and trimming per cohort). Why: the paper's identification is parallel trends *conditional*
on its controls, so the like-for-like robust estimate is the conditional one.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..display import PAPER_VARIABLES
from ..errors import NQPInputError
from ..estimators.callaway_santanna import callaway_santanna
from ..estimators.twfe import twfe

__all__ = ["PAPER_CONTROLS", "CS_METHODS", "balanced_sample", "available_controls", "conditional_comparison",
           "overlap_summary", "overlap_facts", "comparison_display", "conditional_headline",
           "adjusted_outcome_cs", "conditional_verdict"]

PAPER_CONTROLS = PAPER_VARIABLES["controls"]
CS_METHODS = {"dr": "doubly robust", "ipw": "IPW", "reg": "outcome regression"}
_CG = {"never_treated": "never treated", "not_yet_treated": "not yet treated"}


def available_controls(panel: pd.DataFrame, controls=PAPER_CONTROLS) -> list[str]:
    """The controls of ``controls`` present (with some values) on this panel, in their order."""
    return [c for c in controls if c in panel and panel[c].notna().any()]


def balanced_sample(df: pd.DataFrame, y: str, controls=()) -> pd.DataFrame:
    """City-years with ``y`` and every control, restricted to cities observed in all those years.

    Pilots approved after the last such year are recoded never treated within the sample (as did/moderndid do).
    """
    need = [y, *controls]
    missing = [c for c in need if c not in df]
    if missing:
        raise NQPInputError(f"balanced_sample: missing column(s) {missing}")
    d = df.dropna(subset=need)
    if d.empty:
        raise NQPInputError(f"balanced_sample: no city-year has all of {need}")
    d = d[d.groupby("city_code")["year"].transform("size") == d["year"].nunique()].copy()
    d.loc[d["first_treat"] > d["year"].max(), "first_treat"] = 0
    return d


def _row(outcome, estimator, comparison, r, term, truth, **extra):
    x = r[r["term"] == term].iloc[0]
    return dict(outcome=outcome, estimator=estimator, comparison=comparison, estimate=float(x["estimate"]),
                std_error=float(x["std_error"]), conf_low=float(x["conf_low"]), conf_high=float(x["conf_high"]),
                n_cities=int(x["n_clusters"]), truth=truth, **extra)


def conditional_comparison(panel: pd.DataFrame, outcome: str, controls, truth: float = np.nan,
                           methods=tuple(CS_METHODS)) -> tuple[pd.DataFrame, pd.DataFrame]:
    """TWFE with ``controls`` and Callaway–Sant'Anna (simple ATT) without and with them, on one balanced sample.

    Returns (table, att_gt rows of every conditional CS fit with its method and comparison group). The table has
    one row per estimator: ``estimate``, ``std_error``, interval, ``n_cities``, ``cells_dropped`` (ATT(g,t) cells
    skipped for lack of overlap) and ``truth`` (``NaN`` off the semi-synthetic track).
    """
    controls = list(controls)
    d = balanced_sample(panel, outcome, controls)
    rows = [_row(outcome, "TWFE, paper's controls", "all not switching", twfe(d, outcome, controls=controls), "Inn",
                 truth, cells_dropped=0)]
    cells = []
    for cg, lab in _CG.items():
        cs = callaway_santanna(d, outcome, control_group=cg, aggregation="simple")
        rows.append(_row(outcome, "Callaway–Sant'Anna, no controls", lab, cs[cs["aggregation"] == "simple"], "ATT",
                         truth, cells_dropped=0))
        for m in methods:
            cs = callaway_santanna(d, outcome, controls=controls, method=m, control_group=cg, aggregation="simple")
            info = cs.attrs["callaway_santanna"]
            rows.append(_row(outcome, f"Callaway–Sant'Anna, controls, {CS_METHODS[m]}", lab,
                             cs[cs["aggregation"] == "simple"], "ATT", truth, cells_dropped=len(info["dropped_cells"])))
            cells.append(cs[cs["aggregation"] == "att_gt"].assign(method=m, comparison=lab, reason=np.nan))
            if info["dropped_cells"]:
                drop = pd.DataFrame(info["dropped_cells"], columns=["cohort", "time", "reason"])
                cells.append(drop.assign(method=m, comparison=lab).astype({"cohort": "Int64", "time": "Int64"}))
    adj = adjusted_outcome_cs(d, outcome, controls)
    rows.append(dict(outcome=outcome, estimator="Callaway–Sant'Anna on the control-adjusted outcome (two-step)",
                     comparison="never treated", estimate=adj, std_error=np.nan, conf_low=np.nan, conf_high=np.nan,
                     n_cities=int(d["city_code"].nunique()), truth=truth, cells_dropped=0))
    cells = [c.dropna(axis=1, how="all") for c in cells]  # all-NA columns would only warn in pd.concat
    return pd.DataFrame(rows), pd.concat(cells, ignore_index=True).reindex(columns=list(cells[0].columns) + ["reason"])


def adjusted_outcome_cs(d: pd.DataFrame, outcome: str, controls) -> float:
    """Unconditional CS (never treated, simple ATT) on ``outcome - theta'X``, theta = TWFE's control coefficients.

    The paper's model adjusts for the controls *as they change over time* (linearly); CS with covariates instead
    conditions on their base-period *levels*. This two-step estimate uses the paper's adjustment with CS's clean
    comparisons (point estimate only: its SE would have to include the estimation error of theta).
    """
    controls = list(controls)
    theta = twfe(d, outcome, controls=controls).set_index("term").loc[controls, "estimate"].to_numpy()
    adj = d.assign(_adj=d[outcome] - d[controls].to_numpy(float) @ theta)
    r = callaway_santanna(adj, "_adj", aggregation="simple")
    return float(r.loc[(r["aggregation"] == "simple") & (r["term"] == "ATT"), "estimate"].iloc[0])


def conditional_verdict(headline: dict, truth: float, adjusted: float, tol: float = 0.1) -> str:
    """One sentence comparing the doubly robust conditional CS and the two-step estimate with the truth.

    "Close" means within ``tol`` x |truth|. Off the semi-synthetic track (no truth) it says what is compared.
    """
    dr = headline["cs_dr"]
    if not np.isfinite(truth):
        return (f"Without a known truth on this track, compare the doubly robust estimate ({dr:.3f}) with the "
                f"two-step estimate on the control-adjusted outcome ({adjusted:.3f}): a gap says the two "
                "assumptions about the controls lead to different answers here.")
    close = {k: abs(v - truth) <= tol * abs(truth) for k, v in (("dr", dr), ("adj", adjusted))}
    word = {True: "close to", False: "far from"}
    return (f"Against the truth ({truth:.3f}), the doubly robust conditional estimate ({dr:.3f}) is "
            f"{word[close['dr']]} it, and the two-step estimate on the control-adjusted outcome ({adjusted:.3f}) is "
            f"{word[close['adj']]} it.")


def overlap_summary(cells: pd.DataFrame, method: str = "dr", comparison: str = "never treated") -> pd.DataFrame:
    """Per cohort: ATT(g,t) cells kept and skipped, propensity-score range and share of comparison units trimmed."""
    c = cells[(cells["method"] == method) & (cells["comparison"] == comparison)]
    kept = c[c["reason"].isna()]
    out = kept.groupby("cohort").agg(cells_kept=("term", "size"), ps_min=("ps_min", "min"), ps_max=("ps_max", "max"),
                                     share_trimmed_max=("share_trimmed", "max"))
    skipped = c[c["reason"].notna()].groupby("cohort").size().rename("cells_skipped")
    out = out.join(skipped, how="outer").fillna({"cells_kept": 0, "cells_skipped": 0})
    out[["cells_kept", "cells_skipped"]] = out[["cells_kept", "cells_skipped"]].astype(int)
    return out.reset_index()


def comparison_display(table: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """The comparison table for the page: human headers, SE in parentheses, interval in brackets, "—" for missing."""
    def f(x):
        return "—" if pd.isna(x) else f"{x:.{digits}f}"

    return pd.DataFrame({
        "Estimator": table["estimator"], "Comparison group": table["comparison"],
        "Estimate": table["estimate"].map(f), "(SE)": table["std_error"].map(lambda s: f"({f(s)})"),
        "95% interval": [f"[{f(lo)}, {f(hi)}]" for lo, hi in zip(table["conf_low"], table["conf_high"])],
        "Cities": table["n_cities"], "Cells skipped": table["cells_dropped"], "Truth": table["truth"].map(f),
    }).reset_index(drop=True)


def overlap_facts(cells: pd.DataFrame, method: str = "dr", comparison: str = "never treated") -> dict:
    """Numbers for the prose: cells kept / skipped, the widest propensity-score range, the largest share trimmed."""
    c = cells[(cells["method"] == method) & (cells["comparison"] == comparison)]
    kept = c[c["reason"].isna()]
    return {"cells_kept": int(len(kept)), "cells_skipped": int(c["reason"].notna().sum()),
            "ps_min": float(kept["ps_min"].min()), "ps_max": float(kept["ps_max"].max()),
            "share_trimmed_max": float(kept["share_trimmed"].max())}


def conditional_headline(table: pd.DataFrame) -> dict:
    """The estimates the prose quotes (never-treated comparisons unless said): TWFE, CS without and with controls."""
    def pick(estimator, comparison="never treated"):
        r = table[(table["estimator"] == estimator) & (table["comparison"] == comparison)]
        return float(r["estimate"].iloc[0]) if len(r) else float("nan")

    out = {"twfe": pick("TWFE, paper's controls", "all not switching"),
           "cs_none": pick("Callaway–Sant'Anna, no controls"), "n_cities": int(table["n_cities"].iloc[0]),
           "cs_adjusted": pick("Callaway–Sant'Anna on the control-adjusted outcome (two-step)")}
    for m, lab in CS_METHODS.items():
        out[f"cs_{m}"] = pick(f"Callaway–Sant'Anna, controls, {lab}")
    out["cs_dr_nyt"] = pick(f"Callaway–Sant'Anna, controls, {CS_METHODS['dr']}", "not yet treated")
    return out
