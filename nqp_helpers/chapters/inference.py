"""Chapter 12 (inference): randomisation inference over placebo pilots and the wild cluster bootstrap, with the
tables, figure and glued numbers of the page, so the notebook is prose, short calls and glue.

What: :func:`available_variables` (outcomes and controls present, and a note on the rest), :func:`placebo_table`
(RI on every outcome, with the truth on the semi-synthetic track), :func:`placebo_values`, :func:`placebo_figure`,
:func:`bootstrap_table` (analytic CR1 beside the restricted wild cluster bootstrap, Rademacher and Webb weights),
:func:`bootstrap_values` and :func:`paper_note`. Why: the pilot is assigned to whole cities, so the question is
whether the paper's cluster-robust stars survive inference that does not lean on many treated clusters.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats

from ..data.semi_synthetic.truth import true_value
from ..errors import NQPInputError
from ..estimators.placebo import placebo_test
from ..estimators.wild_bootstrap import wild_bootstrap
from ..plotting import COLORS, figure_legend
from ..reported import reported
from ..variables import CONTROLS, OUTCOMES
from .robust_did import available_controls

PLACEBO_COLUMNS = [
    "outcome",
    "term",
    "estimate",
    "std_error",
    "p_value",
    "ri_p_value",
    "placebo_mean",
    "placebo_sd",
    "placebo_q025",
    "placebo_q975",
    "n_draws",
    "n_obs",
    "n_clusters",
    "engine",
]
WEIGHTS = ("rademacher", "webb")


def available_variables(panel: pd.DataFrame) -> tuple[list[str], list[str], str]:
    """The outcomes and controls present (with some values) on ``panel``, and a note naming the absent ones ("" when
    none is absent)."""
    controls = available_controls(panel, CONTROLS)
    outcomes = available_controls(panel, OUTCOMES)
    notes = []
    absent = [o for o in OUTCOMES if o not in outcomes]
    missing_ctrl = [c for c in CONTROLS if c not in controls]
    if absent:
        notes.append(f"{', '.join(absent)} absent on this track (never simulated): not tested")
    if missing_ctrl:
        notes.append(f"controls {', '.join(missing_ctrl)} absent: left out")
    return outcomes, controls, ("**Note:** " + "; ".join(notes) + ".") if notes else ""


def assignment_counts(panel: pd.DataFrame) -> dict[str, int]:
    """Pilot cities and cities of the panel (the sizes the placebo draws keep)."""
    cohorts = panel.groupby("city_code")["first_treat"].first()
    return {"n_pilots": int((cohorts > 0).sum()), "n_cities": int(len(cohorts))}


def placebo_table(
    panel: pd.DataFrame, outcomes, controls, n_draws: int, seed: int, truth: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Randomisation inference for every outcome (``placebo_test``): the saved table (cluster-robust p renamed
    ``p_value_cluster_robust``, the true ATT beside the estimate on the semi-synthetic track) and the placebo draws."""
    ri = placebo_test(panel, outcomes, controls=controls, n_draws=n_draws, seed=seed)
    table = ri[PLACEBO_COLUMNS].rename(columns={"p_value": "p_value_cluster_robust"})
    if truth is not None:
        table.insert(3, "truth", [true_value(truth, o) for o in table["outcome"]])
    return table, ri.attrs["draws"]


def placebo_values(table: pd.DataFrame, draws: pd.DataFrame) -> dict:
    """Glued values for the first outcome: estimate, RI p, placebo 97.5th percentile and SD, cluster-robust SE, and
    whether the estimate lies outside the whole placebo distribution."""
    first = table["outcome"].iloc[0]
    r0 = table.set_index("outcome").loc[first]
    d0 = draws.loc[draws["outcome"] == first, "estimate"].abs()
    where = (
        "lies outside the whole placebo distribution"
        if abs(r0["estimate"]) > d0.max()
        else "lies inside the placebo distribution"
    )
    return {
        "ri_first_outcome": first,
        "ri_est": float(r0["estimate"]),
        "ri_p": float(r0["ri_p_value"]),
        "ri_q975": float(r0["placebo_q975"]),
        "ri_sd": float(r0["placebo_sd"]),
        "ri_se": float(r0["std_error"]),
        "ri_where": where,
    }


