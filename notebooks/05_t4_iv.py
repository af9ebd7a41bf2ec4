# %% [markdown]
# # Table 4: instrumental variables
#
# The paper instruments pilot status with two shift-share variables — a city's 1997 night lights, or its number of
# 中华老字号 (time-honoured brand) firms, times the previous year's national R&D intensity — and finds IV effects
# 1.4–1.6 times its OLS estimates. This page rebuilds the two-stage least squares with city and year fixed effects,
# adds the first-stage and weak-instrument diagnostics the paper does not report, and shows on simulated data with a
# known truth what the estimate does when the exclusion restriction holds only approximately or fails outright.
#
# ```{admonition} Learning goals
# :class: tip
# After this chapter you can
# 1. name the two conditions an instrument needs, relevance and exclusion, and which one the data can test;
# 2. read the first-stage F statistic and the weak-instrument diagnostics, and when to trust the Anderson–Rubin set
#    rather than the 2SLS t-test;
# 3. see on simulated data how a broken exclusion restriction biases 2SLS while every diagnostic looks fine.
# ```

# %% tags=["parameters"]
data = "semi_synthetic"  # data track: "real", "semi_synthetic" (default) or a path to your own panel file
seed = 20260101  # seed of every random step (semi-synthetic generator)
show_violation = True  # also estimate on a semi-synthetic panel whose instruments act on the index directly (exclusion fails)

# %% tags=["hide-input"]
from IPython.display import Markdown, display
from myst_nb import glue

from nqp_helpers import load_panel
from nqp_helpers.chapters import iv as ch
from nqp_helpers.chapters.glue import glue_all
from nqp_helpers.display import rerun_box, save_table, show_table, track_banner
from nqp_helpers.plotting import glue_figure, set_style
from nqp_helpers.regtable import save_regtable

# %% tags=["hide-input"]
NB = "05_t4_iv"
set_style()
panel = load_panel(data, seed=seed)
track = panel.attrs.get("track", "user")
true_att = ch.true_att(panel)
glue("true_Pro", float(true_att["Pro"]) if "Pro" in true_att else "n/a", display=False)
track_banner(panel)

# %% [markdown]
# ## The design and what it needs
#
# The instrument for city *i* in year *t* is $Z_{it} = B_i \times R_{t-1}$: a fixed city "share" $B_i$ (1997 night
# lights, or the number of 老字号 firms) times a national "shift" $R_{t-1}$ (last year's national R&D spending as a
# share of GDP). With city and year fixed effects, $B_i$ and $R_{t-1}$ on their own are absorbed; what identifies the
# effect is that cities with a larger $B_i$ see their instrument rise faster as national R&D intensity grows.
#
# **Relevance**: brighter (or more 老字号-rich) cities must become pilots earlier or more often, *conditional* on the
# fixed effects and controls — checked below by the first stage.
#
# **Exclusion** (the assumption that carries the estimate): $B_i \times R_{t-1}$ may affect the index *only through*
# pilot status. Because $R_{t-1}$ rises almost steadily over 2004–2023 (its correlation with the calendar year is
# {glue:text}`corr_shift_year:.3f` on this panel), the instrument is close to "$B_i$ × a time trend". Exclusion
# therefore requires that cities that were bright in 1997 would *not* have grown their new-quality-productivity index
# faster anyway — no faster catch-up or divergence of historically richer cities, no larger benefit from the same
# national R&D growth through universities, firms' R&D or digital infrastructure, none of it except via the pilot.
# That is a strong requirement: historical development is exactly what predicts later development trends. The paper
# argues exogeneity from timing alone ("the data predate the policy"), but a predetermined $B_i$ only makes the
# instrument *not caused by* the outcome; it does not make the *differential trend* it induces unrelated to the
# outcome. (The paper's text even says that the 老字号 share "难以满足相关性与外生性假定" — "can hardly satisfy
# relevance and exogeneity" — presumably a slip for "can satisfy".) The paper reports neither first-stage statistics
# nor weak-instrument tests.

# %% tags=["hide-input"]
avail = ch.availability(panel)
RUN = avail.run
glue("corr_shift_year", ch.shift_year_correlation(panel), display=False)
display(Markdown(avail.note()))

# %% [markdown]
# ## First stage
#
# OLS of Inn on the instrument, the six controls and city and year fixed effects, standard errors clustered by city.
# `partial_r2` is the share of the remaining variation in Inn that the instrument explains; `first_stage_F` is the
# Kleibergen–Paap rk Wald F (cluster-robust; with one instrument, the squared t). The usual rule of thumb asks for
# F > 10 (Stock–Yogo); with clustered errors the more demanding Montiel Olea–Pflueger threshold is about 23 for a 10 %
# worst-case bias. The first stage depends on the outcome only through the sample (rows where the outcome exists).

