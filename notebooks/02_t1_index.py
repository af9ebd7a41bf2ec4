# %% [markdown]
# # Table 1: the index of new quality productive forces
#
# This chapter rebuilds the paper's Table 1, the 18-indicator system behind the index `Pro` and its three
# sub-indices (new-quality labourers `Lab`, means of labour `Mea`, objects of labour `Obj`), and sets the paper's
# weights beside three common alternatives (entropy, CRITIC, equal). It then shows how the index is scaled and
# normalised, how it evolves for pilot and non-pilot cities, and how much the city ranking in
# {glue:text}`rank_year_used` depends on the weights: the Spearman correlation between the paper-weight and the
# entropy-weight ranking is {glue:text}`rho_entropy:.3f`.
#
# ```{admonition} Learning goals
# :class: tip
# After this chapter you can
# 1. build the index from its 18 indicators: direction, whole-panel min-max normalisation, weights within and between
#    dimensions;
# 2. set the paper's weights beside entropy, CRITIC and equal weights;
# 3. see how far city rankings move when the weights change, and why a high rank correlation can hide many moves.
# ```

# %% tags=["parameters"]
data = "semi_synthetic"  # data track: "real", "semi_synthetic" (default) or a path to your own panel file
seed = 20260101  # seed of every random step (semi-synthetic generator)
weights = "paper"  # weighting scheme of the headline index: "paper", "entropy", "critic" or "equal"
rank_year = 2023  # year in which city rankings are compared across weighting schemes

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
from IPython.display import Markdown, display
from myst_nb import glue

from nqp_helpers import index_report as ir
from nqp_helpers.chapters import index as ch
from nqp_helpers.chapters.glue import glue_all
from nqp_helpers.data.load import load_panel
from nqp_helpers.display import rerun_box, save_table, track_banner
from nqp_helpers.plotting import set_style

# %% tags=["hide-input"]
NB = "02_t1_index"
set_style()
panel = load_panel(data, seed=seed, weights=weights)
track = panel.attrs.get("track", "user")
track_banner(panel)

# %% tags=["hide-input"]
idx = ch.build_indices(panel, weights)
glue_all({"n_present": len(idx.present), "n_missing": len(idx.missing)})
display(Markdown(ch.coverage_note(idx)))

# %% [markdown]
# ## The indicator system and four weighting schemes
#
# The paper weights each indicator within its dimension by an "objective AHP" method (客观AHP, citing 安博文等,
# 2025) and gives the three dimensions equal weight (0.333). The method is not documented well enough to be
# re-run, so its printed weights are taken as data (`data/paper/index_weights.csv`). Beside them we compute three
# schemes that are common in this literature, each on the same normalised indicators:
#
# entropy
# : an indicator gets more weight the more *unequally* its normalised values are spread across city-years
#   (a few cities with large values, most with small ones). It is purely a property of the distribution.
#
# CRITIC
# : weight ∝ standard deviation × (sum of 1 − correlation with the other indicators): dispersed indicators that say
#   something the others do not get more weight.
#
# equal
# : 1/n within each dimension, 1/3 per dimension.
#
# `w_*` are within-dimension weights (summing to 1 within each dimension, as in the paper's Table 1), `g_*` the
# global weights (`w` × dimension weight, summing to 1 over all indicators). For entropy and CRITIC the dimension
# weight is the sum of the global weights of its indicators, so it is not 1/3.

# %% tags=["hide-input"]
table1 = ir.weights_comparison(panel, indices=idx.indices) if idx.have_indicators else None
glue_all(ch.weights_numbers(table1))
if table1 is not None:
    save_table(table1, "table1", NB)
    display(ch.table1_styler(table1))
else:
    display(Markdown("**Table 1 cannot be computed:** the panel has none of the 18 indicator columns "
                     "(only ready-made index columns, if any)."))

