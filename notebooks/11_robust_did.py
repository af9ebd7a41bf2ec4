# %% [markdown]
# # Robust difference-in-differences: beyond TWFE
#
# Since 2021 it is known that the two-way fixed-effects (TWFE) coefficient, the paper's estimator, can be badly
# biased when pilots start in different years and their effects differ across cohorts or grow over time. This page
# re-estimates every outcome with the estimators built to avoid that problem — Callaway–Sant'Anna, Sun–Abraham,
# Borusyak–Jaravel–Spiess imputation and de Chaisemartin–D'Haultfœuille — puts them beside TWFE (and beside the
# truth on the semi-synthetic track), and then asks how far parallel trends may fail before the conclusion changes
# (HonestDiD).
#
# ```{admonition} Learning goals
# :class: tip
# After this chapter you can
# 1. say which comparisons TWFE makes that the robust estimators never make ({term}`forbidden comparison`);
# 2. read a Callaway–Sant'Anna table: {term}`ATT(g,t) <ATT>` by {term}`cohort`, aggregated by {term}`event time`
#    or overall, with {term}`never-treated` or {term}`not-yet-treated` comparisons;
# 3. estimate Callaway–Sant'Anna under parallel trends *conditional on the paper's controls* (doubly robust, IPW,
#    outcome regression) and check {term}`overlap` of the propensity scores;
# 4. say how large a violation of parallel trends ({term}`M̄ <M-bar>`, HonestDiD) the conclusion survives.
# ```

# %% tags=["parameters"]
data = "semi_synthetic"  # data track: "semi_synthetic" (default), "real" or a path to your own panel file
seed = 20260101  # seed of every random step (semi-synthetic generator)
scenario = "constant"  # semi-synthetic effects: "constant", "dynamic" (grow with exposure) or "heterogeneous" (by cohort)
honest_outcome = "Pro"  # outcome of the HonestDiD sensitivity analysis
honest_leads = 4  # pre-period event times of the event study fed to HonestDiD (end point binned)
honest_lags = 3  # post-period event times of that event study (end point binned)
honest_grid = 400  # scan points per side before the relative-magnitude end points are bisected to 1e-9 (a narrower accepted island could be missed)
cs_outcome = "Pro"  # outcome of the conditional Callaway–Sant'Anna comparison (paper's controls)
cs_method = "dr"  # 2x2 estimator shown in the overlap table: "dr" (doubly robust), "ipw" or "reg"

# %% tags=["hide-input"]
from IPython.display import Markdown, display

from nqp_helpers.chapters import robust_did as rd
from nqp_helpers.chapters.glue import glue_all
from nqp_helpers.data.load import load_panel
from nqp_helpers.display import rerun_box, save_table, track_banner
from nqp_helpers.plotting import glue_figure, set_style
from nqp_helpers.variables import OUTCOMES

NB = "11_robust_did"
set_style()

# %% tags=["hide-input"]
panel = load_panel(data, seed=seed, scenario=scenario)
track = panel.attrs.get("track", "user")
truth = panel.attrs.get("truth")
track_banner(panel)

# %% [markdown]
# `scenario` changes only the semi-synthetic track: `"constant"` (one effect for everyone: TWFE is fine),
# `"dynamic"` (effects grow with years since approval) and `"heterogeneous"` (effects differ by cohort). The
# teaching-lab chapter runs all three; re-run this page with another `scenario` to see one of them in full.
#
# ## Who is compared with whom
#
# | estimator | treated cities are compared with … | notes |
# |---|---|---|
# | **TWFE** (paper) | everybody not switching in that year, *including cities approved earlier* | a variance-weighted average of 2×2 comparisons (previous chapter); forbidden comparisons possible |
# | **Callaway–Sant'Anna**, never treated | cities that are never pilots, same years | one clean 2×2 per cohort and year, then averaged |
# | **Callaway–Sant'Anna**, not yet treated | never-treated cities plus pilots approved *later*, while still unapproved | more controls, relies on later pilots not anticipating |
# | **Sun–Abraham** | never-treated cities (a TWFE with one dummy per cohort × year-since-approval) | cohort effects averaged with cohort-share weights |
# | **Borusyak–Jaravel–Spiess** (imputation) | fits city and year effects on *untreated* city-years only, then predicts each treated city-year's untreated outcome | uses every untreated year, efficient |
# | **de Chaisemartin–D'Haultfœuille** | cities not yet treated at that horizon (never-treated included) | for a one-off, permanent treatment it equals CS not-yet-treated |
#
# None of the robust estimators ever uses an already-treated city as a control (a {term}`forbidden comparison`). All
# share one assumption: without the pilots, pilot and other cities would have moved in parallel. Controls: TWFE is
# shown with and without the paper's six controls; the robust estimators in this first comparison are unconditional,
# so the like-for-like comparison is with TWFE *without* controls. The section
# {ref}`Conditional parallel trends <conditional-cs>` then adds the paper's controls to Callaway–Sant'Anna.
#
# **Sample.** Callaway–Sant'Anna needs a balanced panel, so every estimator uses the same sample: the years in which
# the outcome exists and the cities observed in all of them. Pilots approved after the last of those years are
# never treated *within the sample* and count as never treated.

