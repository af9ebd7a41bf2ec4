# %% [markdown]
# # Teaching lab: when does two-way fixed effects fail, and when does a 95 % interval cover?
#
# This page draws many semi-synthetic panels with *known* true effects on the real skeleton (cities, years, pilot
# timing) and asks four estimators for the overall effect of the pilot: the paper's two-way fixed effects
# ({term}`TWFE`) and three estimators built for {term}`staggered adoption` (Callaway–Sant'Anna, Sun–Abraham,
# Borusyak–Jaravel–Spiess). It reports bias, RMSE and coverage of the 95 % interval in three worlds — constant,
# dynamic and cohort-heterogeneous effects — splits each bias into the part due to non-parallel trends and the part
# due to how the estimator weights heterogeneous effects, and shows what a standard error measures: every draw is a
# new sample of cities, and the page compares it with the lab's first version, which kept the same cities in every
# draw. The paper reports TWFE only; nothing here is evidence about China.
#
# ```{admonition} Learning goals
# :class: tip
# After this chapter you can
# 1. say what TWFE averages under staggered adoption: a weight for every treated city-year, smaller for long-treated
#    cells, {term}`forbidden comparisons <forbidden comparison>` included;
# 2. split an estimator's bias into a trend part ({term}`parallel trends`), a weighting part and a sample part, on
#    data whose true {term}`ATT` is known;
# 3. read the coverage of a 95 % interval together with its Monte Carlo standard error;
# 4. tell sampling-based from design-based uncertainty, and explain why redrawing only the noise on the same cities
#    makes intervals cover too often.
# ```

# %% tags=["parameters"]
data = "semi_synthetic"  # data track: "semi_synthetic" (default), "real" or a path; the Monte Carlo itself always needs the generator
seed = 20260101  # base seed: population p uses seed + p, draw d resamples with (seed, d) (the same in every world)
n_draws = 200  # resampled draws per world (200 makes coverage readable: one draw moves it by 1/200)
n_populations = 20  # simulated populations per world; also the draws of the fixed-city design
outcome = "Pro"  # outcome index: "Pro", "Lab", "Mea" or "Obj"
n_jobs = 2  # worker processes for simulating the populations (results do not depend on it)
progress = False  # show a tqdm progress bar (useful with many draws)

# %% tags=["hide-input"]
from IPython.display import display

from nqp_helpers import montecarlo as mc
from nqp_helpers import teaching_lab as lab
from nqp_helpers.chapters.glue import glue_all
from nqp_helpers.data.load import load_panel
from nqp_helpers.data.real_panel import real_panel
from nqp_helpers.display import rerun_box, save_table, track_banner
from nqp_helpers.plotting import glue_figure, set_style

NOTEBOOK = "13_teaching_lab"
set_style()
panel = load_panel(data, seed=seed)
track_banner(panel)

# %% [markdown]
# ## Why a Monte Carlo needs the semi-synthetic generator
#
# Bias and coverage are statements about the distance between an estimate and the *truth*, so they can only be
# measured where the truth is known. Whatever `data` is set to, the lab therefore draws its panels from the
# {term}`semi-synthetic <semi-synthetic track>` generator (`simulate_panel`) built on the **real skeleton**: the real 2004–2023 cities, their pilot
# years and their real controls; only the indicators are simulated, with both potential outcomes, so the true
# average effect on the treated cells is known in every draw.

# %% tags=["hide-input"]
if (note := lab.track_note(panel.attrs["track"])) is not None:
    print(note)
skeleton = real_panel()
track_banner("semi_synthetic")

# %% [markdown]
# ## What TWFE actually averages
#
# With `y = α_i + λ_t + τ_it·Inn_it + ε`, the TWFE coefficient on `Inn` is a weighted sum of the cell effects
# `τ_it` of the treated city-years, with weights `D̃_it / Σ D̃²` (`D̃` = treatment after removing city and year means;
# de Chaisemartin & D'Haultfœuille 2020). The weights sum to one but are not equal: they fall with time since
# adoption, and can turn negative for long-treated cells of early cohorts, which then serve as "controls" for later
# cohorts (the {term}`forbidden comparisons <forbidden comparison>` of Goodman-Bacon 2021). If effects are the same in every cell, any weights
# summing to one give the right answer; if effects grow with exposure or differ by cohort, TWFE targets a different
# number than the average effect.

# %% tags=["hide-input"]
w, wnum = lab.weights_numbers(skeleton)
glue_all(wnum)
glue_figure("fig_lab_weights", lab.weights_figure(w))

