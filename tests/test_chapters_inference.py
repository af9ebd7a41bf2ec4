"""Chapter 12 report module: outcomes and controls present, randomisation inference table and figure, the wild
cluster bootstrap beside the analytic interval, and the glued values."""

import matplotlib
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from toy_panels import toy_panel

from nqp_helpers.chapters import inference as inf
from nqp_helpers.estimators.twfe import twfe
from nqp_helpers.variables import CONTROLS

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def panel():
    """A toy panel with Pro and Lab (true effect 1) and the paper's controls but Ope."""
    df = toy_panel(n_units=30, seed=5)
    rng = np.random.default_rng(5)
    for c in CONTROLS[:-1]:
        df[c] = rng.normal(size=len(df))
    df["Pro"], df["Lab"] = df["y"], df["y"] + rng.normal(scale=0.2, size=len(df))
    return df


def test_available_variables_names_the_absent(panel):
    outcomes, controls, note = inf.available_variables(panel)
    assert outcomes == ["Pro", "Lab"] and controls == list(CONTROLS[:-1])
    assert note == (
        "**Note:** Mea, Obj absent on this track (never simulated): not tested; controls Ope absent: left out."
    )
    full = panel.assign(Mea=panel["y"], Obj=panel["y"], Ope=0.0)
    assert inf.available_variables(full)[2] == ""
    c = inf.assignment_counts(panel)
    assert c["n_cities"] == 30 and c["n_pilots"] == int((panel.groupby("city_code")["first_treat"].first() > 0).sum())


def test_placebo_table_values_and_figure(panel):
    truth = pd.DataFrame({"outcome": ["Pro", "Lab"], "estimand": "att", "value": [1.0, 1.0]})
    table, draws = inf.placebo_table(panel, ["Pro", "Lab"], list(CONTROLS[:-1]), n_draws=49, seed=1, truth=truth)
    assert list(table["outcome"]) == ["Pro", "Lab"] and list(table.columns[:4]) == [
        "outcome",
        "term",
        "estimate",
        "truth",
    ]
    assert "p_value_cluster_robust" in table and (table["n_draws"] == 49).all()
    direct = twfe(panel, "Pro", controls=list(CONTROLS[:-1])).set_index("term").at["Inn", "estimate"]
    assert table["estimate"].iloc[0] == pytest.approx(direct, rel=1e-8)
    v = inf.placebo_values(table, draws)
    assert v["ri_first_outcome"] == "Pro" and v["ri_p"] == pytest.approx(1 / 50)  # effect 1 is far beyond placebo
    assert v["ri_where"] == "lies outside the whole placebo distribution"
    fig = inf.placebo_figure(table, draws)
    assert len(fig.axes) == 2
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_bootstrap_table_beside_the_analytic_interval(panel):
    t = inf.bootstrap_table(panel, "Pro", list(CONTROLS[:-1]), n_boot=199, seed=2)
    assert len(t) == 3 and t["method"].iloc[0] == "analytic CR1, t(G−1)" and "Webb" in t["method"].iloc[2]
    a = t.iloc[0]
    tq = stats.t.ppf(0.975, int(a["n_clusters"]) - 1)
    assert a["conf_high"] - a["conf_low"] == pytest.approx(2 * tq * a["std_error"])
    v = inf.bootstrap_values(t)
    width = t["conf_high"] - t["conf_low"]
    assert v["wb_width_ratio"] == pytest.approx(max(width[1], width[2]) / width[0]) and v["wb_main"] == "Pro"
    assert v["wb_lo_2"] == t["conf_low"].iloc[2] and (t["seed"] == 2).all()


def test_paper_note():
    assert inf.paper_note("Pro").startswith("The paper (Table 2, with controls): ")
    assert inf.paper_note("nope").startswith("Paper's number not available: ")
