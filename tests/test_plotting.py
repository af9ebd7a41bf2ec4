"""Figure style: a CJK-capable font is registered so Chinese labels render (no empty boxes), else a clear warning."""
from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from nqp_helpers import plotting  # noqa: E402

from conftest import skip_or_fail  # noqa: E402


def test_chinese_labels_render_without_missing_glyphs(tmp_path):
    family = plotting.set_style()
    if family is None:
        skip_or_fail("no CJK-capable font on this machine: install Debian's fonts-noto-cjk (.ci/run does it)")
    assert plt.rcParams["font.family"][:2] == [plotting.LATIN_FAMILY, family]
    df = pd.DataFrame({"term": ["北京市", "上海市", "乌鲁木齐市"], "estimate": [0.4, 0.3, -0.2],
                       "conf_low": [0.2, 0.1, -0.5], "conf_high": [0.6, 0.5, 0.1]})
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
