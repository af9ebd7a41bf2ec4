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
from IPython.display import display

from nqp_helpers import calibration as cal
from nqp_helpers.chapters.glue import glue_all
from nqp_helpers.display import rerun_box, save_table, track_banner

NOTEBOOK = "08_calibration"
display(track_banner("semi_synthetic"))
draws, summary, pooled = cal.run_calibration(data, seed, n_seeds, scenario)  # seeds seed, ..., seed + n_seeds - 1

# %% tags=["hide-input"]
save_table(draws, "calibration_draws", NOTEBOOK)
save_table(summary, "calibration_summary", NOTEBOOK)
save_table(pooled, "calibration_pooled", NOTEBOOK)
glue_all(cal.headline_numbers(pooled, draws))
cal.pooled_display(pooled).style.hide(axis="index")

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
cal.summary_display(summary).style.hide(axis="index")

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
