"""Chapter 06 report module: the moderation tables beside the paper, headline counts, centring, the readings of the
text's percentages, the change per SD, the marginal-effect figure, and the two-world comparison."""

import matplotlib
import numpy as np
import pandas as pd
import pytest
from toy_panels import toy_panel

from nqp_helpers.chapters import amplification as amp
from nqp_helpers.chapters.amplification import misleads_sentence, within_share
from nqp_helpers.estimators.moderation import moderation
from nqp_helpers.reported import reported_results, stars
from nqp_helpers.variables import CONTROLS, MODERATORS, OUTCOMES

matplotlib.use("Agg")


def test_within_share_by_hand():
    df = pd.DataFrame({"city_code": [1, 1, 2, 2], "M": [0.0, 2.0, 10.0, 12.0]})
    # total var = mean((x - 6)^2) = (36 + 16 + 16 + 36) / 4 = 26; within = mean(1) = 1
    assert np.isclose(within_share(df, "M"), 1 / 26)
    assert np.isnan(within_share(df.assign(M=1.0), "M"))


def test_misleads_sentence_uses_the_numbers():
    t = pd.DataFrame(
        [
            dict(
                world="cell_level",
                moderator="Dig",
                estimate=0.08,
                std_error=0.03,
                truth=0.07,
                regression_estimand=0.07,
                z=0.33,
                within_share=0.88,
            ),
            dict(
                world="city_level",
                moderator="Dig",
                estimate=0.03,
                std_error=0.035,
                truth=0.19,
                regression_estimand=0.06,
                z=-4.6,
                within_share=0.89,
            ),
        ]
    )
    s = misleads_sentence(t)
    assert "89% of its variance within cities" in s and "z = -4.6, outside 1.96" in s and "0.060" in s
    assert "not run" in misleads_sentence(t.iloc[:1])


# --- the chapter's computations on a small panel with a known interaction ---------------------------------------

A3 = 0.5  # true interaction slope of Pro on Hum


@pytest.fixture(scope="module")
def panel():
    """A toy staggered panel with the paper's column names: the pilot effect on Pro is 1 + A3 (Hum − 2)."""
    df = toy_panel(n_units=40, seed=3)
    rng = np.random.default_rng(3)
    n = len(df)
    for c in CONTROLS:
        df[c] = rng.normal(size=n)
    for k, m in enumerate(MODERATORS):
        df[m] = 2.0 + rng.normal(size=n) + 0.1 * k
    for k, y in enumerate(OUTCOMES):
        df[y] = df["y"] + rng.normal(scale=0.3, size=n) + 0.1 * k
    df["Pro"] = df["Pro"] + df["Inn"] * A3 * (df["Hum"] - 2.0)
    df.attrs["track"] = "user"
    return df


@pytest.fixture(scope="module")
def fits(panel):
    return dict(
        zip(
            amp.CENTRING_VERSIONS,
            (
                amp.fit_all(panel),
                amp.fit_all(panel, center="mean"),
                amp.fit_all(panel, center="mean", standardize=True),
            ),
        )
    )


def test_fit_all_has_every_model_and_recovers_the_slope(panel, fits):
    ours = fits["uncentred (paper)"]
    assert set(ours["spec"]) == {f"moderation_{m}" for m in MODERATORS} and set(ours["outcome"]) == set(OUTCOMES)
    r = ours[(ours["spec"] == "moderation_Hum") & (ours["outcome"] == "Pro")].set_index("term")
    assert abs(r.at["Inn:Hum", "estimate"] - A3) < 3 * r.at["Inn:Hum", "std_error"]
    direct = moderation(panel, "Pro", "Hum", controls=list(CONTROLS)).set_index("term")
    assert r.at["Inn:Hum", "estimate"] == pytest.approx(direct.at["Inn:Hum", "estimate"], rel=1e-12)


def test_tables_beside_the_paper_and_paper_only(panel, fits):
    paper = reported_results()
    tabs = amp.moderation_tables(fits["uncentred (paper)"], paper, None, "user")
    assert list(tabs) == list(MODERATORS) and (tabs["Hum"]["term"] != "const").all()
    assert (tabs["Dig"]["track"] == "user").all() and "coef_paper" in tabs["Dig"]
    only = amp.moderation_tables(None, paper, None, "real")
    n_paper = int(((paper["table"] == 5) & (paper["term"] != "const")).sum())
    assert len(only["Hum"]) == n_paper and (only["Hum"]["status"] == "not estimable on this track").all()
    vals = amp.headline_values(only, runnable=False, known_truth=False)
    assert vals["n_pos_inter"] == "n/a (not estimable)" and vals["hum_pro_ours"] == "n/a"
    assert vals["inter_cover"] == "not known on this track" and vals["n_same"] == "0"
    shown = amp.table_display({"Hum": tabs["Hum"]})
    assert list(shown.columns) == ["table", *amp.TABLE_SHOW] and set(shown["table"]) == {5}


