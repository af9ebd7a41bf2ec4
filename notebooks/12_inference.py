# %% [markdown]
# # Inference when treatment is assigned to whole cities: randomisation and the wild bootstrap
#
# The paper's stars come from cluster-robust standard errors. This page checks them two other ways: by
# randomisation inference (re-assign the pilots at random many times and see how unusual the real estimate is) and by
# the wild cluster bootstrap for the main coefficient. Both keep the paper's TWFE specification with its six
# controls; only the way uncertainty is measured changes.
#
# ```{admonition} Learning goals
# :class: tip
# After this chapter you can
# 1. run randomisation inference (re-assign the pilots at random) and read its p-value with its Monte Carlo error;
# 2. run the wild cluster bootstrap and say when it matters: few clusters, or clusters of very unequal size;
# 3. set both beside the cluster-robust p-value behind the paper's stars.
# ```

# %% tags=["parameters"]
data = "semi_synthetic"  # data track: "semi_synthetic" (default), "real" or a path to your own panel file
seed = 20260101  # seed of every random step (semi-synthetic generator, permutations, bootstrap weights)
scenario = "constant"  # semi-synthetic effects: "constant", "dynamic" or "heterogeneous" (other tracks ignore it)
n_draws = 1000  # placebo permutations of pilot assignment (randomisation inference)
n_boot = 9999  # wild cluster bootstrap draws

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
from IPython.display import Markdown, display
from myst_nb import glue

from nqp_helpers.chapters import inference as inf
from nqp_helpers.chapters.glue import glue_all
from nqp_helpers.data.load import load_panel
from nqp_helpers.display import rerun_box, save_table, track_banner
from nqp_helpers.plotting import set_style

NB = "12_inference"
set_style()

# %% tags=["hide-input"]
panel = load_panel(data, seed=seed, scenario=scenario)
truth = panel.attrs.get("truth")
track_banner(panel)

# %% [markdown]
# ## Why these checks matter here
#
# The pilot is assigned to whole cities, so every city-year of a city shares its treatment status, and outcomes of
# the same city are correlated over twenty years: the right unit of independent information is the city, not the
# city-year. With about 280 cities there are plenty of clusters for cluster-robust standard errors in general, but
# what matters is how many *treated* clusters identify the effect, and how they are spread: the pilots come in seven
# cohorts, two of which (2008, 2012) hold only a handful of cities, and they are concentrated in the east. When few
# clusters carry the treatment variation, cluster-robust t-tests over-reject. Randomisation inference needs no
# large-sample argument at all — it asks how often a random re-assignment of the same number of pilots per cohort
# produces an estimate as large as the real one — and the wild cluster bootstrap (restricted, "WCR") is the
# standard small-cluster refinement of the t-test.

# %% tags=["hide-input"]
outcomes, controls, note = inf.available_variables(panel)
if note:
    display(Markdown(note))
glue_all(inf.assignment_counts(panel))
glue("n_draws", int(n_draws), display=False)

# %% [markdown]
# ## Randomisation inference: placebo pilots
#
# Each of the {glue:text}`n_draws` placebo worlds shuffles the pilot approval years across all
# {glue:text}`n_cities` cities, so each world has exactly as many pilots in each cohort as the real one
# ({glue:text}`n_pilots` in total) but in random cities. The TWFE coefficient is re-estimated in every world, for every
# outcome, with the controls. The RI p-value is the share of placebo coefficients at least as large in absolute value
# as the real one (counting the real one), so with {glue:text}`n_draws` draws the smallest possible value is
# 1/({glue:text}`n_draws` + 1).

# %% tags=["hide-input"]
ri_table, draws = inf.placebo_table(panel, outcomes, controls, n_draws, seed, truth)
save_table(ri_table, "placebo", NB)
glue_all(inf.placebo_values(ri_table, draws))
ri_table.round(4)

