"""Chapter 02 (Table 1, the index): every computation and conditional sentence of the page.

What: :func:`build_indices` (the headline index and the three alternatives on the indicators present) with its
:func:`coverage_note`; :func:`weights_numbers` (entropy extremes); :func:`normalisation_contrast` and its figure;
:func:`scale_numbers`/:func:`scale_table`; :func:`paths_figure` (pilot vs never-treated paths);
:func:`rank_comparison` (rank stability across weighting schemes); :func:`track_note`.
Why: the notebook keeps prose, short calls and glue; these functions are tested directly (tests/test_chapters_index.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import index_report as ir
from ..index import WEIGHT_SCHEMES
from ..indicators import DIMENSIONS, INDEX_COLUMNS, INDICATOR_CODES
from ..plotting import COLORS, figure_legend, legend_below
from ..reported import reported

__all__ = [
    "IndexBuild",
    "RankComparison",
    "build_indices",
    "coverage_note",
    "moves_styler",
    "normalisation_contrast",
    "normalisation_figure",
    "contrast_numbers",
    "paths_figure",
    "rank_comparison",
    "scale_numbers",
    "scale_table",
    "table1_styler",
    "track_note",
    "unavailable_figure",
    "weights_numbers",
]

TABLE1_SHOWN = [
    "dimension",
    "indicator_zh",
    "label_en",
    "direction",
    "present",
    "w_paper_table1",
    "w_entropy",
    "w_critic",
    "w_equal",
    "g_paper",
    "g_entropy",
    "g_critic",
    "g_equal",
]


@dataclass
class IndexBuild:
    """The indicators present on a panel and the index built from them under each weighting scheme."""

    weights: str
    present: list
    missing: list
    indices: dict = field(default_factory=dict)
    headline: pd.DataFrame | None = None
    missing_dims: list = field(default_factory=list)

    @property
    def have_indicators(self) -> bool:
        return len(self.present) > 0


def build_indices(panel: pd.DataFrame, weights: str = "paper") -> IndexBuild:
    """Build the index under every scheme on the indicators present; ``weights`` names the headline scheme."""
    if weights not in WEIGHT_SCHEMES:
        raise ValueError(f"weights must be one of {list(WEIGHT_SCHEMES)}, got {weights!r}")
    present = [c for c in INDICATOR_CODES if c in panel and panel[c].notna().any()]
    missing = [c for c in INDICATOR_CODES if c not in present]
    if not present:
        return IndexBuild(weights, present, missing, missing_dims=list(DIMENSIONS))
    indices = ir.indices_by_scheme(panel)
    headline = indices[weights]
    return IndexBuild(weights, present, missing, indices, headline, headline.attrs["missing_dimensions"])


def coverage_note(b: IndexBuild) -> str:
    """Markdown: which of the 18 indicators are absent and what that does to the index."""
    if not b.missing:
        return "All 18 indicators of Table 1 are present on this track."
    return (
        f"**Indicators absent on this track ({len(b.missing)} of 18):** {', '.join(f'`{c}`' for c in b.missing)}. "
        "They are not simulated: the index below is built from the "
        f"{len(b.present)} indicator(s) present, with the weights renormalised over them."
        + (
            f" **The dimension(s) {', '.join(b.missing_dims)} cannot be built** (no public indicator), so their "
            "sub-index is empty and `Pro` is the weighted mean of the other dimension(s)."
            if b.missing_dims
            else ""
        )
    )


def weights_numbers(table1: pd.DataFrame | None) -> dict:
    """Glue values: the indicators with the largest and smallest entropy weight, and the largest gap to the paper."""
    if table1 is None:
        return {
            "entropy_top": "n/a",
            "entropy_low": "n/a",
            "entropy_top_w": float("nan"),
            "entropy_low_w": float("nan"),
            "max_gap_entropy": float("nan"),
        }
    g = table1.dropna(subset=["g_entropy"])
    top = g.loc[g["g_entropy"].idxmax()]
    low = g.loc[g["g_entropy"].idxmin()]
    return {
        "entropy_top": f"{top['label_en']} ({top['code']})",
        "entropy_top_w": float(top["g_entropy"]),
        "entropy_low": f"{low['label_en']} ({low['code']})",
        "entropy_low_w": float(low["g_entropy"]),
        "max_gap_entropy": float((g["g_entropy"] - g["g_paper"]).abs().max()),
    }


def table1_styler(table1: pd.DataFrame):
    """Table 1 as shown: weights to 3 decimals, no index column."""
    return table1[TABLE1_SHOWN].style.format(precision=3, na_rep="–").hide(axis="index")


def normalisation_contrast(panel: pd.DataFrame, b: IndexBuild) -> pd.DataFrame | None:
    """Mean ``Pro`` by year under whole-panel and within-year normalisation (None without indicators)."""
    if not b.have_indicators:
        return None
    per_year = ir.per_year_index(panel, weights=b.weights)
    return (
        pd.DataFrame(
            {
                "year": panel["year"].to_numpy(),
                "whole panel": b.headline["Pro"].to_numpy(),
                "within each year": per_year["Pro"].to_numpy(),
            }
        )
        .groupby("year")
        .mean()
        .dropna()
    )


def contrast_numbers(comp: pd.DataFrame | None) -> dict:
    """Glue values: first and last year and the rise of mean ``Pro`` under each normalisation."""
    if comp is None:
        return {"first_year": 0, "last_year": 0, "growth_whole": float("nan"), "growth_per_year": float("nan")}
    return {
        "first_year": int(comp.index.min()),
        "last_year": int(comp.index.max()),
        "growth_whole": float(comp["whole panel"].iloc[-1] - comp["whole panel"].iloc[0]),
        "growth_per_year": float(comp["within each year"].iloc[-1] - comp["within each year"].iloc[0]),
    }


def unavailable_figure(text: str = "not available on this panel (no indicator columns)"):
    """A blank strip carrying ``text``, glued where a figure cannot be drawn."""
    fig, ax = plt.subplots(figsize=(7, 1))
    ax.axis("off")
    ax.text(0.5, 0.5, text, ha="center")
    return fig


def normalisation_figure(comp: pd.DataFrame | None):
    """Mean ``Pro`` by year, whole-panel (solid) against within-year (dashed) normalisation."""
    if comp is None:
        return unavailable_figure()
    fig, ax = plt.subplots(figsize=(7, 3.6))
    ax.plot(
        comp.index,
        comp["whole panel"],
        marker="o",
        ms=3,
        color=COLORS["ours"],
        label="min-max over the whole panel (used)",
    )
    ax.plot(
        comp.index,
        comp["within each year"],
        marker="s",
        ms=3,
        color=COLORS["ref"],
        ls="--",
        label="min-max within each year",
    )
    ax.set_xlabel("Year")
    ax.set_ylabel("Mean Pro (0–10)")
    ax.set_xticks(comp.index[::2])
    legend_below(ax)
    return fig


def _pro_source(panel: pd.DataFrame, b: IndexBuild) -> pd.DataFrame:
    return b.headline if b.have_indicators else panel


def scale_numbers(panel: pd.DataFrame, b: IndexBuild) -> dict:
    """Glue values: the range of the paper's Table 2 constants and the mean and range of ``Pro`` here."""
    consts = reported(2, term="const")["coef"]
    src = _pro_source(panel, b)
    pro = src["Pro"] if "Pro" in src else pd.Series(dtype=float)
    return {
        "paper_const_min": float(consts.min()),
        "paper_const_max": float(consts.max()),
        "mean_pro": float(pro.mean()),
        "min_pro": float(pro.min()),
        "max_pro": float(pro.max()),
    }


