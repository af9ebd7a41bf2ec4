"""Heterogeneity: subgroup TWFE, pooled Wald test (vs pyfixest), permutation test, Holm-adjusted orderings."""

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest

from nqp_helpers.errors import NQPInputError
from nqp_helpers.estimators._common import fit_within
from nqp_helpers.estimators.heterogeneity import (
    group_orderings,
    permutation_test_equal_effects,
    pooled_interaction_test,
    subgroup_effects,
)

CONTROLS = ["Eco", "Gov"]


def _panel(effects, seed=0, n=60, years=range(2006, 2016)):
    rng = np.random.default_rng(seed)
    years = list(years)
    grp = np.array(["a", "b", "c"])[np.arange(n) % 3]
    ft = np.where(rng.random(n) < 0.5, rng.choice([2009, 2012], size=n), 0)
    a = rng.normal(size=n)
    rows = []
    for i in range(n):
        for j, t in enumerate(years):
            x = rng.normal(size=2)
            d = int(ft[i] > 0 and t >= ft[i])
            y = a[i] + 0.1 * j + effects[grp[i]] * d + x @ [0.4, -0.2] + rng.normal(scale=0.5)
            rows.append((i, t, ft[i], d, grp[i], *x, y))
    return pd.DataFrame(rows, columns=["city_code", "year", "first_treat", "Inn", "grp", *CONTROLS, "Pro"])


EQUAL = {"a": 0.5, "b": 0.5, "c": 0.5}
DIFF = {"a": 0.0, "b": 1.0, "c": 2.0}


def test_subgroup_effects_equal_separate_fits():
    df = _panel(DIFF)
    res = subgroup_effects(df, "Pro", "grp", controls=CONTROLS)
    assert list(res["group_value"]) == ["a", "b", "c"]
    for g in "abc":
        fit = fit_within(df[df["grp"] == g], "Pro", ["Inn", *CONTROLS], "city_code", "year")
        assert abs(res.loc[res["group_value"] == g, "estimate"].item() - fit.coef[0]) < 1e-12


def test_wald_matches_pyfixest():
    df = _panel(DIFF, seed=1)
    res = pooled_interaction_test(df, "Pro", "grp", controls=CONTROLS)
    m = pf.feols("Pro ~ i(grp, Inn) + Eco + Gov | city_code + year", data=df, vcov={"CRV1": "city_code"})
    names = [c for c in m.coef().index if "grp" in c]
    np.testing.assert_allclose(res["estimate"].iloc[:3], m.coef()[names].to_numpy(), atol=1e-8)
    np.testing.assert_allclose(res["std_error"].iloc[:3], m.se()[names].to_numpy(), rtol=1e-6)
    k = len(m.coef())
    idx = [list(m.coef().index).index(nm) for nm in names]
    R = np.zeros((2, k))
    R[0, idx[0]], R[0, idx[1]] = -1, 1
    R[1, idx[0]], R[1, idx[2]] = -1, 1
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m.wald_test(R=R, distribution="chi2")
    w = res.iloc[-1]
    assert w["term"] == "wald_equal_effects"
    assert w["wald_chi2"] == pytest.approx(float(m._wald_statistic), rel=1e-6)
    assert w["statistic"] == pytest.approx(float(m._wald_statistic) / 2, rel=1e-6)
    assert w["df_num"] == 2 and w["df_den"] == 59
    assert w["p_value"] < 0.01  # strongly different effects


def test_equal_effects_not_rejected_and_fully_interacted_equals_subgroups():
    df = _panel(EQUAL, seed=2)
    res = pooled_interaction_test(df, "Pro", "grp", controls=CONTROLS)
    assert res["p_value"].iloc[-1] > 0.01  # deterministic toy, equal effects by construction
    full = pooled_interaction_test(df, "Pro", "grp", controls=CONTROLS, interact_controls=True, group_time_fe=True)
    sub = subgroup_effects(df, "Pro", "grp", controls=CONTROLS)
    np.testing.assert_allclose(full["estimate"].iloc[:3], sub["estimate"], atol=1e-9)


def test_permutation_test():
    df_d = _panel(DIFF, seed=3, n=30)
    r = permutation_test_equal_effects(df_d, "Pro", "grp", controls=CONTROLS, n_draws=49, seed=1)
    assert r["p_value"].item() == pytest.approx(1 / 50)
    r2 = permutation_test_equal_effects(df_d, "Pro", "grp", controls=CONTROLS, n_draws=49, seed=1)
    pd.testing.assert_frame_equal(r, r2)
    rr = permutation_test_equal_effects(df_d, "Pro", "grp", controls=CONTROLS, n_draws=19, seed=1, statistic="range")
    assert rr["estimate"].item() == pytest.approx(
        np.ptp(pooled_interaction_test(df_d, "Pro", "grp", controls=CONTROLS)["estimate"].iloc[:3])
    )
    assert rr["p_value"].item() == pytest.approx(1 / 20)
    df_e = _panel(EQUAL, seed=4, n=30)
    re = permutation_test_equal_effects(df_e, "Pro", "grp", controls=CONTROLS, n_draws=49, seed=1)
    assert re["p_value"].item() > 0.05


def test_group_orderings_holm():
    df = _panel(DIFF, seed=5)
    o = group_orderings(df, "Pro", "grp", controls=CONTROLS)
    assert len(o) == 3
    p = np.sort(o["p_value"].to_numpy())
    expected = np.minimum(1, np.maximum.accumulate(np.array([3, 2, 1]) * p))
    np.testing.assert_allclose(np.sort(o["p_holm"]), expected)
    row = o[(o["group_a"] == "a") & (o["group_b"] == "c")].iloc[0]
    assert row["ordering"] == "a < c" and row["survives"]
    assert (o["conf_low_bonf"] <= o["conf_low"]).all()


def test_errors():
    df = _panel(EQUAL)
    d2 = df.copy()
    d2.loc[0, "grp"] = "z"
    with pytest.raises(NQPInputError, match="varies within unit"):
        pooled_interaction_test(d2, "Pro", "grp")
    with pytest.raises(NQPInputError, match="statistic"):
        permutation_test_equal_effects(df, "Pro", "grp", statistic="max")
    with pytest.raises(NQPInputError, match="missing column"):
        subgroup_effects(df, "Pro", "nope")
