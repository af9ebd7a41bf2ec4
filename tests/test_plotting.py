"""Figure style: a CJK-capable font is registered so Chinese labels render (no empty boxes), else a clear warning."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from conftest import skip_or_fail  # noqa: E402

from nqp_helpers import plotting  # noqa: E402


def test_chinese_labels_render_without_missing_glyphs(tmp_path):
    family = plotting.set_style()
    if family is None:
        skip_or_fail("no CJK-capable font on this machine: install Debian's fonts-noto-cjk (.ci/run does it)")
    assert plt.rcParams["font.family"][:2] == [plotting.LATIN_FAMILY, family]
    df = pd.DataFrame(
        {
            "term": ["北京市", "上海市", "乌鲁木齐市"],
            "estimate": [0.4, 0.3, -0.2],
            "conf_low": [0.2, 0.1, -0.5],
            "conf_high": [0.6, 0.5, 0.1],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph ... missing from font(s)" for a tofu box
        fig = plotting.coef_plot(df, xlabel="Inn 对 Pro 的效应 (−0.5 to 0.7)")
        fig.axes[0].set_title("城市 / cities")
        fig.tight_layout()
        fig.savefig(tmp_path / "cjk.png")
    plt.close(fig)
    assert (tmp_path / "cjk.png").stat().st_size > 0


def test_missing_cjk_font_warns_and_still_styles(monkeypatch):
    monkeypatch.setattr(plotting, "cjk_font", lambda: None)
    monkeypatch.setattr(plotting.set_style, "_warned", False, raising=False)
    with plt.rc_context():  # the style change is undone after the block
        with pytest.warns(plotting.CJKFontWarning, match="fonts-noto-cjk"):
            assert plotting.set_style() is None
        assert plt.rcParams["font.family"] == [plotting.LATIN_FAMILY]


def _legend_outside(fig, legend, ax):
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    lb, ab = legend.get_window_extent(r), ax.get_window_extent(r)
    return lb.y1 <= ab.y0 + 1 or lb.x0 >= ab.x1 - 1


def test_legends_sit_outside_the_data_area():
    import matplotlib.pyplot as plt
    import pandas as pd

    from nqp_helpers.plotting import coef_plot, figure_legend, legend_below, legend_right

    df = pd.DataFrame(
        {
            "term": ["a", "b", "c"],
            "estimate": [0.1, 0.2, 0.3],
            "conf_low": [0.0, 0.1, 0.2],
            "conf_high": [0.2, 0.3, 0.4],
            "paper": [0.15, 0.25, 0.35],
        }
    )
    fig = coef_plot(df, paper="paper", truth={"a": 0.1})
    ax = fig.axes[0]
    assert _legend_outside(fig, ax.get_legend(), ax)
    fig2, ax2 = plt.subplots()
    ax2.plot([0, 1], [0, 1], label="line")
    assert _legend_outside(fig2, legend_right(ax2), ax2) and _legend_outside(fig2, legend_below(ax2), ax2)
    fig3, axes = plt.subplots(1, 2)
    axes[0].plot([0, 1], [1, 0], label="x")
    leg = figure_legend(fig3)
    assert all(_legend_outside(fig3, leg, a) for a in axes)
    fig4, ax4 = plt.subplots()
    assert legend_below(ax4) is None and figure_legend(fig4) is None  # nothing labelled: no empty legend
    plt.close("all")


def test_glue_figure_glues_and_closes(monkeypatch):
    import matplotlib.pyplot as plt
    import myst_nb

    from nqp_helpers.plotting import glue_figure

    seen = {}
    monkeypatch.setattr(myst_nb, "glue", lambda k, v, display=True: seen.update({k: (v, display)}))
    fig, _ = plt.subplots()
    glue_figure("fig_x", fig)
    assert seen["fig_x"] == (fig, False) and not plt.fignum_exists(fig.number)
    assert fig.get_layout_engine() is not None  # tight by default
    fig2, _ = plt.subplots()
    fig2.subplots_adjust(left=0.0, right=0.78)
    glue_figure("fig_map", fig2, tight=False)
    assert seen["fig_map"] == (fig2, False) and fig2.get_layout_engine() is None and fig2.subplotpars.right == 0.78
    assert not plt.fignum_exists(fig2.number)