def scale_table(panel: pd.DataFrame, b: IndexBuild) -> pd.DataFrame:
    """Summary statistics of each index that can be built (one row per index)."""
    src = _pro_source(panel, b)
    return pd.DataFrame({c: src[c].describe() for c in INDEX_COLUMNS if c in src and src[c].notna().any()}).T.round(3)


def paths_figure(paths: pd.DataFrame | None):
    """Small multiples of the mean index by year, pilot cities (solid) against never-treated cities (dashed)."""
    if paths is None:
        return unavailable_figure()
    vars_ = [c for c in INDEX_COLUMNS if c in set(paths["variable"])]
    ncol = 2 if len(vars_) > 1 else 1
    nrow = -(-len(vars_) // ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(7, 2.9 * nrow), squeeze=False)
    for ax in axes.ravel()[len(vars_) :]:
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
    return fig


@dataclass
class RankComparison:
    """City rankings compared across weighting schemes in one year (``moves`` None without indicators)."""

    year: int
    note: str | None
    corr: pd.DataFrame | None
    moves: pd.DataFrame | None
    numbers: dict


def rank_comparison(panel: pd.DataFrame, b: IndexBuild, rank_year: int, threshold: int = 10) -> RankComparison:
    """Spearman correlations and rank moves against the paper's weights in ``rank_year`` (or the latest usable)."""
    if not b.have_indicators:
        numbers = {"rank_year_used": int(rank_year)}
        for s in WEIGHT_SCHEMES:
            numbers.update({f"rho_{s}": float("nan"), f"moved_{s}": float("nan")})
        return RankComparison(int(rank_year), None, None, None, numbers)
    ok = np.all([b.indices[s]["Pro"].notna().to_numpy() for s in b.indices], axis=0)
    years_ok = sorted(panel.loc[ok, "year"].unique())
    ry = int(rank_year) if int(rank_year) in years_ok else int(years_ok[-1])
    note = (
        None
        if ry == int(rank_year)
        else (f"`rank_year` = {rank_year} has no index values on this track; using {ry}, the latest year that has.")
    )
    corr, moves = ir.rank_stability(panel, b.indices, ry, reference="paper", threshold=threshold)
    numbers = {"rank_year_used": ry}
    for _, r in moves.iterrows():
        numbers[f"rho_{r['scheme']}"] = float(r["spearman_vs_paper"])
        numbers[f"moved_{r['scheme']}"] = float(r["share_moved_gt_10"])
    return RankComparison(ry, note, corr, moves, numbers)


def moves_styler(moves: pd.DataFrame):
    """The rank-move table as shown (percent shares, no index column)."""
    return moves.style.format(
        {
            "spearman_vs_paper": "{:.3f}",
            "share_moved_gt_10": "{:.0%}",
            "median_abs_move": "{:.1f}",
            "max_abs_move": "{:.0f}",
        }
    ).hide(axis="index")


def track_note(track: str, b: IndexBuild, table1: pd.DataFrame | None) -> str:
    """Markdown: what this track's index can and cannot show."""
    if track == "semi_synthetic":
        msg = (
            "The indicators are simulated around the real cities and pilot dates, so the weights, paths and rank "
            "correlations above describe the simulator, not Chinese cities. They show how the index machinery "
            "behaves; the true effect of the pilots on each index is known by construction (next chapter)."
        )
    elif track == "real":
        obj_negative = (
            b.have_indicators
            and b.headline["Obj"].notna().any()
            and (table1.loc[table1["present"] & (table1["dimension"] == "Obj"), "direction"] == "-").all()
        )
        msg = (
            f"Only {len(b.present)} of the 18 indicators exist in public city data "
            f"({', '.join(f'`{c}`' for c in b.present)}), and they cover fewer years than the paper. "
            + (f"The dimension(s) {', '.join(b.missing_dims)} cannot be built at all. " if b.missing_dims else "")
            + (
                f"The Obj sub-index rests on negative-direction intensities whose range is set by a few extreme "
                f"city-years, so most cities score near the top (mean {b.headline['Obj'].mean():.2f} of 10). "
                if obj_negative
                else ""
            )
            + "The real-track index is therefore a much narrower measure than the paper's and its weights are the "
            "paper's renormalised over what is present; compare it with the paper only as an illustration."
        )
    else:
        msg = (
            "User panel: the index was "
            + ("built from your indicator columns" if b.have_indicators else "taken as supplied (no indicator columns)")
            + "; the numbers are yours."
        )
    return f"**{track.replace('_', '-')} track.** " + msg
