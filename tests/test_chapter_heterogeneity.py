"""Figure 1 table assembly and the attribution of TWFE misses."""
import numpy as np
import pandas as pd

from nqp_helpers.chapters.heterogeneity import explain_misses, figure1_rows


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
    return pd.DataFrame(rows, columns=["city_code", "year", "first_treat", "Inn", "g", "Eco", "Pro_y0", "Pro_y1",
                                       "Pro"])


def test_rows_have_both_estimators_and_exact_split():
    df = _toy()
    tr = df[df["Inn"] == 1]
    att = (tr["Pro_y1"] - tr["Pro_y0"]).groupby(tr["g"]).mean()
    truth = pd.DataFrame({"estimand": "att_by_group", "outcome": "Pro", "split": "g", "group": att.index,
                          "value": att.to_numpy()})
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
    f = pd.DataFrame([dict(split="admin", group_value="hub", estimator="subgroup_twfe", estimate=0.1, std_error=0.1,
                           truth=0.6, trend_gap=-0.45, trend_gap_se=0.14, weighting_gap=-0.05, pilot_cities=32,
                           never_treated_cities=4),
                      dict(split="admin", group_value="other", estimator="subgroup_twfe", estimate=0.5,
                           std_error=0.1, truth=0.55, trend_gap=0.0, trend_gap_se=0.01, weighting_gap=-0.05,
                           pilot_cities=60, never_treated_cities=180)])
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
