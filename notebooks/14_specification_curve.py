# %% [markdown]
# # Specification curve: how much do the paper's fixed choices matter?
#
# The paper reports one estimate per outcome, after choosing index weights, controls, sample, estimator and
# clustering level. This page estimates **every combination** of those choices (4 × 2 × 5 × 3 × 2 = 240 per outcome),
# draws them as a specification curve beside the paper's Table 2 estimate (and the truth on the semi-synthetic
# track), and measures which choice drives the spread.
#
# ```{admonition} Learning goals
# :class: tip
# After this chapter you can
# 1. lay out a paper's fixed choices (index weights, controls, sample, estimator, clustering) as a grid and
#    estimate every combination;
# 2. read a specification curve: the spread of the estimates against their intervals, and which choice drives it;
# 3. tell choices that change the estimand (index weights) from choices that change the estimate, and those that
#    move only the standard error (clustering);
# 4. on the {term}`semi-synthetic track`, set each specification beside the exact {term}`ATT` of its own index and
#    sample.
# ```

# %% tags=["parameters"]
data = "semi_synthetic"  # data track: "semi_synthetic" (default), "real" or a path to your own panel file
seed = 20260101  # seed of the semi-synthetic draw and of the PSM matching order
outcome = "Pro"  # outcome whose curve is drawn: "Pro", "Lab", "Mea" or "Obj" (all four are estimated and saved)
psm_caliper = 0.05  # radius of the propensity-score matching (PSM-DID specifications)

# %% tags=["hide-input"]
import pandas as pd
from IPython.display import display
from myst_nb import glue

from nqp_helpers import speccurve as sc
from nqp_helpers.chapters.glue import glue_all
from nqp_helpers.data.load import load_panel
from nqp_helpers.display import rerun_box, save_table, track_banner
from nqp_helpers.plotting import glue_figure, set_style
from nqp_helpers.reported import reported

NOTEBOOK = "14_specification_curve"
set_style()

# %% tags=["hide-input"]
panel = load_panel(data, seed=seed)
track_banner(panel)

# %% [markdown]
# ## The choices
#
# | dimension | levels |
# |---|---|
# | index weights | the paper's (Table 1), entropy, CRITIC, equal — each index built once from the indicators present |
# | controls | none; the paper's six (`Eco, Gov, Fix, Fin, Tra, Ope`) |
# | sample | all cities; without the four municipalities; without the 2022 cohort; all cities with the uncertain pilots' approval year set to its earliest / latest candidate |
# | estimator | TWFE (eq. 1); PSM-DID (year-by-year logit on the controls, radius matching, then eq. 1); BJS imputation (robust to heterogeneous effects) |
# | clustering | city; province |
#
# Clustering changes only the standard error; every other choice can move the estimate. On the semi-synthetic track
# the data were generated with the default pilot years, so the two "uncertain pilots" samples are deliberate
# misclassifications of the treatment date. There every weighting has its own exact truth: `reweight_index` rebuilds
# both potential outcomes with that weighting (same normalisation bounds as the observed index), so the `truth`
# column is the true ATT of the index actually analysed, over the sample's truly treated cells.

# %% tags=["hide-input"]
timings = {}
specs = sc.run_speccurve(panel, seed=seed, psm_caliper=psm_caliper, timings=timings)
save_table(specs, "speccurve", NOTEBOOK)
print(sc.run_summary(specs, panel, timings))
glue("n_specs", int(specs["estimate"].notna().sum()), display=False)
glue("runtime", float(timings["total_s"]), display=False)

# %% tags=["hide-input"]
one = sc.outcome_specs(specs, outcome)
paper_est = float(reported(2, outcome, spec="baseline_controls")["coef"].iloc[0])
if one.empty:
    print(f"No specification could be estimated for {outcome} on this track (see the skipped list above).")
else:
    glue_figure("fig_speccurve", sc.speccurve_plot(specs, outcome, truth=sc.true_att(panel, outcome), paper=paper_est))
    glue_all(sc.curve_values(one))
glue("outcome", outcome, display=False)
glue("paper_est", paper_est, display=False)

# %% [markdown]
# ```{glue:figure} fig_speccurve
# :alt: Specification curve: every specification's estimate sorted from smallest to largest with its 95 percent interval, coloured by estimator, above a panel of markers showing each specification's choices; a dotted red line marks the paper's estimate and a dashed green line the true effect; the legend sits to the right of the plot.
# :name: fig-speccurve
#
# Specification curve for the chosen outcome: every estimated specification sorted by its estimate, with its 95 %
# interval (colour = estimator); the panel below marks each specification's choices. Dotted red line: the paper's
# Table 2 estimate with controls. On the semi-synthetic track the dashed green line is the true effect on the
# paper-weighted index; indices with other weights are different quantities with their own exact truths (Table 2
# and the `truth` column of `speccurve.csv`).
# ```
#
# For {glue:text}`outcome`, against the paper's {glue:text}`paper_est:.3f`, the estimates range from
# {glue:text}`o_min:.3f` to {glue:text}`o_max:.3f` (median {glue:text}`o_median:.3f`); a share
# {glue:text}`o_share_sig:.2f` of the intervals lies above zero.

