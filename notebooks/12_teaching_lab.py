# %% [markdown]
# # Teaching lab: when does two-way fixed effects fail?
#
# This page draws many semi-synthetic panels with *known* true effects on the real skeleton (cities, years, pilot
# timing) and asks four estimators for the overall effect of the pilot: the paper's two-way fixed effects (TWFE) and
# three estimators built for staggered adoption (Callaway–Sant'Anna, Sun–Abraham, Borusyak–Jaravel–Spiess). It
# reports bias, RMSE and coverage of the 95 % interval in three worlds — constant, dynamic and cohort-heterogeneous
# effects — and splits each bias into the part due to non-parallel trends and the part due to how the estimator
# weights heterogeneous effects. The paper reports TWFE only; nothing here is evidence about China.

# %% tags=["parameters"]
data = "semi_synthetic"  # data track: "semi_synthetic" (default), "real" or a path; the Monte Carlo itself always needs the generator
seed = 20260101  # base seed: draw r uses seed + r (the same seeds in every scenario)
n_draws = 20  # Monte Carlo draws per scenario (20 keeps the page under a minute; use 200+ for serious work)
outcome = "Pro"  # outcome index: "Pro", "Lab", "Mea" or "Obj"
n_jobs = 1  # worker processes for simulating the panels (results do not depend on it)
progress = False  # show a tqdm progress bar (useful with many draws)

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import display
from myst_nb import glue

from nqp_helpers import montecarlo as mc
from nqp_helpers.data.load import load_panel
from nqp_helpers.data.real import real_panel
from nqp_helpers.display import rerun_box, save_table, track_banner
from nqp_helpers.plotting import COLORS, set_style

NOTEBOOK = "12_teaching_lab"
set_style()
panel = load_panel(data, seed=seed)
track_banner(panel)

# %% [markdown]
# ## Why a Monte Carlo needs the semi-synthetic generator
#
# Bias and coverage are statements about the distance between an estimate and the *truth*, so they can only be
# measured where the truth is known. Whatever `data` is set to, the lab therefore draws its panels from the
# semi-synthetic generator (`simulate_panel`) built on the **real skeleton**: the real 2004–2023 cities, their pilot
# years and their real controls; only the indicators are simulated, with both potential outcomes, so the true
# average effect on the treated cells is known in every draw.

# %% tags=["hide-input"]
track = panel.attrs["track"]
if track != "semi_synthetic":
    print(f"The chosen track is {track!r}: its outcomes have no known truth, so the Monte Carlo below does NOT use them.\n"
          "It runs on the semi-synthetic generator built on the real skeleton (cities, years, pilot timing).")
skeleton = real_panel()
track_banner("semi_synthetic")

# %% [markdown]
# ## What TWFE actually averages
#
# With `y = α_i + λ_t + τ_it·Inn_it + ε`, the TWFE coefficient on `Inn` is a weighted sum of the cell effects
# `τ_it` of the treated city-years, with weights `D̃_it / Σ D̃²` (`D̃` = treatment after removing city and year means;
# de Chaisemartin & D'Haultfœuille 2020). The weights sum to one but are not equal: they fall with time since
# adoption, and can turn negative for long-treated cells of early cohorts, which then serve as "controls" for later
# cohorts (the *forbidden comparisons* of Goodman-Bacon 2021). If effects are the same in every cell, any weights
# summing to one give the right answer; if effects grow with exposure or differ by cohort, TWFE targets a different
# number than the average effect.

# %% tags=["hide-input"] mystnb={"image": {"alt": "Heatmap-style chart of the weight two-way fixed effects gives to each treated cohort and event time, relative to the equal weight of the average effect on the treated, shown as a dashed line."}}
w = mc.twfe_cell_weights(skeleton)
n_cells = len(w)
glue("n_cells", n_cells, display=False)
glue("w_min", float(w["weight"].min() * n_cells), display=False)
glue("w_max", float(w["weight"].max() * n_cells), display=False)
glue("w_neg_share", float((w["weight"] < 0).mean()), display=False)
glue("n_never", int((skeleton.groupby("city_code")["first_treat"].first() == 0).sum()), display=False)
by_e = w.groupby("event_time")["weight"].agg(["sum", "count"]).reset_index()
by_e["weight_per_cell_x_N"] = by_e["sum"] / by_e["count"] * n_cells
fig, ax = plt.subplots(figsize=(7, 3.2))
for c, sub in w.groupby("first_treat"):
    sub = sub.groupby("event_time")["weight"].mean() * n_cells
    ax.plot(sub.index, sub.to_numpy(), marker="o", ms=3, lw=1, label=f"cohort {c}")
