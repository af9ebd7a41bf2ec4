"""Wild cluster bootstrap: exact agreement with wildboottest under full enumeration, MC agreement otherwise."""

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from wildboottest.wildboottest import wildboottest

from nqp_helpers.errors import NQPInputError
from nqp_helpers.estimators._common import codes, demean_twoway, fit_within
from nqp_helpers.estimators.wild_bootstrap import wild_bootstrap

CONTROLS = ["Eco", "Gov"]


def _panel(seed=0, n=10, years=range(2004, 2014), effect=0.3):
    rng = np.random.default_rng(seed)
    years = list(years)
    ft = np.where(np.arange(n) % 2 == 0, rng.choice([2007, 2010], size=n), 0)
    a = rng.normal(size=n)
    rows = []
    for i in range(n):
        shock = rng.normal()
        for j, t in enumerate(years):
            x = rng.normal(size=2)
            d = int(ft[i] > 0 and t >= ft[i])
            rows.append(
                (
                    i,
                    t,
                    ft[i],
                    d,
                    *x,
                    a[i] + 0.1 * j + effect * d + x @ [0.5, -0.3] + shock * rng.normal() + rng.normal(),
                )
            )
    return pd.DataFrame(rows, columns=["city_code", "year", "first_treat", "Inn", *CONTROLS, "Pro"])


def _wbt(df, B, weights, seed=1, impose_null=True):
    u, t = codes(df["city_code"]), codes(df["year"])
    Z = demean_twoway(df[["Pro", "Inn", *CONTROLS]].to_numpy(float), u, t)
    X = pd.DataFrame(Z[:, 1:], columns=["Inn", *CONTROLS])
    model = sm.OLS(Z[:, 0], X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = wildboottest(
            model, param="Inn", cluster=u, B=B, weights_type=weights, seed=seed, impose_null=impose_null, show=False
        )
    return float(out["p-value"].iloc[0]), float(np.asarray(out["statistic"].iloc[0]).ravel()[0])


def test_full_enumeration_matches_wildboottest_exactly():
    df = _panel()
    res = wild_bootstrap(df, "Pro", controls=CONTROLS, n_boot=9999)
    assert bool(res["full_enumeration"].item()) and res["n_boot"].item() == 2**10
    p_wbt, t_wbt = _wbt(df, 9999, "rademacher")
    p = res["p_value"].item()
    ties = res.attrs["n_ties"]
    # identical draws (all 2^10 sign vectors); wildboottest counts |t*| > |t| strictly, we count ties (v = ±1
    # reproduce t)
    assert ties >= 2
    assert p_wbt in (p, p - ties / 1024) or abs(p_wbt - (p - ties / 1024)) < 1e-12 or abs(p_wbt - p) < 1e-12
    # the t statistic (CR1 with the same small-sample factor cancels): t differs only by sqrt of the k ratio
    fit = fit_within(df, "Pro", ["Inn", *CONTROLS], "city_code", "year")
    assert abs(res["estimate"].item() - fit.coef[0]) < 1e-12
    assert abs(res["std_error"].item() - np.sqrt(fit.vcov[0, 0])) < 1e-12
    n, k = fit.n_obs, fit.k
    t_ours_wbt_ssc = res["statistic"].item() * np.sqrt((n - 1) / (n - k)) / np.sqrt((n - 1) / (n - 3))
    assert abs(t_ours_wbt_ssc - t_wbt) < 1e-8


def test_full_enumeration_exact_count_against_wildboottest_strict():
    df = _panel(seed=5)
    res = wild_bootstrap(df, "Pro", controls=CONTROLS, n_boot=9999)
    tb = np.abs(res.attrs["t_boot"])
    to = abs(res["statistic"].item())
    p_strict = np.mean(tb > to * (1 + 1e-10))
    p_wbt, _ = _wbt(df, 9999, "rademacher")
    # exact up to the two draws v = ±1 whose |t*| equals |t| in exact arithmetic
    assert abs(p_wbt - p_strict) <= 2 / 1024 + 1e-12
    assert p_strict + res.attrs["n_ties"] / 1024 == pytest.approx(res["p_value"].item(), abs=1e-12)


@pytest.mark.parametrize("weights", ["rademacher", "webb"])
def test_random_weights_within_monte_carlo_error(weights):
    df = _panel(seed=2, n=40, effect=0.15)
    B = 4999
    res = wild_bootstrap(df, "Pro", controls=CONTROLS, n_boot=B, weights=weights, seed=3)
    p_wbt, _ = _wbt(df, B, weights, seed=3)
    p = res["p_value"].item()
    mc_sd = np.sqrt(2 * max(p * (1 - p), 1e-3) / B)
    assert abs(p - p_wbt) < 4 * mc_sd + 2 / B
    assert res["conf_low"].item() < res["estimate"].item() < res["conf_high"].item()


def test_ci_is_test_inversion_and_contains_estimate():
    df = _panel(seed=7, n=30)
    res = wild_bootstrap(df, "Pro", controls=CONTROLS, n_boot=1999, seed=1)
    lo, hi, b = res["conf_low"].item(), res["conf_high"].item(), res["estimate"].item()
    assert lo < b < hi
    # p-value just inside the bounds > alpha, just outside <= alpha (checked by shifting the outcome)
    se = res["std_error"].item()
    for b0, inside in [
        (lo + 0.01 * se, True),
        (lo - 0.01 * se, False),
        (hi - 0.01 * se, True),
        (hi + 0.01 * se, False),
    ]:
        shifted = df.assign(Pro=df["Pro"] - b0 * df["Inn"])
        p0 = wild_bootstrap(shifted, "Pro", controls=CONTROLS, n_boot=1999, seed=1)["p_value"].item()
        assert (p0 > 0.05) == inside
    # WCU interval symmetric around the estimate
    wcu = wild_bootstrap(df, "Pro", controls=CONTROLS, n_boot=1999, seed=1, impose_null=False)
    assert wcu["bootstrap"].item() == "WCU"
    assert wcu["conf_high"].item() - b == pytest.approx(b - wcu["conf_low"].item())


def test_deterministic_and_errors():
    df = _panel(seed=1, n=20)
    a = wild_bootstrap(df, "Pro", n_boot=999, seed=4)
    b = wild_bootstrap(df, "Pro", n_boot=999, seed=4)
    pd.testing.assert_frame_equal(a, b)
    with pytest.raises(NQPInputError, match="weights"):
        wild_bootstrap(df, "Pro", weights="mammen")
    with pytest.raises(NQPInputError, match="n_boot"):
        wild_bootstrap(df, "Pro", n_boot=0)
    with pytest.raises(NQPInputError, match="missing column"):
        wild_bootstrap(df, "Pro", controls=["nope"])