# %% [markdown]
# ```{glue:figure} fig_lab_weights
# :alt: Lines by adoption cohort of the TWFE weight of a treated city-year times the number of treated cells, against years since the pilot; a dashed line at 1 marks equal weights.
# :name: fig-lab-weights
#
# Weight TWFE gives to the effect of one treated city-year, by cohort and event time, relative to the
# equal weight `1/N` of the average effect on the treated (the dashed line; {glue:text}`n_cells` treated cells).
# ```
#
# Weights range from {glue:text}`w_min:.2f` to {glue:text}`w_max:.2f` times the equal weight, and a share
# {glue:text}`w_neg_share:.3f` of them is negative: with {glue:text}`n_never` never-treated cities as a large clean control group
# the forbidden comparisons carry little weight on this design, but impact-year cells still count several times more
# than cells many years after adoption.
#
# ## The experiment
#
# **Populations and samples.** A *population* is one panel from the generator on the real skeleton (seed
# `seed + p`): all {glue:text}`n_cities` cities with newly drawn development factors, effect heterogeneity and noise. A *draw* is a
# new **sample of cities** from a population: within each adoption {term}`cohort` (the {term}`never-treated` cities
# are one cohort)
# we draw as many cities as the cohort has, with replacement, and give every copy its own id, so a city drawn twice
# counts as two clusters. This is a cluster bootstrap of the skeleton, and it is the sampling model behind a
# city-clustered standard error: cities are independent draws, so both their persistent departures from their
# cohort's path and their own effects change from draw to draw. The lab takes {glue:text}`n_draws` draws per world
# from {glue:text}`n_populations` populations (draw `d` uses population `(d − 1) mod n_populations + 1`); simulating
# a population is the costly step, and resampling its cities and fitting all draws at once with the batched
# estimators is cheap.
#
# **Two truths per draw.** The *population ATT* is the mean of `y1 − y0` over the population's treated city-years;
# the *sample ATT* is the same mean over the treated city-years of the cities actually drawn. They differ because
# effects differ across cities and each draw holds a different mix of them.
#
# **Four estimators** of the overall effect on the outcome, each with its usual standard error:
#
# * **TWFE**: `y ~ Inn | city + year`, SE clustered by city;
# * **Callaway–Sant'Anna**: every cohort × year effect against the never-treated cities, averaged over the treated
#   cells (`simple` aggregation);
# * **Sun–Abraham**: the fully saturated cohort × event-time regression, averaged over all post-adoption cells
#   (`lags` set to the longest event time, so that it targets the same treated-cell average as the truth);
# * **BJS imputation**: fit city and year effects on untreated cells only, impute `Y(0)` for treated cells, average
#   the differences.
#
# Because every estimator is linear in the outcome and `y = y0 + (y1 − y0)·Inn`, its error against the population
# ATT splits *exactly* into a **trend part** (the estimator applied to `y0`, non-zero when pilot and other cities
# would not have moved in parallel), a **weighting part** (the estimator applied to the effects alone, minus the
# sample ATT) and the **sample part** (sample ATT minus population ATT, zero on average). The worlds change only the
# effects: `constant` (the same effect at every horizon), `dynamic` (small on impact, growing over eight years) and
# `heterogeneous` (earlier cohorts have larger, time-constant effects).

# %% tags=["hide-input"]
draws = mc.run_montecarlo(n_draws=n_draws, n_populations=n_populations, outcome=outcome, base_seed=seed,
                          skeleton=skeleton, n_jobs=n_jobs, progress=progress, designs=("resample", "fixed"))
summary = mc.summarise(draws)
save_table(draws, "montecarlo_draws", NOTEBOOK)
save_table(summary, "montecarlo_summary", NOTEBOOK)
glue_all({**lab.lab_numbers(summary, draws), "outcome": outcome})
display(lab.results_table(summary, "resample").style.format(precision=3).hide(axis="index"))

# %% [markdown]
# *Table 1.* Monte Carlo results for {glue:text}`outcome`, {glue:text}`n_draws` draws of new cities per world
# (semi-synthetic). Bias is against the population ATT and splits into the trend, weighting and sample parts;
# "SD of estimates" is the spread of the estimates across draws, "Mean SE" the average reported standard error;
# coverage is the share of 95 % intervals that contain the population ATT (one draw = 1/{glue:text}`n_draws`).

# %% tags=["hide-input"]
glue_figure("fig_lab_bias", lab.bias_coverage_figure(summary, outcome))

