"""iv_twfe: 2SLS with two-way FE vs pyfixest IV and linearmodels IV2SLS (exact small-sample factor), KP F = squared
first-stage t, and the Anderson–Rubin set (contains the estimate when strong, unbounded when irrelevant)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from nqp_helpers.errors import NQPInputError
from nqp_helpers.estimators._common import codes, demean_twoway
from nqp_helpers.estimators.iv import _invert_grid, _solve_quadratic_le0, iv_first_stage, iv_twfe


def _panel(n=100, T=12, seed=1, strength=0.5, drop=0.0):
    rng = np.random.default_rng(seed)
    u = np.repeat(np.arange(n), T)
    t = np.tile(np.arange(T), n)
    z1 = rng.normal(size=n)[u] * rng.normal(1, 0.3, T)[t]  # shift-share-like: unit share x time shift
    z2 = rng.normal(size=n * T)
    v = rng.normal(size=n * T)
    d = strength * (z1 + 0.6 * z2) + v + rng.normal(size=n)[u]
    w = rng.normal(size=n * T)
    y = 1.0 * d + 0.5 * w + 0.8 * v + rng.normal(size=n * T) + rng.normal(size=n)[u]
    df = pd.DataFrame({"u": u, "t": t, "z1": z1, "z2": z2, "d": d, "W": w, "y": y, "rc": rng.integers(0, 30, n * T)})
    if drop:
        df = df.sample(frac=1 - drop, random_state=seed).sort_index()
    return df


CASES = [
    (0.0, "u", ["z1"]),
    (0.0, "u", ["z1", "z2"]),
    (0.2, "u", ["z1", "z2"]),
    (0.0, "rc", ["z1"]),
    (0.2, "rc", ["z1", "z2"]),
]


@pytest.mark.parametrize("drop,cluster,ins", CASES)
def test_matches_pyfixest_iv(drop, cluster, ins):
    pf = pytest.importorskip("pyfixest")
    df = _panel(drop=drop)
    r = iv_twfe(df, "y", "d", ins, "u", "t", controls=["W"], cluster=cluster).set_index("term")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = pf.feols(f"y ~ W | u + t | d ~ {' + '.join(ins)}", data=df, vcov={"CRV1": cluster}, fixef_tol=1e-12)
    names = ["d", "W"]
    assert np.max(np.abs(r.loc[names, "estimate"].to_numpy() - m.coef()[names].to_numpy())) < 1e-8
    assert np.max(np.abs(r.loc[names, "std_error"].to_numpy() - m.se()[names].to_numpy())) < 1e-8
    # pyfixest's first-stage F (cluster-robust Wald F, same ssc) equals our KP rk Wald F
    assert abs(r.loc["d", "first_stage_F"] - m._f_stat_1st_stage) < 1e-6 * m._f_stat_1st_stage


@pytest.mark.parametrize("drop,cluster,ins", CASES)
def test_matches_linearmodels_iv2sls(drop, cluster, ins):
    lmiv = pytest.importorskip("linearmodels.iv")
    df = _panel(drop=drop)
    r = iv_twfe(df, "y", "d", ins, "u", "t", controls=["W"], cluster=cluster).set_index("term")
    cols = ["y", "d", "W", *ins]
    D = pd.DataFrame(demean_twoway(df[cols].to_numpy(float), codes(df.u), codes(df.t)), columns=cols)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lm = lmiv.IV2SLS(D.y, D[["W"]], D[["d"]], D[ins]).fit(
            cov_type="clustered", clusters=pd.Series(codes(df[cluster]))
        )
    names = ["d", "W"]
    assert np.max(np.abs(r.loc[names, "estimate"].to_numpy() - lm.params[names].to_numpy())) < 1e-8
    # linearmodels clustered (debiased=False) has no small-sample factor; ours = G/(G-1)(N-1)/(N-K)
    n, g, k = len(df), df[cluster].nunique(), r["k_ssc"].iloc[0]
    factor = g / (g - 1) * (n - 1) / (n - k)
    ratio = r.loc[names, "std_error"].to_numpy() ** 2 / lm.std_errors[names].to_numpy() ** 2
    assert np.max(np.abs(ratio - factor)) < 1e-8


@pytest.mark.parametrize("cluster", ["u", "rc"])
def test_kp_f_equals_squared_first_stage_t(cluster):
    sm = pytest.importorskip("statsmodels.api")
    df = _panel()
    r = iv_twfe(df, "y", "d", ["z1"], "u", "t", controls=["W"], cluster=cluster)
    fs = iv_first_stage(df, "d", ["z1"], "u", "t", controls=["W"], cluster=cluster).set_index("term")
    kp = r.first_stage_F.iloc[0]
    assert abs(kp - fs.loc["z1", "statistic"] ** 2) < 1e-8 * kp
    # independent: statsmodels OLS on demeaned data, cluster vcov rescaled to the ivreg2/fixest factor
    cols = ["d", "z1", "W"]
    D = demean_twoway(df[cols].to_numpy(float), codes(df.u), codes(df.t))
    o = sm.OLS(D[:, 0], D[:, 1:]).fit(cov_type="cluster", cov_kwds={"groups": codes(df[cluster])})
    n, k_fs = len(df), fs["k_ssc"].iloc[0]
    t2 = o.params[0] ** 2 / (o.bse[0] ** 2 * (n - 2) / (n - k_fs))  # statsmodels uses K=2 here
    assert abs(kp - t2) < 1e-8 * kp


def test_ar_set_strong_contains_estimate_and_weak_unbounded():
    df = _panel(strength=0.8)
    r = iv_twfe(df, "y", "d", ["z1"], "u", "t", controls=["W"]).set_index("term").loc["d"]
    assert r.ar_conf_low < r.estimate < r.ar_conf_high and np.isfinite([r.ar_conf_low, r.ar_conf_high]).all()
    r2 = iv_twfe(df, "y", "d", ["z1", "z2"], "u", "t").set_index("term").loc["d"]
    assert r2.ar_conf_low < r2.estimate < r2.ar_conf_high
    # irrelevant instrument: unbounded set
    rng = np.random.default_rng(9)
    weak = _panel(strength=0.0).assign(z3=lambda x: rng.normal(size=len(x)))
    r3 = iv_twfe(weak, "y", "d", ["z3"], "u", "t").set_index("term").loc["d"]
    assert np.isinf(r3.ar_conf_low) or np.isinf(r3.ar_conf_high)
    assert r3.first_stage_F < 10
    r4 = (
        iv_twfe(weak.assign(z4=rng.normal(size=len(weak))), "y", "d", ["z3", "z4"], "u", "t").set_index("term").loc["d"]
    )
    assert np.isinf(r4.ar_conf_low) or np.isinf(r4.ar_conf_high)


def test_ar_grid_agrees_with_exact_quadratic():
    # quadratic AR for one instrument, solved by the grid inverter and in closed form
    for a2, a1, a0 in [(1.0, -2.0, -3.0), (-1.0, 0.5, 2.0), (-1.0, 0.0, -1.0), (2.0, 0.0, 1.0)]:
        exact = _solve_quadratic_le0(a2, a1, a0)
        grid = _invert_grid(lambda b: a2 * b * b + a1 * b + a0, 0.0, 1.0, -np.inf if a2 < 0 else np.inf, 2001)
        assert len(exact) == len(grid)
        for (l1, h1), (l2, h2) in zip(exact, grid):
            assert (l1 == l2 or abs(l1 - l2) < 1e-9) and (h1 == h2 or abs(h1 - h2) < 1e-9)
    assert _solve_quadratic_le0(1.0, -2.0, -3.0) == [(-1.0, 3.0)]


def test_ar_p_value_and_just_identified_zero_at_estimate():
    df = _panel()
    r = iv_twfe(df, "y", "d", ["z1"], "u", "t", ar_null=0.0).set_index("term").loc["d"]
    assert 0 <= r.ar_p_value <= 1
    at_est = iv_twfe(df, "y", "d", ["z1"], "u", "t", ar_null=r.estimate).set_index("term").loc["d"]
    assert at_est.ar_p_value == pytest.approx(1.0, abs=1e-10)


def test_errors():
    df = _panel(n=20, T=5)
    with pytest.raises(NQPInputError, match="instruments"):
        iv_twfe(df, "y", "d", [], "u", "t")
    with pytest.raises(NQPInputError, match="zz"):
        iv_twfe(df, "y", "d", ["zz"], "u", "t")
    with pytest.raises(NQPInputError, match="absorbed"):
        iv_twfe(df.assign(zu=df.u * 1.0), "y", "d", ["zu"], "u", "t")