# %% tags=["hide-input"]
CONTROLS = rd.available_controls(panel)
outcomes = [o for o in OUTCOMES if o in panel and panel[o].notna().any()]
absent = [o for o in OUTCOMES if o not in outcomes]
if absent:
    display(Markdown(f"**Not estimated:** {', '.join(absent)} — absent on this track (never simulated)."))

# %% [markdown]
# ## de Chaisemartin–D'Haultfœuille: the implementation
#
# We use `moderndid.did_multiplegt` (the Python port of the maintained Stata/R `did_multiplegt_dyn`). For a binary,
# permanent treatment like the pilots its horizon-ℓ effect is, by construction, the Callaway–Sant'Anna
# not-yet-treated effect at event time ℓ − 1 with cohort-size weights; the cell below checks that on the first
# outcome. Its overall number (`ate`) averages the effects of the first `L` horizons, a different target from the
# others, so it is reported with its horizon count.

# %% tags=["hide-input"]
check, L, dcdh_numbers = rd.dcdh_check(panel, outcomes[0])  # L: the dCDH horizons used below
glue_all(dcdh_numbers)
save_table(check, "dcdh_vs_cs_check", NB)
check.style.format(precision=6).hide(axis="index")

# %% [markdown]
# moderndid {glue:text}`moderndid_version`: the largest difference between the dCDH horizon effects and the
# matching Callaway–Sant'Anna effects is {glue:text}`dcdh_maxdiff:.1e` — the same numbers, computed by independent
# code. (Their standard errors differ slightly: different influence-function conventions.)
#
# ## All estimators, all outcomes

# %% tags=["hide-input"]
comparison, cs_table = rd.robust_comparison(panel, outcomes, horizons=L)
comparison["track"] = track
comparison["scenario"] = scenario if track == "semi_synthetic" else ""
save_table(comparison, "robust_comparison", NB)
save_table(cs_table, "callaway_santanna_aggregations", NB)
piv = rd.comparison_pivot(comparison, outcomes)
glue_all(rd.comparison_numbers(piv, "Pro"))
piv.round(3)

# %% [markdown]
# For Pro, TWFE with the paper's controls gives {glue:text}`cmp_0:.3f`; the imputation estimator
# {glue:text}`cmp_1:.3f`; Callaway–Sant'Anna with never-treated controls {glue:text}`cmp_2:.3f`. The table saved as
# `robust_comparison.csv` holds every estimate with its standard error and interval. Each estimator reports its
# own standard-error convention (see its module's docstring): TWFE, Sun–Abraham: CR1 clustered by city with t
# inference; Callaway–Sant'Anna: influence function, normal; imputation: Gardner two-stage, clustered.
#
# Callaway–Sant'Anna aggregations (overall numbers): *simple* weights every treated city-year equally, *dynamic*
# averages the event-time effects (so long horizons, seen only for early cohorts, count as much as year 0), *group*
# averages each cohort's effect and then the cohorts by size. With constant effects all three agree; when they
# differ, the effects differ by exposure or by cohort.

# %% tags=["hide-input"]
cs_table.style.format(precision=4).hide(axis="index")

# %% tags=["hide-input"]
glue_figure("fig_compare", rd.comparison_figure(comparison, outcomes, with_truth=truth is not None))

# %% [markdown]
# ```{glue:figure} fig_compare
# :alt: For each outcome, point estimates and 95% intervals of TWFE and the robust estimators; green crosses mark the true effect on the semi-synthetic track.
# :name: fig-robust-compare
#
# TWFE (with and without the paper's controls) and the heterogeneity-robust estimators, one panel per outcome, 95%
# intervals. Green crosses (semi-synthetic track): the true average effect on the treated city-years — the target of
# Callaway–Sant'Anna (simple), Sun–Abraham and imputation. dCDH averages its first horizons and has no cross.
# ```

