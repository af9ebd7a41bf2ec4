"""Chapter 10 report module: event study with truth by event time, Goodman-Bacon numbers, figures, truth note."""

import matplotlib
import numpy as np
import pandas as pd
import pytest
from toy_panels import staggered_panel, toy_panel

from nqp_helpers.chapters import event_study as ch
from nqp_helpers.errors import NQPInputError
from nqp_helpers.estimators.event_study import event_study, pretrend_test
from nqp_helpers.estimators.twfe import twfe

matplotlib.use("Agg")


def _truth(outcome="y"):
    """att 0.7; effect by event time e = 0..12 is 1 + 0.1 e, with 10 + e treated city-years."""
    e = np.arange(13)
    by_e = pd.DataFrame(
        {
            "outcome": outcome,
            "estimand": "att_by_event_time",
            "event_time": e.astype(float),
            "value": 1 + 0.1 * e,
            "n_obs": 10 + e,
        }
    )
    att = pd.DataFrame(
        {"outcome": [outcome], "estimand": ["att"], "event_time": [np.nan], "value": [0.7], "n_obs": [1]}
    )
    return pd.concat([by_e, att], ignore_index=True)


def test_truth_by_event_time_bins_the_end_point_and_zeroes_leads():
    et = pd.Series([-3, -1, 0, 4, 10])
    got = ch.truth_by_event_time(_truth(), "y", et, lags=10)
    end = np.average([2.0, 2.1, 2.2], weights=[20, 21, 22])  # e = 10, 11, 12 pooled into the >= 10 bin
    np.testing.assert_allclose(got, [0, 0, 1.0, 1.4, end], rtol=1e-12)


def test_event_study_report_is_the_estimator_and_its_test():
    df = toy_panel(n_units=30, seed=3)
    es, table, pt, num = ch.event_study_report(df, "y", leads=3, lags=4)
    ref = event_study(df, "y", leads=3, lags=4)
    np.testing.assert_allclose(es["estimate"], ref["estimate"], rtol=1e-12)
    assert num == {
        "pt_F": float(pretrend_test(ref)["statistic"].iloc[0]),
        "pt_p": float(pretrend_test(ref)["p_value"].iloc[0]),
        "pt_q": 2,
        "es_n_obs": len(df),
    }
    assert pt.equals(pretrend_test(ref))
    assert "truth" not in table and list(table.columns[-3:]) == ["n_obs", "n_clusters", "outcome"]
    with pytest.raises(NQPInputError, match="'zz' is absent"):
        ch.event_study_report(df, "zz", 3, 4)
    with pytest.raises(NQPInputError, match="absent"):
        ch.event_study_report(df.assign(y=np.nan), "y", 3, 4)


def test_event_study_report_adds_truth_on_a_semi_synthetic_panel():
    df = toy_panel(n_units=30, seed=3)
    df.attrs["truth"] = _truth()
    es, table, _, _ = ch.event_study_report(df, "y", leads=3, lags=4)
    assert table.columns[9] == "truth"
    assert (table.loc[table["event_time"] < 0, "truth"] == 0).all()
    assert table.loc[table["event_time"] == 2, "truth"].item() == pytest.approx(1.2)
    fig = ch.event_study_figure(es, "y")
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels[0] == "≤-3" and labels[-1] == "≥4" and "0" in labels
    assert fig.legends or fig.axes[0].get_legend() is not None


def test_bacon_report_numbers_come_from_the_decomposition():
    df = staggered_panel()
    df = df.assign(Inn=((df["first_treat"] > 0) & (df["year"] >= df["first_treat"])).astype(int))
    gap = df.index[(df["city_code"] == 100001) & (df["year"] == 2012)]
    df.loc[gap, "y"] = np.nan  # one gap: that city leaves the balanced sample
    smp = ch.bacon_sample(df, "y")
    assert 100001 not in set(smp["city_code"]) and smp["city_code"].nunique() == df["city_code"].nunique() - 1
    bd, bs, num = ch.bacon_report(df, "y")
    assert num["bacon_cities"] == 59 and num["bacon_years"] == "2010–2021"
    assert num["bacon_twfe"] == pytest.approx(twfe(smp, "y")["estimate"].iloc[0], rel=1e-8)
    forb = bd["type"] == ch.FORBIDDEN
    assert forb.any() and num["w_forbidden"] == pytest.approx(bd.loc[forb, "weight"].sum(), rel=1e-12)
    assert num["b_forbidden"] == pytest.approx(np.average(bd.loc[forb, "estimate"], weights=bd.loc[forb, "weight"]))
    assert num["b_clean"] == pytest.approx(np.average(bd.loc[~forb, "estimate"], weights=bd.loc[~forb, "weight"]))
    fig = ch.bacon_figure(bd, "y")
    assert fig.axes[0].lines[0].get_ydata()[0] == pytest.approx(num["bacon_twfe"])


def test_bacon_report_without_forbidden_comparisons():
    df = staggered_panel(cohorts=(2015,))
    _, _, num = ch.bacon_report(df, "y")
    assert num["w_forbidden"] == 0.0 and np.isnan(num["b_forbidden"])
    assert num["b_clean"] == pytest.approx(num["bacon_twfe"], rel=1e-10)  # only treated-vs-never comparisons


def test_truth_note():
    df = toy_panel(n_units=10)
    assert ch.truth_note(df, "y") is None
    df.attrs["truth"] = _truth()
    assert ch.truth_note(df, "y") == "Semi-synthetic truth: the average effect on the treated city-years is 0.700."
