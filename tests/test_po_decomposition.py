"""po_decomposition: the two terms add up to the iv_twfe / twfe coefficient; the bias term is ~0 when the instrument
is unrelated to y0 and picks up a direct effect of the instrument when it is not."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nqp_helpers.errors import NQPInputError
from nqp_helpers.estimators.iv import iv_twfe
from nqp_helpers.estimators.po_decomposition import po_decomposition
from nqp_helpers.estimators.twfe import twfe


def _panel(n=120, T=14, seed=3, direct=0.0, drop=0.0):
    rng = np.random.default_rng(seed)
    u = np.repeat(np.arange(n), T)
    t = np.tile(np.arange(T), n)
    base = rng.lognormal(size=n)
    shift = np.linspace(1, 2, T)
    z = base[u] * shift[t]
    latent = 0.8 * z + rng.normal(size=n)[u] + rng.normal(size=n * T)
    d = (latent > np.quantile(latent, 0.6)).astype(float)
    w = rng.normal(size=n * T)
    y0 = rng.normal(size=n)[u] + 0.1 * t + 0.4 * w + direct * z + rng.normal(size=n * T)
    tau = 1.0 + 0.5 * rng.normal(size=n)[u]
    y1 = y0 + tau
    df = pd.DataFrame({"u": u, "t": t, "z": z, "d": d, "w": w, "y0": y0, "y1": y1, "y": np.where(d > 0, y1, y0)})
    if drop:
        df = df.sample(frac=1 - drop, random_state=seed).sort_index()
    return df


@pytest.mark.parametrize("drop", [0.0, 0.15])
@pytest.mark.parametrize("controls", [(), ("w",)])
def test_iv_terms_add_up(drop, controls):
    df = _panel(drop=drop)
    r = po_decomposition(df, "y", "y0", "y1", endog="d", instrument="z", unit="u", time="t", controls=controls)
    b = iv_twfe(df, "y", endog="d", instruments=["z"], unit="u", time="t", controls=list(controls))
    assert r["estimate"] == pytest.approx(b.loc[b.term == "d", "estimate"].iloc[0], rel=1e-8)
    assert r["bias_term"] + r["weighted_effect"] == pytest.approx(r["estimate"], rel=1e-10)
    assert r["n_obs"] == len(df)


def test_ols_special_case_matches_twfe():
    df = _panel()
    r = po_decomposition(df, "y", "y0", "y1", endog="d", unit="u", time="t", controls=["w"])
    b = twfe(df, "y", "d", "u", "t", controls=["w"])
    assert r["estimate"] == pytest.approx(b.loc[b.term == "d", "estimate"].iloc[0], rel=1e-8)


def test_direct_effect_shows_up_in_bias_term():
    clean = po_decomposition(_panel(direct=0.0), "y", "y0", "y1", endog="d", instrument="z", unit="u", time="t")
    bad = po_decomposition(_panel(direct=0.5), "y", "y0", "y1", endog="d", instrument="z", unit="u", time="t")
    assert abs(clean["bias_term"]) < 0.35 * abs(bad["bias_term"])
    assert bad["bias_term"] > 0.5
    assert clean["weighted_effect"] == pytest.approx(bad["weighted_effect"], rel=1e-12)  # same d, same tau


def test_rejects_inconsistent_outcome():
    df = _panel()
    df.loc[df.index[0], "y"] += 1.0
    with pytest.raises(NQPInputError, match="not exact"):
        po_decomposition(df, "y", "y0", "y1", endog="d", instrument="z", unit="u", time="t")
