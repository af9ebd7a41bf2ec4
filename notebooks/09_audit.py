# %% [markdown]
# # Audit of the reported numbers
#
# Before re-estimating anything, the printed tables can be checked against themselves: stars against coefficient and
# standard error, the composite index against its sub-indices, sample sizes against the panel, R² across nested
# models. This page runs every check of `nqp_helpers.audit` on {glue:text}`source`. Every printed number is allowed
# its rounding, every test states its premise, and a failed test means only that the printed numbers cannot all
# hold *under that premise*; each finding names what could explain it innocently.
#
# Of {glue:text}`n_rows` rows checked ({glue:text}`n_tested` of them tests), {glue:text}`n_rows_inconsistent` are
# inconsistent, but many restate one problem or rest on a premise another check already rejects. Counted as
# independent problems, the audit has **{glue:text}`headline`**.
#
# ```{admonition} Learning goals
# :class: tip
# After this chapter you can
# 1. check a printed table against itself: stars against coefficient and standard error, N against the panel, R²
#    across nested models, a composite index against its sub-indices, each allowing every number its rounding;
# 2. state the premise a check rests on (a reference distribution, a linear aggregation, one matched sample) and
#    say what a failed check does and does not show;
# 3. count independent problems rather than rows, and name the innocent explanation of each.
# ```

# %% tags=["parameters"]
data = "semi_synthetic"  # data track (this page audits printed numbers; it reads no panel, so the track does not matter)
seed = 20260101  # seed of every random step (none on this page; kept for a uniform interface)
reported_path = ""  # a table in the reported_results.csv format to audit; "" = the paper's (data/paper/reported_results.csv)
n_clusters = 278  # G of the audit's own t(G-1) reference for the stars (the paper says only "robust")
n_years = 20  # years of the balanced panel (N = cities x years)

# %% tags=["hide-input"]
from IPython.display import Markdown, display
from myst_nb import glue

from nqp_helpers import audit
from nqp_helpers.audit import prose
from nqp_helpers.display import rerun_box, save_table, track_banner
from nqp_helpers.reported import reported_results

NOTEBOOK = "09_audit"
track_banner(data if data in ("semi_synthetic", "real") else "user")

# %% tags=["hide-input"]
table = reported_results(reported_path or None)
claims = None if reported_path else "paper"          # the text's percentages belong to the paper's table only
findings = audit.run_all(table, claims=claims, n_clusters=n_clusters, n_years=n_years)
independent = audit.independent_findings(findings)
save_table(findings, "audit_findings", NOTEBOOK)
save_table(audit.summary(findings), "audit_summary", NOTEBOOK)
save_table(independent, "audit_summary_independent", NOTEBOOK)
for name, value in prose.chapter_numbers(findings, independent, table).items():
    glue(name, value, display=False)
glue("n_clusters", str(n_clusters), display=False)
glue("source", f"`{reported_path}`" if reported_path else "the paper's Tables 2–7", display=False)

# %% [markdown]
# ## The findings
#
# Each row below is one independent finding: what it is, how firm it is, the premise under which the printed numbers
# are inconsistent, how many rows of `audit_findings.csv` support it, and what could explain it without anyone
# having done anything wrong. *Firm*: inconsistent beyond rounding by more than {glue:text}`marginal_gap`;
# *marginal*: within {glue:text}`marginal_gap` of consistency after rounding; *unexplained*: nothing is failed, but
# the paper does not say enough to account for the numbers. The same table, with the supporting row ids, is saved as
# `audit_summary_independent.csv`.

# %% tags=["hide-input"]
prose.reader_table(independent).style.hide(axis="index")

# %% [markdown]
# ## 1. Pro against its sub-indices
#
# The paper gives the dimension weights {glue:text}`weights` (Table 1) but never writes down how Pro is aggregated
# from Lab, Mea and Obj, nor how the indicators are normalised. The check assumes the usual linear weighted sum, Pro =
# Σ W_d·sub_d, which the paper implies but does not state. Under that premise, and with one sample and one set of
# regressors and fixed effects in the four columns of a table, regression coefficients are linear in the outcome, so
# Pro's coefficient must equal Σ W_d b_d term by term. Every printed number may lie anywhere in its rounding interval
# and each weight anywhere in {glue:text}`weight_interval`. Even so, {glue:text}`agg_bad` same-sample slope terms miss
# the weighted sum; in Table 2 with controls, Pro's {glue:text}`agg_ex_pro` against an implied
# {glue:text}`agg_ex_implied` is {glue:text}`agg_ex_gap` apart after rounding.
#
# Two rescalings could have escaped this. One common factor for the aggregate would need the ratio of Pro's
# coefficient to the implied one to be the same everywhere, but it runs from {glue:text}`ratio_range`. A separate
# non-negative factor for each sub-index (a small linear program over all same-sample slope terms) does no better:
# the best choice ({glue:text}`lp_lambda`) still leaves a gap of {glue:text}`lp_gap` beyond rounding. What could
# still explain the finding is a non-linear or year-by-year normalisation, different samples or regressors across
# the four columns than the tables state, or misreporting.
#
# {glue:text}`agg_marginal` The intercepts are not
# tested: with city and year fixed effects their value depends on how the software normalises the effects.

