"""psm_did: logit scores vs statsmodels, matching vs brute force, radius errors, balance-table closed form, the
end-to-end DiD on the matched sample."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nqp_helpers.errors import NQPInputError
from nqp_helpers.estimators.psm_did import (
    balance_table,
    match,
    overlap_data,
    propensity_scores,
    psm_did,
    psm_sample,
)
from nqp_helpers.estimators.twfe import twfe

COV = ["c1", "c2"]


def _panel(n=60, T=10, seed=0):
    rng = np.random.default_rng(seed)
    lat = rng.normal(size=n)
    ft = np.where(lat + rng.normal(size=n) > 0.3, rng.choice([2007, 2009, 2011], n), 0)
    u = np.repeat(np.arange(n), T)
    t = np.tile(np.arange(2004, 2004 + T), n)
    df = pd.DataFrame({"city_code": u, "year": t, "first_treat": ft[u].astype(float)})
    df.loc[df.first_treat == 0, "first_treat"] = np.nan  # never treated as NaN
    df["Inn"] = ((df.first_treat.fillna(0) > 0) & (df.year >= df.first_treat.fillna(0))).astype(int)
    df["c1"] = lat[u] + rng.normal(size=n * T)
    df["c2"] = rng.normal(size=n * T)
    df["y"] = 0.4 * df.Inn + 0.5 * df.c1 + rng.normal(size=n)[u] + rng.normal(size=n * T)
    return df


def test_propensity_scores_match_statsmodels_logit():
    sm = pytest.importorskip("statsmodels.api")
    df = _panel()
    ps = propensity_scores(df, COV, ps_by="year", first_treat="first_treat")
    for yr in [2004, 2009]:
        rows = ps[ps.year == yr]
        sub = df.loc[rows.index]
        treat = sub.first_treat.notna().astype(float)
        ref = sm.Logit(treat, sm.add_constant(sub[COV])).fit(disp=0, tol=1e-12, maxiter=200)
        assert np.max(np.abs(rows["_ps"].to_numpy() - ref.predict())) < 1e-8
    # pooled: pre-period (years before 2007) city means
    pu = propensity_scores(df, COV, ps_by="pooled", first_treat="first_treat")
    pre = df[df.year < 2007].groupby("city_code")[COV].mean()
    treat = df.groupby("city_code").first_treat.first().notna().astype(float)
    ref = sm.Logit(treat, sm.add_constant(pre)).fit(disp=0, tol=1e-12, maxiter=200)
    assert np.max(np.abs(pu["_ps"].to_numpy() - np.asarray(ref.predict()))) < 1e-8
    # ever-treated from Inn gives the same as from first_treat
    ps2 = propensity_scores(df, COV, ps_by="year")
    assert np.allclose(ps2["_ps"], ps["_ps"], atol=1e-12)


def _brute_nearest(s, tr, k):
    out = []
    t_pos, c_pos = np.flatnonzero(tr), np.flatnonzero(~tr)
    for i in t_pos:
        cand = sorted(((abs(s[i] - s[j]), j) for j in c_pos))  # distance, then position
        out += [(i, j, d) for d, j in cand[:k]]
    return out


def test_nearest_matches_brute_force():
    rng = np.random.default_rng(5)
    s = np.round(rng.random(40), 2)  # rounding creates distance ties
    tr = rng.random(40) < 0.3
    for k in (1, 3):
        m = match(s, tr, method="nearest", n_neighbors=k, common_support=False)
        got = list(zip(m.pairs.treated_pos, m.pairs.control_pos, m.pairs.distance))
        ref = _brute_nearest(s, tr, k)
        assert [(a, b) for a, b, _ in got] == [(a, b) for a, b, _ in ref]
        assert np.allclose([d for *_, d in got], [d for *_, d in ref], atol=0)
        # psmatch2 weights: 1 for treated, sum of 1/k for controls
        w = np.zeros(40)
        w[tr] = 1
        for a, b, _ in ref:
            w[b] += 1 / k
        assert np.allclose(m.weight, w)


def test_radius_matches_brute_force_and_strata():
    rng = np.random.default_rng(6)
    s = rng.random(50)
    tr = rng.random(50) < 0.4
    st = rng.integers(0, 3, 50)
    cal = 0.04
    m = match(s, tr, st, method="radius", caliper=cal, common_support=False)
    ref = sorted(
        (i, j) for i in np.flatnonzero(tr) for j in np.flatnonzero(~tr) if st[i] == st[j] and abs(s[i] - s[j]) <= cal
    )
    assert sorted(zip(m.pairs.treated_pos, m.pairs.control_pos)) == ref
    assert np.allclose(m.pairs.distance, np.abs(s[m.pairs.treated_pos] - s[m.pairs.control_pos]))


def test_no_replacement_uses_each_control_once_and_is_seeded():
    rng = np.random.default_rng(7)
    s = rng.random(30)
    tr = np.arange(30) < 10
    m1 = match(s, tr, method="nearest", replace=False, seed=1)
    m2 = match(s, tr, method="nearest", replace=False, seed=1)
    assert m1.pairs.control_pos.is_unique
    pd.testing.assert_frame_equal(m1.pairs, m2.pairs)


def test_common_support_trims_treated_outside_control_range():
    s = np.array([0.1, 0.2, 0.5, 0.9, 0.3, 0.6])
    tr = np.array([True, True, True, True, False, False])
    m = match(s, tr, method="nearest")
    assert m.on_support.tolist() == [False, False, True, False, True, True]
    assert m.n_dropped_off_support == 3


def test_radius_too_small_raises():
    df = _panel()
    with pytest.raises(NQPInputError, match="caliper"):
        psm_did(df, "y", covariates=COV, method="radius", caliper=1e-12, first_treat="first_treat")
    with pytest.raises(NQPInputError, match="caliper"):
        match(np.array([0.1, 0.2]), np.array([True, False]), method="radius", caliper=None)


def test_balance_table_closed_form():
    d = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0, 6.0], "_treat": [1, 1, 0, 0, 0], "_weight": [1.0, 1.0, 2.0, 0.0, 0.0]})
    b = balance_table(d, ["x"]).iloc[0]
    vt, vc = np.var([1, 2], ddof=1), np.var([3, 4, 6], ddof=1)
    assert b.mean_treated_before == 1.5 and b.mean_control_before == pytest.approx(13 / 3)
    assert b.smd_before == pytest.approx((1.5 - 13 / 3) / np.sqrt((vt + vc) / 2))
    assert b.var_ratio_before == pytest.approx(vt / vc)
    # after: control = only x=3 (weight 2) -> mean 3, variance undefined (1 row)
    assert b.mean_control_after == 3.0
    assert b.smd_after == pytest.approx((1.5 - 3.0) / np.sqrt((vt + vc) / 2))
    assert np.isnan(b.var_ratio_after)


def test_psm_did_end_to_end():
    df = _panel()
    for method in ("radius", "nearest"):
        for ps_by in ("year", "pooled"):
            r = psm_did(
                df,
                "y",
                covariates=COV,
                method=method,
                ps_by=ps_by,
                first_treat="first_treat",
                caliper=0.1 if method == "radius" else None,
            )
            row = r.set_index("term").loc["Inn"]
            smp = psm_sample(
                df,
                covariates=COV,
                method=method,
                ps_by=ps_by,
                first_treat="first_treat",
                caliper=0.1 if method == "radius" else None,
            )
            ref = twfe(smp[smp._weight > 0], "y", controls=COV).set_index("term").loc["Inn"]
            assert row.estimate == pytest.approx(ref.estimate, abs=1e-12)
            assert row.n_matched_obs == (smp._weight > 0).sum()
            assert {"n_treated_matched", "n_dropped_off_support"} <= set(r.columns)
    # support sample keeps all controls and on-support treated
    r = psm_did(df, "y", covariates=COV, method="nearest", sample="support", first_treat="first_treat")
    smp = psm_sample(df, covariates=COV, method="nearest", first_treat="first_treat")
    assert r.n_matched_obs.iloc[0] == smp._on_support.sum()
    rw = psm_did(df, "y", covariates=COV, method="nearest", weighting="frequency", first_treat="first_treat")
    assert rw.estimate.iloc[0] != r.estimate.iloc[0]
    ov = overlap_data(smp)
    assert set(ov.stage) == {"before", "after"} and set(ov.group) == {"treated", "control"}


def test_psm_deterministic():
    df = _panel()
    a = psm_did(df, "y", covariates=COV, method="nearest", replace=False, seed=3, first_treat="first_treat")
    b = psm_did(df, "y", covariates=COV, method="nearest", replace=False, seed=3, first_treat="first_treat")
    assert a.to_csv(float_format="%.10g") == b.to_csv(float_format="%.10g")


def test_bad_parameters():
    df = _panel()
    with pytest.raises(NQPInputError, match="ps_by"):
        psm_did(df, "y", covariates=COV, ps_by="city")
    with pytest.raises(NQPInputError, match="method"):
        psm_did(df, "y", covariates=COV, method="kernel")
    with pytest.raises(NQPInputError, match="nope"):
        psm_did(df, "y", covariates=["nope"])
