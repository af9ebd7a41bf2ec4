"""Chapter 07 report module: Figure 1 table assembly, the attribution of TWFE misses, the group counts, the tests
of equal effects and the check of the paper's heterogeneity claims."""

import matplotlib
import numpy as np
import pandas as pd
import pytest

from nqp_helpers.chapters import heterogeneity as het
from nqp_helpers.chapters.heterogeneity import explain_misses, figure1_rows
from nqp_helpers.errors import NQPInputError
from nqp_helpers.reported import heterogeneity_claims
from nqp_helpers.variables import CONTROLS

matplotlib.use("Agg")


def _toy(seed=0, n=60, years=range(2004, 2016)):
    rng = np.random.default_rng(seed)
    rows = []
    ft = rng.choice([0, 2008, 2010, 2012], size=n)
    grp = np.where(np.arange(n) < n // 2, "a", "b")
    for i in range(n):
        a = rng.normal()
        for j, t in enumerate(years):
            inn = int(ft[i] > 0 and t >= ft[i])
            y0 = a + 0.1 * j + rng.normal(scale=0.3)
            y1 = y0 + (0.5 if grp[i] == "a" else 1.0)
            rows.append((i, t, ft[i], inn, grp[i], rng.normal(), y0, y1, y1 if inn else y0))
    return pd.DataFrame(
        rows, columns=["city_code", "year", "first_treat", "Inn", "g", "Eco", "Pro_y0", "Pro_y1", "Pro"]
    )


def test_rows_have_both_estimators_and_exact_split():
    df = _toy()
    tr = df[df["Inn"] == 1]
    att = (tr["Pro_y1"] - tr["Pro_y0"]).groupby(tr["g"]).mean()
    truth = pd.DataFrame(
        {"estimand": "att_by_group", "outcome": "Pro", "split": "g", "group": att.index, "value": att.to_numpy()}
    )
    r = figure1_rows(df, "Pro", "g", ["Eco"], truth)
    assert set(r["estimator"]) == {"subgroup_twfe", "imputation_bjs"} and len(r) == 4
    tw = r[r["estimator"] == "subgroup_twfe"]
    # TWFE = trend gap + effect part = trend gap + weighting gap + truth (exact, OLS is linear in y)
    np.testing.assert_allclose(tw["estimate"], tw["trend_gap"] + tw["weighting_gap"] + tw["truth"], atol=1e-10)
    assert (r["never_treated_cities"] > 0).all()
    # constant effects within groups and parallel trends: the robust rows are close to the truth
    rb = r[r["estimator"] == "imputation_bjs"]
    assert ((rb["estimate"] - rb["truth"]).abs() < 4 * rb["std_error"]).all()


def test_explain_misses_names_the_larger_part():
    f = pd.DataFrame(
        [
            dict(
                split="admin",
                group_value="hub",
                estimator="subgroup_twfe",
                estimate=0.1,
                std_error=0.1,
                truth=0.6,
                trend_gap=-0.45,
                trend_gap_se=0.14,
                weighting_gap=-0.05,
                pilot_cities=32,
                never_treated_cities=4,
            ),
            dict(
                split="admin",
                group_value="other",
                estimator="subgroup_twfe",
                estimate=0.5,
                std_error=0.1,
                truth=0.55,
                trend_gap=0.0,
                trend_gap_se=0.01,
                weighting_gap=-0.05,
                pilot_cities=60,
                never_treated_cities=180,
            ),
        ]
    )
    txt = explain_misses(f)
    assert "admin = hub" in txt and "mostly the trend gap" in txt and "4 never-treated" in txt
    assert "other" not in txt
    assert "No split-sample TWFE" in explain_misses(f.iloc[1:])
    assert "not known" in explain_misses(f.drop(columns="truth"))


def test_robust_row_says_why_when_not_estimable():
    from nqp_helpers.estimators.heterogeneity import subgroup_robust

    df = _toy()
    # group "b": every city treated from 2008 on, so no untreated city-year is left in 2008-2015
    b = df["g"] == "b"
    df.loc[b, "first_treat"] = 2008
    df.loc[b, "Inn"] = (df.loc[b, "year"] >= 2008).astype(int)
    r = subgroup_robust(df, "Pro", "g", controls=["Eco"]).set_index(["group_value", "estimator"])
    assert np.isnan(r.at[("b", "imputation_bjs"), "estimate"])
    assert "not estimable" in r.at[("b", "imputation_bjs"), "note"]
    assert np.isfinite(r.at[("a", "imputation_bjs"), "estimate"])


def _paper_like(seed=0):
    """The toy panel with the split ``admin`` (hub = group a, other = group b) and the paper's six controls."""
    df = _toy(seed).rename(columns={"g": "admin"})
    df["admin"] = df["admin"].map({"a": "hub", "b": "other"})
    rng = np.random.default_rng(seed)
    for c in CONTROLS:
        df[c] = rng.normal(size=len(df))
    return df


def test_counts_by_hand():
    d = pd.DataFrame(
        {
            "city_code": [1, 1, 2, 3, 4],
            "first_treat": [2010, 2010, 0, np.nan, 2012],
            "admin": ["hub", "hub", "hub", "other", "other"],
            "industrial": ["old_base", "old_base", "unknown", "unknown", "non_old_base"],
        }
    )
    c = het.subgroup_counts(d, ["admin", "industrial"]).set_index(["split", "group"])
    assert c.at[("admin", "hub"), "cities"] == 2 and c.at[("admin", "hub"), "pilot_cities"] == 1
    assert c.at[("industrial", "unknown"), "cities"] == 2
    v = het.count_values(d, c.reset_index(), ["admin", "industrial"])
    assert v["n_unknown_oib"] == "2" and v["n_cities"] == "4"
    assert (
        v["few_pilot_groups"] == "admin = hub (1); admin = other (1); industrial = non_old_base (1); "
        "industrial = old_base (1)"
    )
    assert het.count_values(d, c.reset_index(), ["admin"])["n_unknown_oib"] == "0"


def test_usable_sets_aside_groups_without_variation():
    d = _paper_like()
    d.loc[d["admin"] == "other", "Inn"] = 0
    x, dropped = het.usable(d, "admin", "Pro")
    assert set(x["admin"]) == {"hub"} and list(dropped) == ["other"]
    with pytest.raises(NQPInputError, match="Eco"):
        het.check_columns(d.drop(columns="Eco"), "Pro")


def test_figure1_table_equality_tests_and_figure():
    d = _paper_like()
    counts = het.subgroup_counts(d, ["admin"])
    f = het.figure1_table(d, ["admin"], counts, "Pro", None, "user")
    assert list(f["group_value"]) == ["hub", "hub", "other", "other"]  # the paper's order, TWFE first
    assert list(f["estimator"][:2]) == ["subgroup_twfe", "imputation_bjs"] and (f["panel"] == "1c").all()
    assert list(f.columns) == [c for c in het.FIGURE1_COLUMNS if c in f]
    tests, pairs = het.equality_tests(d, ["admin"], "Pro", n_perm=19, seed=1, alpha=0.05, track="user")
    assert tests.iloc[0]["groups"] == 2 and 0 < tests.iloc[0]["p_permutation"] <= 1 and len(pairs) == 1
    fig = het.figure1_figure(f, ["admin"], "Pro")
    assert len(fig.axes) == 4 and len(fig.legends) == 1
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    leg = fig.legends[0].get_window_extent(r)
    assert all(leg.y1 <= ax.get_window_extent(r).y0 + 1 for ax in fig.axes)  # under every panel, on no data
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_claims_file_matches_the_splits():
    c = heterogeneity_claims()
    assert len(c) == 17 and c["claim_id"].is_unique
    for r in c.itertuples():
        groups = het.SPLITS[r.split][2]
        assert r.group_a in groups and (r.group_b in groups if r.kind == "greater" else r.group_b == "")
        assert f"({het.SPLITS[r.split][0]})" in r.quote_zh and r.figure_panel == het.SPLITS[r.split][0]
