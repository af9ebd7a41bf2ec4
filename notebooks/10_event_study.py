# %% [markdown]
# # Event study and the Goodman-Bacon decomposition
#
# The paper reports one TWFE coefficient per outcome. This chapter goes beyond it: it lets the effect vary with the
# years since pilot approval (an event study), tests whether pilot and non-pilot cities moved together *before* the
# pilots, and then takes the single TWFE coefficient apart into the simple two-group, two-period comparisons it
# averages (Goodman-Bacon 2021) — showing how much of it rests on "forbidden" comparisons.
#
# ```{admonition} Learning goals
# :class: tip
# After this chapter you can
# 1. read an event study: leads as a check of {term}`parallel trends` before the pilots, lags as the effect by
#    {term}`event time`;
# 2. take the TWFE coefficient apart into its 2×2 comparisons and their weights (Goodman-Bacon decomposition);
# 3. spot the {term}`forbidden comparisons <forbidden comparison>` and say when they bias TWFE.
# ```

# %% tags=["parameters"]
data = "semi_synthetic"  # data track: "semi_synthetic" (default), "real" or a path to your own panel file
seed = 20260101  # seed of every random step (semi-synthetic generator)
scenario = "constant"  # semi-synthetic effects: "constant", "dynamic" (grow with exposure) or "heterogeneous" (by cohort)
outcome = "Pro"  # outcome of the event study and of the decomposition: "Pro", "Lab", "Mea" or "Obj"
leads = 5  # number of pre-period event times; event times <= -leads are binned into the -leads dummy
lags = 10  # number of post-period event times; event times >= lags are binned into the lags dummy

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
from IPython.display import Markdown, display
from myst_nb import glue

from nqp_helpers.chapters import event_study as ch
from nqp_helpers.chapters.glue import glue_all
from nqp_helpers.data.load import load_panel
from nqp_helpers.display import rerun_box, save_table, track_banner
from nqp_helpers.plotting import set_style

NB = "10_event_study"
set_style()
panel = load_panel(data, seed=seed, scenario=scenario)
track_banner(panel)

# %% [markdown]
# `scenario` only changes the semi-synthetic track (real and user data have one set of effects: the unknown true
# ones). The teaching-lab chapter runs all three scenarios side by side.
#
# ## Leads and lags
#
# The event study replaces the single pilot dummy by one dummy per year relative to approval, `e = year −
# first_treat`, with city and year fixed effects:
# $y_{it} = a_i + l_t + \sum_{e \neq -1} b_e \,1[t - G_i = e] + u_{it}$. The year before approval (`e = −1`) is the
# reference, so every $b_e$ is a change relative to that year. The end points are **binned**: all years
# `e ≤ −leads` share one dummy, all years `e ≥ lags` another, so no treated year is silently pooled with the
# reference. Leads ($b_e$, `e < −1`) should be near zero if pilot and other cities were on parallel paths before the
# pilots; lags trace the effect over time. Standard errors are clustered by city.

# %% tags=["hide-input"]
es, es_table, pt, es_numbers = ch.event_study_report(panel, outcome, leads, lags)  # truth column: semi-synthetic
glue_all(es_numbers)
save_table(es_table, "event_study", NB)
save_table(pt, "pretrend_test", NB)
es_table.round(4)

# %% [markdown]
# The joint test that all {glue:text}`pt_q` leads are zero gives F = {glue:text}`pt_F:.2f`, p =
# {glue:text}`pt_p:.3f` ({glue:text}`es_n_obs` city-years). A large p-value does **not** prove parallel trends: the
# test has limited power and says nothing about the years after approval (chapter "Robust DiD" asks how wrong
# parallel trends could be before the conclusion changes).

# %% tags=["hide-input"]
fig = ch.event_study_figure(es, outcome)
glue("fig_es", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} fig_es
# :alt: Event-study coefficients with 95% confidence bands against years relative to pilot approval; leads near zero, lags positive.
# :name: fig-event-study
#
# Event-study coefficients $b_e$ of the outcome chosen in the parameters (95% cluster-robust bands; reference year
# −1 fixed at 0; dashed line: approval). End points are bins. On the semi-synthetic track, green crosses are the
# true average effects at each event time (treated city-years weighted).
# ```
#
# ## Goodman-Bacon decomposition: what the TWFE coefficient averages
#
# With pilots approved in several years, the single TWFE coefficient is a weighted average of every simple 2×2
# difference-in-differences between two groups of cities over two periods (Goodman-Bacon 2021). There are three
# kinds here:
#
# * **Treated vs never treated**: a cohort of pilots against cities that never became pilots — a clean comparison.
# * **Earlier vs later treated**: an early cohort against cities approved later, *before* those later cities were
#   approved — also clean (the later cities are still untreated).
# * **Later vs earlier treated**: a later cohort against cities *already* approved. These are the **forbidden
#   comparisons**: the "control" cities are themselves treated, so if their effect is still growing, their change
#   is subtracted from the later cohort's change and the 2×2 estimate is biased — it can even be negative when every
#   true effect is positive.
#
# The weights depend on group sizes and on how long each group is treated (the variance of the treatment dummy),
# not on anything a reader would choose. The decomposition needs a balanced panel without controls, so it is computed
# on the cities observed in every year with a value of the outcome.