# %% [markdown]
# ### A check only simulated data allow: the estimators on the untreated outcome
#
# The semi-synthetic panel also stores each city's *untreated* outcome `Pro_y0`, whose true pilot effect is zero by
# construction. Any estimate on it is bias from a failure of parallel trends in the simulated data (plus noise) —
# the one thing no estimator on this page can fix.

# %% tags=["hide-input"]
if "Pro_y0" in panel:
    bias, msg = rd.untreated_bias_check(panel)
    save_table(bias, "bias_check_untreated_outcome", NB)
    display(Markdown(msg))
    display(bias.style.format(precision=4).hide(axis="index"))
else:
    display(Markdown("Not available on this track: untreated potential outcomes exist only in simulated data."))

# %% [markdown]
# (conditional-cs)=
# ## Conditional parallel trends: Callaway–Sant'Anna with the paper's controls
#
# The paper adds six controls to its regressions because pilot cities differ from the others (richer, more
# open, more invested). Its identifying assumption is therefore *conditional* parallel trends: pilot and other cities
# **with the same controls** would have moved in parallel without the pilots. Callaway–Sant'Anna can use that
# assumption directly, without TWFE's linear model of the effects: in every {term}`ATT(g,t) <ATT>` cell it compares
# the pilots' change with the change of comparison cities made to look like the pilots on the controls. Three ways
# of doing so (Sant'Anna & Zhao 2020, as in R `did` and moderndid):
#
# * **outcome regression**: predict each pilot's untreated change from a regression of the comparison cities'
#   change on the controls;
# * **IPW**: reweight the comparison cities by their {term}`propensity score` odds, so that their controls look like
#   the pilots';
# * **doubly robust** (did's default): both at once; consistent if *either* model is right.
#
# The controls are taken in each cell's base year (before the cohort's approval), so they act as pre-treatment
# characteristics and a control moved by the pilot itself does not absorb the effect. Everything below uses one
# sample: the cities with `cs_outcome` and all the controls in every year. Standard errors: influence function,
# clustered by city, including the estimation error of the propensity score and the regression.

# %% tags=["hide-input"]
if cs_outcome in outcomes and CONTROLS:
    cond, cond_cells = rd.conditional_comparison(panel, cs_outcome, CONTROLS, truth=rd.truth_att(panel, cs_outcome))
    save_table(cond, "conditional_callaway_santanna", NB)
    glue_all({**rd.conditional_headline(cond), **rd.overlap_facts(cond_cells, cs_method)}, prefix="cond_")
    display(rd.comparison_display(cond).style.hide(axis="index"))
else:
    display(Markdown(f"**Conditional comparison skipped:** {cs_outcome} or the paper's controls are absent."))

# %% [markdown]
# On {glue:text}`cond_n_cities` cities, TWFE with the paper's controls gives {glue:text}`cond_twfe:.3f`;
# Callaway–Sant'Anna with {term}`never-treated` comparisons gives {glue:text}`cond_cs_none:.3f` without controls and,
# with them, {glue:text}`cond_cs_dr:.3f` (doubly robust), {glue:text}`cond_cs_ipw:.3f` (IPW) and
# {glue:text}`cond_cs_reg:.3f` (outcome regression); doubly robust with {term}`not-yet-treated` comparisons,
# {glue:text}`cond_cs_dr_nyt:.3f`. "Truth" (semi-synthetic track) is the true average effect on the treated
# city-years; "—" marks a track without one, and the missing standard error of the two-step row (explained below). "Cells skipped" counts ATT(g,t) cells without {term}`overlap`, left out
# exactly as R `did` leaves them out (see below).
#
# ### Two meanings of "conditional on the controls"
#
# The paper's regression adjusts for the controls *as they move*: a city whose GDP per head grows faster is expected
# to gain more on the index, by the same coefficient for every city (`Pro = city + year + θ′X_it + τ·Inn`).
# Callaway–Sant'Anna with covariates instead compares cities with the same control *levels* in the base year and
# lets their outcome trends differ freely with those levels. Neither assumption implies the other: if pilot cities'
# controls grow faster than those of comparison cities with the same starting levels, only the first holds. The
# semi-synthetic world is built to satisfy the paper's version (its generator guarantees parallel trends after the
# linear adjustment θ′X_it, and it keeps the real controls' diverging trends), so there CS on base-period levels
# need not find the truth. The last row of the table separates the two: it takes the paper's adjustment first
# (subtracting θ′X_it with TWFE's θ) and then makes Callaway–Sant'Anna's clean comparisons, giving
# {glue:text}`cond_cs_adjusted:.3f`.

