# %% [markdown]
# # Table 3: PSM-DID
#
# The paper's first robustness check matches pilot and non-pilot cities on the six controls by propensity score
# (radius and nearest-neighbour matching, with common support) and re-runs the baseline two-way fixed-effects
# regression on the matched sample. This page rebuilds each step — score, matching, balance, overlap, regression —
# and sets our estimates beside the paper's Table 3 and, on the semi-synthetic track, beside the true effects.
#
# ```{admonition} Learning goals
# :class: tip
# After this chapter you can
# 1. judge covariate balance before and after matching (standardised mean differences) and the {term}`overlap` of the
#    {term}`propensity scores <propensity score>`;
# 2. say what the caliper and the common-support rule do to the matched sample;
# 3. say what matching cannot fix: differences in what is not matched on, non-parallel trends, and how TWFE weights
#    heterogeneous effects.
# ```

# %% tags=["parameters"]
data = "semi_synthetic"  # data track: "real", "semi_synthetic" (default) or a path to your own panel file
seed = 20260101  # seed of every random step (semi-synthetic generator; matching order without replacement)
caliper = 0.05  # radius (caliper) of radius matching, on the propensity-score scale
n_neighbors = 1  # number of nearest neighbours (with replacement) in nearest-neighbour matching
ps_by = "year"  # propensity score: "year" (one logit per year, city-year matching) or "pooled" (one logit on pre-2008 city means)
sample = "matched"  # rows in the regression: "matched" (matched treated + used controls) or "support" (all rows on common support)

# %% tags=["hide-input"]
from IPython.display import Markdown, display
from myst_nb import glue

from nqp_helpers import load_panel
from nqp_helpers.chapters import psm_did as ch
from nqp_helpers.chapters.glue import glue_all
from nqp_helpers.display import rerun_box, save_table, track_banner
from nqp_helpers.plotting import glue_figure, set_style
from nqp_helpers.regtable import save_regtable

# %% tags=["hide-input"]
NB = "04_t3_psm_did"
METHODS = ch.matching_methods(caliper, n_neighbors)
set_style()
panel = load_panel(data, seed=seed)
track = panel.attrs.get("track", "user")
track_banner(panel)

# %% [markdown]
# ## What is matched, and on what
#
# The paper's description is one sentence: "starting from the control variables, match treatment and control groups
# by radius and by nearest-neighbour matching, make sure the common-support assumption holds, then put the matched
# sample into eq. (1)". It does not say whether the score is estimated per year or once, nor the caliper. We follow the
# usual practice of this literature (Stata `psmatch2`, 逐年匹配) as the default:
#
# * **Treatment group** = cities that are ever pilots ("ever pilot" dummy), **control group** = never-pilot cities.
# * **Per-year score** (`ps_by = "year"`): in every year a logit of the group dummy on Eco, Gov, Fix, Fin, Tra, Ope,
#   matching only within that year. Why per year: the controls trend strongly (GDP per capita roughly triples over
#   2004–2023), so a single score on city-years would match a 2020 pilot city-year with a 2008 control city-year,
#   which the year fixed effects then cannot repair. The price: after a city becomes a pilot its controls may already
#   respond to the policy, so matching on them partly conditions on outcomes of the treatment.
# * **Pooled score** (`ps_by = "pooled"`, shown as a robustness row): one logit across cities on each city's mean
#   controls before the first pilot batch (2004–2007), one match, whole city histories kept. This avoids
#   post-treatment covariates but cannot keep cities comparable year by year.
# * **Common support**: treated observations whose score lies outside the controls' range (within the stratum) are
#   dropped, as `psmatch2, common` does. Radius matching uses every control within the caliper (here
#   {glue:text}`caliper`); nearest-neighbour matching takes the {glue:text}`n_neighbors` closest control(s), with
#   replacement.
#
# This page runs with `ps_by = "{glue:text}`ps_by`"` and `sample = "{glue:text}`sample`"`.

# %% tags=["hide-input"]
glue_all({"caliper": caliper, "n_neighbors": n_neighbors, "ps_by": ps_by, "sample": sample})
avail = ch.availability(panel)
RUN = avail.run
for note in avail.notes():
    display(Markdown(note))
print(avail.summary())

# %% [markdown]
# ## Balance and overlap
#
# A propensity-score match is only worth as much as the balance it buys. The table gives, for each control, the
# standardised mean difference (SMD: treated minus control mean over the pooled pre-matching SD, as `pstest`)
# before matching and after it (controls weighted by how often they are used), and the variance ratio. A common
# rule of thumb: |SMD| < 0.1 is good balance, > 0.25 is poor.

