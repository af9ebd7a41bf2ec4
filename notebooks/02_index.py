# %% [markdown]
# # Table 1: the index of new quality productive forces
#
# This chapter rebuilds the paper's Table 1, the 18-indicator system behind the index `Pro` and its three
# sub-indices (new-quality labourers `Lab`, means of labour `Mea`, objects of labour `Obj`), and sets the paper's
# weights beside three common alternatives (entropy, CRITIC, equal). It then shows how the index is scaled and
# normalised, how it evolves for pilot and non-pilot cities, and how much the city ranking in
# {glue:text}`rank_year_used` depends on the weights: the Spearman correlation between the paper-weight and the
# entropy-weight ranking is {glue:text}`rho_entropy:.3f`.

# %% tags=["parameters"]
data = "semi_synthetic"  # data track: "real", "semi_synthetic" (default) or a path to your own panel file
seed = 20260101  # seed of every random step (semi-synthetic generator)
weights = "paper"  # weighting scheme of the headline index: "paper", "entropy", "critic" or "equal"
rank_year = 2023  # year in which city rankings are compared across weighting schemes

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown, display
from myst_nb import glue

from nqp_helpers import index_report as ir
from nqp_helpers.data.load import load_panel
from nqp_helpers.display import rerun_box, save_table, track_banner
from nqp_helpers.index import WEIGHT_SCHEMES
from nqp_helpers.indicators import DIMENSIONS, INDEX_COLUMNS, INDICATOR_CODES
from nqp_helpers.plotting import COLORS, figure_legend, legend_below, set_style
from nqp_helpers.reported import reported

NB = "02_index"
set_style()
panel = load_panel(data, seed=seed, weights=weights)
track = panel.attrs.get("track", "user")
track_banner(panel)

# %% tags=["hide-input"]
if weights not in WEIGHT_SCHEMES:
    raise ValueError(f"weights must be one of {list(WEIGHT_SCHEMES)}, got {weights!r}")
present = [c for c in INDICATOR_CODES if c in panel and panel[c].notna().any()]
missing = [c for c in INDICATOR_CODES if c not in present]
have_indicators = len(present) > 0
if have_indicators:
    indices = ir.indices_by_scheme(panel)
    headline = indices[weights]
    missing_dims = headline.attrs["missing_dimensions"]
else:
    indices, headline, missing_dims = {}, None, list(DIMENSIONS)
glue("n_present", len(present), display=False)
glue("n_missing", len(missing), display=False)
if missing:
    display(Markdown(
        f"**Indicators absent on this track ({len(missing)} of 18):** {', '.join(f'`{c}`' for c in missing)}. "
        "They are not simulated: the index below is built from the "
        f"{len(present)} indicator(s) present, with the weights renormalised over them."
        + (f" **The dimension(s) {', '.join(missing_dims)} cannot be built** (no public indicator), so their "
           "sub-index is empty and `Pro` is the weighted mean of the other dimension(s)." if missing_dims else "")))
else:
    display(Markdown("All 18 indicators of Table 1 are present on this track."))

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
if have_indicators:
    table1 = ir.weights_comparison(panel, indices=indices)
    save_table(table1, "table1", NB)
    g = table1.dropna(subset=["g_entropy"])
    top = g.loc[g["g_entropy"].idxmax()]
    low = g.loc[g["g_entropy"].idxmin()]
    glue("entropy_top", f"{top['label_en']} ({top['code']})", display=False)
    glue("entropy_top_w", float(top["g_entropy"]), display=False)
    glue("entropy_low", f"{low['label_en']} ({low['code']})", display=False)
    glue("entropy_low_w", float(low["g_entropy"]), display=False)
    glue("max_gap_entropy", float((g["g_entropy"] - g["g_paper"]).abs().max()), display=False)
    show = table1[["dimension", "indicator_zh", "label_en", "direction", "present", "w_paper_table1", "w_entropy",
                   "w_critic", "w_equal", "g_paper", "g_entropy", "g_critic", "g_equal"]]
    display(show.style.format(precision=3, na_rep="–").hide(axis="index"))
