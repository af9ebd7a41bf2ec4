"""Chapter 07 (Figure 1, heterogeneity): every computation of the page, so the notebook is prose, short calls and
glue.

What: :func:`subgroup_counts` (cities and pilot cities per group), :func:`figure1_table` (per group the paper's
split-sample TWFE, the imputation (BJS) estimate for the same rows, the group's truth and, via :func:`figure1_rows`,
the attribution of every TWFE miss beyond 2 SE, :func:`explain_misses`), :func:`figure1_figure`,
:func:`equality_tests` (pooled Wald and permutation tests of equal group effects, Holm-adjusted pairwise orderings)
the paper's heterogeneity claims (``data/paper/heterogeneity_claims.csv``) are checked against these estimates
by ``nqp_helpers.audit.heterogeneity``.

The attribution is the exact split used for Table 2 (``estimators.heterogeneity.subgroup_gap_split``): TWFE =
trend gap (coefficient on the untreated outcome) + effect part, weighting gap = effect part − the group's ATT.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..data.semi_synthetic.truth import true_values
from ..errors import NQPInputError
from ..estimators.heterogeneity import (
    group_orderings,
    permutation_test_equal_effects,
    pooled_interaction_test,
    subgroup_gap_split,
    subgroup_robust,
)
from ..plotting import coef_plot, figure_legend
from ..variables import CONTROLS

ESTIMATOR_LABELS = {"subgroup_twfe": "TWFE, split sample (paper)", "imputation_bjs": "Imputation (BJS)"}


def figure1_rows(
    x: pd.DataFrame, outcome: str, split: str, controls, truth: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Rows of one split (``x``: usable rows, ``split`` the group column): both estimators per group, plus
    ``truth`` and, for the TWFE rows on the semi-synthetic track, ``trend_gap``, ``trend_gap_se`` and
    ``weighting_gap``."""
    res = subgroup_robust(x, outcome, split, controls=controls)
    if truth is not None and {f"{outcome}_y0", f"{outcome}_y1"} <= set(x.columns):
        res["truth"] = res["group_value"].map(true_values(truth, "att_by_group", outcome, split, by="group"))
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
        return (
            f"No split-sample TWFE estimate is more than {k:g} standard errors from its group truth ({len(tw)} groups)."
        )
    out = []
    for r in miss.itertuples(index=False):
        gap = r.estimate - r.truth
        main = "trend gap" if abs(r.trend_gap) >= abs(r.weighting_gap) else "weighting gap"
        out.append(
            f"* {r.split} = {r.group_value}: TWFE {r.estimate:.3f} against a truth of {r.truth:.3f} "
            f"(gap {gap:+.3f}, {abs(gap) / r.std_error:.1f} SE). Trend gap {r.trend_gap:+.3f} "
            f"(SE {r.trend_gap_se:.3f}), weighting gap {r.weighting_gap:+.3f}: mostly the {main}. "
            f"{int(r.pilot_cities)} pilot and {int(r.never_treated_cities)} never-treated cities."
        )
    return "\n".join(out)


SPLITS = {  # split -> (panel of the paper, title, group order as in the paper's text)
    "innovation": ("1a", "Innovation capacity (proxy for innovation type)", ["high", "medium", "low"]),
    "size": ("1b", "Population size (2014 standard)", ["megacity", "large", "medium", "small"]),
    "admin": ("1c", "Administrative level", ["hub", "other"]),
    "industrial": ("1d", "Old industrial base", ["old_base", "non_old_base"]),
}
FIGURE1_COLUMNS = [
    "panel",
    "split",
    "group_value",
    "estimator",
    "cities",
    "pilot_cities",
    "never_treated_cities",
    "term",
    "estimate",
    "std_error",
    "p_value",
    "conf_low",
    "conf_high",
    "n_obs",
    "n_clusters",
    "outcome",
    "truth",
    "trend_gap",
    "trend_gap_se",
    "weighting_gap",
    "note",
    "track",
]
PAIR_COLUMNS = ["split", "term", "estimate", "std_error", "p_value", "p_holm", "ordering", "survives"]


def check_columns(panel: pd.DataFrame, outcome: str) -> None:
    """Raise :class:`NQPInputError` naming the columns Figure 1 needs (the outcome and the six controls) if absent."""
    missing = [c for c in (*CONTROLS, outcome) if c not in panel]
    if missing:
        raise NQPInputError(f"the panel lacks {missing}; Figure 1 needs the outcome and the six controls")


def absent_note(track: str, absent) -> str:
    """Markdown: which splits cannot be built on this track and why."""
    return (
        f"**Not available on the {track} track**: split(s) {', '.join(absent)} — the columns they are "
        "built from are absent (innovation: R&D-personnel indicators `lab_rd_applied`, "
        "`lab_rd_experimental` or `innovation_group`). Nothing is simulated in their place."
    )


def subgroup_counts(d: pd.DataFrame, present) -> pd.DataFrame:
    """Cities and pilot cities per group of each split in ``present`` (``d``: panel joined with its subgroups)."""
    return (
        d.assign(treated_city=d["first_treat"].fillna(0) > 0)
        .melt(id_vars=["city_code", "treated_city"], value_vars=list(present), var_name="split", value_name="group")
        .drop_duplicates(["city_code", "split"])
        .groupby(["split", "group"])
        .agg(cities=("city_code", "size"), pilot_cities=("treated_city", "sum"))
        .reset_index()
    )


