"""TWFE event study: coefficients/SEs vs pyfixest feols with the same dummies; pre-trend Wald test."""

import warnings

import numpy as np
import pandas as pd
import pytest
from toy_panels import staggered_panel as toy_panel  # 60 units, 3 cohorts + never treated

from nqp_helpers.errors import NQPInputError
from nqp_helpers.estimators.event_study import event_study, pretrend_test, relative_time_dummies

pf = pytest.importorskip("pyfixest")


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
