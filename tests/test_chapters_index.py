"""Chapter 02's report layer (nqp_helpers.chapters.index), called directly on the real panel and small frames."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from nqp_helpers import index_report as ir
from nqp_helpers.chapters import index as ch
from nqp_helpers.data.load import load_panel
from nqp_helpers.indicators import DIMENSIONS, INDICATOR_CODES
from nqp_helpers.reported import reported


@pytest.fixture(scope="module")
def real():
    return load_panel("real")


@pytest.fixture(scope="module")
def built(real):
    return ch.build_indices(real, "paper")


def test_unknown_weights_are_refused(real):
    with pytest.raises(ValueError, match="weights must be one of"):
        ch.build_indices(real, "magic")


def test_panel_without_indicators_builds_nothing_and_says_so():
    p = pd.DataFrame({"city_code": [1, 1], "year": [2010, 2011], "Pro": [1.0, 2.0]})
    b = ch.build_indices(p)
    assert not b.have_indicators and b.missing == list(INDICATOR_CODES) and b.missing_dims == list(DIMENSIONS)
    assert "(18 of 18)" in ch.coverage_note(b)
    assert ch.normalisation_contrast(p, b) is None
    assert ch.contrast_numbers(None)["first_year"] == 0 and np.isnan(ch.contrast_numbers(None)["growth_whole"])
    assert ch.weights_numbers(None)["entropy_top"] == "n/a"
    assert ch.scale_numbers(p, b)["mean_pro"] == 1.5  # the supplied Pro, not a rebuilt one
    r = ch.rank_comparison(p, b, 2023)
    assert r.moves is None and r.numbers["rank_year_used"] == 2023 and np.isnan(r.numbers["rho_entropy"])
    assert "taken as supplied" in ch.track_note("user", b, None)


def test_real_panel_names_the_missing_dimension(real, built):
    assert built.have_indicators and built.headline is built.indices["paper"]
    assert "Mea" in built.missing_dims
    note = ch.coverage_note(built)
    assert f"({len(built.missing)} of 18)" in note and "cannot be built" in note
    table1 = ir.weights_comparison(real, indices=built.indices)
    text = ch.track_note("real", built, table1)
    assert f"Only {len(built.present)} of the 18" in text and "Mea cannot be built" in text
    assert f"mean {built.headline['Obj'].mean():.2f} of 10" in text  # Obj rests on negative-direction intensities


def test_weights_numbers_pick_extremes():
    t = pd.DataFrame(
        {
            "code": ["a", "b", "c"],
            "label_en": ["A", "B", "C"],
            "g_entropy": [0.2, 0.5, np.nan],
            "g_paper": [0.4, 0.45, 0.1],
        }
    )
    n = ch.weights_numbers(t)
    assert n["entropy_top"] == "B (b)" and n["entropy_low"] == "A (a)"
    assert n["entropy_top_w"] == 0.5 and n["max_gap_entropy"] == pytest.approx(0.2)


def test_normalisation_contrast_and_numbers(real, built):
    comp = ch.normalisation_contrast(real, built)
    assert list(comp.columns) == ["whole panel", "within each year"] and comp.notna().all().all()
    n = ch.contrast_numbers(comp)
    assert (n["first_year"], n["last_year"]) == (comp.index.min(), comp.index.max())
    assert n["growth_whole"] == pytest.approx(comp["whole panel"].iloc[-1] - comp["whole panel"].iloc[0])
    fig = ch.normalisation_figure(comp)
    assert len(fig.axes[0].lines) == 2
    plt.close(fig)


def test_scale_numbers_and_table(real, built):
    n = ch.scale_numbers(real, built)
    consts = reported(2, term="const")["coef"]
    assert n["paper_const_min"] == consts.min() and n["paper_const_max"] == consts.max()
    assert n["mean_pro"] == pytest.approx(built.headline["Pro"].mean())
    assert n["min_pro"] <= n["mean_pro"] <= n["max_pro"] <= 10
    tab = ch.scale_table(real, built)
    assert "Mea" not in tab.index and tab.loc["Pro", "mean"] == round(n["mean_pro"], 3)


def test_paths_figure_has_one_panel_per_index(real, built):
    paths = ir.paths_by_group(real, built.headline)
    fig = ch.paths_figure(paths)
    drawn = [ax for ax in fig.axes if ax.lines]
    assert sorted(ax.get_title() for ax in drawn) == sorted(set(paths["variable"]))
    plt.close(fig)
    fig = ch.paths_figure(None)
    assert "not available" in fig.axes[0].texts[0].get_text()
    plt.close(fig)


def test_rank_comparison_falls_back_to_the_latest_usable_year(real, built):
    r = ch.rank_comparison(real, built, 2999)
    assert r.year < 2999 and "2999" in r.note and r.numbers["rank_year_used"] == r.year
    assert r.numbers["rho_paper"] == pytest.approx(1.0) and r.numbers["moved_paper"] == 0.0
    assert set(r.moves["scheme"]) == {"paper", "entropy", "critic", "equal"}
    same = ch.rank_comparison(real, built, r.year)
    assert same.note is None and same.numbers == r.numbers