# %% tags=["hide-input"]
bd, bs, bacon_numbers = ch.bacon_report(panel, outcome)  # on the cities observed in every year
glue_all(bacon_numbers)
save_table(bd, "bacon_decomposition", NB)
save_table(bs, "bacon_summary", NB)
bs.round(4)

# %% [markdown]
# On {glue:text}`bacon_cities` cities ({glue:text}`bacon_years`), the TWFE coefficient without controls is
# {glue:text}`bacon_twfe:.3f`. The forbidden comparisons (later vs earlier treated) carry
# {glue:text}`w_forbidden:.1%` of the weight with an average 2×2 estimate of {glue:text}`b_forbidden:.3f`, against
# {glue:text}`b_clean:.3f` for the clean comparisons.

# %% tags=["hide-input"]
if (note := ch.truth_note(panel, outcome)) is not None:
    display(Markdown(note))
fig = ch.bacon_figure(bd, outcome)
glue("fig_bacon", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} fig_bacon
# :alt: Scatter of 2x2 DiD estimates against their weight, coloured by comparison type; the dashed line is the TWFE coefficient.
# :name: fig-bacon
#
# Every 2×2 comparison inside the TWFE coefficient: its estimate (vertical) and its weight (horizontal), coloured by
# type. Red points are the forbidden comparisons, in which already-approved pilot cities serve as controls. The
# dashed line, the weight-averaged estimate, equals the TWFE coefficient exactly.
# ```
#
# **Reading it.** If the effect of a pilot were the same for every cohort and every year since approval, all 2×2
# estimates would scatter around the same value and the forbidden ones would do no harm. When effects grow with
# exposure (`scenario = "dynamic"`), the already-treated controls are still improving, so the red points are pulled
# down and TWFE understates the effect; robust estimators that never use treated cities as controls are in the next
# chapter.

# %% tags=["hide-input"]
rerun_box(NB, {"data": data, "scenario": scenario, "outcome": outcome, "leads": leads, "lags": lags})

# %% [markdown]
# ## Exercises
#
# Each exercise changes one parameter of this page; the solutions (click to open) were computed when this page was
# built, with its `data` and `seed`.

# %% tags=["hide-input"]
from nqp_helpers.chapters import exercises as ex

ex.glue_answers("ex09s", ex.ex09_scenario(data, seed, scenario="dynamic", outcome=outcome))
ex.glue_answers("ex09l", ex.ex09_leads(data, seed, leads=2, base_leads=leads, lags=lags, outcome=outcome))

# %% [markdown]
# ```{exercise} Effects that grow
# :label: ex-09-scenario
#
# Change `scenario` to `"dynamic"` (effects grow with years since approval):
# `nqp run notebooks/10_event_study.py -p scenario dynamic`. How far is the TWFE coefficient from the true
# {term}`ATT`, and how much weight do {term}`forbidden comparison`s get in the Goodman-Bacon decomposition?
# ```
#
# ```{solution} ex-09-scenario
# :class: dropdown
#
# TWFE: {glue:text}`ex09s_twfe:.3f`; truth: {glue:text}`ex09s_truth:.3f` (gap {glue:text}`ex09s_gap:+.3f`). The
# "later vs earlier treated" comparisons carry {glue:text}`ex09s_w_forbidden:.1%` of the weight, with an average 2×2
# estimate of {glue:text}`ex09s_b_forbidden:.3f`: they use already-treated cities, whose growing effect is
# subtracted, as controls. That is the mechanism behind the gap.
# ```
#
# ```{exercise} How many leads?
# :label: ex-09-leads
#
# Change `leads` to 2: `nqp run notebooks/10_event_study.py -p leads 2`. What is the p-value of the joint pre-trend
# test now, and how many leads does it test?
# ```
#
# ```{solution} ex-09-leads
# :class: dropdown
#
# With this page's `leads`: p = {glue:text}`ex09l_p_base:.3f` on {glue:text}`ex09l_q_base` leads; with 2 leads:
# p = {glue:text}`ex09l_p_alt:.3f` on {glue:text}`ex09l_q_alt`. Fewer leads test fewer pre-periods (the earliest are
# binned together), so the test has less to find; a large p-value is absence of evidence, not evidence of
# {term}`parallel trends` (Roth 2022) — see HonestDiD in {doc}`11_robust_did`.
# ```