ax.axhline(1, color=COLORS["truth"], ls="--", lw=1.2, label="equal weight (the ATT)")
ax.axhline(0, color=COLORS["ref"], lw=0.8)
ax.set_xlabel("Years since the pilot (event time)")
ax.set_ylabel("TWFE weight × number of treated cells")
ax.legend(fontsize=7, ncol=2)
fig.tight_layout()

# %% [markdown]
# *Figure 1.* Weight TWFE gives to the effect of one treated city-year, by cohort and event time, relative to the
# equal weight `1/N` of the average effect on the treated (the dashed line; {glue:text}`n_cells` treated cells).
# Weights range from {glue:text}`w_min:.2f` to {glue:text}`w_max:.2f` times the equal weight, and a share
# {glue:text}`w_neg_share:.3f` of them is negative: with {glue:text}`n_never` never-treated cities as a large clean control group
# the forbidden comparisons carry little weight on this design, but impact-year cells still count several times more
# than cells many years after adoption.
#
# ## The experiment
#
# For each scenario and each draw `r = 1..n_draws` we simulate a panel with seed `seed + r` and estimate the overall
# effect on the outcome with
#
# * **TWFE**: `y ~ Inn | city + year`, SE clustered by city;
# * **Callaway–Sant'Anna**: every cohort × year effect against the never-treated cities, averaged over the treated
#   cells (`simple` aggregation);
# * **Sun–Abraham**: the fully saturated cohort × event-time regression, averaged over all post-adoption cells
#   (`lags` set to the longest event time, so that it targets the same treated-cell average as the truth);
# * **BJS imputation**: fit city and year effects on untreated cells only, impute `Y(0)` for treated cells, average
#   the differences.
#
# The truth of each draw is the mean of `y1 - y0` over its treated cells (`true_effects`). Because every estimator
# is linear in the outcome and `y = y0 + (y1 - y0)·Inn`, its error splits *exactly* into a **trend part** (the
# estimator applied to `y0`, non-zero when pilot and other cities would not have moved in parallel) and a
# **weighting part** (the estimator applied to the effects alone, minus their mean). The scenarios change only the
# effects: `constant` (the same effect at every horizon), `dynamic` (small on impact, growing over eight years) and
# `heterogeneous` (earlier cohorts have larger, time-constant effects).

# %% tags=["hide-input"]
draws = mc.run_montecarlo(n_draws=n_draws, outcome=outcome, base_seed=seed, skeleton=skeleton, n_jobs=n_jobs,
                          progress=progress)
summary = mc.summarise(draws)
save_table(draws, "montecarlo_draws", NOTEBOOK)
save_table(summary, "montecarlo_summary", NOTEBOOK)
for r in summary.itertuples(index=False):
    for k in ("bias", "rmse", "coverage", "trend_bias", "weighting_bias", "mean_truth", "mean_se", "sd_estimate"):
        glue(f"{r.scenario}_{r.estimator}_{k}", float(getattr(r, k)), display=False)
glue("n_draws", int(n_draws), display=False)
glue("outcome", outcome, display=False)
S = summary.set_index(["scenario", "estimator"])
ROBUST = [e for e in mc.ESTIMATORS if e != "twfe"]


def verdict(scenario, est="twfe"):
    """Does the estimator recover the truth in this scenario? Judged by |bias| against its average standard error."""
    r = S.loc[(scenario, est)]
    k = abs(r["bias"]) / r["mean_se"]
    if k < 0.5:
        return f"recovers the truth: its bias is {k:.2f} of its average standard error"
    return f"is biased: its bias is {k:.1f} times its average standard error"


for sc in dict.fromkeys(summary["scenario"]):
    glue(f"{sc}_twfe_verdict", verdict(sc), display=False)
rk = summary[summary["estimator"].isin(ROBUST)]
rk_ratio = float((rk["bias"].abs() / rk["mean_se"]).max())
glue("robust_max_bias", float(rk["bias"].abs().max()), display=False)
glue("robust_max_ratio", rk_ratio, display=False)
glue("robust_verdict", "recover the truth in every scenario" if rk_ratio < 0.5 else
     "are biased in at least one scenario", display=False)
glue("trend_min", float(summary["trend_bias"].min()), display=False)
glue("trend_max", float(summary["trend_bias"].max()), display=False)
glue("se_over_sd", float(S.loc[("constant", "twfe"), "mean_se"] / S.loc[("constant", "twfe"), "sd_estimate"]),
     display=False)