# %% tags=["hide-input"]
if RUN:
    samples = ch.matched_samples(panel, METHODS, ps_by, seed)
    balance, numbers = ch.balance_summary(samples, ps_by)
    save_table(balance, "balance", NB)
    glue_all(numbers)
    display(balance.pivot(index="covariate", columns="method",
                          values=["smd_before", "smd_after", "var_ratio_after"]).round(3))
else:
    glue_all(ch.glued_missing(METHODS))

# %% [markdown]
# Before matching the largest |SMD| is {glue:text}`max_smd_before:.3f`; after matching it is
# {glue:text}`max_smd_after_radius:.3f` (radius) and {glue:text}`max_smd_after_nearest:.3f` (nearest neighbour);
# {glue:text}`n_bad_radius` and {glue:text}`n_bad_nearest` of the six controls keep |SMD| > 0.1. A linear logit
# balances the score, not every covariate, and the balance here is pooled over years while matching is within a
# year (with `ps_by = "year"`), so some imbalance — even an overshoot of the sign — is to be expected.
# Common support drops {glue:text}`n_off_support_radius` treated observations with radius matching and
# {glue:text}`n_off_support_nearest` with nearest-neighbour matching (support depends on the scores, not on the
# matching rule, so the two should agree). The full table is saved as `balance.csv`.

# %% tags=["hide-input"]
if RUN:
    fig = ch.overlap_figure(samples)
else:
    fig = ch.unavailable_figure()
    glue_all(ch.glued_missing(METHODS))
glue_figure("fig_overlap", fig)

# %% [markdown]
# ```{glue:figure} fig_overlap
# :alt: Three panels of propensity-score densities, before matching, after radius matching and after nearest-neighbour matching; treated city-years in blue, controls in red, with the group sizes in a legend under each panel.
# :name: fig-overlap
#
# Propensity-score densities of treated (ever-pilot) and control city-years, before matching and after each
# matching rule (controls weighted by their matching weight). Scores from the `ps_by` logit; n = city-years
# (cities for the pooled score, where every year of a city shares its score).
# ```
#
# Where the two densities overlap, a
# comparison is possible; where the treated density has mass but the control density does not, no matching rule can
# find a comparable control and common support trims those observations.
#
# ## Table 3: the regression on the matched sample
#
# Each column is the baseline regression (Inn, six controls, city and year fixed effects, standard errors clustered by
# city) on the rows the matching keeps. Below each estimate: our standard error, then the paper's number.

# %% tags=["hide-input"]
if RUN:
    t3 = ch.table3(panel, samples, METHODS, avail.outcomes, ps_by=ps_by, sample=sample, seed=seed, caliper=caliper,
                   n_neighbors=n_neighbors)
    save_table(t3.table, "table3", NB)
    layout = ch.table3_layout(t3, avail.outcomes, METHODS)
    save_regtable(layout, "table3_layout", NB)
    display(layout)
else:
    glue_all(ch.glued_missing(METHODS))

# %% [markdown]
# The same Inn coefficients side by side: paper, ours, and — on the semi-synthetic track — the true average effect
# on the treated in the full panel (`truth`) and in the regression sample (`truth_sample`, the mean of Y(1) − Y(0)
# over the treated city-years the matched regression uses). Rows marked `pooled`/`year` are the robustness rows
# with the other propensity-score design; `baseline_twfe` is our full-panel baseline (Table 2 specification) for
# reference.

# %% tags=["hide-input"]
if RUN:
    base = ch.add_baseline(t3, panel, avail.outcomes)
    save_table(t3.table, "table3", NB)
    display(t3.table[t3.table.term == "Inn"][ch.SHOWN].round(3))
else:
    glue_all(ch.glued_missing(METHODS))

# %% tags=["hide-input"]
if RUN:
    glue_all(ch.headline_numbers(t3, METHODS, avail.outcomes))
    display(Markdown(ch.semi_synthetic_check(t3, base, METHODS, len(panel))))
else:
    glue_all(ch.glued_missing(METHODS))

