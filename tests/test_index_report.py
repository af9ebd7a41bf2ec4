import numpy as np
import pandas as pd
import pytest

from nqp_helpers.errors import NQPInputError
from nqp_helpers.index import build_index
from nqp_helpers.index_report import (
    TABLE2_COLUMNS,
    dimension_weights,
    indices_by_scheme,
    linear_combination_check,
    paths_by_group,
    per_year_index,
    rank_stability,
    tidy_table2,
    weights_comparison,
)
from nqp_helpers.indicators import INDICATOR_CODES


def _panel(n_city=12, years=(2010, 2011, 2012), seed=3, codes=INDICATOR_CODES):
    rng = np.random.default_rng(seed)
    rows = [(1000 + i, y) for i in range(n_city) for y in years]
    df = pd.DataFrame(rows, columns=["city_code", "year"])
    df["first_treat"] = np.where(df["city_code"] % 3 == 0, 2011, 0)
    growth = (df["year"] - years[0]).to_numpy()
    for c in codes:
        df[c] = rng.lognormal(0, 0.5, len(df)) * np.exp(0.5 * growth)
    return df


def test_weights_comparison_shapes_and_sums():
    p = _panel()
    t = weights_comparison(p)
    assert len(t) == 18 and t["present"].all()
    for s in ("paper", "equal", "entropy", "critic"):
        assert np.isclose(t[f"g_{s}"].sum(), 1.0)
        assert np.allclose(t.groupby("dimension")[f"w_{s}"].sum(), 1.0)
    np.testing.assert_allclose(
        t["w_paper"], t["w_paper_table1"] / t.groupby("dimension")["w_paper_table1"].transform("sum")
    )


def test_weights_comparison_missing_indicators_are_nan():
    codes = ["lab_productivity", "obj_co2_intensity", "obj_waste_gas_intensity"]
    p = _panel(codes=codes)
    t = weights_comparison(p).set_index("code")
    assert t.loc[codes, "present"].all() and not t.drop(index=codes)["present"].any()
    assert t.drop(index=codes)["w_entropy"].isna().all()
    assert t.loc["lab_productivity", "w_paper"] == pytest.approx(1.0)
    assert t["g_paper"].sum() == pytest.approx(1.0)  # Lab and Obj get 1/2 each


def test_per_year_index_removes_common_growth():
    p = _panel()
    whole = build_index(p)
    per = per_year_index(p)
    # common growth: whole-panel index rises by year, per-year index does not trend by construction
    m_whole = whole["Pro"].groupby(p["year"]).mean()
    assert m_whole.is_monotonic_increasing
    for y, d in p.groupby("year"):
        np.testing.assert_allclose(per.loc[d.index, "Pro"], build_index(d)["Pro"])
    assert per.index.equals(p.index)


def test_paths_by_group_means():
    p = _panel()
    idx = build_index(p)
    out = paths_by_group(p, idx)
    sel = (out["year"] == 2011) & (out["group"] == "pilot") & (out["variable"] == "Pro")
    mask = (p["year"] == 2011) & (p["first_treat"] > 0)
    assert out.loc[sel, "mean"].iloc[0] == pytest.approx(idx.loc[mask, "Pro"].mean())
    assert out.loc[sel, "n"].iloc[0] == mask.sum()
    assert set(out["group"]) == {"pilot", "never treated"}


def test_rank_stability_identity_and_moves():
    p = _panel(n_city=30)
    idx = indices_by_scheme(p)
    corr, moves = rank_stability(p, idx, 2012, threshold=0)
    assert np.allclose(np.diag(corr), 1.0)
    row = moves.set_index("scheme").loc["paper"]
    assert row["spearman_vs_paper"] == pytest.approx(1.0) and row["share_moved_gt_0"] == 0.0
    # hand check against scipy-free Spearman: reversed ranking gives -1
    fake = {"paper": idx["paper"], "rev": idx["paper"].assign(Pro=-idx["paper"]["Pro"])}
    corr2, moves2 = rank_stability(p, fake, 2012)
    assert corr2.loc["paper", "rev"] == pytest.approx(-1.0)
    with pytest.raises(NQPInputError):
        rank_stability(p, idx, 1999)


def test_dimension_weights_and_linear_check():
    p = _panel()
    idx = build_index(p)
    for c in idx.columns:
        p[c] = idx[c]
    w = dimension_weights(p)
    assert np.allclose(w, 1 / 3)
    assert linear_combination_check(p, w)
    p.loc[0, "Pro"] += 1.0
    assert not linear_combination_check(p, w)


def test_tidy_table2_joins_paper_and_truth():
    fit = pd.DataFrame(
        {
            "term": ["Inn", "const"],
            "estimate": [0.5, 2.0],
            "std_error": [0.1, 0.5],
            "p_value": [0.001, 0.01],
            "n_obs": 100,
            "r2_within": 0.1,
            "r2_overall": 0.9,
            "outcome": "Pro",
        }
    )
    paper = pd.DataFrame(
        {
            "column": [1, 1],
            "term": ["Inn", "const"],
            "coef": [0.484, 2.79],
            "se": [0.186, 1.09],
            "stars": ["***", "***"],
        }
    )
    t = tidy_table2({"m": fit}, paper, {"m": 1}, {"m": False}, {"Pro": 0.56})
    assert list(t.columns) == TABLE2_COLUMNS
    assert t.loc[0, "paper_coef"] == 0.484 and t.loc[0, "truth"] == 0.56 and np.isnan(t.loc[1, "truth"])
    assert set(t["spec"]) == {"baseline_no_controls"}
    with pytest.raises(NQPInputError):
        tidy_table2({"m": fit}, paper, {}, {"m": False})