# %% [markdown]
# ```{glue:figure} fig_lab_bias
# :alt: Two bar charts by estimator and world: left the mean bias split into trend-and-sampling and weighting parts, right the coverage of the 95 % interval with a dashed line at 0.95.
# :name: fig-lab-bias
#
# Left: mean bias by estimator (groups) and world (colours), split into trends and sampling (plain bar)
# and weighting (hatched bar); the dot is the total. Right: coverage of the nominal 95 % interval (dashed line).
# ```
#
# ## Reading the results
#
# The verdicts below are chosen by the code from the table: an estimator "recovers the truth" when its mean bias is
# less than half its average reported standard error.
#
# **Constant effects.** TWFE's weighting part is {glue:text}`resample_constant_twfe_weighting_bias:.1e`: with the
# same average effect everywhere, any weights that sum to one recover it (the generator also makes each city's effect
# unrelated to the weight TWFE gives it), and the robust estimators' weighting parts are zero by construction. TWFE's
# total bias is {glue:text}`resample_constant_twfe_bias:.4f` against a truth of
# {glue:text}`resample_constant_twfe_mean_truth:.3f`, so TWFE {glue:text}`constant_twfe_verdict` (coverage
# {glue:text}`resample_constant_twfe_coverage:.3f`). What bias there is comes from the trend part, between
# {glue:text}`trend_min:.4f` and {glue:text}`trend_max:.4f` over all rows: the generator makes untreated paths
# parallel *given the six controls*, while the estimators here use no controls.
#
# **Dynamic effects.** Effects grow from 0.25 times the constant profile on impact to 2.25 times it after eight
# years. TWFE gives long-run cells less weight than impact cells ({numref}`fig-lab-weights`), so its weighting part is
# {glue:text}`resample_dynamic_twfe_weighting_bias:.3f` and its total bias
# {glue:text}`resample_dynamic_twfe_bias:.3f` (coverage {glue:text}`resample_dynamic_twfe_coverage:.3f`): TWFE
# {glue:text}`dynamic_twfe_verdict`. The three robust estimators have no weighting part.
#
# **Heterogeneous cohorts.** Earlier cohorts have larger effects; TWFE's weights by cohort differ from cohort sizes
# over treated cells, so its weighting part is {glue:text}`resample_heterogeneous_twfe_weighting_bias:.3f` (total
# {glue:text}`resample_heterogeneous_twfe_bias:.3f`, coverage
# {glue:text}`resample_heterogeneous_twfe_coverage:.3f`): TWFE {glue:text}`heterogeneous_twfe_verdict`. Again the
# robust estimators' weighting parts are zero.
#
# **What the robust estimators buy.** Callaway–Sant'Anna, Sun–Abraham and BJS imputation
# {glue:text}`robust_verdict`: their largest absolute bias over the three worlds is
# {glue:text}`robust_max_bias:.4f`, {glue:text}`robust_max_ratio:.2f` of their standard error.
# Callaway–Sant'Anna and Sun–Abraham {glue:text}`cs_sa_phrase` (never-treated controls, no covariates, balanced
# panel). Their price is precision: compare the SD of the estimates across rows (TWFE
# {glue:text}`resample_dynamic_twfe_sd_estimate:.4f`, BJS
# {glue:text}`resample_dynamic_imputation_bjs_sd_estimate:.4f` under dynamic effects). Their value is that their
# estimand is the average effect on the treated *whatever the effects look like*; whether the number is right then
# depends only on parallel trends, which the event-study pre-trends and the honest-DiD chapter examine.
#
# ## What a standard error measures: two kinds of uncertainty
#
# In the constant world the estimators cover the population ATT in {glue:text}`resample_constant_coverage_range`
# of the draws, and their average standard errors are {glue:text}`resample_constant_se_ratio_range` times the
# spread of their estimates: {glue:text}`se_phrase`. The lab's first version drew a new
# panel on the **same {glue:text}`n_cities` cities** every time. Run on the same populations, that design gives standard errors
# {glue:text}`fixed_constant_se_ratio_range` times the spread of the estimates and coverage of
# {glue:text}`fixed_constant_coverage_range` (Table 2).

# %% tags=["hide-input"]
display(lab.uncertainty_table(summary, "constant").style.format(precision=3).hide(axis="index"))

