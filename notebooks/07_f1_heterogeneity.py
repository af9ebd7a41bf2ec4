# %% [markdown]
# # Heterogeneity across cities: Figure 1
#
# The paper splits the cities four ways (innovation type, population size, administrative level, old industrial
# base), estimates the baseline regression in each group and ranks the groups by the size of their coefficients. This
# page redoes the split regressions (Figure 1), then does what the paper did not: tests whether the group effects
# differ at all (pooled interaction model with a cluster-robust Wald test, and a permutation test) and which of the
# paper's orderings survive a multiplicity correction; on this track {glue:text}`n_orderings_survive` of the
# {glue:text}`n_orderings` orderings the paper states survive.
#
# ```{admonition} Learning goals
# :class: tip
# After this chapter you can
# 1. read split-sample estimates (Figure 1), and say why separate intervals do not show that groups differ;
# 2. test equal group effects (Wald and permutation tests) and rank groups only after a multiple-testing (Holm)
#    correction;
# 3. compare the paper's split-sample {term}`TWFE` with a heterogeneity-robust (imputation) estimate in each group,
#    against the group truths.
# ```

# %% tags=["parameters"]
data = "semi_synthetic"  # data track: "semi_synthetic" (default), "real" or a path to your own panel file
seed = 20260101  # seed of every random step (numpy default_rng): panel and permutations
scenario = "constant"  # semi-synthetic effect scenario: "constant", "dynamic" or "heterogeneous"
outcome = "Pro"  # index whose heterogeneity is shown: "Pro", "Lab", "Mea" or "Obj"
n_perm = 199  # permutations per split in the randomisation test of equal effects (more = slower, finer p-values)
alpha = 0.05  # level of the Holm-adjusted pairwise comparisons

# %% tags=["hide-input"]
from IPython.display import Markdown, display
from myst_nb import glue

from nqp_helpers import load_panel
from nqp_helpers.audit import check_heterogeneity_claims, heterogeneity_claim_values
from nqp_helpers.chapters import heterogeneity as het
from nqp_helpers.chapters.glue import glue_all
from nqp_helpers.data.attributes import subgroups
from nqp_helpers.display import rerun_box, save_table, track_banner
from nqp_helpers.plotting import glue_figure, set_style

set_style()
NOTEBOOK = "07_f1_heterogeneity"

# %% tags=["hide-input"]
panel = load_panel(data, seed=seed, **({"scenario": scenario} if data == "semi_synthetic" else {}))
track, truth = panel.attrs["track"], panel.attrs.get("truth")
track_banner(panel)

# %% [markdown]
# ## The four splits and how they are built here
#
# * **Innovation type** (paper: 策源地 / 增长极 / 集聚区 from the 2024 national innovative-city evaluation report).
#   That typology is not public, so this page uses a documented **proxy**: terciles of the city's pre-pilot
#   innovation capacity (mean log R&D personnel before the first pilot year, `innovation_tercile`), labelled
#   high / medium / low and read as 策源地 / 增长极 / 集聚区. On a track without the R&D-personnel indicators (and no
#   `innovation_group` column) this split cannot be built and is skipped.
# * **Population size**: the 2014 State Council standard's classes (`size_class`), grouped as megacity (超大 and 特大),
#   large (大城市 I and II), medium and small. The class is assigned from a base-year **population proxy**, not the
#   seventh census the paper cites.
# * **Administrative level**: hub = municipality, sub-provincial city or provincial capital; other = the rest.
# * **Old industrial base**: membership in the 2013 plan. Our list is **partial**; cities of unknown status are
#   excluded from this split (counts below).

# %% tags=["hide-input"]
sg = subgroups(panel)
d = panel.join(sg)
present = [s for s in het.SPLITS if s in sg.columns]
absent = [s for s in het.SPLITS if s not in sg.columns]
het.check_columns(panel, outcome)
if absent:
    display(Markdown(het.absent_note(track, absent)))
counts = het.subgroup_counts(d, present)
display(counts)
glue_all(het.count_values(d, counts, present))