cs_sa = draws.pivot_table(index=["scenario", "draw"] if "draw" in draws else ["scenario", "seed"],
                          columns="estimator", values="estimate")
gap_cs_sa = float((cs_sa["callaway_santanna"] - cs_sa["sun_abraham"]).abs().max())
glue("cs_sa_phrase", "give the same point estimate in every draw (largest difference "
     f"{gap_cs_sa:.1e})" if gap_cs_sa < 1e-6 else f"differ by up to {gap_cs_sa:.3f} across draws", display=False)
show = summary.assign(estimator=summary["estimator"].map(mc.ESTIMATOR_LABELS))[
    ["scenario", "estimator", "mean_truth", "mean_estimate", "bias", "trend_bias", "weighting_bias", "rmse",
     "sd_estimate", "mean_se", "coverage"]]
display(show.style.format(precision=3).hide(axis="index"))

# %% [markdown]
# *Table 1.* Monte Carlo results for {glue:text}`outcome`, {glue:text}`n_draws` draws per scenario (semi-synthetic).
# `bias = trend_bias + weighting_bias`; `sd_estimate` is the spread of the estimates across draws, `mean_se` the
# average reported standard error; `coverage` is the share of 95 % intervals that contain the draw's truth. With few
# draws, coverage is coarse (one draw = 1/n_draws).

# %% tags=["hide-input"] mystnb={"image": {"alt": "Two panels: left, bars of the mean bias of each estimator by scenario split into a trend part and a hatched weighting part with a dot for the total; right, coverage of the nominal 95 percent interval with a dashed line at 95 percent."}}
est_order = list(mc.ESTIMATORS)
labels = [mc.ESTIMATOR_LABELS[e] for e in est_order]
scen = list(dict.fromkeys(summary["scenario"]))
fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
width = 0.8 / len(scen)
pal = {"constant": "#1f4e79", "dynamic": "#e67e22", "heterogeneous": "#8e44ad"}
for i, s in enumerate(scen):
    sub = summary[summary["scenario"] == s].set_index("estimator").loc[est_order]
    x = np.arange(len(est_order)) + (i - (len(scen) - 1) / 2) * width
    axes[0].bar(x, sub["trend_bias"], width, color=pal[s], alpha=0.45)
    axes[0].bar(x, sub["weighting_bias"], width, bottom=np.where(np.sign(sub["weighting_bias"]) == np.sign(
        sub["trend_bias"]), sub["trend_bias"], 0), color=pal[s], hatch="///", edgecolor="white")
    axes[0].scatter(x, sub["bias"], color="black", s=14, zorder=3)
    axes[1].bar(x, sub["coverage"], width, color=pal[s], label=s)
axes[0].axhline(0, color=COLORS["ref"], lw=0.8)
axes[0].set_ylabel(f"Bias on {outcome} (index points)")
axes[0].set_title("Bias = trend part (plain) + weighting part (hatched); dot = total", fontsize=9)
axes[1].axhline(0.95, color=COLORS["truth"], ls="--", lw=1.2)
axes[1].set_ylim(0, 1.05)
axes[1].set_ylabel("Coverage of the 95 % interval")
axes[1].legend(fontsize=8)
for ax in axes:
    ax.set_xticks(np.arange(len(est_order)))
    ax.set_xticklabels(labels, rotation=15, fontsize=8)
fig.tight_layout()

# %% [markdown]
# *Figure 2.* Left: mean bias by estimator (groups) and scenario (colours), split into the trend part (plain bar) and
# the weighting part (hatched bar); the dot is the total. Right: coverage of the nominal 95 % interval (dashed line).

# %% tags=["hide-input"] mystnb={"image": {"alt": "Box plots with the individual draws as dots: the distribution of each estimator's estimates across simulated panels, by scenario, against the true effect as a dashed line."}}
fig, axes = plt.subplots(1, len(scen), figsize=(10, 3.4), sharey=True)
axes = np.atleast_1d(axes)
for ax, s in zip(axes, scen):
    d = draws[draws["scenario"] == s]
    vals = [d.loc[d["estimator"] == e, "estimate"].to_numpy() for e in est_order]
    ax.boxplot(vals, widths=0.5, showfliers=False)
    for j, v in enumerate(vals):
        ax.scatter(np.full(len(v), j + 1) + np.linspace(-0.12, 0.12, len(v)), v, s=6, color=COLORS["ours"], alpha=0.6)
    ax.axhline(d["truth"].mean(), color=COLORS["truth"], ls="--", lw=1.5, label="truth (mean over draws)")
    ax.set_title(s)
    ax.set_xticks(range(1, len(est_order) + 1))
    ax.set_xticklabels(labels, rotation=30, fontsize=7)