# %% tags=["hide-input"]
if RUN:
    first_stage = ch.first_stage(panel, avail.instruments, avail.outcomes)
    save_table(first_stage, "first_stage", NB)
    glue_all(ch.first_stage_numbers(first_stage))
    display(first_stage[ch.FIRST_STAGE_SHOWN].round(4))
else:
    glue_all(ch.glued_missing())

# %% [markdown]
# The first-stage F is {glue:text}`F_iv_ntl:.1f` for night lights and {glue:text}`F_iv_lzh:.1f` for 老字号 (first
# outcome's sample; "n/a" if it cannot be run on this track): {glue:text}`F_verdict`. Below the thresholds, the 2SLS estimate is biased towards OLS and its t-test over-rejects; the
# Anderson–Rubin set in the next table stays valid however weak the instrument is.
#
# ## Table 4: second stage
#
# 2SLS of each index on Inn (instrumented), the six controls and city and year fixed effects; standard errors
# clustered by city. Below each estimate: our standard error, then the paper's number.

# %% tags=["hide-input"]
if RUN:
    t4 = ch.table4(panel, avail.instruments, avail.outcomes, seed)
    save_table(t4.table, "table4", NB)
    layout = ch.table4_layout(t4, avail.instruments, avail.outcomes, true_att)
    save_regtable(layout, "table4_layout", NB)
    display(layout)
else:
    glue_all(ch.glued_missing())

# %% [markdown]
# The Inn rows with the diagnostics: paper, ours, the Anderson–Rubin 95 % set (`ar_set`: the values of the effect
# that the data do not reject, whatever the instrument strength; it can be unbounded or a union of two half-lines
# when the instrument is weak), our OLS (the Table 2 specification on the same panel) and, on the semi-synthetic
# track, the true ATT.

# %% tags=["hide-input"]
if RUN:
    inn = t4.table[t4.table.term == "Inn"]
    display(show_table(inn[ch.INN_SHOWN], caption="Inn with the diagnostics",
                       missing_note="— : no stars (not significant at 10 %) or no truth on this track."))
    fig = ch.iv_figure(inn, with_truth=panel.attrs.get("truth") is not None)
else:
    fig = ch.unavailable_figure()
glue_figure("fig_iv", fig)

# %% [markdown]
# ```{glue:figure} fig_iv
# :alt: Coefficient plot with one row per outcome and instrument; blue dots with horizontal 95 percent confidence intervals for our 2SLS estimates, red diamonds for the paper's Table 4 coefficients, grey vertical bars for our OLS estimates and, on the semi-synthetic track, green crosses for the true effects; the legend sits below the plot.
# :name: fig-iv
#
# 2SLS estimates of the pilot effect with 95 % confidence intervals (blue), the paper's Table 4 coefficients
# (red diamonds), our OLS/TWFE estimate on the same panel (grey bars) and, on the semi-synthetic track, the true
# average effect on the treated (green crosses).
# ```
#
# ## IV versus OLS
#
# In the paper, IV exceeds OLS by a factor {glue:text}`paper_ratio_min:.2f`–{glue:text}`paper_ratio_max:.2f`; here the
# ratio is {glue:text}`ratio_min:.2f`–{glue:text}`ratio_max:.2f` (OLS for Pro {glue:text}`ols_Pro:.3f`, IV
# {glue:text}`iv_ntl_Pro:.3f` with lights and {glue:text}`iv_lzh_Pro:.3f` with 老字号). A gap of this size can be
# read two ways, and the data alone cannot tell them apart:
#
# * **A different estimand (LATE vs ATT).** OLS/TWFE weights the treated city-years roughly equally; 2SLS weights
#   them by how strongly the instrument moved their pilot status ("compliers": cities that became pilots *because*
#   they were bright and national R&D grew). If those cities gain more from the pilot, IV > OLS even with a valid
#   instrument — but then IV answers a narrower question than "the effect of the pilot programme".
# * **Bias.** Either OLS is biased *down* (pilots were chosen among cities with otherwise weaker prospects — implausible
#   here, since pilots are the stronger cities — or Inn is measured with error), or IV is biased *up*: exclusion
#   fails because bright cities would have grown faster anyway, and with a modest first stage a small direct effect
#   is divided by a small first-stage coefficient and becomes a large bias.
#
# On the semi-synthetic track both Y(0) and Y(1) are known, so the estimate can be split exactly (module
# `po_decomposition`): with the instrument residualised on the fixed effects and controls, $\tilde z$,
# $\hat\beta = \sum \tilde z\, Y(0) / \sum \tilde z D \;+\; \sum \omega\,\tau$ with weights
# $\omega = \tilde z D / \sum \tilde z D$ over treated cells. The first term is the exclusion (or, for OLS, selection)
# bias; the second is the weighted effect the estimator targets (weights sum to 1 but can be negative).

# %% tags=["hide-input"]
if RUN:
    glue_all(ch.ratio_numbers(t4))