else:
    for k in ("entropy_top", "entropy_low"):
        glue(k, "n/a", display=False)
    for k in ("entropy_top_w", "entropy_low_w", "max_gap_entropy"):
        glue(k, float("nan"), display=False)
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
if have_indicators:
    per_year = ir.per_year_index(panel, weights=weights)
    comp = pd.DataFrame({"year": panel["year"].to_numpy(), "whole panel": headline["Pro"].to_numpy(),
                         "within each year": per_year["Pro"].to_numpy()}).groupby("year").mean().dropna()
    glue("first_year", int(comp.index.min()), display=False)
    glue("last_year", int(comp.index.max()), display=False)
    glue("growth_whole", float(comp["whole panel"].iloc[-1] - comp["whole panel"].iloc[0]), display=False)
    glue("growth_per_year", float(comp["within each year"].iloc[-1] - comp["within each year"].iloc[0]),
         display=False)
    save_table(comp.reset_index(), "normalisation_contrast", NB)
    fig, ax = plt.subplots(figsize=(7, 3.6))
    ax.plot(comp.index, comp["whole panel"], marker="o", ms=3, color=COLORS["ours"],
            label="min-max over the whole panel (used)")
    ax.plot(comp.index, comp["within each year"], marker="s", ms=3, color=COLORS["ref"], ls="--",
            label="min-max within each year")
    ax.set_xlabel("Year")
    ax.set_ylabel("Mean Pro (0–10)")
    ax.set_xticks(comp.index[::2])
    legend_below(ax)
    glue("fig_normalisation", fig, display=False)
    plt.close(fig)
else:
    for k, v in (("first_year", 0), ("last_year", 0), ("growth_whole", float("nan")),
                 ("growth_per_year", float("nan"))):
        glue(k, v, display=False)
    display(Markdown("No indicators: the normalisation contrast cannot be drawn."))
    fig, ax = plt.subplots(figsize=(7, 1))
    ax.axis("off")
    ax.text(0.5, 0.5, "not available on this panel (no indicator columns)", ha="center")
    glue("fig_normalisation", fig, display=False)
    plt.close(fig)

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
paper_consts = reported(2, term="const")["coef"]
glue("paper_const_min", float(paper_consts.min()), display=False)
glue("paper_const_max", float(paper_consts.max()), display=False)
pro_src = headline if have_indicators else panel
pro_vals = pro_src["Pro"] if "Pro" in pro_src else pd.Series(dtype=float)
glue("mean_pro", float(pro_vals.mean()), display=False)
glue("min_pro", float(pro_vals.min()), display=False)
glue("max_pro", float(pro_vals.max()), display=False)
scale_tab = pd.DataFrame({c: pro_src[c].describe() for c in INDEX_COLUMNS if c in pro_src and pro_src[c].notna().any()})
scale_tab.T.round(3)

# %% [markdown]
# ## The index over time: pilot and non-pilot cities
#
# Mean index by year for cities that become pilots at some point (any batch, 2008–2022) and for never-treated
# cities. The gap in levels is selection: pilots were chosen among larger, richer cities, which is why the paper
# compares *changes* within cities (city fixed effects) rather than levels. A widening gap after the main 2010–2011
# batches is what the difference-in-differences picks up.

