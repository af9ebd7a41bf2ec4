"""Tables, series and arrays in ``attrs`` (``nqp_helpers._attrs``): pandas compares attrs in ``pd.concat`` (also
inside the repr of a long Series), which failed with "The truth value of a DataFrame is ambiguous" for DataFrame/array
values.

For the loaded panels and every estimator/helper that stores such values: concat (of copies and of different results),
repr of a truncated column, ``copy.deepcopy`` and ``pickle`` work, and the attrs contents are used as before.
"""

import copy
import pickle

import numpy as np
import pandas as pd
import pytest
from toy_panels import toy_panel, toy_skeleton

from nqp_helpers._attrs import AttrArray, AttrSeries, AttrTable, safe_attr
from nqp_helpers.data import load as load_mod
from nqp_helpers.data.load import load_panel
from nqp_helpers.estimators.bacon import bacon_decomposition
from nqp_helpers.estimators.callaway_santanna import callaway_santanna
from nqp_helpers.estimators.event_study import event_study, pretrend_test
from nqp_helpers.estimators.heterogeneity import (
    group_orderings,
    permutation_test_equal_effects,
    pooled_interaction_test,
)
from nqp_helpers.estimators.imputation import imputation_did
from nqp_helpers.estimators.moderation import marginal_effects, moderation
from nqp_helpers.estimators.placebo import placebo_test
from nqp_helpers.estimators.sun_abraham import sun_abraham
from nqp_helpers.estimators.wild_bootstrap import wild_bootstrap
from nqp_helpers.index import build_index
from nqp_helpers.index_report import per_year_index
from nqp_helpers.indicators import INDICATOR_CODES
from nqp_helpers.paths import PROCESSED_DIR

HAVE_REAL = (PROCESSED_DIR / "real_panel.csv").exists()
WRAPPED = (AttrTable, AttrSeries, AttrArray)


