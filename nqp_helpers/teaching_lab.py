"""Report layer of the teaching-lab chapter (``notebooks/13_teaching_lab.py``): the numbers, phrases, tables and
figures the page shows, computed from ``montecarlo.run_montecarlo`` / ``summarise`` output, so the notebook keeps
prose, short calls and glue. Conditional wording lives here (tested in ``tests/test_teaching_lab.py``)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .errors import NQPInputError
from .montecarlo import ESTIMATOR_LABELS, ESTIMATORS, twfe_cell_weights
from .plotting import COLORS

__all__ = [
    "GLUE_STATS",
    "bias_coverage_figure",
    "estimates_figure",
    "lab_numbers",
    "results_table",
    "sample_coverage_phrase",
    "se_phrase",
    "track_note",
    "twfe_verdict",
    "uncertainty_table",
    "weights_figure",
    "weights_numbers",
]

GLUE_STATS = (
    "bias",
    "rmse",
    "coverage",
    "coverage_sample",
    "trend_bias",
    "weighting_bias",
    "mean_truth",
    "mean_se",
    "sd_estimate",
    "se_ratio",
    "sd_truth_sample",
    "sd_error_sample",
)
_ROBUST = tuple(e for e in ESTIMATORS if e != "twfe")
_SCENARIO_COLORS = {"constant": "#1f4e79", "dynamic": "#e67e22", "heterogeneous": "#8e44ad"}


def track_note(track: str) -> str | None:
    """Why the Monte Carlo ignores a chosen track without a known truth (``None`` on the semi-synthetic track)."""
    if track == "semi_synthetic":
        return None
    return (
        f"The chosen track is {track!r}: its outcomes have no known truth, so the Monte Carlo below does NOT use "
        "them.\nIt runs on the semi-synthetic generator built on the real skeleton (cities, years, pilot timing)."
    )


def weights_numbers(skeleton: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """TWFE's treated-cell weights (``twfe_cell_weights``) and the page's numbers about them: ``n_cities``,
    ``n_cells``, the smallest / largest weight relative to the equal weight ``1/n_cells``, the share of negative
    weights and the number of never-treated cities."""
    w = twfe_cell_weights(skeleton)
    n = len(w)
    never = int((skeleton.groupby("city_code")["first_treat"].first().fillna(0) == 0).sum())
    return w, {
        "n_cities": int(skeleton["city_code"].nunique()),
        "n_cells": n,
        "w_min": float(w["weight"].min() * n),
        "w_max": float(w["weight"].max() * n),
        "w_neg_share": float((w["weight"] < 0).mean()),
        "n_never": never,
    }


def weights_figure(w: pd.DataFrame):
    """Figure: TWFE weight × number of treated cells, by cohort (lines) and event time."""
    n = len(w)
    fig, ax = plt.subplots(figsize=(7, 3.2))
    for c, sub in w.groupby("first_treat"):
        sub = sub.groupby("event_time")["weight"].mean() * n
        ax.plot(sub.index, sub.to_numpy(), marker="o", ms=3, lw=1, label=f"cohort {c}")
    ax.axhline(1, color=COLORS["truth"], ls="--", lw=1.2, label="equal weight (the ATT)")
    ax.axhline(0, color=COLORS["ref"], lw=0.8)
    ax.set_xlabel("Years since the pilot (event time)")
    ax.set_ylabel("TWFE weight × number of treated cells")
    ax.legend(fontsize=7, ncol=2, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    return fig


def twfe_verdict(bias: float, mean_se: float) -> str:
    """Does an estimator recover the truth? Judged by |bias| against its average standard error (< 0.5 SE)."""
    k = abs(bias) / mean_se
    if k < 0.5:
        return f"recovers the truth: its bias is {k:.2f} of its average standard error"
    return f"is biased: its bias is {k:.1f} times its average standard error"


def value_range(lo: float, hi: float, digits: int = 3) -> str:
    """``"lo to hi"`` at ``digits`` decimals, or the single value when both round alike."""
    a, b = f"{lo:.{digits}f}", f"{hi:.{digits}f}"
    return a if a == b else f"{a} to {b}"


def se_phrase(ratio_min: float, ratio_max: float) -> str:
    """Does the mean SE match the spread of the estimates? Judged by the done-when band [0.75, 1.33] of issue 13."""
    if 0.75 <= ratio_min and ratio_max <= 1.33:
        return "the cluster-robust SE measures the spread it claims to measure"
    side = "overstates" if ratio_min > 1.33 else ("understates" if ratio_max < 0.75 else "misstates")
    return f"the cluster-robust SE {side} the spread of the estimates for at least one estimator"


def sample_coverage_phrase(coverage_min: float, nominal: float = 0.95) -> str:
    """Coverage of the draw's own ATT against the nominal level: conservative (above it) or not."""
    if coverage_min > nominal:
        return "above the nominal 95 %: conservative for the sample's own ATT, as the theory says"
    return "not above the nominal 95 % for every estimator, so the conservativeness is not visible in these draws"


