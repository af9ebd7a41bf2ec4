# %% [markdown]
# # Table 2: the baseline two-way fixed-effects regressions
#
# This chapter re-estimates the paper's Table 2: the effect of becoming an innovative-city pilot (`Inn`) on the
# index `Pro` and its sub-indices `Lab`, `Mea`, `Obj`, with city and year fixed effects, without and with the six
# controls. With controls our estimate for `Pro` is {glue:text}`ours_pro_ctrl:.3f` against the paper's
# {glue:text}`paper_pro_ctrl:.3f`; the comparison table below sets paper, ours and (on the semi-synthetic track) the
# true effect side by side.
#
# ```{admonition} Learning goals
# :class: tip
# After this chapter you can
# 1. read a {term}`TWFE` table beside the paper's Table 2 and, on the {term}`semi-synthetic track`, the truth;
# 2. split a miss into a trend gap (failed {term}`parallel trends`) and a weighting gap;
# 3. say what clustering the standard errors changes (the standard errors and stars) and what it does not (the
#    estimate).
# ```

# %% tags=["parameters"]
data = "semi_synthetic"  # data track: "real", "semi_synthetic" (default) or a path to your own panel file
seed = 20260101  # seed of every random step (semi-synthetic generator)
weights = "paper"  # index weights: "paper" (default), "entropy", "critic" or "equal"
cluster = "city_code"  # column to cluster standard errors by (the paper: city)
pilot_years = "default"  # approval year of range-dated pilots: "default" (midpoint), "earliest" or "latest"

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
from IPython.display import Markdown, display
from myst_nb import glue

from nqp_helpers.chapters import baseline as ch
from nqp_helpers.chapters.glue import glue_all
from nqp_helpers.data.load import load_panel
from nqp_helpers.display import rerun_box, save_table, show_table, track_banner
from nqp_helpers.index_report import tidy_table2
from nqp_helpers.plotting import set_style
from nqp_helpers.regtable import save_regtable
from nqp_helpers.reported import reported

# %% tags=["hide-input"]
NB = "03_t2_baseline"
set_style()
panel = load_panel(data, seed=seed, weights=weights, pilot_years=pilot_years)
track = panel.attrs.get("track", "user")
track_banner(panel)

# %% tags=["hide-input"]
outcomes, controls = ch.sample_spec(panel, cluster)
display(Markdown(ch.sample_notes(track, outcomes, controls)))

# %% [markdown]
# ## The regression
#
# For city *i* in year *t*, `y_it = α_i + λ_t + β·Inn_it + γ'X_it + ε_it`, where `Inn_it = 1` from the approval
# year of the city's pilot on, `α_i` and `λ_t` are city and year fixed effects, and `X_it` the controls `Eco`
# (ln GDP per head), `Gov`, `Fix`, `Fin`, `Tra`, `Ope`. β is estimated by OLS on the two-way demeaned data.
#
# **Standard errors** are clustered by `cluster` (here {glue:text}`cluster_name`, {glue:text}`n_clusters` clusters):
# CR1 with the small-sample factor of Stata's reghdfe and R's fixest, `G/(G−1) × (N−1)/(N−K)` (K counts the
# slopes and the fixed effects not nested in the clusters), with p-values and confidence intervals from the
# t distribution with G − 1 degrees of freedom. The paper calls its standard errors "robust" without saying more;
# clustering by city is the usual practice for this design. The **constant** follows reghdfe (`ȳ − x̄'β`), so it
# is comparable with the paper's. **R²** is reported twice: *within* (after removing the fixed effects) and
# *overall* (of the full model including all fixed effects, what reghdfe prints as "R-squared"; the paper's
# 0.83–0.90 are of this kind).

# %% tags=["hide-input"]
t2 = ch.fit_table2(panel, outcomes, controls, cluster)
paper2 = reported(2, term=None)
truth = ch.truth_by_outcome(panel)
layout = ch.table2_layout(t2, truth, cluster)
save_regtable(layout, "table2_layout", NB)
display(layout)

# %% [markdown]
# Sample sizes: the paper reports N = {glue:text}`paper_n` in every column (278 cities × 20 years); ours are
# {glue:text}`n_noctrl` city-years without controls and {glue:text}`n_ctrl` with controls (first outcome shown;
# rows with a missing outcome or control are dropped, never filled on the real track).

# %% tags=["hide-input"]
glue_all(ch.sample_numbers(t2, paper2, cluster))

# %% [markdown]
# ## Paper, ours and the truth
#
# On the semi-synthetic track the true average effect on the treated (ATT) of each index is known: the simulator
# computes both potential outcomes of every city-year. With the paper's weights its effects on `Lab`, `Mea` and `Obj`
# are calibrated to the paper's Table 2 columns (4), (6) and (8); in the default scenario (`constant`, used here) the
# *average* effect is the same in every cohort and year, while individual cities' effects differ around it. With
# other `weights` the simulator rebuilds both potential outcomes with those weights, so the truth column is the exact
# ATT of the index actually analysed. A two-way fixed-effects regression recovers the ATT up to sampling noise *if*
# pilot and non-pilot cities would have followed parallel paths without the pilots (given the controls) and its
# implicit weights on treated cells are unrelated to their effects; the section after the figure measures both.
# `status` reads the comparison from the paper's point of view (same sign, significance at 10 %).