# %% [markdown]
# Old-industrial-base status is unknown for {glue:text}`n_unknown_oib` of the {glue:text}`n_cities` cities; they are
# left out of panel (1d). A group with no pilot city (or no variation in the pilot dummy) has no estimable effect and
# is reported as such rather than dropped silently. Groups with fewer than five pilot cities:
# {glue:text}`few_pilot_groups`. With one or two treated clusters a cluster-robust standard error is unreliable
# (typically far too small), so the narrow intervals of such groups in the figure should not be trusted.
#
# ## Figure 1: separate regressions per group
#
# Each group gets the baseline regression (the outcome on Inn, the six controls, city and year fixed effects;
# SEs clustered by city), exactly as the paper's Figure 1 does (`estimator` = `subgroup_twfe`). Beside it, for the
# same rows, a heterogeneity-robust estimate: the imputation estimator of Borusyak, Jaravel and Spiess
# (`imputation_bjs`; untreated city-years of the group, never- and not-yet-treated, fit the counterfactual). On the
# semi-synthetic track each TWFE row also carries the split used for Table 2: `trend_gap` (the same regression on
# the untreated outcome, zero in expectation when untreated paths are parallel within the group) and
# `weighting_gap` (the regression on the effect part minus the group's ATT). `never_treated_cities` counts the
# group's cities that never become pilots.

# %% tags=["hide-input"]
fig1 = het.figure1_table(d, present, counts, outcome, truth, track)
save_table(fig1, "figure1", NOTEBOOK)
glue("figure1_misses", het.explain_misses(fig1), display=False)
fig1.round(3)

# %% tags=["hide-input"]
glue_figure("fig_heterogeneity", het.figure1_figure(fig1, present, outcome))

# %% [markdown]
# ```{glue:figure} fig_heterogeneity
# :alt: Four coefficient plots, one per split (innovation capacity, population size, administrative level, old industrial base), one row per group and estimator: dots with horizontal 95 percent confidence intervals for the paper's split-sample TWFE and for the heterogeneity-robust imputation estimate, and, on the semi-synthetic track, green crosses for the true group effects; the legend sits below the panels.
# :name: fig-heterogeneity
#
# Figure 1 (re-made): the pilot's effect on the chosen index estimated separately in each group, by split-sample
# TWFE (the paper's estimator) and by imputation, with 95 % confidence intervals; green crosses are the true group
# effects on the semi-synthetic track (average effect over the group's treated city-years). Groups with no pilot
# city are not shown. Group labels: innovation high/medium/low ≈ the paper's 策源地/增长极/集聚区 (proxy); size
# megacity/large/medium/small ≈ 特大/大型/中型/小型.
# ```
#
# ### Every TWFE miss beyond 2 standard errors, attributed
#
# {glue:text}`figure1_misses`
#
# Parallel trends hold by construction, in expectation, within the administrative-level, megacity and innovation
# groups of the semi-synthetic world: untreated paths are made parallel across adoption cohorts within each
# hub × megacity × innovation stratum (hence also in the whole sample; on this track the innovation group is the
# tercile of the development factor that drives the simulated R&D personnel). They are **not** guaranteed within
# the large, medium and small size classes taken separately or within the old-industrial-base split; the
# `trend_gap` column measures them on the page. A group with one or two pilot cities compares those few cities'
# paths with the rest, and its cluster-robust SE is unreliable (typically too small).
#
# ## Are the group effects different? (not in the paper)
#
# Separately estimated coefficients with overlapping intervals do not show that the groups differ, and their ranking
# can be noise. Three checks, each on one **pooled** model with Inn × 1[group = g] for every group, common controls and
# year effects, city fixed effects, SEs clustered by city:
#
# 1. a cluster-robust **Wald test** of H0: all group effects equal (F with q = groups − 1 and G − 1 degrees of freedom);
# 2. a **permutation test** of the same H0: city labels are reshuffled across cities (group sizes kept) `n_perm`
#    times and the Wald statistic recomputed;
# 3. every **pairwise difference** with a Holm-adjusted p-value: an ordering "survives" if its adjusted p < `alpha`.
#
# The pooled model (common year effects and control coefficients) and the separate regressions of Figure 1 need not
# rank the groups the same way; with `interact_controls=True, group_time_fe=True` the pooled group effects equal the
# separate ones (see `nqp_helpers.estimators.heterogeneity`).

# %% tags=["hide-input"]
tests, pairs = het.equality_tests(d, present, outcome, n_perm, seed, alpha, track)
save_table(tests, "equal_effects_tests", NOTEBOOK)
save_table(pairs, "pairwise_orderings", NOTEBOOK)
display(tests.round(4))
pairs[[c for c in het.PAIR_COLUMNS if c in pairs]].round(4)