# %% tags=["hide-input"]
agg_checks = ["linear_aggregation", "linear_aggregation_common_scale", "linear_aggregation_per_dimension_scale"]
prose.rows_table(findings, agg_checks).style.format(precision=4, na_rep="—").hide(axis="index")

# %% [markdown]
# *Printed: Pro's coefficient (for the two summary rows, the largest ratio and the linear program's gap). Implied:
# the weighted sum with renormalised weights (for the common-scale row, the smallest ratio). Gap after rounding:
# positive when no rounding of the printed numbers satisfies the identity. "—": not applicable.*
#
# The standard errors tell the same story, but not independently. Under the same premise Pro's residuals are the
# weighted sum of the sub-indices' residuals, so for heteroskedasticity-robust and cluster-robust standard errors
# alike se(Pro) cannot exceed Σ W_d se(d), whatever the correlation (triangle inequality). {glue:text}`se_bad`
# same-sample slope terms exceed that bound{glue:text}`se_marginal`. Because the bound assumes the very aggregation
# the coefficient check rejects, these rows are listed as supporting evidence of finding 1, not as a finding of
# their own.

# %% tags=["hide-input"]
prose.rows_table(findings, "se_aggregation_bound", ["inconsistent"]).style.format(precision=4).hide(axis="index")

# %% [markdown]
# ## 2. R² across nested models
#
# Tables 5–7 add a moderator M and Inn×M to the Table 2 model with controls, on the same number of observations.
# Adding regressors on the same observations cannot lower R², provided both tables print the same kind of R² (the
# paper does not say which it prints). R² is nonetheless lower in {glue:text}`r2_bad` moderation columns, by
# {glue:text}`r2_falls`. Adjusted R² cannot explain this: two extra regressors lower it by at most
# {glue:text}`r2_adjusted`. A different definition in the two tables (within against overall R²), or controls dropped
# in the larger model, could.

# %% tags=["hide-input"]
prose.rows_table(findings, "r2_nested").style.format(precision=3).hide(axis="index")

# %% [markdown]
# *Printed: R² of the larger model. Implied: R² of the smaller model it extends. Gap after rounding: the fall beyond
# the rounding of both printed values (negative: no fall beyond rounding).*
#
# ## 3. Stars against coefficient and standard error
#
# The paper's notes say only "括号内为稳健标准误" (robust standard errors in parentheses); they say neither whether
# the standard errors are clustered nor which reference distribution gives the stars. This audit therefore accepts
# printed stars if the normal *or* t(G − 1) with G = {glue:text}`n_clusters` cities gives them; the t reference is
# the audit's own assumption.
# Of {glue:text}`stars_n` printed estimates, {glue:text}`stars_boundary` sit on a boundary (a threshold falls inside
# the rounding interval or between normal and t). {glue:text}`stars_sentence` A typo in the stars or in one digit
# would explain such a row, and little rests on intercepts of fixed-effects models.

# %% tags=["hide-input"]
stars_rows = prose.rows_table(findings, "stars", ["inconsistent", "boundary"])
stars_rows.style.format({"Printed": "{:.0f}", "Implied": "{:.0f}", "Gap after rounding": "{:.3f}"}).hide(axis="index")

# %% [markdown]
# *Printed and Implied: the number of stars printed and the number t(G − 1) gives for the printed ratio. Gap after
# rounding: how far the estimate would have to move to earn the printed stars.*
#
# ## 4. Sample sizes of the matched samples
#
# {glue:text}`n_full_ok` full-sample columns have N = cities × years. In Table 3 the matched samples differ by outcome
# ({glue:text}`psm_ranges`). The paper says it matched on the controls by radius and by nearest neighbour, not how:
# nearest-neighbour matching repeated per outcome after a random sort, or matching year by year, gives a different
# N per outcome legitimately. The finding is therefore *unexplained*, not inconsistent.