# %% tags=["hide-input"]
comparison = ch.comparison_table(t2, truth)
save_table(comparison, "table2_comparison", NB)
table2 = tidy_table2(t2.fits, paper2, t2.column_of, t2.controls_of, truth)
save_table(table2, "table2", NB)
show_table(comparison[ch.comparison_columns(truth)],
           caption="Coefficient of Inn: paper beside ours" + (" and the truth" if truth else ""),
           missing_note="— : no stars (not significant at 10 %) or no truth on this track.")

# %% tags=["hide-input"]
fig = ch.table2_figure(table2, t2, truth)
glue("fig_table2", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} fig_table2
# :alt: Coefficient plot with one row per outcome and specification; blue dots with horizontal 95% confidence intervals for our estimates, red diamonds for the paper's coefficients and, on the semi-synthetic track, green crosses for the true effects.
# :name: fig-table2
#
# Coefficient of `Inn` by outcome and specification: our estimate with its 95 % confidence interval (blue),
# the paper's Table 2 estimate (red diamond) and, on the semi-synthetic track, the true ATT (green cross).
# ```

# %% [markdown]
# ## Where the gap between ours and the truth comes from
#
# OLS is linear in the outcome, and the observed outcome is `Y = Y(0) + Inn × (Y(1) − Y(0))`. So our coefficient
# splits exactly into two regressions with the same regressors: the coefficient of `Inn` in a regression of the
# *untreated* outcome `Y(0)` (the "trend gap": zero in expectation if untreated paths are parallel), plus the
# coefficient in a regression of the effect part `Inn × (Y(1) − Y(0))` (how TWFE weights the true effects; equal to
# the ATT when effects are homogeneous). The semi-synthetic panel carries both potential outcomes, so both parts
# can be computed (`weighting_gap` = effect part − truth).

# %% tags=["hide-input"]
decomp = ch.bias_decomposition(panel, t2, controls, truth, cluster) if track == "semi_synthetic" and truth else None
numbers, verdict = ch.decomposition_numbers(decomp)
glue_all(numbers)
if decomp is not None:
    save_table(decomp, "table2_bias_decomposition", NB)
    display(show_table(decomp, caption="Bias decomposition by column"))
else:
    display(Markdown("**Not available on this track.** The decomposition needs both potential outcomes, which only "
                     "the semi-synthetic track has. On real or user data the trend gap "
                     "is unobservable; pre-trend tests and event studies (later chapters) are the indirect check."))

# %% [markdown]
# On the semi-synthetic track (with controls) the trend gap is {glue:text}`gap_Pro` (SE
# {glue:text}`gapse_Pro`) and the weighting gap {glue:text}`wgap_Pro` for `Pro`, against an
# estimate-minus-truth of {glue:text}`bias_Pro`; for `Lab` the trend gap is {glue:text}`gap_Lab` (SE
# {glue:text}`gapse_Lab`) and the estimate-minus-truth {glue:text}`bias_Lab` (other tracks: not computable,
# shown as —). {glue:text}`decomp_verdict`. Over all eight columns the largest |estimate − truth| is
# {glue:text}`max_abs_bias` and the largest |weighting gap| {glue:text}`max_abs_wgap`. Without the controls
# the trend gap for `Pro` is {glue:text}`gap_noctrl_Pro` (SE {glue:text}`gapse_noctrl_Pro`).
#
# Read this as a check of the estimator, not of the paper's identifying assumption. The simulator builds the untreated
# outcomes so that paths are parallel across adoption cohorts *given the six controls* (entering linearly, as in the
# paper's equation), and in the `constant` scenario it removes any correlation between a city's effect and the weight
# TWFE puts on it (see the data-generating-process appendix). TWFE without the controls has no such guarantee, because
# the real controls trend differently across cohorts. Whether the paper's index, a min-max transform of levels, has
# parallel untreated paths in the real data cannot be learned from Table 2; the event-study chapter examines the
# pre-trends.
#
# ## Why our `Pro` sits at the average of the sub-indices and the paper's does not
#
# `Pro` is a fixed linear combination of the sub-indices, `Pro = Σ_d W_d · sub_d` (here the dimension weights
# {glue:text}`dim_weights`). OLS is linear in the outcome: with the same regressors and the same sample, the
# coefficient on `Inn` in the `Pro` regression is exactly the same combination of the sub-index coefficients,
# `β_Pro = Σ_d W_d β_d`. Our estimates obey this: with controls, β_Pro = {glue:text}`ours_pro_ctrl:.3f` and
# Σ W_d β_d = {glue:text}`ours_comb_ctrl:.3f` (without controls {glue:text}`ours_pro_noctrl:.3f` and
# {glue:text}`ours_comb_noctrl:.3f`). The paper's weights are 1/3 each, so its `Pro` coefficient should be the
# plain mean of the sub-index coefficients: {glue:text}`paper_mean_ctrl:.3f` with controls and
# {glue:text}`paper_mean_noctrl:.3f` without. It prints {glue:text}`paper_pro_ctrl:.3f` and
# {glue:text}`paper_pro_noctrl:.3f`. All columns report the same N, so a different sample is not the explanation
# the table offers. Either `Pro` is not the equal-weight average of the printed sub-indices (for instance each index
# was rescaled separately after aggregation, which changes the implied weights), or the columns differ in a way the
# paper does not report. This does not change the sign of any result, but it means the paper's `Pro` coefficient
# cannot be reproduced from its own sub-index coefficients. The semi-synthetic simulator targets the paper's
# sub-index effects, and its true `Pro` effect is the same combination of the sub-index truths (with the paper's
# weights, their mean): {glue:text}`truth_pro` (— on other tracks), not the paper's
# {glue:text}`paper_pro_ctrl:.3f`.