def test_headline_values_count_and_compare_with_truth():
    def tab(m, est, se, truth):
        return pd.DataFrame(
            {
                "outcome": ["Pro", "Pro"],
                "term": ["Inn", f"Inn:{m}"],
                "estimate": [1.0, est],
                "std_error": [0.1, se],
                "p_value": [0.01, 0.05 if est > 0 else 0.5],
                "status": ["same sign & significance", "different"],
                "coef_paper": [1.0, 0.2],
                "truth": [np.nan, truth],
            }
        )

    tables = {"Hum": tab("Hum", 0.2, 0.1, 0.1), "Dig": tab("Dig", -0.1, 0.1, 0.2), "Ind": tab("Ind", 0.3, 0.1, 0.3)}
    v = amp.headline_values(tables, runnable=True, known_truth=True)
    assert v["n_same"] == "3" and v["n_cells"] == "6" and v["n_pos_inter"] == "2"
    assert v["inter_truth_ratio"] == "Hum 2.0, Dig -0.5, Ind 1.0"
    # |0.2-0.1| <= 0.196 yes, |-0.1-0.2| = 0.3 no, 0 yes; one sign differs (Dig)
    assert v["inter_cover"].startswith("2 of the 3") and "and 1 have the opposite sign" in v["inter_cover"]
    assert v["hum_pro_truth"] == amp.table_cell(tables, "Hum", "Pro", "Inn:Hum", "truth")


def test_centring_moves_inn_not_the_interaction(panel, fits):
    c = amp.centring_table(panel, fits, "Pro", "user")
    assert len(c) == 3 * len(fits) and set(c["version"]) == set(amp.CENTRING_VERSIONS)
    hum = c[c["moderator"] == "Hum"].set_index("version")
    assert hum.at["centred at mean", "interaction"] == pytest.approx(
        hum.at["uncentred (paper)", "interaction"], rel=1e-8
    )
    mean_hum = panel.loc[panel["Pro"].notna(), "Hum"].mean()
    expect = hum.at["uncentred (paper)", "Inn"] + hum.at["uncentred (paper)", "interaction"] * mean_hum
    assert hum.at["centred at mean", "Inn"] == pytest.approx(expect, rel=1e-6)
    v = amp.centring_values(c)
    assert float(v["centring_identity_gap"]) < 1e-8 and v["share_le0"].startswith("Hum ")
    assert set(v) == set(amp.CENTRING_KEYS)


def test_per_sd_is_the_interaction_times_the_sd(panel, fits):
    per_sd = amp.per_sd_table(panel, fits["centred and standardised"], None, "user")
    raw = fits["uncentred (paper)"]
    r = per_sd.set_index(["moderator", "outcome"]).loc[("Ind", "Lab")]
    slope = raw[(raw["spec"] == "moderation_Ind") & (raw["outcome"] == "Lab") & (raw["term"] == "Inn:Ind")]
    assert r["per_sd"] == pytest.approx(float(slope["estimate"].iloc[0]) * r["sd_of_M"], rel=1e-6)
    assert r["pct_of_baseline_per_sd"] == pytest.approx(100 * r["per_sd"] / r["baseline_effect"])
    assert per_sd["truth_per_sd"].isna().all() and len(per_sd) == len(MODERATORS) * len(OUTCOMES)
    assert amp.per_sd_value(per_sd, "Ind", "Lab") == f"{r['pct_of_baseline_per_sd']:.1f}%"


def test_readings_are_shares_of_the_papers_own_coefficients():
    paper = reported_results()
    claims = pd.DataFrame([dict(claim_id="amp_hum_lab", table=5, outcome="Lab", term="Inn:Hum", claimed_pct=48.4)])
    r = amp.readings_table(paper, claims).iloc[0]
    col = paper[(paper["table"] == 5) & (paper["outcome"] == "Lab")].set_index("term")["coef"]
    base = paper[
        (paper["table"] == 2)
        & (paper["spec"] == "baseline_controls")
        & (paper["term"] == "Inn")
        & (paper["outcome"] == "Lab")
    ]["coef"].iloc[0]
    assert r["pct_of_Inn_at_M0"] == pytest.approx(100 * col["Inn:Hum"] / col["Inn"])
    assert r["pct_of_baseline"] == pytest.approx(100 * col["Inn:Hum"] / base)
    v = amp.readings_values(amp.readings_table(paper, claims), paper)
    assert v["lab_hum_text_pct"] == "48.4%" and v["lab_hum_coef"] == f"{col['Inn:Hum']:.3f}"