def count_values(d: pd.DataFrame, counts: pd.DataFrame, present) -> dict[str, str]:
    """Glued strings: groups with fewer than five pilot cities, cities of unknown old-industrial-base status, cities."""
    few = counts[(counts["group"] != "unknown") & (counts["pilot_cities"] < 5)]
    n_unknown = (
        int(counts.query("split == 'industrial' and group == 'unknown'")["cities"].sum())
        if "industrial" in present
        else 0
    )
    return {
        "few_pilot_groups": "; ".join(f"{r.split} = {r.group} ({r.pilot_cities})" for r in few.itertuples()) or "none",
        "n_unknown_oib": str(n_unknown),
        "n_cities": str(d["city_code"].nunique()),
    }


def usable(d: pd.DataFrame, split: str, outcome: str):
    """Complete rows of known group whose group has variation in Inn; and the groups set aside with the reason."""
    x = d[d[split].notna() & (d[split] != "unknown")].dropna(subset=[outcome, *CONTROLS])
    var = x.groupby(split)["Inn"].nunique()
    dropped = {g: "no variation in Inn (no pilot city or all pilot)" for g in var.index[var < 2]}
    return x[~x[split].isin(list(dropped))], dropped


def figure1_table(
    d: pd.DataFrame, present, counts: pd.DataFrame, outcome: str, truth: pd.DataFrame | None, track: str
) -> pd.DataFrame:
    """Figure 1 as a table: :func:`figure1_rows` for every split, groups set aside with their reason, counts, the
    paper's panel label; rows in the paper's group order, TWFE before imputation."""
    rows, dropped_all = [], []
    for split in present:
        x, dropped = usable(d, split, outcome)
        dropped_all += [dict(split=split, group=g, reason=r) for g, r in dropped.items()]
        if x[split].nunique() >= 1:
            rows.append(figure1_rows(x, outcome, split, list(CONTROLS), truth).drop(columns=["pilot_cities"]))
    fig1 = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    for dr in dropped_all:
        fig1 = pd.concat(
            [
                fig1,
                pd.DataFrame([dict(split=dr["split"], group_value=dr["group"], estimate=np.nan, note=dr["reason"])]),
            ],
            ignore_index=True,
        )
    fig1 = fig1.merge(counts.rename(columns={"group": "group_value"}), on=["split", "group_value"], how="left")
    fig1 = fig1.assign(panel=fig1["split"].map({k: v[0] for k, v in SPLITS.items()}), track=track)
    order = {s: {g: i for i, g in enumerate(SPLITS[s][2])} for s in SPLITS}
    fig1["_o"] = [order[s].get(g, 99) for s, g in zip(fig1["split"], fig1["group_value"])]
    fig1 = fig1.sort_values(["panel", "_o", "estimator"], ascending=[True, True, False]).drop(columns="_o")
    return fig1[[c for c in FIGURE1_COLUMNS if c in fig1]].reset_index(drop=True)


def figure1_figure(fig1: pd.DataFrame, present, outcome: str):
    """Figure 1 re-made: one coefficient plot per split (both estimators, 95% CI, truth crosses), one legend under
    the panels (never on the data)."""
    fig, axes = plt.subplots(2, 2, figsize=(11, 9))
    last = None
    for ax, split in zip(axes.ravel(), SPLITS):
        sub = fig1[(fig1["split"] == split) & fig1["estimate"].notna()] if len(fig1) else fig1
        if split not in present or sub.empty:
            ax.text(
                0.5,
                0.5,
                f"({SPLITS[split][0]}) not estimable on this track",
                ha="center",
                va="center",
                transform=ax.transAxes,
            )
            ax.set_axis_off()
            continue
        sub = sub.assign(
            label=[
                f"{g}, {'TWFE' if e == 'subgroup_twfe' else 'imputation'}\n({int(n)} pilot cities)"
                for g, e, n in zip(sub["group_value"], sub["estimator"], sub["pilot_cities"])
            ]
        )
        coef_plot(
            sub,
            label="label",
            truth="truth" if "truth" in sub else None,
            ax=ax,
            xlabel=f"Effect of the pilot on {outcome}",
        )
        ax.set_title(f"({SPLITS[split][0]}) {SPLITS[split][1]}", fontsize=10)
        last = ax
        if ax.get_legend():
            ax.get_legend().remove()
    if last is not None:
        figure_legend(fig, last, ncol=2)  # below all panels, outside every data area
    return fig


def equality_tests(d: pd.DataFrame, present, outcome: str, n_perm: int, seed: int, alpha: float, track: str):
    """Per split: the pooled model's cluster-robust Wald test and the permutation test of equal group effects
    (``seed + i`` for the i-th split), and every pairwise difference with Holm-adjusted p-values."""
    tests, pairs = [], []
    for i, split in enumerate(present):
        x, _ = usable(d, split, outcome)
        if x[split].nunique() < 2:
            tests.append(dict(split=split, note="fewer than 2 estimable groups: no test"))
            continue
        w = pooled_interaction_test(x, outcome, split, controls=list(CONTROLS))
        pm = permutation_test_equal_effects(
            x, outcome, split, controls=list(CONTROLS), n_draws=int(n_perm), seed=seed + i
        )
        wr = w.iloc[-1]
        tests.append(
            dict(
                split=split,
                groups=int(x[split].nunique()),
                wald_F=wr["statistic"],
                df_num=wr["df_num"],
                df_den=wr["df_den"],
                p_wald=wr["p_value"],
                p_permutation=pm["p_value"].iloc[0],
                n_perm_valid=int(pm["n_draws"].iloc[0]),
                range_of_effects=wr["estimate"],
            )
        )
        go = group_orderings(x, outcome, split, controls=list(CONTROLS), alpha=alpha)
        pairs.append(go.assign(split=split))
    tests = pd.DataFrame(tests).assign(outcome=outcome, track=track)
    pairs = pd.concat(pairs, ignore_index=True) if pairs else pd.DataFrame(columns=["split", "group_a", "group_b"])
    return tests, pairs
