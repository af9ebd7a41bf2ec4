import numpy as np
import pandas as pd
import pytest

from nqp_helpers.errors import NQPInputError
from nqp_helpers.index import build_index, normalise, weights_critic, weights_entropy, weights_equal, weights_paper
from nqp_helpers.indicators import DIMENSIONS, INDEX_COLUMNS, INDICATOR_CODES, indicator_catalogue


def _full_panel(n=30, seed=1):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({c: rng.lognormal(0, 0.7, n) for c in INDICATOR_CODES})


def test_closed_form_3x2():
    # Lab with two indicators (one +, one -): lab_edu_share (+), and Mea's mea_energy_intensity (-) alone in Mea.
    df = pd.DataFrame(
        {"lab_edu_share": [0.1, 0.2, 0.3], "lab_postgrad": [10.0, 30.0, 20.0], "mea_energy_intensity": [2.0, 1.0, 0.0]}
    )
    w = pd.DataFrame(
        {
            "code": ["lab_edu_share", "lab_postgrad", "mea_energy_intensity"],
            "indicator_weight": [0.25, 0.75, 1.0],
            "dimension_weight": [0.5, 0.5, 0.5],
        }
    )
    out = build_index(df, weights=w)
    # normalised: edu 0, .5, 1 ; postgrad 0, 1, .5 ; energy (reversed) 0, .5, 1
    lab = 10 * np.array([0.25 * 0 + 0.75 * 0, 0.25 * 0.5 + 0.75 * 1, 0.25 * 1 + 0.75 * 0.5])
    mea = 10 * np.array([0.0, 0.5, 1.0])
    np.testing.assert_allclose(out["Lab"], lab)
    np.testing.assert_allclose(out["Mea"], mea)
    assert out["Obj"].isna().all()
    assert out.attrs["missing_dimensions"] == ["Obj"]
    np.testing.assert_allclose(out["Pro"], 0.5 * lab + 0.5 * mea)  # dimension weights renormalised over Lab, Mea


def test_weights_sum_to_one():
    x, _ = normalise(_full_panel())
    for t in (weights_paper(), weights_equal(INDICATOR_CODES), weights_entropy(x), weights_critic(x)):
        assert np.allclose(t.groupby("dimension")["indicator_weight"].sum(), 1.0)
        assert np.isclose(t.groupby("dimension")["dimension_weight"].first().sum(), 1.0)
        assert (t["indicator_weight"] >= 0).all()


def test_entropy_against_direct_reimplementation():
    x, _ = normalise(_full_panel(n=50, seed=3))
    t = weights_entropy(x)
    # direct loop re-implementation, column by column
    n = len(x)
    d = {}
    for c in x.columns:
        col = [v + 1e-4 for v in x[c]]
        tot = sum(col)
        e = -sum((v / tot) * np.log(v / tot) for v in col) / np.log(n)
        d[c] = 1 - e
    g = {c: d[c] / sum(d.values()) for c in d}
    np.testing.assert_allclose(t.set_index("code")["global_weight"].loc[list(g)], list(g.values()), rtol=1e-12)
    cat = indicator_catalogue().set_index("code")
    for dim in DIMENSIONS:
        codes = [c for c in g if cat.loc[c, "dimension"] == dim]
        tot = sum(g[c] for c in codes)
        for c in codes:
            assert np.isclose(t.set_index("code").loc[c, "indicator_weight"], g[c] / tot)


def test_critic_against_direct_reimplementation():
    x, _ = normalise(_full_panel(n=50, seed=4))
    t = weights_critic(x).set_index("code")
    df = x.copy()
    sd = df.std()  # pandas, ddof=1
    r = df.corr()
    c = sd * (1 - r).sum()
    g = c / c.sum()
    np.testing.assert_allclose(t.loc[g.index, "global_weight"], g.values, rtol=1e-10)


def test_direction_reversal():
    df = pd.DataFrame({"obj_co2_intensity": [1.0, 2.0, 4.0], "obj_sei_value_added": [1.0, 2.0, 4.0]})
    x, b = normalise(df)
    np.testing.assert_allclose(x["obj_co2_intensity"], [1.0, 2 / 3, 0.0])
    np.testing.assert_allclose(x["obj_sei_value_added"], [0.0, 1 / 3, 1.0])
    assert b.loc["obj_co2_intensity", "sign"] == -1


