"""Tests of the shared estimator pieces in nqp_helpers.estimators._common (K rule, demeaning, sandwich)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from nqp_helpers.errors import NQPInputError
from nqp_helpers.estimators._common import (
    codes,
    demean_twoway,
    fe_dof,
    first_treat_to_int,
    fit_within,
    require_columns,
    ssc_factor,
    tidy,
    wald_test,
)


def _panel(n=60, T=12, seed=0, drop=0.0):
    rng = np.random.default_rng(seed)
    u = np.repeat(np.arange(n), T)
    t = np.tile(np.arange(2004, 2004 + T), n)
    df = pd.DataFrame(
        {
            "u": u,
            "t": t,
            "x1": rng.normal(size=n * T),
            "x2": rng.normal(size=n * T) + u / n,
            "grp": u // 3,
            "rc": rng.integers(0, 25, n * T),
            "w": rng.uniform(0.5, 2, n * T),
        }
    )
    df["y"] = df.x1 - 0.5 * df.x2 + rng.normal(size=n)[u] + rng.normal(size=T)[t - 2004] + rng.normal(size=n * T)
    if drop:
        df = df.sample(frac=1 - drop, random_state=seed).sort_index()
    return df


def test_fe_dof_matches_fixest_rule():
    u = np.repeat(np.arange(10), 5)
    t = np.tile(np.arange(5), 10)
    assert fe_dof(u, t, None) == 10 + 5 - 1
    assert fe_dof(u, t, u) == 5  # unit nested -> n_t
    assert fe_dof(u, t, u // 2) == 5  # unit nested in coarser cluster
    assert fe_dof(u, t, t) == 10  # time nested -> n_u
    rc = np.arange(50) % 7
    assert fe_dof(u, t, rc) == 10 + 5 - 1  # nothing nested


def test_demean_balanced_equals_iterative():
    df = _panel()
    u, t = codes(df.u), codes(df.t)
    a = df[["y", "x1"]].to_numpy()
    exact = demean_twoway(a, u, t)
    it = demean_twoway(a, u, t, weights=np.ones(len(df)))  # weights force alternating projections
    assert np.max(np.abs(exact - it)) < 1e-10


@pytest.mark.parametrize("drop", [0.0, 0.15])
@pytest.mark.parametrize("cluster", ["u", "grp", "rc", "t"])
@pytest.mark.parametrize("weights", [None, "w"])
def test_fit_within_matches_pyfixest(drop, cluster, weights):
    pf = pytest.importorskip("pyfixest")
    df = _panel(drop=drop)
    fit = fit_within(df, "y", ["x1", "x2"], "u", "t", cluster=cluster, weights=weights)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = pf.feols("y ~ x1 + x2 | u + t", data=df, vcov={"CRV1": cluster}, weights=weights, fixef_tol=1e-12)
    assert np.max(np.abs(fit.coef - m.coef().to_numpy())) < 1e-10
    assert np.max(np.abs(np.sqrt(np.diag(fit.vcov)) - m.se().to_numpy())) < 1e-10
    assert fit.k == m._df_k


def test_ssc_and_wald():
    assert ssc_factor(100, 10, 20) == pytest.approx(20 / 19 * 99 / 90)
    b = np.array([1.0, 2.0])
    v = np.array([[2.0, 0.5], [0.5, 1.0]])
    assert wald_test(b, v, [0, 1]) == pytest.approx(b @ np.linalg.inv(v) @ b)
    assert wald_test(b, v, 1) == pytest.approx(4.0)


def test_helpers_errors_and_tidy():
    with pytest.raises(NQPInputError, match="zzz"):
        require_columns(pd.DataFrame({"a": [1]}), ["a", "zzz"])
    assert first_treat_to_int(pd.Series([0, np.nan, 2010.0])).tolist() == [0, 0, 2010]
    out = tidy(["a"], [1.0], [0.5], df_resid=None, n_obs=10, n_clusters=5, estimator="x", outcome="y")
    assert out.loc[0, "p_value"] == pytest.approx(0.0455002638963584)