if RUN and panel.attrs.get("truth") is not None:
    decomp = ch.decompose(panel, avail.outcomes, avail.instruments, "exclusion not imposed")
    save_table(decomp, "iv_decomposition", NB)
    display(decomp.round(3))
    display(Markdown(ch.split_text(panel, decomp, t4, first_stage, avail.instruments)))
elif RUN:
    display(Markdown("Potential outcomes are unknown on this track, so the split cannot be computed; the IV/OLS gap "
                     "above cannot be attributed to LATE weighting or to bias from these data alone."))

# %% [markdown]
# ## When exclusion fails outright
#
# `load_panel(..., iv_exclusion_violation=True)` simulates the same cities with one change: both instruments also
# enter the untreated outcome directly: every indicator gets an extra term proportional to the sum of the two
# standardised instruments (0.35 × the indicator's median per unit, signed so that it raises the index). Everything
# else — pilot timing, instruments, true effects — is unchanged, so the first stage is the same and any change in the
# estimate is bias.

# %% tags=["hide-input"]
simulate = RUN and show_violation and track == "semi_synthetic"
violation = ch.violation(seed, t4, avail.instruments, avail.outcomes) if simulate else None
numbers = ch.violation_numbers(violation, avail.instruments, avail.outcomes)
glue_all(numbers)
if simulate:
    save_table(violation, "violation", NB)
    display(violation.round(3))
    display(Markdown(ch.violation_text(numbers)))
elif show_violation:
    display(Markdown("The violation experiment needs the simulator and is shown on the semi-synthetic track only "
                     "(`data = \"semi_synthetic\"`); on this track nothing is simulated."))

# %% [markdown]
# ## Reading the result
#
# The paper's IV columns agree in sign with its baseline and are larger. Without first-stage statistics, that
# agreement says little: a weak or invalid shift-share instrument built from "historical development × a national
# trend" tends to produce exactly a larger positive estimate, because historically developed cities are on steeper
# development paths. Our simulation, in which the truth is known, shows both sides (semi-synthetic track; "n/a"
# elsewhere or with `show_violation = False`): with valid instruments the mean absolute error of 2SLS against the
# truth over the columns above is {glue:text}`viol_err0:.3f`, and when exclusion fails it rises to
# {glue:text}`viol_err1:.3f` (night lights, `Pro`: {glue:text}`viol_Pro_ntl:.3f` against a truth of {glue:text}`true_Pro:.3f`), with the same
# strong first stage and no warning from any diagnostic. On the real track the night-light proxy gives the
# first-stage F printed above; read the Anderson–Rubin set rather than the 2SLS t-test when it is small.

# %% tags=["hide-input"]
rerun_box(NB, {"data": data, "seed": seed, "show_violation": show_violation})

# %% [markdown]
# ## Exercises
#
# Each exercise changes one parameter of this page; the solutions (click to open) were computed when this page was
# built, with its `data` and `seed`.

# %% tags=["hide-input"]
from nqp_helpers.chapters import exercises as ex

ex.glue_answers("ex05s", ex.ex05_seed(data, seed, other_seed=1))
ex.glue_answers("ex05r", ex.ex05_real_first_stage())

# %% [markdown]
# ```{exercise} Same world, new draw
# :label: ex-05-seed
#
# Change `seed` to 1 (a new draw of the same semi-synthetic world): `nqp run notebooks/05_t4_iv.py -p seed 1`. How much
# do the IV estimate (night-light instrument) and the TWFE estimate of the effect on `Pro` move?
# ```
#
# ```{solution} ex-05-seed
# :class: dropdown
#
# IV: {glue:text}`ex05s_iv_a:.3f` → {glue:text}`ex05s_iv_b:.3f` (moves {glue:text}`ex05s_iv_move:.3f`); TWFE:
# {glue:text}`ex05s_ols_a:.3f` → {glue:text}`ex05s_ols_b:.3f` (moves {glue:text}`ex05s_ols_move:.3f`); the truth:
# {glue:text}`ex05s_truth_a:.3f` and {glue:text}`ex05s_truth_b:.3f`. Both estimators are consistent here, but IV
# uses only the variation in treatment that the instrument predicts, so its sampling error is larger — compare the
# two movements.
# ```
#
# ```{exercise} Is the instrument strong on public data?
# :label: ex-05-real
#
# Run the chapter on the real track: `nqp run notebooks/05_t4_iv.py -p data real`. What is the first-stage F statistic
# of each instrument?
# ```
#
# ```{solution} ex-05-real
# :class: dropdown
#
# Night lights × R&D intensity: F = {glue:md}`ex05r_F_iv_ntl`. Laozihao firms × R&D intensity: F =
# {glue:md}`ex05r_F_iv_lzh`. The usual rule of thumb calls an instrument weak below F = 10; with a weak first stage
# 2SLS is biased towards OLS and its t-test over-rejects, whatever the second-stage coefficient says.
# ```