# %% tags=["hide-input"]
if have_indicators:
    paths = ir.paths_by_group(panel, headline)
    save_table(paths, "index_paths", NB)
    vars_ = [c for c in INDEX_COLUMNS if c in set(paths["variable"])]
    ncol = 2 if len(vars_) > 1 else 1
    nrow = -(-len(vars_) // ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(7, 2.9 * nrow), squeeze=False)
    for ax in axes.ravel()[len(vars_):]:
        ax.axis("off")
    for ax, v in zip(axes.ravel(), vars_):
        for grp, col, ls in (("pilot", COLORS["ours"], "-"), ("never treated", COLORS["ref"], "--")):
            d = paths[(paths["variable"] == v) & (paths["group"] == grp)]
            ax.plot(d["year"], d["mean"], color=col, ls=ls, label=grp)
        ax.set_title(v)
        ax.set_xlabel("Year")
    for ax in axes[:, 0]:
        ax.set_ylabel("Mean index (0–10)")
    fig.tight_layout()
    figure_legend(fig, axes[0][0])
    glue("fig_paths", fig, display=False)
    plt.close(fig)
    if missing_dims:
        display(Markdown(f"Not drawn: {', '.join(missing_dims)} (no indicator on this track)."))
    wide = paths.pivot_table(index=["variable", "group"], columns="year", values="mean")
    display(wide.round(2))
else:
    fig, ax = plt.subplots(figsize=(7, 1))
    ax.axis("off")
    ax.text(0.5, 0.5, "not available on this panel (no indicator columns)", ha="center")
    glue("fig_paths", fig, display=False)
    plt.close(fig)

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
if have_indicators:
    years_ok = sorted(panel.loc[np.all([indices[s]["Pro"].notna().to_numpy() for s in indices], axis=0), "year"]
                      .unique())
    ry = int(rank_year) if int(rank_year) in years_ok else int(years_ok[-1])
    if ry != int(rank_year):
        display(Markdown(f"`rank_year` = {rank_year} has no index values on this track; using {ry}, the latest "
                         "year that has."))
    corr, moves = ir.rank_stability(panel, indices, ry, reference="paper", threshold=10)
    glue("rank_year_used", ry, display=False)
    for _, r in moves.iterrows():
        glue(f"rho_{r['scheme']}", float(r["spearman_vs_paper"]), display=False)
        glue(f"moved_{r['scheme']}", float(r["share_moved_gt_10"]), display=False)
    save_table(moves.assign(year=ry), "rank_stability", NB)
    display(corr.round(3))
    display(moves.style.format({"spearman_vs_paper": "{:.3f}", "share_moved_gt_10": "{:.0%}",
                                "median_abs_move": "{:.1f}", "max_abs_move": "{:.0f}"}).hide(axis="index"))
else:
    glue("rank_year_used", int(rank_year), display=False)
    for s in WEIGHT_SCHEMES:
        glue(f"rho_{s}", float("nan"), display=False)
        glue(f"moved_{s}", float("nan"), display=False)
    display(Markdown("No indicators: rankings across weighting schemes cannot be compared."))

# %% [markdown]
# ## What this track can and cannot show

# %% tags=["hide-input"]
if track == "semi_synthetic":
    msg = ("The indicators are simulated around the real cities and pilot dates, so the weights, paths and rank "
           "correlations above describe the simulator, not Chinese cities. They show how the index machinery "
           "behaves; the true effect of the pilots on each index is known by construction (next chapter).")
elif track == "real":
    msg = (f"Only {len(present)} of the 18 indicators exist in public city data "
           f"({', '.join(f'`{c}`' for c in present)}), and they cover fewer years than the paper. "
           + (f"The dimension(s) {', '.join(missing_dims)} cannot be built at all. " if missing_dims else "")
           + (f"The Obj sub-index rests on negative-direction intensities whose range is set by a few extreme "
              f"city-years, so most cities score near the top (mean {headline['Obj'].mean():.2f} of 10). "
              if have_indicators and headline["Obj"].notna().any()
              and (table1.loc[table1["present"] & (table1["dimension"] == "Obj"), "direction"] == "-").all() else "")
           + "The real-track index is therefore a much narrower measure than the paper's and its weights are the "
           "paper's renormalised over what is present; compare it with the paper only as an illustration.")
else:
    msg = ("User panel: the index was " + ("built from your indicator columns" if have_indicators else
                                           "taken as supplied (no indicator columns)")
           + "; the numbers are yours.")
Markdown(f"**{track.replace('_', '-')} track.** " + msg)

# %% tags=["hide-input"]
rerun_box(NB, {"data": data, "seed": seed, "weights": weights, "rank_year": rank_year})
