"""BJS imputation: point estimates and did2s SEs vs pyfixest did2s; closed form in a 2-period example."""

import numpy as np
import pandas as pd
import pytest
from toy_panels import staggered_panel as toy_panel  # 60 units, 3 cohorts + never treated

from nqp_helpers.errors import NQPInputError
from nqp_helpers.estimators.imputation import imputation_did

pf = pytest.importorskip("pyfixest")


@pytest.mark.parametrize("controls", [[], ["x1"]])
def test_matches_did2s(controls):
    df = toy_panel()
    r = imputation_did(df, "y", controls=controls)
    d = df.copy()
    d["treat"] = (d["first_treat"] > 0) & (d["year"] >= d["first_treat"])
    d["h"] = np.where(d["treat"], d["year"] - d["first_treat"], -1)
    fs = "~ " + ("+".join(controls) if controls else "0") + " | city_code + year"
    t1 = pf.did2s(d, yname="y", first_stage=fs, second_stage="~ treat", treatment="treat", cluster="city_code").tidy()
    t2 = pf.did2s(
        d, yname="y", first_stage=fs, second_stage="~ i(h, ref=-1)", treatment="treat", cluster="city_code"
    ).tidy()
    att, hz = r.iloc[0], r.iloc[1:]
    assert abs(att["estimate"] - t1["Estimate"].iloc[0]) < 1e-8
    assert abs(att["std_error"] - t1["Std. Error"].iloc[0]) < 1e-8
    assert np.max(np.abs(hz["estimate"].to_numpy() - t2["Estimate"].to_numpy())) < 1e-8
    assert np.max(np.abs(hz["std_error"].to_numpy() - t2["Std. Error"].to_numpy())) < 1e-8


def test_two_period_closed_form():
    rng = np.random.default_rng(1)
    n = 40
    g = np.where(np.arange(n) < 15, 2, 0)
    df = pd.DataFrame(
        {"city_code": np.repeat(np.arange(n), 2), "year": np.tile([1, 2], n), "first_treat": np.repeat(g, 2)}
    )
    df["y"] = rng.normal(size=2 * n) + 2.0 * ((df["first_treat"] == 2) & (df["year"] == 2))
    r = imputation_did(df, "y")
    w = df.pivot(index="city_code", columns="year", values="y")
    dy = w[2] - w[1]
    did = dy[g == 2].mean() - dy[g == 0].mean()
    assert r["estimate"].iloc[0] == pytest.approx(did, abs=1e-12)
    assert r.loc[r["term"] == "rel_0", "estimate"].iloc[0] == pytest.approx(did, abs=1e-12)


def test_horizons_and_errors():
    df = toy_panel()
    full = imputation_did(df, "y")
    sub = imputation_did(df, "y", horizons=2)
    assert list(sub["term"]) == ["att", "rel_0", "rel_1", "rel_2"]
    pd.testing.assert_frame_equal(full.iloc[:4].reset_index(drop=True), sub, check_exact=False, atol=1e-10)
    nan = imputation_did(df.assign(first_treat=df["first_treat"].replace(0, np.nan)), "y")
    pd.testing.assert_frame_equal(full, nan)
    with pytest.raises(NQPInputError, match="horizons"):
        imputation_did(df, "y", horizons=[-1])
    with pytest.raises(NQPInputError, match="missing"):
        imputation_did(df, "nope")