# %% [markdown]
# *Table 2.* The constant world under both sampling designs: new cities in every draw ({glue:text}`n_draws`
# draws) and the same cities in every draw (the first version, one draw per population,
# {glue:text}`n_populations` draws). "Sample ATT" is the average effect of the draw's own treated city-years; with
# the same cities it equals the population ATT.
#
# **Why the first version over-covered.** A city-clustered standard error is computed from how much each city's
# residuals move together over its years: city-level departures from the cohort's path, and (in the treated years)
# each city's own effect. It treats those as random, as if the cities had been drawn from a larger population and
# another sample would bring other cities. With the same cities in every draw, nothing of that changes: the effects
# and the mix of cities are the same, and the generator puts the cohort-by-year means of the untreated paths on
# parallel lines in every draw, so the city departures cancel within each cohort. Only the cell noise is redrawn,
# and the estimates move far less than the SE says. {numref}`fig-lab-intervals` shows the consequence for TWFE in
# the heterogeneous world: with the same cities the bias is
# {glue:text}`fixed_heterogeneous_twfe_bias:.3f` with coverage {glue:text}`fixed_heterogeneous_twfe_coverage:.2f`
# (new cities: {glue:text}`resample_heterogeneous_twfe_coverage:.3f`). Coverage in that design only says whether
# the bias is below about two standard errors.
#
# **Sampling-based and design-based uncertainty.** {cite:t}`abadie2020sampling` distinguish two questions an
# interval can answer. *Sampling-based*: the cities are a sample from a larger population and the estimand is the
# population's average effect; the uncertainty is which cities we happen to see. *Design-based*: the cities are the
# population, the estimand is *their* average effect (here the sample ATT), and the uncertainty comes only from
# which of them were treated when. The usual robust standard error answers the first question. For the second it is
# conservative whenever effects differ across units, because part of what it measures, the spread of the effects
# themselves, is not uncertainty about the sample's own average. The lab shows both: across new samples the draw's
# own ATT moves with an SD of {glue:text}`resample_constant_twfe_sd_truth_sample:.4f` (constant world), the TWFE
# estimate moves around it with an SD of {glue:text}`resample_constant_twfe_sd_error_sample:.4f`, and the
# intervals cover the sample ATT in {glue:text}`resample_constant_coverage_sample_range` of the draws, {glue:text}`sample_coverage_phrase`. The paper's
# panel covers nearly every prefecture-level city, so the design-based reading is the natural one there, and its
# cluster-robust intervals are then wider than they need to be for it; they are the right width for the question
# "what would another sample of cities show?".

# %% tags=["hide-input"]
glue_figure("fig_lab_intervals", lab.estimates_figure(draws, outcome, scenario="heterogeneous", estimator="twfe"))

# %% [markdown]
# ```{glue:figure} fig_lab_intervals
# :alt: Two panels of TWFE estimates with 95 % intervals in successive draws against the dashed population ATT; left, same cities, the estimates barely move from draw to draw; right, new cities, the estimates spread out and red intervals miss.
# :name: fig-lab-intervals
#
# TWFE in the heterogeneous world: estimates and 95 % intervals in the first draws of both designs,
# against the population ATT (dashed). Left: the same cities in every draw; right: new cities in every draw, with
# the ATT of each draw's own cities (crosses). Red intervals miss the population ATT.
# ```
#
# ```{note}
# All numbers are computed from the draws above. The Monte Carlo SEs of bias and coverage (`bias_mcse`,
# `coverage_mcse`, clustered by population) are in the saved summary table; with {glue:text}`n_draws` draws a
# coverage of 0.95 has a binomial Monte Carlo SE of {glue:text}`mcse_at_95:.3f`.
# ```

# %% tags=["hide-input"]
rerun_box(NOTEBOOK, {"data": data, "seed": seed, "n_draws": n_draws, "n_populations": n_populations,
                     "outcome": outcome, "n_jobs": n_jobs, "progress": progress})

# %% [markdown]
# ## Exercises
#
# Each exercise changes one parameter of this page; the solutions (click to open) were computed when this page was
# built, from its draws and, where the change needs new populations, from a Monte Carlo run with the same seeds.

# %% tags=["hide-input"]
from nqp_helpers.chapters import exercises as ex

ex.glue_answers("ex12d", ex.ex12_n_draws(draws, n_draws=min(50, n_draws)))
ex.glue_answers("ex12p", ex.ex12_n_populations(draws, skeleton, seed, n_populations=2 * n_populations,
                                               n_jobs=n_jobs))
ex.glue_answers("ex12o", ex.ex12_outcome(draws, skeleton, seed, outcome="Obj", n_jobs=n_jobs))