def test_missing_moderators_are_named(panel):
    assert amp.missing_columns(panel) == []
    miss = amp.missing_columns(panel.drop(columns=["Hum", "Obj"]))
    assert miss == ["Hum", "Obj"] and "lacks Hum, Obj" in amp.not_estimable_note("real", miss)


def test_table_layout_in_the_papers_layout(panel):
    ours = amp.fit_all(panel)
    truth = pd.DataFrame(
        {"estimand": "interaction", "split": "Dig", "outcome": list(OUTCOMES), "value": [0.1, 0.2, 0.3, 0.4]}
    )
    rt = amp.table_layout(ours, truth, "Dig")
    cells = rt.cells
    assert list(cells.columns) == [(y, f"({i})") for i, y in enumerate(OUTCOMES, 1)]
    r = ours[(ours["spec"] == "moderation_Dig") & (ours["outcome"] == "Lab")].set_index("term").loc["Inn:Dig"]
    assert cells.loc[("Inn × Dig", "Ours")].iloc[1] == f"{r['estimate']:.3f}{stars(r['p_value'])}"
    assert cells.loc[("Inn × Dig", "Ours SE")].iloc[1] == f"({r['std_error']:.3f})"
    assert cells.loc[("Inn × Dig", "Truth")].tolist() == ["0.100", "0.200", "0.300", "0.400"]
    assert "Truth" not in cells.loc["Pilot (Inn)"].index  # no true α₁
    p6 = reported_results()
    p6 = p6[(p6["table"] == 6) & (p6["column"] == 1) & (p6["term"] == "Inn:Dig")].iloc[0]
    assert cells.loc[("Inn × Dig", "Paper")].iloc[0] == f"{p6['coef']:.3f}{p6['stars']}"
    assert cells.loc[("Statistics", "R² (ours)")].iloc[1] == f"{r['r2_overall']:.3f}"
    assert cells.loc[("Specification", "Controls")].tolist() == ["Yes"] * 4
    assert amp.TRUTH_NOTE in rt.notes
    only = amp.table_layout(None, None, "Hum").cells  # real track: the paper's numbers only
    assert (only.loc[("Inn × Hum", "Ours")] == "—").all() and (only.loc[("Inn × Hum", "Paper")] != "—").all()


def test_marginal_effects_figure(panel):
    fig, me = amp.marginal_effects_figure(panel, "Pro", None, "user")
    assert len(fig.axes) == 3 and set(me["track"]) == {"user"} and me["conf_low"].le(me["conf_high"]).all()
    # the legend is one figure legend below the panels, never an axes legend over the curves
    assert all(ax.get_legend() is None for ax in fig.axes) and len(fig.legends) == 1
    fig.canvas.draw()
    leg = fig.legends[0].get_window_extent()
    assert all(leg.y1 <= ax.get_window_extent().y0 for ax in fig.axes)
    import matplotlib.pyplot as plt

    plt.close(fig)
    strip = amp.no_moderator_figure()
    assert amp.NO_FIGURE in [t.get_text() for t in strip.axes[0].texts]
    plt.close(strip)


def test_panel_options_only_on_the_semi_synthetic_track():
    assert amp.panel_options("semi_synthetic", "dynamic", "city_level") == {
        "scenario": "dynamic",
        "moderation": "city_level",
    }
    assert amp.panel_options("real", "constant", "cell_level") == {}
    with pytest.raises(ValueError, match=r"moderation='cells'.*cell_level"):
        amp.panel_options("semi_synthetic", "constant", "cells")


def test_both_worlds_reuses_the_pages_panel_and_loads_the_other():
    page = pd.DataFrame({"x": [1]})
    loaded = []

    def load(world):
        loaded.append(world)
        return pd.DataFrame({"x": [2]})

    worlds = amp.both_worlds(page, "city_level", load)
    assert list(worlds) == ["cell_level", "city_level"] and worlds["city_level"] is page and loaded == ["cell_level"]