# %% [markdown]
# On this track the entropy method puts its largest global weight, {glue:text}`entropy_top_w:.3f`, on
# {glue:text}`entropy_top` and its smallest, {glue:text}`entropy_low_w:.4f`, on {glue:text}`entropy_low`; the
# largest gap between an entropy and a paper global weight is {glue:text}`max_gap_entropy:.3f`. Data-driven weights
# change with the data (they differ between tracks and samples); the paper's do not. Counts that are zero in most
# cities and large in a few (AI firms, industrial clusters, postgraduates) look "informative" to the entropy
# method; negative-direction intensities, which after reversal bunch near 1 because a few extreme cities set the
# range, look uninformative. Neither is a statement about what matters for productivity.
#
# ## Normalisation and scale
#
# Each indicator is min-max normalised **over the whole panel** (all cities and years) with its direction:
# `x̃ = (x − min)/(max − min)` for positive indicators and `(max − x)/(max − min)` for negative ones (energy, water,
# CO₂ and waste-gas intensity, energy use per head). Because one yardstick is used for every year, a city whose
# broadband ports double gets a higher score than it had, so the index can *grow over time*. The alternative,
# normalising within each year, ranks cities against that year's best and worst only: a change common to all cities
# (a uniform shift) leaves the per-year scores untouched, so a nationwide rise in productive forces becomes
# invisible; what is left of the trend only reflects changes in the shape of the distribution (how far the average
# city sits from that year's extremes). The figure below contrasts the two for the headline index (`weights` =
# {glue:text}`scheme`): the mean `Pro` rises by {glue:text}`growth_whole:.2f` points from
# {glue:text}`first_year` to {glue:text}`last_year` under whole-panel normalisation and by
# {glue:text}`growth_per_year:.2f` under per-year normalisation.

# %% tags=["hide-input"]
glue("scheme", weights, display=False)
comp = ch.normalisation_contrast(panel, idx)
glue_all(ch.contrast_numbers(comp))
if comp is not None:
    save_table(comp.reset_index(), "normalisation_contrast", NB)
else:
    display(Markdown("No indicators: the normalisation contrast cannot be drawn."))
glue("fig_normalisation", ch.normalisation_figure(comp), display=False)
plt.close("all")

# %% [markdown]
# ```{glue:figure} fig_normalisation
# :alt: Line chart of mean Pro by year under two normalisations; the whole-panel line rises over the years, the within-year line stays roughly flat.
# :name: fig-index-normalisation
#
# Mean `Pro` across cities by year, with indicators normalised over the whole panel (solid, the book's choice) or
# within each year (dashed). Same weights in both.
# ```
#
# **Scale.** A sub-index is `10 × Σ w_k x̃_k`, so it lies in [0, 10]; `Pro` is the dimension-weighted mean of the
# sub-indices, also in [0, 10]. The paper does not state its scale, but its Table 2 constants
# ({glue:text}`paper_const_min:.2f` to {glue:text}`paper_const_max:.2f`) are, with city and year fixed effects and
# the reghdfe convention `const = ȳ − β·x̄`, roughly the sample means of the outcomes. Means of 2–3 are impossible
# for an index on [0, 1] and plausible for one on [0, 10]; a [0, 100] index would need very low normalised scores.
# We therefore adopt 0–10. On this track the mean of `Pro` is {glue:text}`mean_pro:.2f` (range
# {glue:text}`min_pro:.2f`–{glue:text}`max_pro:.2f`).

# %% tags=["hide-input"]
glue_all(ch.scale_numbers(panel, idx))
ch.scale_table(panel, idx)

# %% [markdown]
# ## The index over time: pilot and non-pilot cities
#
# Mean index by year for cities that become pilots at some point (any batch, 2008–2022) and for never-treated
# cities. The gap in levels is selection: pilots were chosen among larger, richer cities, which is why the paper
# compares *changes* within cities (city fixed effects) rather than levels. A widening gap after the main 2010–2011
# batches is what the difference-in-differences picks up.

# %% tags=["hide-input"]
paths = ir.paths_by_group(panel, idx.headline) if idx.have_indicators else None
glue("fig_paths", ch.paths_figure(paths), display=False)
plt.close("all")
if paths is not None:
    save_table(paths, "index_paths", NB)
    if idx.missing_dims:
        display(Markdown(f"Not drawn: {', '.join(idx.missing_dims)} (no indicator on this track)."))
    display(paths.pivot_table(index=["variable", "group"], columns="year", values="mean").round(2))