def _check(summary: pd.DataFrame):
    need = {"design", "scenario", "estimator", *GLUE_STATS}
    if not need <= set(summary.columns):
        raise NQPInputError(
            f"the teaching lab needs summary columns {sorted(need - set(summary.columns))} "
            "(summarise() of run_montecarlo(..., designs=('resample', 'fixed')))"
        )


def lab_numbers(summary: pd.DataFrame, draws: pd.DataFrame) -> dict:
    """Every number and phrase the page glues: ``{design}_{scenario}_{estimator}_{stat}`` for ``GLUE_STATS``, the
    TWFE verdicts per scenario (resampled design), ranges over estimators of the constant world's coverage and SE
    ratio for both designs, the robust estimators' largest bias, and whether CS and SA coincide."""
    _check(summary)
    out = {}
    for r in summary.itertuples(index=False):
        for k in GLUE_STATS:
            out[f"{r.design}_{r.scenario}_{r.estimator}_{k}"] = float(getattr(r, k))
    new = summary[summary["design"] == "resample"]
    S = new.set_index(["scenario", "estimator"])
    for sc in dict.fromkeys(new["scenario"]):
        out[f"{sc}_twfe_verdict"] = twfe_verdict(S.loc[(sc, "twfe"), "bias"], S.loc[(sc, "twfe"), "mean_se"])
    for design in dict.fromkeys(summary["design"]):
        c = summary[(summary["design"] == design) & (summary["scenario"] == "constant")]
        for k, digits in (("coverage", 3), ("coverage_sample", 3), ("se_ratio", 2 if design == "resample" else 1)):
            out[f"{design}_constant_{k}_min"] = float(c[k].min())
            out[f"{design}_constant_{k}_max"] = float(c[k].max())
            out[f"{design}_constant_{k}_range"] = value_range(c[k].min(), c[k].max(), digits)
    if "resample_constant_se_ratio_min" in out:
        out["se_phrase"] = se_phrase(out["resample_constant_se_ratio_min"], out["resample_constant_se_ratio_max"])
        out["sample_coverage_phrase"] = sample_coverage_phrase(out["resample_constant_coverage_sample_min"])
    rk = new[new["estimator"].isin(_ROBUST)]
    ratio = float((rk["bias"].abs() / rk["mean_se"]).max())
    out["robust_max_bias"] = float(rk["bias"].abs().max())
    out["robust_max_ratio"] = ratio
    out["robust_verdict"] = (
        "recover the truth in every scenario" if ratio < 0.5 else "are biased in at least one scenario"
    )
    out["trend_min"] = float(new["trend_bias"].min())
    out["trend_max"] = float(new["trend_bias"].max())
    d = draws[draws["design"] == "resample"]
    wide = d.pivot_table(index=["scenario", "draw"], columns="estimator", values="estimate")
    gap = (
        float((wide["callaway_santanna"] - wide["sun_abraham"]).abs().max())
        if {"callaway_santanna", "sun_abraham"} <= set(wide.columns)
        else np.nan
    )
    out["cs_sa_phrase"] = (
        f"give the same point estimate in every draw (largest difference {gap:.1e})"
        if gap < 1e-6
        else f"differ by up to {gap:.3f} across draws"
    )
    info = draws.attrs.get("montecarlo", {})
    out["n_draws"] = int(info.get("n_draws", d["draw"].nunique()))
    out["n_populations"] = int(info.get("n_populations", d["population"].nunique()))
    out["mcse_at_95"] = float(np.sqrt(0.95 * 0.05 / out["n_draws"]))  # binomial MC SE of a 0.95 coverage
    return out


def results_table(summary: pd.DataFrame, design: str = "resample") -> pd.DataFrame:
    """Table of one design: scenario, estimator and the Monte Carlo statistics under human headers."""
    _check(summary)
    s = summary[summary["design"] == design]
    cols = {
        "scenario": "World",
        "estimator": "Estimator",
        "mean_truth": "Population ATT",
        "mean_estimate": "Mean estimate",
        "bias": "Bias",
        "trend_bias": "of which: trends",
        "weighting_bias": "of which: weighting",
        "sample_gap": "of which: sample ATT",
        "rmse": "RMSE",
        "sd_estimate": "SD of estimates",
        "mean_se": "Mean SE",
        "coverage": "Coverage",
    }
    out = s[list(cols)].rename(columns=cols)
    out["Estimator"] = out["Estimator"].map(ESTIMATOR_LABELS)
    return out.reset_index(drop=True)


