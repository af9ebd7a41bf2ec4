"""One look for every figure: a style, a coefficient plot and an event-study plot.

Each plotting function takes an optional ``ax`` (so chapters can compose panels) and returns the Figure; titles and
captions are left to the notebook. Colours are fixed per role (ours / paper / truth) so readers learn them once.
Legends sit outside the plotting area (:func:`legend_below`, :func:`legend_right`), so they never cover data, and
:func:`glue_figure` hands a finished figure to the page, where a ``{glue:figure}`` directive gives it a number, a
caption and alt text.

``set_style()`` also registers a CJK-capable font (Noto Sans CJK from Debian's ``fonts-noto-cjk``, or another known
CJK family) as the fallback of the sans-serif font, so Chinese city and province names render instead of empty boxes.
Without such a font it warns once (:class:`CJKFontWarning`) and figures still render (Latin text unaffected).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from pathlib import Path

import matplotlib.font_manager as fm
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from .errors import NQPInputError

COLORS = {"ours": "#1f4e79", "paper": "#c0392b", "truth": "#2e8b57", "band": "#1f4e79", "ref": "#555555"}


# CJK families in order of preference: Debian fonts-noto-cjk first (installed by .ci/run), then common alternatives.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans CJK TC",
    "Noto Sans CJK JP",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Droid Sans Fallback",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
)
_CJK_FILES = re.compile(r"NotoSansCJK|SourceHanSans|wqy-(zen|micro)hei|DroidSansFallback|simhei|msyh", re.I)
LATIN_FAMILY = "DejaVu Sans"  # ships with matplotlib, so it is always there


class CJKFontWarning(UserWarning):
    """No CJK-capable font was found; Chinese labels in figures would render as empty boxes."""


_cjk_cache: list = []  # [family or None] once looked up


def _installed_families() -> set[str]:
    return {f.name for f in fm.fontManager.ttflist}


def cjk_font() -> str | None:
    """The family name of a CJK-capable font matplotlib can use, or None.

    matplotlib's font cache may predate the font package (fonts installed after the cache was built), so when no known
    CJK family is registered the system font folders are searched for CJK font files, which are added with
    ``fontManager.addfont`` (in this process only; the on-disk cache is not touched).
    """
    if _cjk_cache:
        return _cjk_cache[0]
    names = _installed_families()
    found = next((f for f in CJK_FAMILIES if f in names), None)
    if found is None:
        for path in fm.findSystemFonts():
            if _CJK_FILES.search(Path(path).name):
                try:
                    fm.fontManager.addfont(path)
                except Exception:  # noqa: BLE001 - an unreadable font file is skipped, not fatal
                    continue
        names = _installed_families()
        found = next((f for f in CJK_FAMILIES if f in names), None)
    _cjk_cache.append(found)
    return found


def set_style(context: str = "notebook") -> str | None:
    """Seaborn white grid, readable font sizes, no top/right spines, 150-dpi figures, a CJK fallback font.

    Latin text uses DejaVu Sans; glyphs it lacks (Chinese) fall back to the CJK family from :func:`cjk_font`.
    Returns that family, or None after warning once with :class:`CJKFontWarning` (install ``fonts-noto-cjk``).
    """
    sns.set_theme(context=context, style="whitegrid", font_scale=1.0)
    plt.rcParams.update(
        {
            "figure.dpi": 150,
            "savefig.dpi": 150,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titleweight": "bold",
            "legend.frameon": False,
            "figure.figsize": (7, 4),
        }
    )
    cjk = cjk_font()
    # a list of concrete families enables matplotlib's per-glyph fallback (a generic "sans-serif" resolves to one font)
    families = [LATIN_FAMILY] + ([cjk] if cjk else [])
    plt.rcParams["font.family"] = families
    plt.rcParams["font.sans-serif"] = families + [f for f in plt.rcParams["font.sans-serif"] if f not in families]
    plt.rcParams["axes.unicode_minus"] = True  # DejaVu Sans has U+2212; the CJK font is only a fallback
    if cjk is None and not getattr(set_style, "_warned", False):
        set_style._warned = True
        warnings.warn(
            "set_style: no CJK-capable font found (looked for "
            + ", ".join(CJK_FAMILIES[:3])
            + ", ...); Chinese labels in figures will render as empty boxes. Install Debian's "
            "fonts-noto-cjk (`apt-get install fonts-noto-cjk`; .ci/run does it).",
            CJKFontWarning,
            stacklevel=2,
        )
    return cjk


def _axes(ax, n_rows: int = 6):
    if ax is not None:
        return ax.figure, ax
    fig, ax = plt.subplots(figsize=(7, max(2.5, 0.45 * n_rows + 1)))
    return fig, ax


def _values(ref, df: pd.DataFrame, label: str) -> np.ndarray | None:
    """Reference markers (paper/truth): a column of ``df``, a mapping label -> value, or a Series indexed by label."""
    if ref is None:
        return None
    if isinstance(ref, str):
        if ref not in df.columns:
            raise NQPInputError(f"coef_plot: column {ref!r} not in the data")
        return df[ref].to_numpy(dtype=float)
    if isinstance(ref, (Mapping, pd.Series)):
        return np.array([float(ref.get(k, np.nan)) for k in df[label]], dtype=float)
    raise NQPInputError("coef_plot: paper/truth must be a column name, a dict or a Series keyed by label")


def coef_plot(
    df: pd.DataFrame,
    label: str = "term",
    estimate: str = "estimate",
    conf_low: str = "conf_low",
    conf_high: str = "conf_high",
    paper=None,
    truth=None,
    ax=None,
    xlabel: str = "Estimate",
    zero_line: bool = True,
):
    """Point estimates with confidence intervals, one row per ``label``, optional paper and truth markers.

    Rows are drawn top to bottom in the order of ``df``. ``paper``/``truth``: a column name of ``df`` or a
    mapping/Series label -> value; drawn as a red diamond / green cross. Returns the Figure.
    """
    for c in (label, estimate, conf_low, conf_high):
        if c not in df.columns:
            raise NQPInputError(f"coef_plot: missing column {c!r}")
    fig, ax = _axes(ax, len(df))
    y = np.arange(len(df))[::-1]
    est = df[estimate].to_numpy(dtype=float)
    err = np.vstack([est - df[conf_low].to_numpy(dtype=float), df[conf_high].to_numpy(dtype=float) - est])
    ax.errorbar(
        est, y, xerr=err, fmt="o", color=COLORS["ours"], ecolor=COLORS["ours"], capsize=3, label="estimate (95% CI)"
    )
    for ref, role, marker in ((paper, "paper", "D"), (truth, "truth", "X")):
        vals = _values(ref, df, label)
        if vals is not None:
            ok = np.isfinite(vals)
            ax.scatter(vals[ok], y[ok], marker=marker, s=45, color=COLORS[role], zorder=3, label=role)
    if zero_line:
        ax.axvline(0, color=COLORS["ref"], lw=0.8, ls="--")
    ax.set_yticks(y, df[label].astype(str))
    ax.set_xlabel(xlabel)
    if paper is not None or truth is not None:
        legend_below(ax)
    return fig


def event_study_plot(
    df: pd.DataFrame,
    event_time: str = "event_time",
    estimate: str = "estimate",
    conf_low: str = "conf_low",
    conf_high: str = "conf_high",
    group: str | None = None,
    ax=None,
    xlabel: str = "Years relative to pilot approval",
    ylabel: str = "Effect on index",
):
    """Dynamic effects: estimate and CI band against event time, a line at 0 and a dashed line at -0.5 (treatment).

    ``group`` (optional column) draws one line per estimator or subgroup, slightly offset on x for legibility.
    Returns the Figure.
    """
    for c in (event_time, estimate, conf_low, conf_high) + ((group,) if group else ()):
        if c not in df.columns:
            raise NQPInputError(f"event_study_plot: missing column {c!r}")
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(7, 4))
    groups = [(None, df)] if group is None else list(df.groupby(group, sort=False))
    palette = sns.color_palette("deep", len(groups)) if group else [COLORS["ours"]]
    width = 0.25 if len(groups) > 1 else 0.0
    for i, (g, d) in enumerate(groups):
        d = d.sort_values(event_time)
        x = d[event_time].to_numpy(dtype=float) + (i - (len(groups) - 1) / 2) * width / max(len(groups) - 1, 1)
        ax.fill_between(
            x, d[conf_low].to_numpy(dtype=float), d[conf_high].to_numpy(dtype=float), color=palette[i], alpha=0.18, lw=0
        )
        ax.plot(
            x,
            d[estimate].to_numpy(dtype=float),
            marker="o",
            ms=4,
            color=palette[i],
            label=str(g) if g is not None else "estimate",
        )
    ax.axhline(0, color=COLORS["ref"], lw=0.8)
    ax.axvline(-0.5, color=COLORS["ref"], lw=0.8, ls="--")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if group is not None:
        legend_below(ax)
    return fig


def legend_below(ax, ncol: int | None = None, **kwargs):
    """A legend under the axes (outside the data area), in one row when it fits; returns the Legend (None if the
    axes have no labelled artists)."""
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return None
    ncol = ncol or min(len(handles), 4)
    rows = -(-len(handles) // ncol)
    # room for the x tick labels and axis label, then the legend rows
    return ax.legend(
        handles,
        labels,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.18 - 0.02 * (rows - 1)),
        ncol=ncol,
        frameon=False,
        fontsize=kwargs.pop("fontsize", 9),
        borderaxespad=0.0,
        **kwargs,
    )


def legend_right(ax, **kwargs):
    """A legend to the right of the axes (outside the data area); returns the Legend or None."""
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return None
    return ax.legend(
        handles,
        labels,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        frameon=False,
        fontsize=kwargs.pop("fontsize", 9),
        borderaxespad=0.0,
        **kwargs,
    )


def glue_figure(key: str, fig, tight: bool = True) -> None:
    """Glue a finished figure for a ``{glue:figure}`` directive (which adds the number, caption and ``:alt:``).

    The figure is saved with a tight bounding box (legends placed outside the axes stay in the image) and closed, so
    it is not shown a second time at the end of the cell. ``tight=False`` keeps a figure without a layout engine as
    drawn (e.g. a map whose margins are set by ``subplots_adjust``)."""
    from myst_nb import glue

    if tight and fig.get_layout_engine() is None:
        fig.set_layout_engine("tight")
    glue(key, fig, display=False)
    plt.close(fig)


def figure_legend(fig, ax=None, ncol: int | None = None, **kwargs):
    """One legend for a multi-panel figure, centred under all panels (outside every data area); the handles come
    from ``ax`` (default: the first axes). Returns the Legend or None."""
    ax = ax or fig.axes[0]
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return None
    if fig.get_layout_engine() is None:
        fig.tight_layout()
    return fig.legend(
        handles,
        labels,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=ncol or min(len(handles), 4),
        frameon=False,
        fontsize=kwargs.pop("fontsize", 9),
        **kwargs,
    )
