import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from nqp_helpers.errors import NQPInputError  # noqa: E402
from nqp_helpers.maps import CTAMAP_CREDIT, match_rate, pilot_map, prefecture_codes  # noqa: E402
from nqp_helpers.paths import PROCESSED_DIR  # noqa: E402


@pytest.fixture(scope="module")
def roster():
    r = pd.read_csv(PROCESSED_DIR / "roster.csv")
    return r[r["included"]]


def test_every_roster_city_is_on_the_map(roster):
    rate, missing = match_rate(roster["city_code"])
    print(f"map matching rate: {rate:.1%} of {len(roster)} roster cities")
    assert missing == [] and rate == 1.0
    assert len(prefecture_codes()) > 330


def test_pilot_map_from_panel_returns_figure(roster):
    years = [2010, 2011]
    panel = pd.DataFrame(
        [(c, y, 2011 if i % 3 == 0 else 0) for i, c in enumerate(roster["city_code"]) for y in years],
        columns=["city_code", "year", "first_treat"],
    )
    fig = pilot_map(panel)
    assert isinstance(fig, Figure)
    assert fig.match_rate == 1.0
    assert "CTAmap" in fig.caption and "non-commercial" in fig.caption and CTAMAP_CREDIT in fig.caption
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any(t.startswith("2011") for t in labels) and any("never" in t for t in labels)
    assert any("not in sample" in t for t in labels)
    plt.close(fig)


def test_pilot_map_from_pilot_table_and_given_axes():
    pilots = pd.read_csv(PROCESSED_DIR / "pilots.csv")
    fig, ax = plt.subplots()
    out = pilot_map(pilots, ax=ax)
    assert out is fig
    plt.close(fig)


def test_pilot_map_rejects_bad_input():
    with pytest.raises(NQPInputError, match="first_treat"):
        pilot_map(pd.DataFrame({"city_code": [110000], "year": [2010]}))
