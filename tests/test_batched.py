"""Batched DiD cores (``nqp_helpers.estimators.batched``): each core equals its tidy wrapper to 1e-10 (estimate, SE,
interval), with controls and several cluster levels where the core supports them; a batch equals one-by-one fits."""

import numpy as np
import pytest
from toy_panels import toy_panel

from nqp_helpers.errors import NQPInputError
from nqp_helpers.estimators.batched import BJSCore, CSCore, SACore, TWFECore
from nqp_helpers.estimators.callaway_santanna import callaway_santanna
from nqp_helpers.estimators.imputation import imputation_did
from nqp_helpers.estimators.sun_abraham import sun_abraham
from nqp_helpers.estimators.twfe import twfe

KEYS = ("estimate", "std_error", "conf_low", "conf_high")


@pytest.fixture(scope="module")
def panel():
    """A staggered panel with effects that grow with exposure and differ by cohort (so the four estimators differ)."""
    p = toy_panel(n_units=60, seed=3)
    rng = np.random.default_rng(5)
    e = np.where(p["Inn"] == 1, p["year"] - p["first_treat"], 0)
    p["y"] = p["y"] + p["Inn"] * (0.2 * np.minimum(e, 6) + 0.03 * (2016 - p["first_treat"]))
    p["y2"] = p["y"] + rng.normal(0, 1, len(p))
    return p


def _close(fast, row, rel=1e-10):
    for k in KEYS:
        assert fast[k] == pytest.approx(float(row[k]), rel=rel, abs=1e-12), k


@pytest.mark.parametrize("cluster", ["city_code", "cluster"])
def test_twfe_core_equals_twfe(panel, cluster):
    core = TWFECore(panel, controls=["x1", "x2"], clusters=["city_code", "cluster"])
    fits = core.fit_all(panel[["y", "y2"]].to_numpy())
    for j, y in enumerate(("y", "y2")):
        row = twfe(panel, y, controls=["x1", "x2"], cluster=cluster).query("term == 'Inn'").iloc[0]
        _close({k: v[j] for k, v in fits[cluster].items()}, row)
        _close(core.fit(panel[y].to_numpy(), cluster=cluster), row)


def test_sa_core_equals_sun_abraham(panel):
    g = panel["first_treat"]
    lags = int((panel["year"] - g)[g > 0].max())
    row = sun_abraham(panel, "y", lags=lags).query("aggregation == 'att'").iloc[0]
    _close(SACore(panel).fit(panel["y"].to_numpy()), row)
    # a shorter window: the post average over 0..3
    row3 = sun_abraham(panel, "y", lags=3).query("aggregation == 'att'").iloc[0]
    _close(SACore(panel, lags=3).fit(panel["y"].to_numpy()), row3)


def test_cs_core_equals_callaway_santanna(panel):
    for y in ("y", "y2"):
        row = (
            callaway_santanna(panel, y, aggregation="simple").query("aggregation == 'simple' and term == 'ATT'").iloc[0]
        )
        _close(CSCore(panel).fit(panel[y].to_numpy()), row)


@pytest.mark.parametrize("cluster", ["city_code", "cluster"])
def test_bjs_core_equals_imputation(panel, cluster):
    core = BJSCore(panel, controls=["x1", "x2"], clusters=["city_code", "cluster"])
    row = imputation_did(panel, "y", controls=["x1", "x2"], cluster=cluster, horizons=[]).query("term == 'att'").iloc[0]
    _close(core.fit(panel["y"].to_numpy(), cluster=cluster), row)
    _close(core.fit_all(panel["y"].to_numpy())[cluster], row)
    plain = imputation_did(panel, "y", horizons=[]).query("term == 'att'").iloc[0]
    _close(BJSCore(panel).fit(panel["y"].to_numpy()), plain)


@pytest.mark.parametrize("make", [TWFECore, SACore, CSCore, BJSCore])
def test_batch_equals_one_by_one(panel, make):
    core = make(panel)
    Y = panel[["y", "y2", "x1"]].to_numpy()
    batch = core.fit(Y)
    for j in range(Y.shape[1]):
        one = core.fit(Y[:, j])
        for k in KEYS:
            assert batch[k][j] == pytest.approx(one[k], rel=1e-12, abs=1e-14)


def test_bad_design(panel):
    with pytest.raises(NQPInputError, match="x1"):
        TWFECore(panel.assign(x1=panel["x1"].where(panel.index != 5)), controls=["x1"])
    with pytest.raises(NQPInputError, match="never-treated"):
        SACore(panel[panel["first_treat"] > 0])
    with pytest.raises(NQPInputError, match="balanced"):
        CSCore(panel.drop(index=3))
    with pytest.raises(NQPInputError, match="rows"):
        TWFECore(panel).fit(np.zeros(7))