def uncertainty_table(summary: pd.DataFrame, scenario: str = "constant") -> pd.DataFrame:
    """Both designs side by side in one world, per estimator: the spread of the estimates, how much the draw's own
    ATT moves, the spread around it, the mean SE, their ratio, and coverage of both truths."""
    _check(summary)
    s = summary[summary["scenario"] == scenario]
    cols = {
        "design": "Draws",
        "estimator": "Estimator",
        "n_draws": "Draws (n)",
        "sd_estimate": "SD of estimates",
        "sd_truth_sample": "SD of the sample ATT",
        "sd_error_sample": "SD of estimate − sample ATT",
        "mean_se": "Mean SE",
        "se_ratio": "Mean SE / SD",
        "coverage": "Coverage: population ATT",
        "coverage_sample": "Coverage: sample ATT",
    }
    out = s[list(cols)].rename(columns=cols)
    out["Draws"] = out["Draws"].map({"resample": "new cities", "fixed": "same cities"})
    out["Estimator"] = out["Estimator"].map(ESTIMATOR_LABELS)
    return out.reset_index(drop=True)


def bias_coverage_figure(summary: pd.DataFrame, outcome: str, design: str = "resample"):
    """Figure: mean bias split into its parts (left) and coverage of the population ATT (right), by estimator
    (groups) and world (colours)."""
    s = summary[summary["design"] == design]
    scen = list(dict.fromkeys(s["scenario"]))
    est = [e for e in ESTIMATORS if e in set(s["estimator"])]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    width = 0.8 / len(scen)
    for i, sc in enumerate(scen):
        sub = s[s["scenario"] == sc].set_index("estimator").loc[est]
        x = np.arange(len(est)) + (i - (len(scen) - 1) / 2) * width
        tb = sub["trend_bias"] + sub["sample_gap"]
        axes[0].bar(x, tb, width, color=_SCENARIO_COLORS[sc], alpha=0.45)
        axes[0].bar(
            x,
            sub["weighting_bias"],
            width,
            bottom=np.where(np.sign(sub["weighting_bias"]) == np.sign(tb), tb, 0),
            color=_SCENARIO_COLORS[sc],
            hatch="///",
            edgecolor="white",
        )
        axes[0].scatter(x, sub["bias"], color="black", s=14, zorder=3)
        axes[1].bar(x, sub["coverage"], width, color=_SCENARIO_COLORS[sc], label=sc)
    axes[0].axhline(0, color=COLORS["ref"], lw=0.8)
    axes[0].set_ylabel(f"Bias on {outcome} (index points)")
    axes[0].set_title("Bias = trends and sampling (plain) + weighting (hatched); dot = total", fontsize=9)
    axes[1].axhline(0.95, color=COLORS["truth"], ls="--", lw=1.2)
    axes[1].set_ylim(0, 1.05)
    axes[1].set_ylabel("Coverage of the 95 % interval")
    axes[1].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    for ax in axes:
        ax.set_xticks(np.arange(len(est)))
        ax.set_xticklabels([ESTIMATOR_LABELS[e] for e in est], rotation=15, fontsize=8)
    fig.tight_layout()
    return fig


def estimates_figure(draws: pd.DataFrame, outcome: str, scenario: str = "constant", estimator: str = "twfe"):
    """Figure: one estimator's estimates and 95 % intervals in the first draws of both designs, against the
    population ATT, so the reader sees why the fixed-city intervals always cover."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.4), sharey=True)
    for ax, design in zip(axes, ("fixed", "resample")):
        d = draws[(draws["design"] == design) & (draws["scenario"] == scenario) & (draws["estimator"] == estimator)]
        d = d.sort_values("draw").head(40)
        x = np.arange(len(d))
        ok = d["covered"].to_numpy()
        est, lo, hi = (d[c].to_numpy() for c in ("estimate", "conf_low", "conf_high"))
        for m, color, label in ((ok, COLORS["ours"], "interval covers"), (~ok, "#c0392b", "interval misses")):
            ax.errorbar(
                x[m], est[m], yerr=[est[m] - lo[m], hi[m] - est[m]], fmt="o", ms=3, lw=0.8, color=color, label=label
            )
        ax.plot(x, d["truth"], color=COLORS["truth"], ls="--", lw=1.2, label="population ATT")
        if design == "resample":
            ax.scatter(x, d["truth_sample"], marker="x", s=12, color="black", label="ATT of the draw's cities")
        ax.set_title({"fixed": "Same cities in every draw", "resample": "New cities in every draw"}[design], fontsize=9)
        ax.set_xlabel("Draw")
    axes[0].set_ylabel(f"{ESTIMATOR_LABELS[estimator]} estimate of the effect on {outcome}")
    axes[1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    return fig