# %% [markdown]
# ## Matched N: what the paper's sample sizes tell us
#
# The paper reports N between 5520 and 5556 of 5560 city-years, and a *different* N for every outcome within one
# matching method (radius: 5520, 5525, 5528, 5522). Two things follow.
#
# 1. **One matching, one sample.** The score uses only the controls, never the outcome, so the matched sample — and
#    its N — must be identical for Pro, Lab, Mea and Obj (the Table 2 regressions show no missing outcomes: N = 5560
#    everywhere). Different N by outcome means the matching was re-run per outcome with something that changed in
#    between: a different random sort order (psmatch2 breaks ties and orders treated units by the current sort order;
#    many do-files `gen u = runiform()` and `sort u` before each call), a different caliper, or a sample restriction
#    we cannot see. Either way the four columns are not estimated on one common matched sample, which the text does
#    not say. The project's audit flags this (`check_sample_sizes`, "n_same_across_outcomes").
# 2. **Which rows enter the regression.** 1-nearest-neighbour matching keeps at most the treated rows plus as many
#    controls, so a "matched" sample is far below 5560. N ≈ 5560 is reproduced only if the regression keeps every row
#    on common support (`reg … if _support == 1`), in which case the matching rule hardly matters and radius and
#    nearest give the same sample — yet the paper's N differs between its radius and nearest columns, and is *larger*
#    for nearest. The table below shows N for each reading on this panel.

# %% tags=["hide-input"]
if RUN:
    n_readings = ch.matched_n(panel, METHODS, avail.outcomes, seed)
    save_table(n_readings, "matched_n", NB)
    glue("n_full", len(panel), display=False)
    display(n_readings)
else:
    glue_all(ch.glued_missing(METHODS))

# %% [markdown]
# *Our panel has {glue:text}`n_full` city-years.* On our data N is the same across outcomes in every reading (unless
# an outcome has its own missing values, as on the real track), as it must be. The regression table above uses the
# reading set by `sample`; re-run with `sample = "support"` to reproduce the paper's order of magnitude of N.
#
# ## Reading the result
#
# PSM-DID re-weights *which* controls the comparison uses; it does not change the identifying assumption of the DiD
# (parallel trends, now among matched cities) and cannot remove selection on anything the six controls miss. When
# matching keeps almost all rows (the paper's N), it is close to a re-run of the baseline, so agreement with Table 2
# (paper: Pro {glue:text}`paper_radius_Pro:.3f` with radius matching versus {glue:text}`paper_base_Pro:.3f` in the
# baseline) is expected, not extra evidence. Our radius estimate for Pro is {glue:text}`est_radius_Pro:.3f`, nearest neighbour
# {glue:text}`est_nearest_Pro:.3f`. The standard errors treat the matched sample as given (no correction for the
# estimated score), as the paper does.

# %% tags=["hide-input"]
rerun_box(NB, {"data": data, "seed": seed, "caliper": caliper, "n_neighbors": n_neighbors, "ps_by": ps_by,
               "sample": sample})

# %% [markdown]
# ## Exercises
#
# Each exercise changes one parameter of this page; the solutions (click to open) were computed when this page was
# built, with its `data` and `seed`.

# %% tags=["hide-input"]
from nqp_helpers.chapters import exercises as ex

ex.glue_answers("ex04c", ex.ex04_caliper(data, seed, caliper=0.01, base_caliper=0.05))
ex.glue_answers("ex04p", ex.ex04_ps_by(data, seed, ps_by="pooled"))

# %% [markdown]
# ```{exercise} A tighter caliper
# :label: ex-04-caliper
#
# Change `caliper` from 0.05 to 0.01: `nqp run notebooks/04_t3_psm_did.py -p caliper 0.01`. How many city-years are
# left in the radius-matching regression of `Pro`, and how far is its estimate from the truth?
# ```
#
# ```{solution} ex-04-caliper
# :class: dropdown
#
# Caliper 0.05: {glue:text}`ex04c_n_base` city-years, estimate {glue:text}`ex04c_est_base:.3f` (gap to the truth
# {glue:text}`ex04c_gap_base:+.3f`). Caliper 0.01: {glue:text}`ex04c_n_alt` city-years, estimate
# {glue:text}`ex04c_est_alt:.3f` (gap {glue:text}`ex04c_gap_alt:+.3f`). A tighter caliper buys closer matches
# (less bias from imperfect matches) with fewer observations (more noise); matching cannot fix selection on anything
# it does not match on.
# ```
#
# ```{exercise} One propensity score for all years
# :label: ex-04-ps-by
#
# Change `ps_by` to `"pooled"` (one logit on pre-2008 city means instead of one per year):
# `nqp run notebooks/04_t3_psm_did.py -p ps_by pooled`. What happens to the matched sample and the estimate?
# ```
#
# ```{solution} ex-04-ps-by
# :class: dropdown
#
# Yearly scores: {glue:text}`ex04p_n_year` city-years, estimate {glue:text}`ex04p_est_year:.3f`; pooled score:
# {glue:text}`ex04p_n_alt` city-years, estimate {glue:text}`ex04p_est_alt:.3f`. Matching city-years year by year
# can match a city to different partners in different years, which breaks the panel structure a DiD relies on; a
# pooled pre-treatment score keeps each city's match fixed and cannot be moved by the treatment itself.
# ```