def _walk(value):
    """Every leaf of an attrs value (dicts, lists and tuples descended)."""
    if isinstance(value, dict):
        for v in value.values():
            yield from _walk(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _walk(v)
    else:
        yield value


def _no_raw_containers(attrs):
    """No plain DataFrame / Series / ndarray left anywhere in attrs."""
    for v in _walk(attrs):
        assert isinstance(v, WRAPPED) or not isinstance(v, (pd.DataFrame, pd.Series, np.ndarray)), type(v)


def _check_pandas_ops(obj: pd.DataFrame, keys):
    """The operations that failed: concat of two copies, truncated reprs; deepcopy/pickle keep attrs usable."""
    assert set(keys) <= set(obj.attrs), sorted(obj.attrs)
    _no_raw_containers(obj.attrs)
    other = obj.copy()  # attrs deep-copied: distinct but equal objects
    out = pd.concat([obj, other], ignore_index=True)
    assert set(out.attrs) == set(obj.attrs)  # equal attrs are kept, as pandas documents
    _no_raw_containers(out.attrs)
    with pd.option_context("display.max_rows", 4, "display.min_rows", 4):
        repr(obj[obj.columns[0]])  # head + tail concatenated
        repr(obj)
        repr(out)
    for dup in (copy.deepcopy(obj), pickle.loads(pickle.dumps(obj)), obj.iloc[:]):
        assert set(dup.attrs) == set(obj.attrs)
        for a, b in zip(_walk(dup.attrs), _walk(obj.attrs)):
            assert type(a) is type(b)
            if isinstance(a, WRAPPED):
                assert a == b  # one bool: content equality
    return out


@pytest.fixture(scope="module")
def panel():
    df = toy_panel(n_units=30, years=range(2004, 2016), cohorts=(2008, 2010, 2012), seed=4)
    df["grp"] = np.where(df["unit"] % 2 == 0, "a", "b")
    return df


# --------------------------------------------------------------------------------------------------- the mechanism
def test_safe_attr_types_and_sharing():
    df = pd.DataFrame({"a": [1.0, np.nan], "b": ["x", "y"]})
    s = pd.Series([1.0, 2.0], index=["Inn", "x"], name="coef")
    a = np.array([1.0, np.nan, 3.0])
    out = safe_attr({"t": df, "s": s, "a": a, "nest": [df, (a, 1)], "n": 3, "txt": "x", "none": None})
    assert type(out["t"]) is AttrTable and type(out["s"]) is AttrSeries and type(out["a"]) is AttrArray
    assert type(out["nest"]) is list and type(out["nest"][0]) is AttrTable and type(out["nest"][1]) is tuple
    assert out["n"] == 3 and out["txt"] == "x" and out["none"] is None
    assert safe_attr(out["t"]) is out["t"]
    assert isinstance(out["t"], pd.DataFrame) and isinstance(out["s"], pd.Series)
    assert np.asarray(out["a"]) is a  # shared, not copied
    inner = df.copy()
    inner.attrs["w"] = df
    assert type(safe_attr(inner).attrs["w"]) is AttrTable  # a table's own attrs are made safe too


def test_equality_contract():
    t = safe_attr(pd.DataFrame({"a": [1.0, np.nan]}))
    t2 = copy.deepcopy(t)
    assert type(t2) is AttrTable and t2 is not t
    assert (t == t2) is True and (t != t2) is False  # NaN equals NaN
    assert (t == safe_attr(pd.DataFrame({"a": [1.0, 2.0]}))) is False
    assert type(t == 1.0) is pd.DataFrame  # scalars: elementwise, plain result
    assert type(t == pd.DataFrame(t)) is pd.DataFrame  # plain frames: elementwise
    assert type(t.eq(t2)) is pd.DataFrame
    a, b = safe_attr(np.arange(3.0)), safe_attr(np.arange(4.0))
    assert (a == copy.deepcopy(a)) is True and (a == b) is False and (a != b) is True
    assert (a == t) is False  # different kinds
    np.testing.assert_array_equal(a == 1.0, [False, True, False])
    s = safe_attr(pd.Series([1.0, 2.0]))
    assert (s == copy.deepcopy(s)) is True and type(s == 1.0) is pd.Series


def test_operations_return_plain_types():
    t = safe_attr(pd.DataFrame({"a": [1, 2], "b": [3.0, 4.0]}))
    for r in (t[t.a == 1], t.copy(), t.set_index("a"), t.query("a > 1"), t * 2, t.loc[[0]], t.reset_index()):
        assert type(r) is pd.DataFrame
    assert type(t["a"]) is pd.Series and t.loc[0, "b"] == 3.0
    s = safe_attr(pd.Series([1.0, 2.0], index=["Inn", "x"]))
    assert s["Inn"] == 1.0 and type(s * 2) is pd.Series and type(s.to_frame()) is pd.DataFrame
    a = safe_attr(np.array([3.0, -1.0, 2.0]))
    for r in (np.abs(a), a * 2, a[a > 0], np.sort(a), np.asarray(a), a >= 1, a + np.ones(3), a.copy()):
        assert type(r) is np.ndarray
    assert a.shape == (3,) and len(a) == 3 and a.mean() == pytest.approx(4 / 3) and a.tolist() == [3.0, -1.0, 2.0]
    assert np.quantile(a, 0.5) == 2.0 and list(a) == [3.0, -1.0, 2.0]
    # pandas stores the plain array, so pandas' own comparisons stay elementwise
    ser = pd.Series(a)
    assert type(ser.array.to_numpy()) is np.ndarray
    assert (ser == pd.Series(safe_attr(np.array([3.0, 0.0, 2.0])))).tolist() == [True, False, True]


def test_concat_of_frames_with_different_attrs_drops_them():
    x = pd.DataFrame({"v": range(3)})
    y = x.copy()
    x.attrs["t"] = safe_attr(pd.DataFrame({"a": [1]}))
    y.attrs["t"] = safe_attr(pd.DataFrame({"a": [2]}))
    assert pd.concat([x, y]).attrs == {}
    x.attrs["t"] = safe_attr(pd.DataFrame({"a": [1]}))
    y.attrs["t"] = safe_attr(np.array([1]))
    assert pd.concat([x, y]).attrs == {}


# ------------------------------------------------------------------------------------------------------- the panels
def test_load_panel_semi_synthetic_toy(monkeypatch):
    monkeypatch.setattr(load_mod, "_real", lambda *a, **k: toy_skeleton(n_cities=40))
    p = load_panel(seed=2)
    _check_pandas_ops(p, ["track", "truth"])
    repr(p.year)  # the reported failure
    tr = p.attrs["truth"]
    att = tr[(tr["estimand"] == "att") & (tr["outcome"] == "Pro")]["value"]
    assert type(att) is pd.Series and len(att) == 1
    assert tr.query("estimand == 'att'").set_index("outcome")["value"].notna().all()
    e = load_panel(seed=2, weights="equal")
    _check_pandas_ops(e, ["truth", "index_weights"])
    assert set(e.attrs["index_weights"]["code"]) <= set(INDICATOR_CODES)
    pd.concat([p, e])  # different attrs: no error


def test_load_panel_user(tmp_path):
    df = toy_panel(n_units=8, years=range(2004, 2012), cohorts=(2007, 2009), seed=0)
    rng = np.random.default_rng(0)
    for c in ("lab_productivity", "lab_schooling", "mea_broadband", "obj_co2_intensity"):
        df[c] = rng.lognormal(0, 0.5, len(df))
    path = tmp_path / "panel.csv"
    df.drop(columns=["unit", "y", "Inn"]).to_csv(path, index=False)
    p = load_panel(path)
    _check_pandas_ops(p, ["track", "index_weights", "missing_indicators"])
    assert p.attrs["index_weights"].set_index("code").loc["lab_productivity", "indicator_weight"] > 0


@pytest.mark.skipif(not HAVE_REAL, reason="real track not built")
@pytest.mark.parametrize("source", ["semi_synthetic", "real"])
def test_load_panel_tracks(source):
    p = load_panel(source, seed=5)
    _check_pandas_ops(p, ["track"])
    repr(p.year)
    pd.concat([p, p.copy()])
    if source == "semi_synthetic":
        tr = p.attrs["truth"]
        assert len(tr.query("outcome == 'Pro' and estimand == 'att'")) == 1
    else:
        assert "index_weights" in p.attrs and "mea_robots" in p.attrs["missing_indicators"]


# --------------------------------------------------------------------------------------------- index and helpers
def test_build_index_weights_and_bounds():
    rng = np.random.default_rng(1)
    df = pd.DataFrame({c: rng.lognormal(0, 0.7, 40) for c in INDICATOR_CODES})
    df["year"] = np.repeat([2010, 2011], 20)
    out = build_index(df)
    _check_pandas_ops(out, ["weights", "bounds", "missing_indicators", "scheme"])
    again = build_index(df * 1.1, bounds=out.attrs["bounds"])  # reuse the bounds table
    reused = build_index(df, weights=out.attrs["weights"])  # pass the weights table back in
    np.testing.assert_allclose(reused["Pro"], out["Pro"])
    assert not np.allclose(again["Pro"], out["Pro"])
    assert out.attrs["weights"].set_index("code")["indicator_weight"].gt(0).all()
    pd.concat([out, build_index(df, weights="equal")])  # different weights: no error
    assert per_year_index(df).shape == (40, 4)


# ------------------------------------------------------------------------------------------------------ estimators
def test_moderation(panel):
    res = moderation(panel, "y", "x1", controls=["x2"])
    _check_pandas_ops(res, ["vcov", "vcov_full", "coef_full", "moderator_values", "spec"])
    assert res.attrs["vcov"].loc["Inn", "Inn"] > 0
    assert res.attrs["coef_full"]["Inn"] == pytest.approx(res.set_index("term").loc["Inn", "estimate"])
    assert res.attrs["vcov_full"].shape == (4, 4)
    assert np.asarray(res.attrs["moderator_values"]).shape == (len(panel),)
    me = marginal_effects(res)
    for dup in (copy.deepcopy(res), res.copy(), pickle.loads(pickle.dumps(res))):
        pd.testing.assert_frame_equal(marginal_effects(dup), me)
    other = moderation(panel, "y", "x2", controls=["x1"], center="mean")
    both = pd.concat([res, other], ignore_index=True)  # the reported failure: concat of two results
    assert len(both) == 6


def test_heterogeneity(panel):
    pooled = pooled_interaction_test(panel, "y", "grp", controls=["x1"])
    _check_pandas_ops(pooled, ["vcov"])
    assert pooled.attrs["vcov"].to_numpy().shape == (2, 2)
    assert len(group_orderings(panel, "y", "grp", controls=["x1"])) == 1
    perm = permutation_test_equal_effects(panel, "y", "grp", n_draws=9, seed=1)
    _check_pandas_ops(perm, ["draws"])
    draws = np.asarray(perm.attrs["draws"])
    assert draws.shape == (9,) and int(perm["n_draws"].iloc[0]) == int(np.sum(~np.isnan(draws)))
    pd.concat([pooled, perm])


def test_placebo(panel):
    res = placebo_test(panel, ["y", "x1"], n_draws=5, seed=3)
    _check_pandas_ops(res, ["draws"])
    d = res.attrs["draws"]
    y = d[d["outcome"] == "y"]
    assert type(y) is pd.DataFrame and len(y) == 5
    assert d.pivot(index="draw", columns="outcome", values="estimate").shape == (5, 2)
    pd.concat([res, placebo_test(panel, "y", n_draws=5, seed=4)])


def test_wild_bootstrap(panel):
    res = wild_bootstrap(panel, "y", controls=["x1"], n_boot=99, seed=1)
    _check_pandas_ops(res, ["t_boot", "n_ties"])
    tb = np.asarray(res.attrs["t_boot"])
    assert type(tb) is np.ndarray and tb.ndim == 1 and len(tb) == int(res["n_boot"].iloc[0])
    assert np.abs(res.attrs["t_boot"]).max() == np.abs(tb).max()
    pd.concat([res, wild_bootstrap(panel, "y", n_boot=49, seed=2)])


def test_event_time_estimators(panel):
    es = event_study(panel, "y", leads=3, lags=3)
    _check_pandas_ops(es, ["event_study"])
    f = pretrend_test(es)
    for dup in (copy.deepcopy(es), es.copy()):
        pd.testing.assert_frame_equal(pretrend_test(dup), f)
    sa = sun_abraham(panel, "y", leads=3, lags=3)
    _check_pandas_ops(sa, ["sun_abraham"])
    im = imputation_did(panel, "y", controls=["x1"])
    _check_pandas_ops(im, ["imputation"])
    cs = callaway_santanna(panel, "y")
    _check_pandas_ops(cs, ["callaway_santanna"])
    bd = bacon_decomposition(panel, "y")
    _check_pandas_ops(bd, ["twfe_estimate"])
    assert isinstance(bd.attrs["twfe_estimate"], float)
    pd.concat([es, sa, im, cs, bd], ignore_index=True)