# %% [markdown]
# ## The paper's claims, one by one
#
# The text states, for Figure 1: effects decrease from 策源地 to 增长极 to 集聚区 cities and are significant in all
# three; among size classes they are significant only in large, medium and small cities and decrease in that order
# (not significant in 特大 cities); hub cities > other cities, both significant; old-industrial-base cities > others,
# both significant. The claims, each with the sentence it comes from, are data
# (`data/paper/heterogeneity_claims.csv`). Each is checked below on this track: a significance claim against the
# group's own regression (p < 0.10), an ordering claim against the pooled model's Holm-adjusted pairwise test.

# %% tags=["hide-input"]
claims = check_heterogeneity_claims("paper", pairs, fig1, alpha, outcome, track, truth)
save_table(claims, "paper_claims", NOTEBOOK)
glue_all(heterogeneity_claim_values(claims))
claims.round(4)

# %% [markdown]
# On this track {glue:text}`n_claims_hold` of the paper's heterogeneity statements hold in the sense above
# ({glue:text}`n_claims_untestable` cannot be tested: the split is missing, or a group has no pilot city).
# {glue:text}`n_orderings_survive` of the {glue:text}`n_orderings` orderings the paper states are supported by
# a test of the difference. Small groups (few pilot cities, e.g. medium and small cities under the 2014 standard)
# give wide intervals: a ranking of their point estimates says little.
#
# On the semi-synthetic track the true group effects are known (green crosses in Figure 1, the `truth` column and
# `true_difference` in the claims table). The simulator builds city multipliers in the direction of the paper's
# claims, but the realised group averages also depend on which cities in each group are pilots and when; here
# {glue:text}`truth_orderings`. Where the truth follows an ordering, a failure to detect it shows the power of the
# design, not the absence of the difference.

# %% tags=["hide-input"]
rerun_box(NOTEBOOK, {"data": data, "seed": seed, "scenario": scenario, "outcome": outcome, "n_perm": n_perm,
                     "alpha": alpha})

# %% [markdown]
# ## Exercises
#
# Each exercise changes one parameter of this page; the solutions (click to open) were computed when this page was
# built, with its `data`, `seed`, `outcome` and, unless the exercise changes it, its `scenario` and `alpha`.

# %% tags=["hide-input"]
from nqp_helpers.chapters import exercises as ex

ex.glue_answers("ex07s", ex.ex07_scenario(data, seed, "heterogeneous", scenario, alpha, outcome))
ex.glue_answers("ex07a", ex.ex07_alpha(data, seed, scenario, alpha=0.10, base_alpha=alpha, outcome=outcome))

# %% [markdown]
# ```{exercise} Effects that differ by cohort
# :label: ex-07-scenario
#
# Let the pilot's effect differ by adoption cohort: `nqp run notebooks/07_f1_heterogeneity.py -p scenario heterogeneous`.
# How many of the pairwise differences between groups survive the Holm correction now, and which?
# ```
#
# ```{solution} ex-07-scenario
# :class: dropdown
#
# With this page's scenario, {glue:text}`ex07s_n_base` of the {glue:text}`ex07s_pairs_base` pairwise differences
# survive ({glue:md}`ex07s_list_base`). With `scenario = "heterogeneous"`, {glue:text}`ex07s_n_alt` of
# {glue:text}`ex07s_pairs_alt` survive: {glue:md}`ex07s_list_alt`. The splits do not define the cohorts, but each
# group holds its own mix of early and late pilots; when early cohorts gain more, the group averages drift apart
# with that mix. A surviving difference is then real in this world, yet it is a difference in who adopted when,
# not in the kind of city. (On the real track the scenario does nothing: both counts are the same.)
# ```
#
# ```{exercise} A looser level
# :label: ex-07-alpha
#
# Raise the level of the pairwise comparisons: `nqp run notebooks/07_f1_heterogeneity.py -p alpha 0.10`. How many
# orderings survive now, and which ones changed?
# ```
#
# ```{solution} ex-07-alpha
# :class: dropdown
#
# At this page's level {glue:text}`ex07a_n_base` of the {glue:text}`ex07a_pairs` orderings survive; at 0.10,
# {glue:text}`ex07a_n_alt`. Orderings whose Holm-adjusted p-value lies between the two levels (the only ones that
# can change): {glue:md}`ex07a_changed`. The tests and their p-values are the same; only the threshold moves. Within
# a split, Holm multiplies the smallest p-value by the number of comparisons, so a looser level helps less than it
# seems, and choosing the level after seeing the p-values would make the correction meaningless.
# ```