# %% tags=["hide-input"]
if cs_outcome in outcomes and CONTROLS:
    display(Markdown(rd.conditional_verdict(rd.conditional_headline(cond), rd.truth_att(panel, cs_outcome),
                                            rd.conditional_headline(cond)["cs_adjusted"])))

# %% [markdown]
# The lesson for applied work: "we control for X" is not one assumption. With slowly moving, pre-determined
# covariates the two coincide; with controls that trend differently across groups (GDP, fiscal spending, openness)
# decide which version of parallel trends you believe and pick the estimator that uses it — or, as the two-step row
# does, combine the time-varying adjustment with clean comparisons (Caetano et al. 2022 develop this properly).
#
# ### Overlap: can the comparison cities look like the pilots?
#
# Reweighting works only if, for every pilot, some comparison cities have similar controls: propensity scores must
# stay away from 1. A cohort of a few large, rich cities can be almost perfectly predicted by six controls; R `did`
# then skips the cell (a score of 0.999 or more), and the weights of comparison cities with a score of 0.995 or more
# are set to zero ("trimmed"). For the `cs_method` estimator with never-treated comparisons,
# {glue:text}`cond_cells_kept` cells are estimated and {glue:text}`cond_cells_skipped` skipped; in the estimated
# cells the scores range from {glue:text}`cond_ps_min:.3f` to {glue:text}`cond_ps_max:.3f`, and at most
# {glue:text}`cond_share_trimmed_max:.1%` of a cell's comparison cities are trimmed. The table, by cohort:

# %% tags=["hide-input"]
if cs_outcome in outcomes and CONTROLS:
    ov = rd.overlap_summary(cond_cells, cs_method)
    save_table(ov, "conditional_callaway_santanna_overlap", NB)
    display(rd.overlap_display(ov).style.hide(axis="index"))

# %% [markdown]
# "—": a cohort with no estimated cell has no scores to report. A skipped cell is not an error of the estimator: it
# says that the data cannot answer "what would this cohort have done without the pilot, *given its controls*"
# without extrapolating far beyond the comparison cities. A small cohort of large cities can lose all its cells. The
# overall ATT then averages only the estimated cells, so it is an average over a smaller set of pilots and years
# than the unconditional one; a gap between the two can come from the controls *or* from that change of target.

# %% [markdown]
# ## HonestDiD: how wrong may parallel trends be?
#
# Rambachan & Roth (2023) replace "parallel trends hold exactly" by a bound on how much they may fail after approval,
# and report confidence intervals valid under that bound. Two kinds of bound:
#
# * **Relative magnitude** ($\bar M$): the post-approval violation in any one year is at most $\bar M$ times the
#   largest year-to-year violation seen *before* approval. $\bar M = 1$: "no worse than the worst pre-period".
#   Intervals: the conditional/least-favourable hybrid test (as in R's HonestDiD and moderndid), inverted exactly: the
#   test statistic is convex in the effect, so the accepted set is found by a scan of `honest_grid` points on each
#   side of the certainly-accepted core and bisection of each end point to 1e-9 (R uses a 1,000-point grid).
# * **Smoothness** ($M$): the trend violation may bend by at most $M$ index points per year (its second difference);
#   $M = 0$ allows a straight-line continuation of the pre-trend. Intervals: fixed-length (our implementation, checked
#   against moderndid's).
#
# The input is the TWFE event study of `honest_outcome` (binned end points, reference year −1) and the target is the
# effect in the approval year (`e = 0`). The "breakdown" value is the smallest bound at which the interval
# includes 0.

# %% tags=["hide-input"]
if honest_outcome not in outcomes:
    display(Markdown(f"**HonestDiD skipped:** {honest_outcome} is absent on this track."))
else:
    sens = rd.honest_sensitivity(panel, honest_outcome, honest_leads, honest_lags, honest_grid)
    save_table(sens, "honest_did", NB)
    glue_all({m: Markdown(v) for m, v in rd.breakdown_values(sens).items()}, prefix="breakdown_")
    glue_figure("fig_honest", rd.honest_figure(sens, honest_outcome))
    display(sens.style.format(precision=4, na_rep="—").hide(axis="index"))