def placebo_figure(table: pd.DataFrame, draws: pd.DataFrame):
    """Histogram of the placebo coefficients per outcome with the actual estimate as a vertical line."""
    outcomes = list(table["outcome"])
    fig, axes = plt.subplots(1, len(outcomes), figsize=(2.6 * len(outcomes) + 1, 3.2), squeeze=False)
    for ax, o in zip(axes[0], outcomes):
        d = draws.loc[draws["outcome"] == o, "estimate"]
        obs = float(table.set_index("outcome").loc[o, "estimate"])
        ax.hist(d, bins=30, color=COLORS["band"], alpha=0.7, lw=0, label="placebo pilots")
        ax.axvline(obs, color=COLORS["paper"], lw=2, label="actual pilots")
        lo, hi = min(d.min(), obs), max(d.max(), obs)
        ax.set_xlim(lo - 0.1 * (hi - lo), hi + 0.1 * (hi - lo))
        ax.set_title(o, loc="left")
        ax.set_xlabel("TWFE coefficient")
    axes[0][0].set_ylabel("Number of placebo draws")
    fig.tight_layout()
    figure_legend(fig, axes[0][0])
    return fig


def bootstrap_table(panel: pd.DataFrame, outcome: str, controls, n_boot: int, seed: int) -> pd.DataFrame:
    """The analytic 95% interval (CR1, t(G−1)) beside the restricted wild cluster bootstrap with Rademacher and Webb
    weights, one row each, for the Inn coefficient of ``outcome``."""
    wb = pd.concat(
        [wild_bootstrap(panel, outcome, controls=controls, n_boot=n_boot, weights=w, seed=seed) for w in WEIGHTS],
        ignore_index=True,
    )
    analytic = wb.iloc[0]
    se = float(analytic["std_error"])
    tq = stats.t.ppf(0.975, int(analytic["n_clusters"]) - 1)
    rows = [
        dict(
            method="analytic CR1, t(G−1)",
            estimate=analytic["estimate"],
            std_error=se,
            p_value=analytic["p_value_analytic"],
            conf_low=analytic["estimate"] - tq * se,
            conf_high=analytic["estimate"] + tq * se,
            n_boot=np.nan,
        )
    ]
    for _, b in wb.iterrows():
        rows.append(
            dict(
                method=f"wild cluster bootstrap {b['bootstrap']}, {b['weights'].capitalize()} weights",
                estimate=b["estimate"],
                std_error=se,
                p_value=b["p_value"],
                conf_low=b["conf_low"],
                conf_high=b["conf_high"],
                n_boot=b["n_boot"],
            )
        )
    table = pd.DataFrame(rows)
    table.insert(0, "outcome", outcome)
    table["n_clusters"] = int(analytic["n_clusters"])
    table["seed"] = seed
    return table


def bootstrap_values(table: pd.DataFrame) -> dict:
    """Glued values: each row's interval and p-value (``wb_lo_k``, ``wb_hi_k``, ``wb_p_k``), the outcome and the
    widest bootstrap interval as a multiple of the analytic one."""
    out = {}
    for k, r in table.iterrows():
        out.update(
            {f"wb_lo_{k}": float(r["conf_low"]), f"wb_hi_{k}": float(r["conf_high"]), f"wb_p_{k}": float(r["p_value"])}
        )
    width = table["conf_high"] - table["conf_low"]
    out["wb_main"] = table["outcome"].iloc[0]
    out["wb_width_ratio"] = float(width.iloc[1:].max() / width.iloc[0])
    return out


def paper_note(outcome: str) -> str:
    """Markdown: the paper's Table 2 estimate with controls for ``outcome``, or why it is not available."""
    try:
        paper = reported(2, outcome=outcome, spec="baseline_controls").iloc[0]
    except NQPInputError as exc:  # the paper's table has no such row
        return f"Paper's number not available: {exc}"
    return (
        f"The paper (Table 2, with controls): {float(paper['coef']):.3f} (SE {float(paper['se']):.3f})"
        f"{paper['stars']} — its coefficients are on its own index scale; see the baseline chapter."
    )
