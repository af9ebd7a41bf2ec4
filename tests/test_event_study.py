"""TWFE event study: coefficients/SEs vs pyfixest feols with the same dummies; pre-trend Wald test."""
import warnings

import numpy as np
import pandas as pd
import pytest

from nqp_helpers.errors import NQPInputError
from nqp_helpers.estimators.event_study import event_study, pretrend_test, relative_time_dummies

pf = pytest.importorskip("pyfixest")


def toy_panel(n_units=60, years=range(2010, 2022), cohorts=(2014, 2016, 2018), seed=0):
    """Staggered adoption: every 4th unit never treated, 3 cohorts, effects growing with e and differing by cohort."""
    rng = np.random.default_rng(seed)
    years = list(years)
    g = np.array([cohorts[i % len(cohorts)] if i % 4 else 0 for i in range(n_units)])
    a = rng.normal(0, 1, n_units)
    lam = {t: 0.3 * (t - years[0]) + rng.normal(0, .2) for t in years}
    rows = []
    for i in range(n_units):
        for t in years:
            e = t - g[i] if g[i] else None
            tau = 0.0 if e is None or e < 0 else (1 + 0.2 * e) * (1 + 0.5 * cohorts.index(g[i]))
            rows.append((100000 + i, t, g[i], a[i] + lam[t] + tau + rng.normal(0, .5), rng.normal()))
    df = pd.DataFrame(rows, columns=["city_code", "year", "first_treat", "y", "x1"])
    df["y"] += 0.4 * df["x1"]
    return df


@pytest.mark.parametrize("bin_endpoints", [True, False])
@pytest.mark.parametrize("controls", [[], ["x1"]])
def test_matches_pyfixest(bin_endpoints, controls):
    df = toy_panel()
    r = event_study(df, "y", leads=3, lags=3, bin_endpoints=bin_endpoints, controls=controls)
    d, ets, _ = relative_time_dummies(df, "first_treat", "year", 3, 3, -1, bin_endpoints)
    fml = "y ~ " + "+".join(list(d.columns) + controls) + " | city_code + year"
    m = pf.feols(fml, data=df.join(d), vcov={"CRV1": "city_code"})
    t = m.tidy().loc[list(d.columns)]
    rr = r[~r["reference"]]
    assert np.max(np.abs(rr["estimate"].to_numpy() - t["Estimate"].to_numpy())) < 1e-8
    assert np.max(np.abs(rr["std_error"].to_numpy() - t["Std. Error"].to_numpy())) < 1e-8
    ref = r[r["reference"]]
    assert len(ref) == 1 and ref["event_time"].iloc[0] == -1 and ref["estimate"].iloc[0] == 0
    # Wald test: chi2 = q F, equal to pyfixest's Wald statistic
    pt = pretrend_test(r)
    R = np.zeros((int(pt["df_num"].iloc[0]), len(m.coef())))
    for j, e in enumerate([e for e in ets if e < 0]):
        R[j, ets.index(e)] = 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = m.wald_test(R=R)
    assert abs(pt["wald_chi2"].iloc[0] - w["statistic"]) < 1e-6 * max(1, w["statistic"])
    assert 0 <= pt["p_value"].iloc[0] <= 1 and pt["df_den"].iloc[0] == 59


def test_binning_and_never_treated_zero():
    df = toy_panel()
    d, ets, binned = relative_time_dummies(df, "first_treat", "year", 2, 2, -1, True)
    assert ets == [-2, 0, 1, 2] and binned[-2] and binned[2] and not binned[0]
    assert (d[df["first_treat"] == 0].to_numpy() == 0).all()
    # every treated obs except those at e = -1 has exactly one dummy
    tr = (df["first_treat"] > 0) & (df["year"] - df["first_treat"] != -1)
    assert (d[tr].sum(axis=1) == 1).all()


def test_nan_never_treated_and_pretrend_args():
    df = toy_panel()
    df2 = df.assign(first_treat=df["first_treat"].replace(0, np.nan))
    a = event_study(df, "y", leads=3, lags=2)
    b = event_study(df2, "y", leads=3, lags=2)
    pd.testing.assert_frame_equal(a, b)
    p1 = pretrend_test(a)
    p2 = pretrend_test(dict(df=df, outcome="y", leads=3, lags=2))
    assert p1["statistic"].iloc[0] == pytest.approx(p2["statistic"].iloc[0])


def test_errors():
    df = toy_panel()
    with pytest.raises(NQPInputError, match="nope"):
        event_study(df, "nope")
    with pytest.raises(NQPInputError, match="ref"):
        event_study(df, "y", ref=0)
    with pytest.raises(NQPInputError, match="duplicate"):
        event_study(pd.concat([df, df.head(1)]), "y")
