"""twfe: coefficients vs linearmodels PanelOLS and pyfixest, CRV1 SEs vs pyfixest (fixest ssc), the exact factor to
linearmodels' clustered SEs, weights, LSDV R², the reghdfe constant, errors and speed."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from nqp_helpers.errors import NQPInputError
from nqp_helpers.estimators.twfe import twfe

CTR = ["c1", "c2", "c3"]


def _panel(n=80, T=15, seed=0, drop=0.0):
    rng = np.random.default_rng(seed)
    u = np.repeat(np.arange(n), T)
    t = np.tile(np.arange(2004, 2004 + T), n)
    ft = rng.choice([0, 0, 2008, 2011, 2014], n)[u]
    inn = ((ft > 0) & (t >= ft)).astype(int)
    df = pd.DataFrame(
        {
            "city_code": u,
            "year": t,
            "Inn": inn,
            "prov": u // 5,
            "rc": rng.integers(0, 30, n * T),
            "w": rng.uniform(0.5, 2, n * T),
        }
    )
    for c in CTR:
        df[c] = rng.normal(size=n * T) + 0.3 * inn
    df["y"] = (
        0.5 * inn + df.c1 - 0.2 * df.c2 + rng.normal(size=n)[u] + rng.normal(size=T)[t - 2004] + rng.normal(size=n * T)
    )
    if drop:
        df = df.sample(frac=1 - drop, random_state=seed).sort_index()
    return df


def _pf(df, cluster, weights=None):
    pf = pytest.importorskip("pyfixest")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pf.feols(
            "y ~ Inn + " + " + ".join(CTR) + " | city_code + year",
            data=df,
            vcov={"CRV1": cluster},
            weights=weights,
            fixef_tol=1e-12,
        )


@pytest.mark.parametrize("drop", [0.0, 0.2])
@pytest.mark.parametrize("cluster", ["city_code", "prov", "rc"])
@pytest.mark.parametrize("weights", [None, "w"])
def test_matches_pyfixest(drop, cluster, weights):
    df = _panel(drop=drop)
    r = twfe(df, "y", controls=CTR, cluster=cluster, weights=weights).set_index("term")
    m = _pf(df, cluster, weights)
    names = ["Inn", *CTR]
    assert np.max(np.abs(r.loc[names, "estimate"].to_numpy() - m.coef()[names].to_numpy())) < 1e-8
    assert np.max(np.abs(r.loc[names, "std_error"].to_numpy() - m.se()[names].to_numpy())) < 1e-8
    assert np.max(np.abs(r.loc[names, "p_value"].to_numpy() - m.pvalue()[names].to_numpy())) < 1e-8
    assert r["k_ssc"].iloc[0] == m._df_k
    assert r["n_clusters"].iloc[0] == df[cluster].nunique()
    assert r["df_resid"].iloc[0] == df[cluster].nunique() - 1


@pytest.mark.parametrize("drop", [0.0, 0.2])
def test_matches_linearmodels(drop):
    lm_panel = pytest.importorskip("linearmodels.panel")
    df = _panel(drop=drop)
    r = twfe(df, "y", controls=CTR).set_index("term")
    p = df.set_index(["city_code", "year"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lm = lm_panel.PanelOLS(p.y, p[["Inn", *CTR]], entity_effects=True, time_effects=True).fit(
            cov_type="clustered", cluster_entity=True
        )
    names = ["Inn", *CTR]
    assert np.max(np.abs(r.loc[names, "estimate"].to_numpy() - lm.params[names].to_numpy())) < 1e-8
    # linearmodels: V * N/(N - K_full), K_full = p + n_u + n_t - 1 (its df_resid); no G/(G-1)
    n, g, k = len(df), df.city_code.nunique(), r["k_ssc"].iloc[0]
    k_full = len(names) + df.city_code.nunique() + df.year.nunique() - 1
    assert lm.df_resid == n - k_full
    factor = g / (g - 1) * (n - 1) / (n - k) * (n - k_full) / n
    ratio = r.loc[names, "std_error"].to_numpy() ** 2 / lm.std_errors[names].to_numpy() ** 2
    assert np.max(np.abs(ratio - factor)) < 1e-8


def test_r2_overall_is_lsdv_r2_and_constant():
    sm = pytest.importorskip("statsmodels.api")
    df = _panel(n=30, T=8, drop=0.1)
    r = twfe(df, "y", controls=CTR).set_index("term")
    X = pd.concat(
        [
            df[["Inn", *CTR]],
            pd.get_dummies(df.city_code, prefix="u", drop_first=True, dtype=float),
            pd.get_dummies(df.year, prefix="t", drop_first=True, dtype=float),
        ],
        axis=1,
    )
    ols = sm.OLS(df.y, sm.add_constant(X)).fit()
    assert abs(r["r2_overall"].iloc[0] - ols.rsquared) < 1e-10
    assert np.max(np.abs(r.loc[["Inn", *CTR], "estimate"].to_numpy() - ols.params[["Inn", *CTR]].to_numpy())) < 1e-8
    # constant = mean(y) - mean(X) b
    b = r.loc[["Inn", *CTR], "estimate"].to_numpy()
    assert abs(r.loc["const", "estimate"] - (df.y.mean() - df[["Inn", *CTR]].mean().to_numpy() @ b)) < 1e-10
    # its SE: regression of (y~ + ybar) on [X~ + xbar, 1] (reghdfe add-back-means), statsmodels cluster vcov
    # (factor G/(G-1)(N-1)/(N-p-1)) rescaled to our (N-1)/(N-K)
    from nqp_helpers.estimators._common import codes, demean_twoway

    cols = ["y", "Inn", *CTR]
    dm = demean_twoway(df[cols].to_numpy(float), codes(df.city_code), codes(df.year)) + df[cols].mean().to_numpy()
    aug = sm.OLS(dm[:, 0], sm.add_constant(dm[:, 1:])).fit(cov_type="cluster", cov_kwds={"groups": codes(df.city_code)})
    n, k = len(df), r["k_ssc"].iloc[0]
    assert abs(aug.params[0] - r.loc["const", "estimate"]) < 1e-8
    se_ours = aug.bse[0] * np.sqrt((n - len(cols)) / (n - k))
    assert abs(se_ours - r.loc["const", "std_error"]) < 1e-8
    assert (
        np.max(np.abs(aug.bse[1:] * np.sqrt((n - len(cols)) / (n - k)) - r.loc[["Inn", *CTR], "std_error"].to_numpy()))
        < 1e-8
    )


def test_r2_within_and_extra_terms():
    df = _panel()
    r = twfe(df, "y", controls=["c1"], extra_terms=["Inn:c2"]).set_index("term")
    r2 = twfe(df.assign(**{"Inn:c2": df.Inn * df.c2}), "y", controls=["c1", "Inn:c2"]).set_index("term")
    assert np.allclose(r.estimate, r2.estimate, atol=1e-12)
    assert 0 < r["r2_within"].iloc[0] < r["r2_overall"].iloc[0] < 1


def test_errors():
    df = _panel(n=10, T=5)
    with pytest.raises(NQPInputError, match="nope"):
        twfe(df, "y", controls=["nope"])
    with pytest.raises(NQPInputError, match="Inn"):
        twfe(df.assign(Inn=1), "y")
    with pytest.raises(NQPInputError, match="zz"):
        twfe(df.assign(zz=df.city_code * 2.0), "y", controls=["zz"])  # absorbed by unit FE
    with pytest.raises(NQPInputError, match="weights"):
        twfe(df.assign(w=0.0), "y", weights="w")


# Speed of twfe is measured in benchmarks/bench_twfe.py, not in a timed test.
