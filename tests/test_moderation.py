"""Moderation (Tables 5–7): closed-form centring identity, equality with a manual interaction, marginal effects."""

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest

from nqp_helpers.errors import NQPInputError
from nqp_helpers.estimators._common import fit_within
from nqp_helpers.estimators.moderation import marginal_effects, moderation

CONTROLS = ["Eco", "Gov"]


def _panel(seed=0, n=50, years=range(2004, 2016)):
    rng = np.random.default_rng(seed)
    years = list(years)
    ft = rng.choice([0, 0, 2008, 2011], size=n)
    a = rng.normal(size=n)
    rows = []
    for i in range(n):
        for j, t in enumerate(years):
            x = rng.normal(size=2)
            hum = 2.0 + 0.5 * a[i] + 0.05 * j + rng.normal(scale=0.5)
            d = int(ft[i] > 0 and t >= ft[i])
            y = a[i] + 0.1 * j + d * (0.2 + 0.4 * hum) + 0.3 * hum + x @ [0.5, -0.3] + rng.normal()
            rows.append((i, t, ft[i], d, *x, hum, y))
    return pd.DataFrame(rows, columns=["city_code", "year", "first_treat", "Inn", *CONTROLS, "Hum", "Pro"])


def test_terms_and_manual_interaction():
    df = _panel()
    res = moderation(df, "Pro", "Hum", controls=CONTROLS)
    assert list(res["term"]) == ["Inn", "Hum", "Inn:Hum"]
    assert (res["center"] == "none").all() and (res["center_value"] == 0).all()
    fit = fit_within(df.assign(IH=df["Inn"] * df["Hum"]), "Pro", ["Inn", "Hum", "IH", *CONTROLS], "city_code", "year")
    np.testing.assert_allclose(res["estimate"], fit.coef[:3], rtol=0, atol=1e-10)
    np.testing.assert_allclose(res["std_error"], np.sqrt(np.diag(fit.vcov)[:3]), rtol=1e-10)
    # and pyfixest's CRV1 (fixest small-sample convention)
    m = pf.feols("Pro ~ Inn + Hum + Inn:Hum + Eco + Gov | city_code + year", data=df, vcov={"CRV1": "city_code"})
    np.testing.assert_allclose(res["estimate"], m.coef()[["Inn", "Hum", "Inn:Hum"]].to_numpy(), atol=1e-8)
    np.testing.assert_allclose(res["std_error"], m.se()[["Inn", "Hum", "Inn:Hum"]].to_numpy(), rtol=1e-6)
    # R² of the full model (with the fixed effects) and within, against pyfixest
    np.testing.assert_allclose(res["r2_overall"], m._r2, rtol=1e-8)
    np.testing.assert_allclose(res["r2_within"], m._r2_within, rtol=1e-8)


@pytest.mark.parametrize("center", ["mean", "pretreatment_mean"])
def test_centring_identity(center):
    df = _panel(1)
    raw = moderation(df, "Pro", "Hum", controls=CONTROLS).set_index("term")
    cen = moderation(df, "Pro", "Hum", controls=CONTROLS, center=center).set_index("term")
    c = cen["center_value"].iloc[0]
    expected = df["Hum"].mean() if center == "mean" else df.loc[df["Inn"] == 0, "Hum"].mean()
    assert c == pytest.approx(expected, abs=1e-12)
    assert abs(cen.loc["Inn:Hum", "estimate"] - raw.loc["Inn:Hum", "estimate"]) < 1e-10
    assert abs(cen.loc["Hum", "estimate"] - raw.loc["Hum", "estimate"]) < 1e-10
    assert abs(cen.loc["Inn", "estimate"] - (raw.loc["Inn", "estimate"] + raw.loc["Inn:Hum", "estimate"] * c)) < 1e-10
    assert abs(cen.loc["Inn:Hum", "std_error"] - raw.loc["Inn:Hum", "std_error"]) < 1e-10


def test_standardize_and_marginal_effects():
    df = _panel(2)
    raw = moderation(df, "Pro", "Hum", controls=CONTROLS)
    std = moderation(df, "Pro", "Hum", controls=CONTROLS, center="mean", standardize=True)
    sd = df["Hum"].std(ddof=1)
    assert std.loc[2, "estimate"] == pytest.approx(raw.loc[2, "estimate"] * sd, abs=1e-10)
    grid = [1.0, 2.0, 3.0]
    me_raw = marginal_effects(raw, grid)
    me_std = marginal_effects(std, grid)
    # the marginal effect at a moderator value does not depend on centring/scaling
    np.testing.assert_allclose(me_raw["estimate"], me_std["estimate"], atol=1e-10)
    np.testing.assert_allclose(me_raw["std_error"], me_std["std_error"], rtol=1e-8)
    # at m = 0 (uncentred) the marginal effect is the Inn row
    me0 = marginal_effects(raw, [0.0])
    assert me0["estimate"].item() == pytest.approx(raw.loc[0, "estimate"], abs=1e-12)
    assert me0["std_error"].item() == pytest.approx(raw.loc[0, "std_error"], rel=1e-12)
    # dict of arguments accepted; default grid = 19 percentiles
    me = marginal_effects(dict(df=df, outcome="Pro", moderator="Hum", controls=CONTROLS))
    assert len(me) == 19 and "moderator_value" in me.columns
    assert (me["conf_low"] < me["estimate"]).all()


def test_errors():
    df = _panel()
    with pytest.raises(NQPInputError, match="center"):
        moderation(df, "Pro", "Hum", center="median")
    with pytest.raises(NQPInputError, match="missing column"):
        moderation(df, "Pro", "Dig")
    with pytest.raises(NQPInputError):
        marginal_effects(pd.DataFrame({"a": [1]}))