axes[0].set_ylabel(f"Estimated effect on {outcome}")
axes[0].legend(fontsize=7, loc="lower left")
fig.tight_layout()

# %% [markdown]
# *Figure 3.* Distribution of the estimates across draws (box: quartiles; dots: draws) against the true effect
# (dashed), by scenario.
#
# ## Reading the results
#
# The verdicts below are chosen by the code from the table: an estimator "recovers the truth" when its mean bias is
# less than half its average reported standard error.
#
# **Constant effects.** TWFE's weighting part is {glue:text}`constant_twfe_weighting_bias:.4f`: with the same
# average effect everywhere, any weights that sum to one recover it (the generator also makes each city's effect
# unrelated to the weight TWFE gives it), and the robust estimators' weighting parts are zero by construction. TWFE's
# total bias is {glue:text}`constant_twfe_bias:.4f` against a truth of {glue:text}`constant_twfe_mean_truth:.3f`, so
# TWFE {glue:text}`constant_twfe_verdict` (coverage {glue:text}`constant_twfe_coverage:.2f`). What bias there is
# comes from the trend part, between {glue:text}`trend_min:.4f` and {glue:text}`trend_max:.4f` over all rows: the
# generator makes untreated paths parallel *given the six controls*, while the estimators here use no controls.
#
# **Dynamic effects.** Effects grow from 0.25 times the constant profile on impact to 2.25 times it after eight
# years. TWFE gives long-run cells less weight than impact cells (Figure 1), so its weighting part is
# {glue:text}`dynamic_twfe_weighting_bias:.3f` and its total bias {glue:text}`dynamic_twfe_bias:.3f` (coverage
# {glue:text}`dynamic_twfe_coverage:.2f`): TWFE {glue:text}`dynamic_twfe_verdict`. The three robust estimators have
# no weighting part.
#
# **Heterogeneous cohorts.** Earlier cohorts have larger effects; TWFE's weights by cohort differ from cohort sizes
# over treated cells, so its weighting part is {glue:text}`heterogeneous_twfe_weighting_bias:.3f` (total
# {glue:text}`heterogeneous_twfe_bias:.3f`, coverage {glue:text}`heterogeneous_twfe_coverage:.2f`): TWFE
# {glue:text}`heterogeneous_twfe_verdict`. Again the robust estimators' weighting parts are zero.
#
# **What the robust estimators buy.** Callaway–Sant'Anna, Sun–Abraham and BJS imputation
# {glue:text}`robust_verdict`: their largest absolute bias over the three scenarios is
# {glue:text}`robust_max_bias:.4f`, {glue:text}`robust_max_ratio:.2f` of their standard error.
# Callaway–Sant'Anna and Sun–Abraham {glue:text}`cs_sa_phrase` (never-treated controls, no covariates, balanced
# panel). Their price is precision: compare `sd_estimate` and `mean_se` across rows (TWFE
# {glue:text}`dynamic_twfe_sd_estimate:.4f`, BJS {glue:text}`dynamic_imputation_bjs_sd_estimate:.4f` under dynamic
# effects). Their value is that their estimand is the average effect on the treated *whatever the effects look
# like*; whether the number is right then depends only on parallel trends, which the event-study pre-trends and the
# honest-DiD chapter examine.
#
# **Reading coverage.** The average reported standard error of TWFE is {glue:text}`se_over_sd:.1f` times the spread
# of its estimates across draws (constant scenario). The draws share the real skeleton and controls, and the
# generator puts the cohort-by-year means of the untreated index on parallel paths in every draw, so the draws vary
# less than the sampling variation a city-clustered standard error allows for. Coverage near 1 for an unbiased
# estimator and a sharp drop once the bias is a couple of standard errors are both consequences of this.
#
# ```{note}
# All numbers are computed from the draws above; rerun with more draws (`n_draws`) for tighter Monte Carlo error
# (the table's `bias_mcse` and `coverage_mcse` columns are in the saved CSV).
# ```

# %% tags=["hide-input"]
rerun_box(NOTEBOOK, {"data": data, "seed": seed, "n_draws": n_draws, "outcome": outcome, "n_jobs": n_jobs,
                     "progress": progress})