# %% [markdown]
# ```{exercise} Coverage and its Monte Carlo error
# :label: ex-12-n-draws
#
# Use a quarter of the draws: `nqp run notebooks/13_teaching_lab.py -p n_draws 50`. What is TWFE's coverage in the
# constant and the dynamic world, with its Monte Carlo standard error? Can you still tell the two worlds apart?
# ```
#
# ```{solution} ex-12-n-draws
# :class: dropdown
#
# With {glue:text}`ex12d_n_all` draws: constant {glue:text}`ex12d_cov_constant_all:.3f` (Monte Carlo SE
# {glue:text}`ex12d_mcse_constant_all:.3f`), dynamic {glue:text}`ex12d_cov_dynamic_all:.3f`
# ({glue:text}`ex12d_mcse_dynamic_all:.3f`), a difference of {glue:text}`ex12d_diff_all:.3f`. With
# {glue:text}`ex12d_n_alt` draws (the first ones of this page: draw *d* always uses the same population and the
# same resample of cities): constant {glue:text}`ex12d_cov_constant_alt:.3f`
# ({glue:text}`ex12d_mcse_constant_alt:.3f`), dynamic {glue:text}`ex12d_cov_dynamic_alt:.3f`
# ({glue:text}`ex12d_mcse_dynamic_alt:.3f`), a difference of {glue:text}`ex12d_diff_alt:.3f`. The Monte Carlo SE
# shrinks roughly like one over the square root of the number of draws; a difference in coverage means something
# only when it is several such SEs.
# ```
#
# ```{exercise} Is 100 % coverage evidence?
# :label: ex-12-n-populations
#
# The same-city design of Table 2 has only `n_populations` draws. Double them: `nqp run
# notebooks/13_teaching_lab.py -p n_populations 40`. Does TWFE in the constant world still cover every time, and
# which number in Table 2 is the stronger evidence that its intervals are too wide for that design?
# ```
#
# ```{solution} ex-12-n-populations
# :class: dropdown
#
# Same cities, {glue:text}`ex12p_n_base` draws: coverage {glue:text}`ex12p_cov_base:.3f`;
# {glue:text}`ex12p_n_alt` draws: {glue:text}`ex12p_cov_alt:.3f`. Were true coverage 95 %, all
# {glue:text}`ex12p_n_base` intervals would cover with probability {glue:text}`ex12p_p_all_base:.2f` and all
# {glue:text}`ex12p_n_alt` with {glue:text}`ex12p_p_all_alt:.2f`, so a run of hits alone is weak evidence. The
# stronger evidence is the mean SE over the spread of the estimates: {glue:text}`ex12p_se_ratio_base:.1f` and
# {glue:text}`ex12p_se_ratio_alt:.1f` with the same cities, against {glue:text}`ex12p_se_ratio_resample:.2f` with
# new cities (coverage {glue:text}`ex12p_cov_resample:.3f` on this page). The SE measures variation, which cities
# and their own effects, that the same-city design never produces.
# ```
#
# ```{exercise} Another outcome
# :label: ex-12-outcome
#
# Change `outcome` to `"Obj"`: `nqp run notebooks/13_teaching_lab.py -p outcome Obj`. How large is TWFE's bias in
# each world, against its Monte Carlo SE, and how much of it is the weighting part?
# ```
#
# ```{solution} ex-12-outcome
# :class: dropdown
#
# On `Obj` (population ATT about {glue:text}`ex12o_constant_mean_truth:.3f`), TWFE's bias is
# {glue:text}`ex12o_constant_bias:+.4f` (Monte Carlo SE {glue:text}`ex12o_constant_bias_mcse:.4f`, weighting part
# {glue:text}`ex12o_constant_weighting_bias:+.4f`) with constant effects, {glue:text}`ex12o_dynamic_bias:+.4f`
# ({glue:text}`ex12o_dynamic_bias_mcse:.4f`, weighting {glue:text}`ex12o_dynamic_weighting_bias:+.4f`) with dynamic
# effects and {glue:text}`ex12o_heterogeneous_bias:+.4f` ({glue:text}`ex12o_heterogeneous_bias_mcse:.4f`,
# weighting {glue:text}`ex12o_heterogeneous_weighting_bias:+.4f`) with heterogeneous cohorts; its mean SE is about
# {glue:text}`ex12o_constant_mean_se:.3f`. The robust estimators' largest absolute bias is
# {glue:text}`ex12o_robust_max_bias:.4f`. A bias is a finding only when it is several Monte Carlo SEs; whether it
# matters for inference depends on its size against the SE.
# ```