def test_affine_invariance_of_ranking():
    df = _full_panel(n=40, seed=5)
    base = build_index(df)
    df2 = df.copy()
    rng = np.random.default_rng(0)
    for c in INDICATOR_CODES:
        df2[c] = rng.uniform(0.5, 5) * df2[c] + rng.uniform(-3, 3)  # positive-slope affine map per indicator
    again = build_index(df2)
    np.testing.assert_allclose(base.to_numpy(), again.to_numpy(), atol=1e-10)
    assert (base["Pro"].rank() == again["Pro"].rank()).all()


def test_missing_indicators_renormalised():
    df = _full_panel(n=20, seed=6)
    keep = ["lab_productivity", "lab_schooling", "obj_co2_intensity"]
    out = build_index(df[keep])
    w = out.attrs["weights"].set_index("code")
    assert set(out.attrs["missing_indicators"]) == set(INDICATOR_CODES) - set(keep)
    assert out.attrs["missing_dimensions"] == ["Mea"]
    assert out["Mea"].isna().all()
    assert np.isclose(w.loc[["lab_productivity", "lab_schooling"], "indicator_weight"].sum(), 1.0)
    assert np.isclose(w.loc["obj_co2_intensity", "indicator_weight"], 1.0)
    assert np.isclose(w.loc["lab_productivity", "indicator_weight"], 0.117 / (0.117 + 0.144))
    x, _ = normalise(df[keep])
    lab = 10 * (
        w.loc["lab_productivity", "indicator_weight"] * x["lab_productivity"]
        + w.loc["lab_schooling", "indicator_weight"] * x["lab_schooling"]
    )
    np.testing.assert_allclose(out["Lab"], lab)
    np.testing.assert_allclose(out["Pro"], 0.5 * out["Lab"] + 0.5 * out["Obj"])


def test_nan_rows_propagate_or_renormalise():
    df = _full_panel(n=10, seed=7)
    df.loc[3, "lab_postgrad"] = np.nan
    out = build_index(df)
    assert np.isnan(out.loc[3, "Lab"]) and np.isnan(out.loc[3, "Pro"])
    assert out.drop(index=3).notna().all().all()
    out2 = build_index(df, na="renormalise")
    assert out2.notna().all().all()
    assert out2.loc[3, "Lab"] != out.loc[2, "Lab"]


def test_bounds_reused_and_range():
    df = _full_panel(n=25, seed=8)
    out = build_index(df)
    assert out[list(INDEX_COLUMNS)].min().min() >= 0
    assert out[list(INDEX_COLUMNS)].max().max() <= 10
    shifted = df * 1.5
    again = build_index(shifted, bounds=out.attrs["bounds"])
    assert (again["Lab"] != out["Lab"]).any()  # same map, different data


def test_bad_weights_named():
    with pytest.raises(NQPInputError, match="entropyy"):
        build_index(_full_panel(), weights="entropyy")
    with pytest.raises(NQPInputError, match="na policy"):
        build_index(_full_panel(), na="drop")


def test_index_arrays_equals_build_index_with_the_same_bounds():
    """The numpy entry point (used by the semi-synthetic generator's calibration loop) is build_index on arrays."""
    from nqp_helpers.index import array_bounds, index_arrays, paper_dimension_weights

    rng = np.random.default_rng(5)
    panel = pd.DataFrame({c: rng.lognormal(size=60) for c in INDICATOR_CODES})
    panel.iloc[3, 2] = np.nan  # a missing cell propagates, as in build_index
    other = panel * rng.uniform(0.5, 1.5, size=panel.shape)  # values outside the bounds map outside [0, 1]
    lo, hi = array_bounds(panel[list(INDICATOR_CODES)].to_numpy().T)
    ref = build_index(panel)
    bounds = ref.attrs["bounds"]
    assert np.allclose(lo, bounds["lo"]) and np.allclose(hi, bounds["hi"])
    for frame in (panel, other):
        got = index_arrays(frame[list(INDICATOR_CODES)].to_numpy().T, lo, hi)
        want = build_index(frame, bounds=bounds)
        for col in INDEX_COLUMNS:
            np.testing.assert_allclose(got[col], want[col].to_numpy(), rtol=1e-13, atol=0, equal_nan=True)
    w = ref.attrs["weights"].groupby("dimension")["dimension_weight"].first()
    assert paper_dimension_weights() == pytest.approx(w.to_dict(), rel=1e-15)
