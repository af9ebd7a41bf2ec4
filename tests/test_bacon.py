"""Goodman-Bacon decomposition: weights sum to one and the weighted 2×2 sum reproduces the TWFE coefficient."""

import numpy as np
import pandas as pd
import pytest

from nqp_helpers.errors import NQPInputError
from nqp_helpers.estimators._common import fit_within
from nqp_helpers.estimators.bacon import bacon_decomposition, bacon_summary


def _panel(seed=0, n=60, years=range(2004, 2016), cohorts=(0, 2007, 2010, 2013, 2020), always=False):
    rng = np.random.default_rng(seed)
    years = list(years)
    pool = list(cohorts) + ([2000] if always else [])
    ft = rng.choice(pool, size=n)
    rows = []
    a = rng.normal(size=n)
    lam = rng.normal(size=len(years))
    for i in range(n):
        for j, t in enumerate(years):
            d = int(ft[i] > 0 and t >= ft[i])
            eff = d * (1.0 + 0.3 * (t - ft[i]) if d else 0.0)  # dynamic, heterogeneous effects
            rows.append((i, t, ft[i], a[i] + lam[j] + eff + rng.normal(), d))
    return pd.DataFrame(rows, columns=["city_code", "year", "first_treat", "y", "Inn"])


@pytest.mark.parametrize("always", [False, True])
def test_weighted_sum_equals_twfe(always):
    df = _panel(always=always)
    dec = bacon_decomposition(df, "y")
    assert abs(dec["weight"].sum() - 1) < 1e-12
    assert (dec["weight"] > 0).all()
    twfe = fit_within(df, "y", ["Inn"], "city_code", "year").coef[0]
    assert abs((dec["weight"] * dec["estimate"]).sum() - twfe) < 1e-10
    assert abs(dec.attrs["twfe_estimate"] - twfe) < 1e-10
    types = set(dec["type"])
    assert {"Earlier vs Later Treated", "Later vs Earlier Treated", "Treated vs Never Treated"} <= types
    assert ("Later vs Always Treated" in types) == always
    s = bacon_summary(dec)
    assert abs(s.loc[s["type"] == "Total", "estimate"].item() - twfe) < 1e-10
    assert abs(s.loc[s["type"] != "Total", "weight"].sum() - 1) < 1e-12


def test_no_never_treated_and_nan_first_treat():
    df = _panel(seed=3, cohorts=(2007, 2010, 2013))
    dec = bacon_decomposition(df, "y")
    twfe = fit_within(df, "y", ["Inn"], "city_code", "year").coef[0]
    assert abs((dec["weight"] * dec["estimate"]).sum() - twfe) < 1e-10
    assert "Treated vs Never Treated" not in set(dec["type"])
    df2 = _panel(seed=4)
    df2["first_treat"] = df2["first_treat"].replace(0, np.nan)
    dec2 = bacon_decomposition(df2, "y")
    assert abs(dec2.attrs["twfe_estimate"] - fit_within(df2, "y", ["Inn"], "city_code", "year").coef[0]) < 1e-10


def test_tidy_shape():
    dec = bacon_decomposition(_panel(), "y")
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
        "type",
        "weight",
    ]:
        assert c in dec.columns


def test_errors():
    df = _panel()
    with pytest.raises(NQPInputError, match="balanced"):
        bacon_decomposition(df.iloc[1:], "y")
    d2 = df.copy()
    d2.loc[5, "y"] = np.nan
    with pytest.raises(NQPInputError, match="balanced"):
        bacon_decomposition(d2, "y")
    with pytest.raises(NQPInputError, match="controls"):
        bacon_decomposition(df, "y", controls=["Eco"])
    with pytest.raises(NQPInputError, match="missing column"):
        bacon_decomposition(df, "nope")