# %% tags=["hide-input"]
vd = sc.variance_decomposition(specs)
save_table(vd, "speccurve_variance_decomposition", NOTEBOOK)
wide = sc.decomposition_table(vd)
display(wide.style.format("{:.1%}"))
values = {**sc.decomposition_values(wide, outcome), **sc.truth_sentences(specs, outcome)}
glue_all(values)

# %% [markdown]
# *Table 1.* Share of the variance of the estimates (across specifications, per outcome) explained by each choice
# dimension alone; in this complete factorial grid the shares are orthogonal and "interactions" is the rest.
#
# ## What drives the spread
#
# For {glue:text}`outcome` the largest share of the spread, {glue:text}`top_share:.0%`, comes from the choice of
# **{glue:text}`top_dim`**. When that is the weighting, the spread is mostly a change of *units*, not of evidence:
# entropy and CRITIC weights put most of the weight on the indicators that vary most across cities, so the same
# underlying change moves the index by a different number of points. A specification curve over index weights
# therefore compares different estimands; within one weighting, the spread across controls, samples and estimators
# is the one to read as robustness. Clustering by province instead of city never moves the estimate (share
# {glue:text}`cluster_share:.1%`) and only widens or narrows the intervals. On the semi-synthetic track the truths
# themselves show the change of units: {glue:text}`truth_range`.
#
# **Against the truth** (semi-synthetic track; each specification against the exact truth of its own weighting and
# sample): {glue:text}`truth_verdict`

# %% tags=["hide-input"]
mean_by = sc.mean_by_weighting(one)
display(mean_by.style.format("{:.3f}") if not mean_by.empty else "no estimates")

# %% [markdown]
# *Table 2.* Mean estimate for {glue:text}`outcome` by weighting (rows) and estimator (columns), averaged over
# controls, samples and clustering; on the semi-synthetic track the last column is the exact true ATT of that
# weighting's index (all cities). The full table of {glue:text}`n_specs` estimates (all outcomes) is saved as
# `speccurve.csv`; it was computed in {glue:text}`runtime:.1f` s.

# %% tags=["hide-input"]
rerun_box(NOTEBOOK, {"data": data, "seed": seed, "outcome": outcome, "psm_caliper": psm_caliper})

# %% [markdown]
# ## Exercises
#
# Each exercise changes one parameter of this page; the solutions (click to open) were computed when this page was
# built, with its `data` and `seed` (from the table of every specification it saved, `speccurve.csv`).

# %% tags=["hide-input"]
from nqp_helpers.chapters import exercises as ex
from nqp_helpers.paths import results_dir

all_specs = pd.read_csv(results_dir("14_specification_curve") / "speccurve.csv")
ex.glue_answers("ex14o", ex.ex14_outcome(all_specs, outcome="Obj"))
ex.glue_answers("ex14c", ex.ex14_cluster(all_specs, outcome="Lab"))

# %% [markdown]
# ```{exercise} Another outcome
# :label: ex-14-outcome
#
# Change `outcome` to `"Obj"` (the sub-index of objects of labour): `nqp run notebooks/14_specification_curve.py -p
# outcome Obj`. Over how wide a range do its estimates spread, and what share of the specifications finds a
# significantly positive effect?
# ```
#
# ```{solution} ex-14-outcome
# :class: dropdown
#
# {glue:text}`ex14o_n` specifications for `Obj`, from {glue:text}`ex14o_min:.3f` to {glue:text}`ex14o_max:.3f`;
# {glue:text}`ex14o_share_sig_pos:.0%` of them have a 95% interval above zero. A curve is only as informative as
# its spread relative to the standard errors: compare the range with the intervals drawn in the figure.
# ```
#
# ```{exercise} Which choices move significance?
# :label: ex-14-cluster
#
# Change `outcome` to `"Lab"`: `nqp run notebooks/14_specification_curve.py -p outcome Lab`. The curve includes
# clustering by city and by province; pair every specification with its twin that differs only in clustering. How
# many pairs change 5% significance for `Lab`?
# ```
#
# ```{solution} ex-14-cluster
# :class: dropdown
#
# {glue:text}`ex14c_flips` of {glue:text}`ex14c_pairs` pairs change significance; the estimates within a pair differ
# by at most {glue:text}`ex14c_max_est_diff:.1e` (clustering changes only the standard error). A choice that
# moves only standard errors can still move the stars a paper reports.
# ```