# %% [markdown]
# ```{glue:figure} fig_paths
# :alt: Small multiples of mean Pro, Lab, Mea and Obj by year; the pilot-city line (solid) lies above the never-treated line (dashed) in every panel.
# :name: fig-index-paths
#
# Mean headline index by year: pilot cities (ever treated, solid) and never-treated cities (dashed). One panel per
# index that can be built on this track.
# ```
#
# ## Does the weighting change who ranks where?
#
# Cities are ranked by `Pro` in {glue:text}`rank_year_used` under each scheme (1 = highest). The table gives the
# Spearman rank correlations between schemes, then for each scheme the share of cities whose rank differs from
# their paper-weight rank by more than 10 places. Against the paper's ranking: equal weights
# ρ = {glue:text}`rho_equal:.3f` ({glue:text}`moved_equal:.0%` of cities move more than 10 places), entropy
# ρ = {glue:text}`rho_entropy:.3f` ({glue:text}`moved_entropy:.0%`), CRITIC ρ = {glue:text}`rho_critic:.3f`
# ({glue:text}`moved_critic:.0%`). High correlations mean the regression *sign* is unlikely to hinge on the weights;
# the share of cities that move says that city league tables built from such an index are fragile.

# %% tags=["hide-input"]
rank = ch.rank_comparison(panel, idx, rank_year)
glue_all(rank.numbers)
if rank.note:
    display(Markdown(rank.note))
if rank.moves is not None:
    save_table(rank.moves.assign(year=rank.year), "rank_stability", NB)
    display(rank.corr.round(3))
    display(ch.moves_styler(rank.moves))
else:
    display(Markdown("No indicators: rankings across weighting schemes cannot be compared."))

# %% [markdown]
# ## What this track can and cannot show

# %% tags=["hide-input"]
Markdown(ch.track_note(track, idx, table1))

# %% tags=["hide-input"]
rerun_box(NB, {"data": data, "seed": seed, "weights": weights, "rank_year": rank_year})

# %% [markdown]
# ## Exercises
#
# Each exercise changes one parameter of this page; the solutions (click to open) were computed when this page was
# built, with its `data` and `seed`.

# %% tags=["hide-input"]
from nqp_helpers.chapters import exercises as ex

ex.glue_answers("ex02w", ex.ex02_weights(data, seed, "entropy", base_weights=weights))
ex.glue_answers("ex02r", ex.ex02_rank_year(data, seed, 2010, base_rank_year=rank_year, weights=weights))

# %% [markdown]
# ```{exercise} Entropy weights for the headline index
# :label: ex-02-weights
#
# Build the headline index with entropy weights: `nqp run notebooks/02_t1_index.py -p weights entropy`. What happens
# to the mean of `Pro` and to its rise from the first to the last year (whole-panel normalisation)?
# ```
#
# ```{solution} ex-02-weights
# :class: dropdown
#
# Mean `Pro`: {glue:text}`ex02w_mean_base:.2f` with this page's weights, {glue:text}`ex02w_mean_alt:.2f` with
# entropy weights; its rise over the panel: {glue:text}`ex02w_rise_base:.2f` and {glue:text}`ex02w_rise_alt:.2f`
# points. Entropy weights favour indicators that are near zero in most cities and large in a few, so the level of
# the index depends on the scheme: levels (and the constants of a regression on the index) cannot be compared
# across schemes; rises and rankings can.
# ```
#
# ```{exercise} Rankings in an earlier year
# :label: ex-02-rank-year
#
# Compare the rankings in an earlier year: `nqp run notebooks/02_t1_index.py -p rank_year 2010`.
# Do the entropy and equal-weight rankings agree more or less with the paper's than in this page's year?
# ```
#
# ```{solution} ex-02-rank-year
# :class: dropdown
#
# Entropy against the paper's weights: ρ = {glue:text}`ex02r_rho_entropy_base:.3f` in
# {glue:text}`ex02r_year_base` ({glue:text}`ex02r_moved_entropy_base:.0%` of cities move more than 10 places) and
# ρ = {glue:text}`ex02r_rho_entropy_alt:.3f` in {glue:text}`ex02r_year_alt`
# ({glue:text}`ex02r_moved_entropy_alt:.0%`). Equal weights: ρ = {glue:text}`ex02r_rho_equal_base:.3f`
# ({glue:text}`ex02r_moved_equal_base:.0%`) and ρ = {glue:text}`ex02r_rho_equal_alt:.3f`
# ({glue:text}`ex02r_moved_equal_alt:.0%`). How robust a ranking is to the weights depends on the year: a league
# table is fragile whenever many cities sit close together, and a high correlation can hide many cities moving more
# than 10 places.
# ```
