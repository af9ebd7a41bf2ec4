# %% [markdown]
# # Inference when treatment is assigned to whole cities: randomisation and the wild bootstrap
#
# The paper's stars come from cluster-robust standard errors. This page checks them two other ways: by
# randomisation inference (re-assign the pilots at random many times and see how unusual the real estimate is) and by
# the wild cluster bootstrap for the main coefficient. Both keep the paper's TWFE specification with its six
# controls; only the way uncertainty is measured changes.

# %% tags=["parameters"]
data = "semi_synthetic"  # data track: "semi_synthetic" (default), "real" or a path to your own panel file
seed = 20260101  # seed of every random step (semi-synthetic generator, permutations, bootstrap weights)
scenario = "constant"  # semi-synthetic effects: "constant", "dynamic" or "heterogeneous" (other tracks ignore it)
n_draws = 1000  # placebo permutations of pilot assignment (randomisation inference)
n_boot = 9999  # wild cluster bootstrap draws

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown, display
from myst_nb import glue

from nqp_helpers.data.load import load_panel
from nqp_helpers.display import rerun_box, save_table, track_banner
from nqp_helpers.estimators.placebo import placebo_test
from nqp_helpers.estimators.wild_bootstrap import wild_bootstrap
from nqp_helpers.plotting import COLORS, figure_legend, set_style
from nqp_helpers.reported import reported

NB = "11_inference"
set_style()
panel = load_panel(data, seed=seed, scenario=scenario)
track = panel.attrs.get("track", "user")
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
CONTROLS = [c for c in ("Eco", "Gov", "Fix", "Fin", "Tra", "Ope") if c in panel and panel[c].notna().any()]
outcomes = [o for o in ("Pro", "Lab", "Mea", "Obj") if o in panel and panel[o].notna().any()]
absent = [o for o in ("Pro", "Lab", "Mea", "Obj") if o not in outcomes]
missing_ctrl = [c for c in ("Eco", "Gov", "Fix", "Fin", "Tra", "Ope") if c not in CONTROLS]
notes = []
if absent:
    notes.append(f"{', '.join(absent)} absent on this track (never simulated): not tested")
if missing_ctrl:
    notes.append(f"controls {', '.join(missing_ctrl)} absent: left out")
if notes:
    display(Markdown("**Note:** " + "; ".join(notes) + "."))
cohorts = panel.groupby("city_code")["first_treat"].first()
glue("n_pilots", int((cohorts > 0).sum()), display=False)
glue("n_cities", int(len(cohorts)), display=False)
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
ri = placebo_test(panel, outcomes, controls=CONTROLS, n_draws=n_draws, seed=seed)
draws = ri.attrs["draws"]
ri_table = ri[["outcome", "term", "estimate", "std_error", "p_value", "ri_p_value", "placebo_mean", "placebo_sd",
               "placebo_q025", "placebo_q975", "n_draws", "n_obs", "n_clusters", "engine"]].rename(
    columns={"p_value": "p_value_cluster_robust"})
if truth is not None:
    ri_table.insert(3, "truth", [float(truth.query("outcome == @o and estimand == 'att'")["value"].iloc[0])
                                 for o in ri_table["outcome"]])
save_table(ri_table, "placebo", NB)
r0 = ri_table.set_index("outcome").loc[outcomes[0]]
glue("ri_first_outcome", outcomes[0], display=False)
glue("ri_est", float(r0["estimate"]), display=False)
glue("ri_p", float(r0["ri_p_value"]), display=False)
glue("ri_q975", float(r0["placebo_q975"]), display=False)
glue("ri_sd", float(r0["placebo_sd"]), display=False)
glue("ri_se", float(r0["std_error"]), display=False)
d0 = draws.loc[draws["outcome"] == outcomes[0], "estimate"].abs()
glue("ri_where", "lies outside the whole placebo distribution" if abs(r0["estimate"]) > d0.max()
     else "lies inside the placebo distribution", display=False)
ri_table.round(4)

# %% tags=["hide-input"]
fig, axes = plt.subplots(1, len(outcomes), figsize=(2.6 * len(outcomes) + 1, 3.2), squeeze=False)
for ax, o in zip(axes[0], outcomes):
    d = draws.loc[draws["outcome"] == o, "estimate"]
    obs = float(ri_table.set_index("outcome").loc[o, "estimate"])
    ax.hist(d, bins=30, color=COLORS["band"], alpha=0.7, lw=0, label="placebo pilots")
    ax.axvline(obs, color=COLORS["paper"], lw=2, label="actual pilots")
    lo, hi = min(d.min(), obs), max(d.max(), obs)
    ax.set_xlim(lo - 0.1 * (hi - lo), hi + 0.1 * (hi - lo))
    ax.set_title(o, loc="left")
    ax.set_xlabel("TWFE coefficient")
axes[0][0].set_ylabel("Number of placebo draws")
fig.tight_layout()
figure_legend(fig, axes[0][0])
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
main = outcomes[0]
boots = []
for w in ("rademacher", "webb"):
    b = wild_bootstrap(panel, main, controls=CONTROLS, n_boot=n_boot, weights=w, seed=seed)
    boots.append(b)
wb = pd.concat(boots, ignore_index=True)
analytic = wb.iloc[0]
se = float(analytic["std_error"])
df_t = int(analytic["n_clusters"]) - 1
from scipy import stats  # noqa: E402  (t quantile of the analytic interval)

tq = stats.t.ppf(0.975, df_t)
rows = [dict(method="analytic CR1, t(G−1)", estimate=analytic["estimate"], std_error=se,
             p_value=analytic["p_value_analytic"], conf_low=analytic["estimate"] - tq * se,
             conf_high=analytic["estimate"] + tq * se, n_boot=np.nan)]
for _, b in wb.iterrows():
    rows.append(dict(method=f"wild cluster bootstrap {b['bootstrap']}, {b['weights'].capitalize()} weights",
                     estimate=b["estimate"], std_error=se, p_value=b["p_value"], conf_low=b["conf_low"],
                     conf_high=b["conf_high"], n_boot=b["n_boot"]))
wb_table = pd.DataFrame(rows)
wb_table.insert(0, "outcome", main)
wb_table["n_clusters"] = int(analytic["n_clusters"])
wb_table["seed"] = seed
save_table(wb_table, "wild_bootstrap", NB)
for k, r in wb_table.iterrows():
    glue(f"wb_lo_{k}", float(r["conf_low"]), display=False)
    glue(f"wb_hi_{k}", float(r["conf_high"]), display=False)
    glue(f"wb_p_{k}", float(r["p_value"]), display=False)
glue("wb_main", main, display=False)
glue("wb_width_ratio", float((wb_table["conf_high"] - wb_table["conf_low"]).iloc[1:].max()
                             / (wb_table["conf_high"] - wb_table["conf_low"]).iloc[0]), display=False)
glue("n_boot", int(n_boot), display=False)
try:
    paper = reported(2, outcome=main, spec="baseline_controls").iloc[0]
    display(Markdown(f"The paper (Table 2, with controls): {float(paper['coef']):.3f} (SE {float(paper['se']):.3f})"
                     f"{paper['stars']} — its coefficients are on its own index scale; see the baseline chapter."))
except Exception as exc:  # the paper's table is absent or has no such row
    display(Markdown(f"Paper's number not available: {exc}"))
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
# Change `n_boot` to 999: `nqp run notebooks/11_inference.py -p n_boot 999`. Does the wild cluster bootstrap
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
# Change `n_draws` to 200: `nqp run notebooks/11_inference.py -p n_draws 200`. What is the randomisation-inference
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
