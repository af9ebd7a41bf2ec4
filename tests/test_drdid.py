"""2x2 DiD with covariates (DR, IPW, OR) against moderndid's DRDID ports, plus a closed-form stratified check."""

import warnings

import numpy as np
import pytest

from nqp_helpers.errors import NQPInputError
from nqp_helpers.estimators.drdid import drdid_2x2

pytest.importorskip("moderndid")
from moderndid.drdid.estimators.drdid_panel import drdid_panel
from moderndid.drdid.estimators.reg_did_panel import reg_did_panel
from moderndid.drdid.estimators.std_ipw_did_panel import std_ipw_did_panel

MD = {"dr": drdid_panel, "ipw": std_ipw_did_panel, "reg": reg_did_panel}


def _two_by_two(n=400, seed=1, tau=0.7):
    """Selection on x: treated units have larger x, and the outcome trend depends on x (conditional PT holds)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    d = (rng.random(n) < 1 / (1 + np.exp(-(x @ [1.0, -0.5])))).astype(float)
    y0 = x @ [0.5, 0.2] + rng.normal(size=n)
    y1 = y0 + x @ [0.8, -0.4] + tau * d + rng.normal(size=n)
    return y1, y0, d, np.column_stack([np.ones(n), x])


@pytest.mark.parametrize("method", ["dr", "ipw", "reg"])
def test_matches_moderndid(method):
    y1, y0, d, X = _two_by_two()
    r = drdid_2x2(y1 - y0, d, X, method)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = MD[method](y1=y1, y0=y0, d=d, covariates=X, influence_func=True)
    assert r.att == pytest.approx(m.att, abs=1e-9)
    np.testing.assert_allclose(r.inf, m.att_inf_func, atol=1e-8)
    se = np.sqrt(np.mean(r.inf**2) / len(d))
    assert se == pytest.approx(m.se, rel=1e-6)
    if method != "reg":
        assert 0 < r.ps_min < r.ps_max < 1


def test_recovers_effect_and_or_is_stratified_did():
    """With one binary covariate OR is, exactly, the treated-weighted average of the within-stratum DiDs."""
    rng = np.random.default_rng(5)
    n = 3000
    s = (rng.random(n) < 0.5).astype(float)
    d = (rng.random(n) < 0.2 + 0.5 * s).astype(float)
    dy = 1.5 * s + 0.7 * d + rng.normal(size=n)
    X = np.column_stack([np.ones(n), s])
    hand = np.mean([dy[i] - dy[(d == 0) & (s == s[i])].mean() for i in np.flatnonzero(d == 1)])
    assert drdid_2x2(dy, d, X, "reg").att == pytest.approx(hand, abs=1e-12)
    naive = dy[d == 1].mean() - dy[d == 0].mean()
    for m in ("dr", "ipw"):  # saturated pscore: DR = IPW = OR
        assert drdid_2x2(dy, d, X, m).att == pytest.approx(hand, abs=1e-10)
    assert abs(hand - 0.7) < 0.15 < abs(naive - 0.7)


def test_trimming_counts_extreme_comparison_units():
    rng = np.random.default_rng(2)
    n = 300
    x = rng.normal(size=n)
    x[:5] = 8.0  # five comparison units with a propensity score near 1
    d = (rng.random(n) < 1 / (1 + np.exp(-2 * x))).astype(float)
    d[:5] = 0
    d[5:10] = 1
    x[5:10] = 8.0
    X = np.column_stack([np.ones(n), x])
    r = drdid_2x2(rng.normal(size=n), d, X, "dr")
    assert r.ps_max > 0.995
    assert r.n_trimmed == 5  # exactly the five comparison units at x = 8 (everyone else has x < 5)


def test_bad_method():
    y1, y0, d, X = _two_by_two(n=50)
    with pytest.raises(NQPInputError, match="method"):
        drdid_2x2(y1 - y0, d, X, "bad")