# %% [markdown]
# ```{glue:figure} fig_honest
# :alt: Two panels of confidence intervals that widen as the allowed violation of parallel trends grows; left relative-magnitude bound, right smoothness bound.
# :name: fig-honest-did
#
# HonestDiD sensitivity of the on-impact effect on the HonestDiD outcome: red, the conventional interval (exact
# parallel trends); blue, robust 95% intervals as the allowed violation grows. Left: relative magnitude
# $\bar M$. Right: smoothness $M$.
# ```
#
# The effect stays significantly positive until $\bar M$ = {glue:md}`breakdown_relative_magnitude` (relative
# magnitude) and until $M$ = {glue:md}`breakdown_smoothness` (smoothness): below these values, the conclusion
# "the pilots raised the index on impact" survives violations of parallel trends of that size. (The two intervals
# use different constructions and bounds of different meaning; compare each with its own "original".) HonestDiD
# bounds only *how wrong* the trends may be, measured against the pre-period; a violation that appears only after
# approval is exactly what $\bar M$ calibrated on
# small leads will understate — the semi-synthetic check above shows whether the simulated data contain one.

# %% tags=["hide-input"]
rerun_box(NB, {"data": data, "scenario": scenario, "honest_outcome": honest_outcome, "honest_grid": honest_grid,
               "cs_outcome": cs_outcome, "cs_method": cs_method})

# %% [markdown]
# ## Exercises
#
# Each exercise changes one parameter of this page; the solutions (click to open) were computed when this page was
# built, with its `data` and `seed`.

# %% tags=["hide-input"]
from nqp_helpers.chapters import exercises as ex

ex.glue_answers("ex10s", ex.ex10_scenario(data, seed, scenario="heterogeneous", outcome=cs_outcome))
ex.glue_answers("ex10m", ex.ex10_cs_method(data, seed, method="ipw", outcome=cs_outcome))
ex.glue_answers("ex10r", ex.ex10_real(outcome=cs_outcome))

# %% [markdown]
# ```{exercise} Effects that differ by cohort
# :label: ex-10-scenario
#
# Change `scenario` to `"heterogeneous"`: `nqp run notebooks/11_robust_did.py -p scenario heterogeneous`. How far
# are TWFE (no controls) and Callaway–Sant'Anna ({term}`never-treated`, simple aggregation) from the truth on `Pro`?
# ```
#
# ```{solution} ex-10-scenario
# :class: dropdown
#
# TWFE: {glue:text}`ex10s_twfe:.3f` (gap {glue:text}`ex10s_gap_twfe:+.3f`); Callaway–Sant'Anna:
# {glue:text}`ex10s_cs:.3f` (gap {glue:text}`ex10s_gap_cs:+.3f`); truth {glue:text}`ex10s_truth:.3f`. TWFE weights
# cohorts by the variance of their treatment dummy, not by their size, so with cohort-specific effects it targets a
# different average; Callaway–Sant'Anna's simple aggregation weights every treated city-year equally, which is how
# the truth is defined.
# ```
#
# ```{exercise} IPW instead of doubly robust
# :label: ex-10-method
#
# Change `cs_method` to `"ipw"`: `nqp run notebooks/11_robust_did.py -p cs_method ipw`. How do the conditional
# estimate and the number of skipped cells change?
# ```
#
# ```{solution} ex-10-method
# :class: dropdown
#
# Doubly robust: {glue:text}`ex10m_dr:.3f` with {glue:text}`ex10m_skipped_dr` cells skipped; IPW:
# {glue:text}`ex10m_alt:.3f` with {glue:text}`ex10m_skipped_alt` skipped (truth {glue:text}`ex10m_truth:.3f`).
# Both use the same {term}`propensity score`, so the same cells lack {term}`overlap`; the doubly robust estimator
# adds an outcome regression, which helps when the propensity model is wrong but cannot repair an assumption that
# fails (see "Two meanings of conditional on the controls" above).
# ```
#
# ```{exercise} Public data
# :label: ex-10-real
#
# Run on the real track: `nqp run notebooks/11_robust_did.py -p data real`. How many of the ATT(g,t) cells does
# the doubly robust conditional Callaway–Sant'Anna skip, and how does its ATT compare with the unconditional one?
# ```
#
# ```{solution} ex-10-real
# :class: dropdown
#
# On {glue:text}`ex10r_cities` cities, {glue:text}`ex10r_skipped` of {glue:text}`ex10r_cells` cells are skipped for
# lack of overlap. Conditional ATT: {glue:text}`ex10r_cond:.3f`; unconditional, same sample:
# {glue:text}`ex10r_uncond:.3f`. The two average over different cells, so part of the gap is a change of target, not
# of assumption.
# ```
