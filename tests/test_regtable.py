"""Paper-layout regression tables: numbering, stars, SE beneath, paper and truth rows, CSV + LaTeX export."""

import math

import pandas as pd
import pytest

from nqp_helpers.display import MISSING
from nqp_helpers.errors import NQPInputError
from nqp_helpers.regtable import paper_layout, render_html, save_regtable, to_latex
from nqp_helpers.reported import reported


def _fit(outcome, est, se, p, controls, n=5000, r2=0.9):
    return pd.DataFrame(
        {
            "term": ["Inn", "const"],
            "estimate": [est, 1.5],
            "std_error": [se, 0.7],
            "p_value": [p, 0.2],
            "n_obs": [n, n],
            "r2_overall": [r2, r2],
            "outcome": [outcome] * 2,
            "controls": [controls] * 2,
        }
    )


@pytest.fixture
def fits():
    return {
        "a": _fit("Pro", 0.41234, 0.1, 0.004, False),
        "b": _fit("Pro", 0.2, 0.15, 0.2, True),
        "c": _fit("Lab", -0.05, 0.01, 0.03, True),
    }


def test_layout_numbers_stars_and_paper(fits):
    rt = paper_layout(fits, ["Inn", "const"], table=2, column_of={"a": 1, "b": 2, "c": 4}, truth={"Pro": 0.45})
    cells = rt.cells
    assert list(cells.columns) == [("Pro", "(1)"), ("Pro", "(2)"), ("Lab", "(4)")]
    inn = cells.loc["Pilot (Inn)"]
    assert inn.loc["Ours"].tolist() == ["0.412***", "0.200", "-0.050**"]
    assert inn.loc["Ours SE"].tolist() == ["(0.100)", "(0.150)", "(0.010)"]
    p1 = reported(2, "Pro", "baseline_no_controls").iloc[0]
    assert inn.loc["Paper"].iloc[0] == f"{p1['coef']:.3f}{p1['stars']}"
    assert inn.loc["Truth"].tolist() == ["0.450", "0.450", MISSING]  # no truth for Lab given -> "—" and a note
    assert cells.loc[("Specification", "Controls")].tolist() == ["No", "Yes", "Yes"]
    assert cells.loc[("Statistics", "N (ours)")].tolist() == ["5,000"] * 3
    assert cells.loc[("Statistics", "N (paper)")].iloc[0] == f"{int(p1['n']):,}"
    assert any(MISSING in n for n in rt.notes) and any("Truth" in n for n in rt.notes)
    # the numbers keep full precision
    num = rt.numbers
    ours = num[(num["model"] == "a") & (num["row"] == "Inn") & (num["source"] == "ours")]
    assert ours["estimate"].iloc[0] == 0.41234


def test_truth_of_another_term(fits):
    rt = paper_layout(
        fits,
        ["Inn", "const"],
        table=2,
        truth={"Pro": 0.3, "Lab": 0.1},
        truth_term="const",
        truth_note="Truth: the true slope.",
    )
    assert "Truth" not in rt.cells.loc["Pilot (Inn)"].index
    assert rt.cells.loc[("Constant", "Truth")].tolist() == ["0.300", "0.300", "0.100"]
    assert "Truth: the true slope." in rt.notes and not any("average effect" in n for n in rt.notes)


def test_no_truth_rows_without_truth_and_missing_term(fits):
    rt = paper_layout(fits, ["Inn", "Eco"], table=2)
    assert "Truth" not in rt.cells.loc["Pilot (Inn)"].index
    assert (rt.cells.loc[("Eco", "Ours")] == MISSING).all()
    assert not any(n.startswith("Truth") for n in rt.notes)
    with pytest.raises(NQPInputError, match="no models"):
        paper_layout({}, ["Inn"])
    with pytest.raises(NQPInputError, match="term"):
        paper_layout({"x": pd.DataFrame({"estimate": [1.0]})}, ["Inn"])


def test_render_and_export(fits, tmp_path, monkeypatch):
    monkeypatch.setenv("NQP_RESULTS_DIR", str(tmp_path))
    rt = paper_layout(fits, ["Inn"], table=2, caption="Table 2 rebuilt")
    html = render_html(rt)
    assert "(1)" in html and "0.412***" in html and "nan" not in html.lower().replace("nanum", "")
    assert "Table 2 rebuilt" in html
    tex = to_latex(rt)
    assert "\\toprule" in tex and "0.412***" in tex
    csv, texfile = save_regtable(rt, "table2_layout", "03_t2_baseline")
    assert csv.is_file() and texfile.read_text(encoding="utf-8") == tex
    back = pd.read_csv(csv)
    assert math.isclose(
        back.loc[(back["model"] == "a") & (back["row"] == "Inn") & (back["source"] == "ours"), "estimate"].iloc[0],
        0.41234,
    )
