# %% [markdown]
# # Calibration: is the default world a fair test of the paper's methods?
#
# The semi-synthetic world is built so that every method the paper uses has its identifying assumptions met. This
# page checks it: for every headline number of Tables 2–7 and Figure 1 it fits the paper's estimator (and, for
# Table 2 and Figure 1, a heterogeneity-robust one, the imputation estimator) on several seeds of the default world
# and compares each estimate with its truth. Over the {glue:text}`cal_n_seeds` seeds run here, the Inn×M
# interactions of Tables 5–7 lie within 1.96 standard errors of their truth in {glue:text}`cal_cover_t57` of the
# cases (largest |z| {glue:text}`cal_maxz_t57`), and the robust Figure 1 rows of groups with at least five pilot
# cities in {glue:text}`cal_cover_fig1`. More seeds: `nqp sweep`, or `calibrate(seeds=range(1, 51))` in
# `nqp_helpers.calibration`.
#
# ```{admonition} Learning goals
# :class: tip
# After this chapter you can
# 1. read bias, RMSE and coverage of the 95 % interval for each of the paper's estimators across seeds;
# 2. judge whether the default world is a fair test: each method recovers its truth where its assumptions hold;
# 3. tell a method's failure from one unlucky seed, and know how to add seeds (`nqp sweep`).
# ```

# %% tags=["parameters"]
data = "semi_synthetic"  # data track: only "semi_synthetic" has a truth to calibrate against
seed = 1  # first seed of the default semi-synthetic world; seeds seed, seed + 1, ... are used
n_seeds = 2  # number of seeds (each adds roughly 15-30 s; more through `nqp sweep` or calibrate())
scenario = "constant"  # effect scenario of the semi-synthetic world: "constant", "dynamic" or "heterogeneous"

# %% tags=["hide-input"]
from myst_nb import glue

from nqp_helpers.calibration import calibrate, headline_coverage, summarise
from nqp_helpers.display import rerun_box, save_table, track_banner

NOTEBOOK = "08_calibration"
display(track_banner("semi_synthetic"))
if data != "semi_synthetic":
    raise ValueError(f"data={data!r}: calibration needs the semi-synthetic track, the only one with a known truth")
seeds = list(range(int(seed), int(seed) + int(n_seeds)))
draws = calibrate(seeds=seeds, scenario=scenario)
summary = summarise(draws)
pooled = headline_coverage(draws)
save_table(draws, "calibration_draws", NOTEBOOK)
save_table(summary, "calibration_summary", NOTEBOOK)
save_table(pooled, "calibration_pooled", NOTEBOOK)

# %% tags=["hide-input"]
def pooled_cell(group, role, col):
    """One number of the pooled table, formatted for prose."""
    r = pooled[(pooled["group"] == group) & (pooled["role"] == role)]
    if r.empty:
        return "—"
    v = float(r[col].iloc[0])
    return f"{100 * v:.0f}%" if col == "coverage" else f"{v:.2f}"


glue("cal_n_seeds", str(len(seeds)), display=False)
glue("cal_cover_t57", pooled_cell("Tables 5-7", "paper", "coverage"), display=False)
glue("cal_maxz_t57", pooled_cell("Tables 5-7", "paper", "max_abs_z"), display=False)
glue("cal_cover_fig1", pooled_cell("Figure 1", "robust", "coverage"), display=False)
pooled.rename(columns={"group": "Exhibit", "role": "Estimator", "cases": "Cases", "coverage": "Coverage of 95% CI",
                       "max_abs_z": "Max |z|"}).round(3).style.hide(axis="index")

# %% [markdown]
# *Table: pooled over seeds and numbers. "paper" is the paper's estimator (TWFE, PSM-DID, 2SLS, the moderation
# regression, split-sample TWFE), "robust" the imputation estimator. Figure 1 rows only for groups with at least
# five pilot cities.*
#
# ## Number by number
#
# For every number and estimator: the mean of estimate − truth, the mean standard error, their ratio, the root
# mean squared error and the coverage of the 95% interval. A ratio |bias / SE| well below 1 with coverage near 95%
# means the method recovers the truth within sampling error; with few seeds, coverage moves in steps of
# 1 / seeds.

# %% tags=["hide-input"]
cols = {"exhibit": "Exhibit", "outcome": "Outcome", "quantity": "Number", "estimator": "Estimator",
        "n_seeds": "Seeds", "mean_bias": "Mean bias", "mean_se": "Mean SE", "bias_over_se": "Bias / SE",
        "rmse": "RMSE", "coverage": "Coverage", "max_abs_z": "Max |z|"}
summary[list(cols)].rename(columns=cols).round(3).style.hide(axis="index")

# %% [markdown]
# ## Reading the result
#
# * **Truths.** Table 2–4: the ATT of the index over treated city-years. Tables 5–7: the coefficient the paper's
#   moderation regression estimates from the true effects (in the default world the generator's parameter a3).
#   Figure 1: the group's ATT.
# * **Known limits.** Parallel trends are built to hold in the whole sample and within the hub, megacity and
#   innovation groups, not within the other size classes taken separately (see the Figure 1 chapter); Figure 1
#   groups with one or two pilot cities are left out of the pooled coverage. The shift-share IV rows depend on
#   instrument strength and are the noisiest. Every seed keeps the same cities, controls and pilot timing, so the
#   spread across seeds is smaller than the sampling model behind a cluster-robust SE assumes: coverage here tends
#   to exceed 95% (the teaching-lab chapter explains this).

# %% tags=["hide-input"]
rerun_box(NOTEBOOK, {"data": data, "seed": seed, "n_seeds": n_seeds, "scenario": scenario})