# %% tags=["hide-input"]
prose.rows_table(findings, "n_same_across_outcomes", note=True).style.format(precision=0).hide(axis="index")

# %% [markdown]
# *Printed and Implied: the largest and the smallest N across the four outcomes of one specification; Gap: their
# difference (N is printed exactly, so no rounding applies).*
#
# ## What the other checks show
#
# The remaining rows are consistent or informational. {glue:text}`amp_ok` of the text's "amplification" percentages
# are each 100 × an interaction coefficient (index points per unit of the moderator, not a percentage of an effect;
# see the amplification chapter). Inn coefficients with an uncentred moderator are effects at M = 0, the IV estimates
# are larger than OLS, and intercepts and standard errors across columns are described in the notes of
# `audit_findings.csv`. The count of rows by check and status:

# %% tags=["hide-input"]
audit.summary(findings).rename(columns={"check": "Check"}).style.hide(axis="index")

# %% [markdown]
# The checks are functions with unit tests (`tests/test_audit.py`) that work on any table in the
# `reported_results.csv` format: set the parameter `reported_path` to audit another paper's table.
#
# ## Closing note: the findings and their evidence
#
# Row ids refer to `audit_findings.csv` (check : table : column : outcome : term).

# %% tags=["hide-input"]
display(Markdown(prose.closing_note(independent)))

# %% tags=["hide-input"]
rerun_box(NOTEBOOK, {"data": data, "seed": seed, "reported_path": reported_path, "n_clusters": n_clusters,
                     "n_years": n_years})

# %% [markdown]
# ## Exercises
#
# Each exercise changes one parameter of this page; the solutions (click to open) were computed when this page was
# built, on the same table of printed results.

# %% tags=["hide-input"]
from nqp_helpers.chapters import exercises as ex

ex.glue_answers("ex08g", ex.ex08_n_clusters(table, claims, n_clusters=30, base_n_clusters=n_clusters,
                                            n_years=n_years))
ex.glue_answers("ex08y", ex.ex08_n_years(table, claims, n_years=19, base_n_years=n_years, n_clusters=n_clusters))

# %% [markdown]
# ```{exercise} Fewer clusters behind the stars
# :label: ex-08-n-clusters
#
# Suppose the standard errors were clustered by province, about 30 clusters, instead of by city: change
# `n_clusters` to 30, `nqp run notebooks/09_audit.py -p n_clusters 30`. How many of the printed stars change
# status in the stars check, and does any new inconsistency appear? Read the headline too: what else changed?
# ```
#
# ```{solution} ex-08-n-clusters
# :class: dropdown
#
# With G = {glue:text}`ex08g_g_base`: {glue:text}`ex08g_consistent_base` consistent, {glue:text}`ex08g_boundary_base`
# on a boundary, {glue:text}`ex08g_inconsistent_base` inconsistent of {glue:text}`ex08g_n_stars` printed stars; with
# G = {glue:text}`ex08g_g_alt`: {glue:text}`ex08g_consistent_alt`, {glue:text}`ex08g_boundary_alt` and
# {glue:text}`ex08g_inconsistent_alt` respectively, so {glue:text}`ex08g_flips` rows change status. t(G − 1) with few degrees of
# freedom has fatter tails, so more ratios fall between the normal's and the t's thresholds (boundary); since the
# check accepts either reference, no printed star becomes harder to justify. The headline goes from
# {glue:md}`ex08g_headline_base` to {glue:md}`ex08g_headline_alt`: the page also reads `n_clusters` as the number
# of cities in the sample-size check, so {glue:text}`ex08g_n_bad_alt` full-sample columns now miss N = cities ×
# years. That "finding" is the exercise's wrong premise, not a problem of the paper: a check is only as good as
# the premise it states.
# ```
#
# ```{exercise} One year fewer
# :label: ex-08-n-years
#
# Had the paper lagged its controls by a year, the regressions would lose 2004. Change `n_years` to 19:
# `nqp run notebooks/09_audit.py -p n_years 19`. How many full-sample columns still have N = cities × years?
# ```
#
# ```{solution} ex-08-n-years
# :class: dropdown
#
# With {glue:text}`ex08y_implied_base` expected observations, {glue:text}`ex08y_ok_base` of the
# {glue:text}`ex08y_tested` full-sample columns match; with {glue:text}`ex08y_implied_alt`,
# {glue:text}`ex08y_ok_alt` do. Compare the printed N of these columns ({glue:md}`ex08y_printed`) with the two
# expected values: a match means no city-year of the balanced panel was dropped, so lagged controls would have
# needed data from before the first sample year. The matched (PSM) columns are not tested against this N.
# ```
