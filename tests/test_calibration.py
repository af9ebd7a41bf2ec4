"""Calibration summaries (fast, on constructed draws) and a small Monte Carlo of the default world (opt-in)."""

import numpy as np
import pandas as pd
import pytest

from nqp_helpers.calibration import COLUMNS, calibrate, headline_coverage, summarise
from nqp_helpers.errors import NQPInputError


def _draws():
    rows = []
    for seed, est in enumerate([1.0, 1.1, 0.7, 1.3]):
        rows.append(
            dict(
                zip(COLUMNS, ("Table 6", "Pro", "Inn:Dig", "moderation_twfe", "paper", est, 0.1, 1.0, np.nan)),
                seed=seed,
            )
        )
        rows.append(
            dict(
                zip(
                    COLUMNS,
                    ("Figure 1", "Pro", "admin=hub", "imputation_bjs", "robust", est, 0.1, 1.0, 3 if seed == 0 else 30),
                ),
                seed=seed,
            )
        )
    d = pd.DataFrame(rows)
    d["z"] = (d["estimate"] - d["truth"]) / d["std_error"]
    return d


def test_summarise_by_hand():
    s = summarise(_draws()).set_index("exhibit").loc["Table 6"]
    err = np.array([0.0, 0.1, -0.3, 0.3])
    assert s["n_seeds"] == 4
    assert np.isclose(s["mean_bias"], err.mean()) and np.isclose(s["mean_se"], 0.1)
    assert np.isclose(s["rmse"], np.sqrt((err**2).mean()))
    assert np.isclose(s["coverage"], 0.5)  # |err| <= 0.196 for 0.0 and 0.1 only
    assert np.isclose(s["max_abs_z"], 3.0) and np.isclose(s["bias_over_se"], err.mean() / 0.1)


def test_headline_coverage_pools_tables_and_drops_small_groups():
    p = headline_coverage(_draws()).set_index("group")
    assert p.at["Tables 5-7", "cases"] == 4 and np.isclose(p.at["Tables 5-7", "coverage"], 0.5)
    assert p.at["Figure 1", "cases"] == 3  # the seed with 3 pilot cities is left out


def test_calibrate_rejects_empty_seeds():
    with pytest.raises(NQPInputError, match="seeds"):
        calibrate(seeds=[])


@pytest.mark.montecarlo
def test_default_world_interactions_cover_their_truth():
    """Issue 13 criterion on two seeds (the full check, seeds 1-4, is the calibration chapter)."""
    d = calibrate(seeds=[1, 2], exhibits=["tables5_7"])
    assert len(d) == 24
    assert (d["z"].abs() <= 1.96).mean() >= 0.85 and d["z"].abs().max() <= 3.5


def test_run_calibration_uses_its_seeds_and_only_the_semi_synthetic_track(monkeypatch):
    from nqp_helpers import calibration as cal

    seen = {}

    def fake_calibrate(seeds, scenario, loader):
        seen.update(seeds=seeds, scenario=scenario)
        return _draws()

    monkeypatch.setattr(cal, "calibrate", fake_calibrate)
    draws, summary, pooled = cal.run_calibration("semi_synthetic", 5, 3, "dynamic")
    assert seen == {"seeds": [5, 6, 7], "scenario": "dynamic"}
    assert summary.equals(summarise(draws)) and pooled.equals(headline_coverage(draws))
    with pytest.raises(NQPInputError, match="data='real'"):
        cal.run_calibration("real", 1, 2)


def test_headline_numbers_and_display_tables():
    from nqp_helpers import calibration as cal

    d = _draws()
    pooled = headline_coverage(d)
    # Figure 1 pools seeds 1-3 (seed 0 has 3 pilot cities): errors 0.1, -0.3, 0.3, one within 1.96 * 0.1
    assert cal.headline_numbers(pooled, d) == {
        "cal_n_seeds": "4",
        "cal_cover_t57": "50%",
        "cal_maxz_t57": "3.00",
        "cal_cover_fig1": "33%",
    }
    assert cal.pooled_cell(pooled, "Table 2", "paper", "coverage") == "—"
    assert list(cal.pooled_display(pooled).columns) == list(cal.POOLED_HEADERS.values())
    shown = cal.summary_display(summarise(d))
    assert list(shown.columns) == list(cal.SUMMARY_HEADERS.values()) and "pilot_cities" not in shown
    assert shown["Mean bias"].iloc[0] == round(np.mean([0.0, 0.1, -0.3, 0.3]), 3)