# %% tags=["hide-input"]
fig = inf.placebo_figure(ri_table, draws)
glue("fig_placebo", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} fig_placebo
# :alt: Histograms of placebo TWFE coefficients centred near zero, one per outcome, with a red vertical line at the actual estimate.
# :name: fig-placebo
#
# Distribution of the TWFE pilot coefficient over the placebo assignments (blue), one panel per outcome, with the
# coefficient of the actual pilots (red line). Same cohort sizes in every draw; six controls; city and year fixed
# effects.
# ```
#
# For {glue:text}`ri_first_outcome`, the actual coefficient {glue:text}`ri_est:.3f` {glue:text}`ri_where`
# (97.5th percentile {glue:text}`ri_q975:.3f`), RI p = {glue:text}`ri_p:.4f`. The spread of the placebo
# coefficients ({glue:text}`ri_sd:.3f`) is close to the cluster-robust standard error ({glue:text}`ri_se:.3f`),
# which is reassuring: the analytic standard error describes how much estimates move when the pilots are assigned
# by chance. Caveat: RI tests the *sharp* null that the pilots changed nothing for any city, and treats assignment as
# random across all cities; real pilots were chosen among large, eastern, innovative cities, so this is a check of
# the statistics, not of the identification.
#
# ## Wild cluster bootstrap for the main coefficient

# %% tags=["hide-input"]
wb_table = inf.bootstrap_table(panel, outcomes[0], controls, n_boot, seed)
save_table(wb_table, "wild_bootstrap", NB)
glue_all(inf.bootstrap_values(wb_table))
glue("n_boot", int(n_boot), display=False)
display(Markdown(inf.paper_note(outcomes[0])))
wb_table.round(4)

# %% [markdown]
# For {glue:text}`wb_main`, the analytic 95% interval is [{glue:text}`wb_lo_0:.3f`, {glue:text}`wb_hi_0:.3f`]; the
# restricted wild cluster bootstrap ({glue:text}`n_boot` draws, clusters = cities) gives
# [{glue:text}`wb_lo_1:.3f`, {glue:text}`wb_hi_1:.3f`] with Rademacher weights and
# [{glue:text}`wb_lo_2:.3f`, {glue:text}`wb_hi_2:.3f`] with Webb's six-point weights (bootstrap p-values
# {glue:text}`wb_p_1:.4f` and {glue:text}`wb_p_2:.4f`; a p-value of 0 means no bootstrap draw was as extreme, i.e.
# p < 1/{glue:text}`n_boot`). The widest bootstrap interval is {glue:text}`wb_width_ratio:.3f` times the analytic
# one: with this many cities a ratio near 1 is expected, and then the analytic inference is not the weak point of
# the paper's design — the identifying assumption (parallel trends, previous chapters) is.

# %% tags=["hide-input"]
rerun_box(NB, {"data": data, "scenario": scenario, "n_draws": n_draws, "n_boot": n_boot, "seed": seed})

# %% [markdown]
# ## Exercises
#
# Each exercise changes one parameter of this page; the solutions (click to open) were computed when this page was
# built, with its `data` and `seed`.

# %% tags=["hide-input"]
from nqp_helpers.chapters import exercises as ex

ex.glue_answers("ex11b", ex.ex11_n_boot(data, seed, n_boot=999, base_n_boot=n_boot))
ex.glue_answers("ex11d", ex.ex11_n_draws(data, seed, n_draws=200))

# %% [markdown]
# ```{exercise} Fewer bootstrap draws
# :label: ex-11-n-boot
#
# Change `n_boot` to 999: `nqp run notebooks/12_inference.py -p n_boot 999`. Does the wild cluster bootstrap
# p-value (Rademacher weights) of the main coefficient change?
# ```
#
# ```{solution} ex-11-n-boot
# :class: dropdown
#
# With this page's `n_boot`: p = {glue:text}`ex11b_p_base:.4f`; with 999 draws: p = {glue:text}`ex11b_p_alt:.4f`.
# A bootstrap p-value is a share of draws, so it moves in steps of about 1/(B + 1): here
# {glue:text}`ex11b_floor_base:.5f` and {glue:text}`ex11b_floor_alt:.4f`. A p-value of 0 means no draw was as
# extreme: read it as "below 1/(B + 1)".
# ```
#
# ```{exercise} How many permutations?
# :label: ex-11-n-draws
#
# Change `n_draws` to 200: `nqp run notebooks/12_inference.py -p n_draws 200`. What is the randomisation-inference
# p-value for `Pro`, and how precise is it?
# ```
#
# ```{solution} ex-11-n-draws
# :class: dropdown
#
# p = {glue:text}`ex11d_p:.4f`, with a Monte Carlo standard error of {glue:text}`ex11d_mc_se:.4f`
# (√(p(1 − p)/200)); the smallest attainable p-value is 1/201 = {glue:text}`ex11d_floor:.4f`. Randomisation
# inference is exact for its null whatever the number of draws; more draws only reduce this simulation noise.
# ```
