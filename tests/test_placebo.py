"""Placebo (randomisation-inference) test: fast engines equal PanelOLS / fit_within loops; permutations keep cohorts."""

import numpy as np
import pandas as pd
import pytest
from linearmodels.panel import PanelOLS

from nqp_helpers.errors import NQPInputError
from nqp_helpers.estimators._common import fit_within
from nqp_helpers.estimators.placebo import permute_first_treat, placebo_test

CONTROLS = ["Eco", "Gov", "Fix"]


def _panel(seed=0, n=40, years=range(2004, 2016)):
    rng = np.random.default_rng(seed)
    years = list(years)
    ft = rng.choice([0, 0, 2007, 2010, 2013], size=n)
    a = rng.normal(size=n)
    rows = []
    for i in range(n):
        for j, t in enumerate(years):
            x = rng.normal(size=3) + 0.2 * a[i]
            d = int(ft[i] > 0 and t >= ft[i])
            y1 = a[i] + 0.1 * j + 1.5 * d + x @ [0.3, -0.2, 0.1] + rng.normal()
            y2 = a[i] - 0.05 * j + 0.0 * d + x @ [0.1, 0.1, 0.1] + rng.normal()
            rows.append((1000 + i, t, ft[i], d, *x, y1, y2))
    return pd.DataFrame(rows, columns=["city_code", "year", "first_treat", "Inn", *CONTROLS, "Pro", "Lab"])


def _panelols(df, y, controls, ftd_units, units):
    """PanelOLS (entity + time effects) coefficient on the placebo dummy for one draw."""
    m = dict(zip(units, ftd_units))
    f = df["city_code"].map(m).to_numpy()
    d = df.assign(D=((f > 0) & (df["year"].to_numpy() >= f)).astype(float)).set_index(["city_code", "year"])
    res = PanelOLS(d[y], d[["D", *controls]], entity_effects=True, time_effects=True).fit()
    return res.params["D"]


def test_fast_equals_panelols_loop():
    df = _panel()
    n_draws = 6
    res = placebo_test(df, ["Pro", "Lab"], controls=CONTROLS, n_draws=n_draws, seed=11)
    assert (res["engine"] == "fast_balanced").all()
    draws = res.attrs["draws"]
    units = np.sort(df["city_code"].unique())
    ft_units = df.groupby("city_code")["first_treat"].first().reindex(units).to_numpy()
    perms = permute_first_treat(ft_units, n_draws, 11)
    for y in ["Pro", "Lab"]:
        fast = draws.loc[draws["outcome"] == y, "estimate"].to_numpy()
        ref = np.array([_panelols(df, y, CONTROLS, perms[b], units) for b in range(n_draws)])
        np.testing.assert_allclose(fast, ref, rtol=0, atol=1e-8)
        obs = res.loc[res["outcome"] == y, "estimate"].item()
        assert abs(obs - _panelols(df, y, CONTROLS, ft_units, units)) < 1e-8
    # without controls too
    res0 = placebo_test(df, "Pro", n_draws=3, seed=2)
    perms0 = permute_first_treat(ft_units, 3, 2)
    ref0 = [_panelols(df, "Pro", [], perms0[b], units) for b in range(3)]
    np.testing.assert_allclose(res0.attrs["draws"]["estimate"], ref0, atol=1e-8)


def test_cohort_sizes_preserved_and_deterministic():
    ft = np.array([0, 0, 0, 2008, 2008, 2010, 2012, 2012, 2012, 0])
    P = permute_first_treat(ft, 500, seed=5)
    assert P.shape == (500, 10)
    assert (np.sort(P, axis=1) == np.sort(ft)).all()
    assert not (P == ft).all(axis=1).all()
    assert (permute_first_treat(ft, 500, seed=5) == P).all()
    df = _panel(1)
    a = placebo_test(df, "Pro", controls=CONTROLS, n_draws=50, seed=3)
    b = placebo_test(df, "Pro", controls=CONTROLS, n_draws=50, seed=3)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(a.attrs["draws"], b.attrs["draws"])
    assert a.to_csv(float_format="%.10g") == b.to_csv(float_format="%.10g")
    c = placebo_test(df, "Pro", controls=CONTROLS, n_draws=50, seed=4)
    assert not np.allclose(a.attrs["draws"]["estimate"], c.attrs["draws"]["estimate"])


def test_unbalanced_fallback_equals_fit_within_loop():
    df = _panel(2)
    rng = np.random.default_rng(0)
    df = df.drop(index=rng.choice(len(df), 40, replace=False))  # unbalanced
    df.loc[df.index[:3], "Eco"] = np.nan  # listwise deletion
    fast = placebo_test(df, ["Pro", "Lab"], controls=CONTROLS, n_draws=5, seed=1, method="fast")
    loop = placebo_test(df, ["Pro", "Lab"], controls=CONTROLS, n_draws=5, seed=1, method="loop")
    assert (fast["engine"] == "fast_projection").all() and (loop["engine"] == "loop").all()
    np.testing.assert_allclose(fast.attrs["draws"]["estimate"], loop.attrs["draws"]["estimate"], atol=1e-8)
    np.testing.assert_allclose(fast["estimate"], loop["estimate"], atol=1e-10)
    # observed estimate = fit_within with the real dummy
    obs = fit_within(df, "Pro", ["Inn", *CONTROLS], "city_code", "year").coef[0]
    assert abs(fast.loc[0, "estimate"] - obs) < 1e-10


def test_balanced_loop_equals_fast_and_ri_pvalue():
    df = _panel(3)
    fast = placebo_test(df, "Pro", controls=CONTROLS, n_draws=8, seed=9)
    loop = placebo_test(df, "Pro", controls=CONTROLS, n_draws=8, seed=9, method="loop")
    np.testing.assert_allclose(fast.attrs["draws"]["estimate"], loop.attrs["draws"]["estimate"], atol=1e-10)
    big = placebo_test(df, "Pro", controls=CONTROLS, n_draws=199, seed=0)
    pl = big.attrs["draws"]["estimate"].to_numpy()
    obs = big["estimate"].item()
    assert big["ri_p_value"].item() == (1 + np.sum(np.abs(pl) >= abs(obs) * (1 - 1e-10))) / 200
    assert big["ri_p_value"].item() < 0.05  # true effect 1.5, strong
    for c in [
        "term",
        "estimate",
        "std_error",
        "statistic",
        "p_value",
        "conf_low",
        "conf_high",
        "n_obs",
        "n_clusters",
        "estimator",
        "outcome",
        "placebo_q025",
        "placebo_q975",
    ]:
        assert c in big.columns
    assert big["term"].item() == "Inn"


def test_errors():
    df = _panel()
    with pytest.raises(NQPInputError, match="n_draws"):
        placebo_test(df, "Pro", n_draws=0)
    with pytest.raises(NQPInputError, match="method"):
        placebo_test(df, "Pro", method="gpu")
    with pytest.raises(NQPInputError, match="missing column"):
        placebo_test(df, "Pro", controls=["nope"])
    d2 = df.copy()
    d2.loc[0, "first_treat"] = 2015
    with pytest.raises(NQPInputError, match="varies within unit"):
        placebo_test(d2, "Pro")