# %% tags=["hide-input"]
glue_all(ch.linearity_numbers(panel, weights, t2, paper2, truth))
note = ch.linearity_note(panel, weights, track)
if note:
    display(Markdown(note))

# %% [markdown]
# ## What this track can and cannot show

# %% tags=["hide-input"]
Markdown(ch.track_note(track, verdict))

# %% tags=["hide-input"]
rerun_box(NB, {"data": data, "seed": seed, "weights": weights, "cluster": cluster, "pilot_years": pilot_years})

# %% [markdown]
# ## Exercises
#
# Each exercise changes one parameter of this page; the solutions (click to open) were computed when this page was
# built, with its `data` and `seed`.

# %% tags=["hide-input"]
from nqp_helpers.chapters import exercises as ex

ex.glue_answers("ex03w", ex.ex03_weights(data, seed, weights="equal"))
ex.glue_answers("ex03c", ex.ex03_cluster(data, seed, cluster="province"))
ex.glue_answers("ex03p", ex.ex03_pilot_years(data, seed, pilot_years="latest"))

# %% [markdown]
# ```{exercise} Another index, another truth
# :label: ex-03-weights
#
# Change `weights` to `"equal"` (every indicator weighted equally):
# `nqp run notebooks/03_t2_baseline.py -p weights equal`. Does TWFE with the controls still recover the true effect
# on `Pro`?
# ```
#
# ```{solution} ex-03-weights
# :class: dropdown
#
# Paper weights: estimate {glue:text}`ex03w_paper:.3f`, truth {glue:text}`ex03w_truth_paper:.3f` (gap
# {glue:text}`ex03w_gap_paper:+.3f`). Equal weights: estimate {glue:text}`ex03w_alt:.3f`, truth
# {glue:text}`ex03w_truth_alt:.3f` (gap {glue:text}`ex03w_gap_alt:+.3f`). The truth moves with the weights: a
# differently weighted index is a different outcome with its own {term}`ATT`. Judge an estimator by its gap to the
# truth of the index it analyses, not by the level.
# ```
#
# ```{exercise} Cluster by province
# :label: ex-03-cluster
#
# Change `cluster` to `"province"`: `nqp run notebooks/03_t2_baseline.py -p cluster province`. What happens to the
# coefficient, its standard error and the number of clusters?
# ```
#
# ```{solution} ex-03-cluster
# :class: dropdown
#
# The coefficient does not move (clustering changes only the standard error). By city: SE
# {glue:text}`ex03c_se_city:.4f` with {glue:text}`ex03c_g_city` clusters; by province: SE
# {glue:text}`ex03c_se_alt:.4f` with {glue:text}`ex03c_g_alt` clusters, a ratio of {glue:text}`ex03c_ratio:.2f`.
# Clustering by province allows shocks to be correlated across the cities of a province; with about thirty clusters
# the cluster-robust SE is itself imprecise, which is why {doc}`12_inference` adds the wild cluster bootstrap.
# ```
#
# ```{exercise} When was a pilot approved?
# :label: ex-03-pilot-years
#
# Some pilots are dated only to a range of years. Change `pilot_years` to `"latest"`:
# `nqp run notebooks/03_t2_baseline.py -p pilot_years latest`. How many cities change their approval year, and how much
# does the Table 2 coefficient move?
# ```
#
# ```{solution} ex-03-pilot-years
# :class: dropdown
#
# {glue:text}`ex03p_cities_moved` cities get a later approval year; the coefficient moves from
# {glue:text}`ex03p_default:.3f` to {glue:text}`ex03p_alt:.3f` (truth under the default dating:
# {glue:text}`ex03p_truth:.3f`). On the semi-synthetic track the data were generated with the default years, so
# `latest` deliberately mis-dates the treatment of those cities: a few misclassified {term}`cohort`s move the
# estimate little when they are a small share of the treated city-years.
# ```
