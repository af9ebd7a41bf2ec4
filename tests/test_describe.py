import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from nqp_helpers.data import describe  # noqa: E402
from nqp_helpers.data.real_panel import real_panel  # noqa: E402
from nqp_helpers.errors import NQPInputError  # noqa: E402


@pytest.fixture(scope="module")
def real():
    return real_panel()


def _toy():
    rows = []
    for code, ft, unc, reg in [(1, 2010, False, "east"), (2, 2011, True, "west"), (3, 0, False, "east")]:
        for y in (2009, 2010, 2011, 2012):
            rows.append(
                dict(
                    city_code=code,
                    year=y,
                    first_treat=ft,
                    pilot_year_uncertain=unc,
                    region=reg,
                    Eco=float(y) if y > 2009 else None,
                    Pro=1.0,
                )
            )
    return pd.DataFrame(rows)


def test_counts_and_rollout_on_toy():
    p = _toy()
    assert describe.sample_counts(p) == {
        "n_cities": 3,
        "n_pilots": 2,
        "n_never": 1,
        "n_obs": 12,
        "year_min": 2009,
        "year_max": 2012,
    }
    r = describe.rollout_table(p)
    assert r["approval_year"].tolist() == [2010, 2011] and r["n_year_uncertain"].tolist() == [0, 1]
    assert r["batch"].tolist() == [2, 3]
    cov = describe.coverage_by_year(p)
    assert cov.loc["Eco", 2009] == 0 and cov.loc["Eco", 2010] == 1
    st = describe.describe_panel(p).set_index("variable")
    assert st.loc["Eco", "N"] == 9 and st.loc["Pro", "sd"] == 0
    sh = describe.region_shares(p)
    assert sh.loc["east", "pilots"] == 0.5 and sh.loc["east", "never_treated"] == 1.0


def test_paper_counts():
    pc = describe.paper_counts()
    assert pc == {"n_obs": 5560, "n_cities": 278, "n_pilots": 97, "n_never": 181}


def test_real_sample_comparison_and_pilots_out(real):
    c = describe.sample_comparison(real).set_index("quantity")
    assert c.loc["cities", "ours"] == real["city_code"].nunique()
    assert c.loc["cities", "paper"] == 278
    out = describe.pilots_not_in_sample(real)
    assert (out["exclusion_reason"] != "").all() and len(out) == 6
    # under treat_parent the municipal district pilots treat their parent, so they are not "out"
    out_tp = describe.pilots_not_in_sample(real_panel(district_pilots="treat_parent"))
    assert len(out_tp) == 2


def test_pilot_years_table_conserves_pilots(real):
    t = describe.pilot_years_table().set_index("first_treat")
    assert (t.loc["pilots total"] == describe.sample_counts(real)["n_pilots"]).all()
    assert t.loc["2010", "earliest"] > t.loc["2010", "default"]
    assert t.loc["2013", "latest"] > t.loc["2013", "default"]
    assert describe.n_uncertain_pilots() == describe.rollout_table(real)["n_year_uncertain"].sum() > 0


def test_figures(real):
    f1 = describe.rollout_chart(real)
    f2 = describe.coverage_heatmap(describe.coverage_by_year(real))
    assert f1.axes and f2.axes
    plt.close("all")


def test_errors():
    with pytest.raises(NQPInputError, match="first_treat"):
        describe.sample_counts(pd.DataFrame({"city_code": [1], "year": [2010]}))
    with pytest.raises(NQPInputError, match="track"):
        describe.track_scope("nope")
    with pytest.raises(NQPInputError):
        describe.coverage_by_year(pd.DataFrame({"city_code": [1], "year": [2010]}))


def test_geography_numbers_on_toy():
    num = describe.geography_numbers(_toy(), map_rate=2 / 3)
    assert num == {"map_rate": 2 / 3, "map_found": 2, "east_pilots": 0.5, "east_never": 1.0}


def test_pilot_geography_on_the_real_sample(real):
    fig, num = describe.pilot_geography(real)
    assert num["map_rate"] == 1.0 and num["map_found"] == real["city_code"].nunique()
    shares = describe.region_shares(real)
    assert num["east_pilots"] == shares.loc["east", "pilots"] and 0 < num["east_never"] < num["east_pilots"] < 1
    assert "CTAmap" in fig.caption
    plt.close(fig)


def test_coverage_numbers():
    cov = pd.DataFrame({2022: [1.0, 0.95], 2023: [1.0, 0.874]}, index=["Eco", "Ope"])
    assert describe.coverage_numbers(cov, "real") == {"coverage_of": "the panel in use", "ope_2023": "87%"}
    semi = describe.coverage_numbers(cov.drop(index="Ope"), "semi_synthetic")
    assert semi["coverage_of"].startswith("the real public data") and semi["ope_2023"] == "—"
    assert describe.coverage_numbers(cov[[2022]], "user")["ope_2023"] == "—"
