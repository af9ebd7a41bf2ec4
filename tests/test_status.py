"""Replication status page: synthetic results folders (every status word), the README agreeing with exhibits()."""

import math

import pandas as pd
import pytest

from nqp_helpers import status as S
from nqp_helpers.paths import REPO_ROOT
from nqp_helpers.reported import exhibits
from nqp_helpers.variables import CONTROLS


def _write(base, rel, df):
    p = base / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(p, index=False)
    return p


def _cmp_table(spec, outcome, term, estimate, p_value, table, track=None, **extra):
    """A compare_to_paper-shaped output with the headline row and a distractor row."""
    d = pd.DataFrame(
        {
            "table": [table, table],
            "column": [1, 2],
            "spec": [spec, "other_spec"],
            "outcome": [outcome, outcome],
            "term": [term, term],
            "estimate": [estimate, 99.0],
            "std_error": [0.1, 0.1],
            "p_value": [p_value, 0.5],
            **{k: [v, v] for k, v in extra.items()},
        }
    )
    if track is not None:
        d["track"] = track
    return d


def _row(st_df, output):
    r = st_df[st_df["output"] == output]
    assert len(r) == 1
    return r.iloc[0]


def test_empty_folder_every_output_missing(tmp_path):
    st_df = S.replication_status(tmp_path, track="semi_synthetic")
    n_out = sum(len(o.split("; ")) for o in exhibits()["outputs"])
    assert len(st_df) == n_out and list(st_df.columns) == S.STATUS_COLUMNS
    assert (st_df["status"] == S.MISSING).all()
    r = _row(st_df, "03_t2_baseline/table2.csv")
    assert r["paper"] == pytest.approx(0.413) and r["paper_stars"] == "***" and math.isnan(r["ours"])
    assert "03_t2_baseline.py" in r["note"]


def test_status_words(tmp_path):
    _write(
        tmp_path,
        "03_t2_baseline/table2.csv",
        _cmp_table("baseline_controls", "Pro", "Inn", 0.55, 0.001, 2, track="semi_synthetic", truth=0.565),
    )
    _write(tmp_path, "04_t3_psm_did/table3.csv", _cmp_table("psm_radius", "Pro", "Inn", 0.30, 0.40, 3))  # not signif.
    _write(tmp_path, "05_t4_iv/table4.csv", _cmp_table("iv_nightlight_1997", "Pro", "Inn", -0.2, 0.01, 4))  # sign
    _write(
        tmp_path,
        "06_t5_t7_amplification/table5.csv",
        _cmp_table("moderation_Hum", "Pro", "Inn:Hum", float("nan"), float("nan"), 5),
    )
    _write(tmp_path, "06_t5_t7_amplification/table6.csv", pd.DataFrame({"a": [1]}))  # no headline
    (tmp_path / "06_t5_t7_amplification" / "table7.csv").write_text("")  # empty file
    _write(tmp_path, "07_f1_heterogeneity/figure1.csv", pd.DataFrame({"group": ["a"], "estimate": [0.1]}))
    st_df = S.replication_status(tmp_path, track="semi_synthetic")
    r = _row(st_df, "03_t2_baseline/table2.csv")
    assert r["status"] == S.SAME and r["ours"] == pytest.approx(0.55) and r["ours_stars"] == "***"
    assert r["difference"] == pytest.approx(0.55 - 0.413) and r["truth"] == pytest.approx(0.565)
    assert _row(st_df, "04_t3_psm_did/table3.csv")["status"] == S.DIFFERS
    assert "not here" in _row(st_df, "04_t3_psm_did/table3.csv")["note"]
    assert "sign differs" in _row(st_df, "05_t4_iv/table4.csv")["note"]
    assert _row(st_df, "06_t5_t7_amplification/table5.csv")["status"] == S.NOT_RUN
    assert _row(st_df, "06_t5_t7_amplification/table6.csv")["status"] == S.UNREADABLE
    assert _row(st_df, "06_t5_t7_amplification/table7.csv")["status"] == S.UNREADABLE
    assert _row(st_df, "07_f1_heterogeneity/figure1.csv")["status"] == S.NO_PAPER_NUMBER
    assert _row(st_df, "02_t1_index/table1.csv")["status"] == S.MISSING
    assert set(st_df["status"]) <= set(S.STATUS_WORDS)
    counts = S.status_counts(st_df)
    assert list(counts["status"]) == list(S.STATUS_WORDS) and counts["n"].sum() == len(st_df)


def test_track_mismatch_and_missing_columns(tmp_path):
    _write(
        tmp_path,
        "03_t2_baseline/table2.csv",
        _cmp_table("baseline_controls", "Pro", "Inn", 0.5, 0.01, 2, track="semi_synthetic"),
    )
    _write(tmp_path, "06_t5_t7_amplification/table5.csv", _cmp_table("moderation_Hum", "Pro", "Inn:Hum", 0.3, 0.01, 5))
    st_df = S.replication_status(tmp_path, track="real", available_columns=["Pro", "Inn", *CONTROLS])
    r = _row(st_df, "03_t2_baseline/table2.csv")
    assert r["status"] == S.NOT_RUN and "semi_synthetic" in r["note"]
    r5 = _row(st_df, "06_t5_t7_amplification/table5.csv")  # stale file ignored: the track has no Hum
    assert r5["status"] == S.NOT_RUN and "Hum" in r5["note"]


def test_truth_from_panel_truth_table(tmp_path):
    truth = pd.DataFrame(
        {
            "outcome": ["Pro", "Pro"],
            "estimand": ["att", "interaction"],
            "split": ["", "Dig"],
            "group": ["", "Dig"],
            "value": [0.5, 0.2],
            "n_obs": [10, 10],
        }
    )
    st_df = S.replication_status(tmp_path, truth=truth)
    assert _row(st_df, "03_t2_baseline/table2.csv")["truth"] == pytest.approx(0.5)
    assert _row(st_df, "06_t5_t7_amplification/table6.csv")["truth"] == pytest.approx(0.2)
    assert math.isnan(_row(st_df, "06_t5_t7_amplification/table5.csv")["truth"])


def test_readme_table_matches_exhibits():
    t = S.readme_table()
    ex = exhibits()
    assert list(t["exhibit"]) == list(ex["exhibit"]) and list(t["notebook"]) == list(ex["notebook"])
    md = S.readme_markdown()
    assert S.readme_missing("## List of tables and programs\n\n" + md) == []
    assert S.readme_missing("## Something else\n") == ["section 'List of tables and programs'"]
    assert "Figure 1" in S.readme_missing("## List of tables and programs\n\nTable 1 only\n## Next\nFigure 1\n")


def test_readme_lists_every_exhibit():
    """README.md's "List of tables and programs" names every exhibit, its notebook and its output file(s).

    Paste ``nqp_helpers.status.readme_markdown()`` under that heading to satisfy it.
    """
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert S.readme_section(text).strip(), "README.md has no 'List of tables and programs' section"
    missing = S.readme_missing(text)
    assert not missing, f"README.md 'List of tables and programs' lacks: {missing}"


def test_two_candidate_rows_without_a_spec_column_are_not_guessed(tmp_path):
    """A table with both models (no / with controls) but no spec column must not yield the first row silently."""
    d = _cmp_table("x", "Pro", "Inn", 0.5, 0.001, 2).drop(columns="spec")
    _write(tmp_path, "03_t2_baseline/table2.csv", d)
    r = _row(S.replication_status(tmp_path, track="semi_synthetic"), "03_t2_baseline/table2.csv")
    assert r["status"] == S.UNREADABLE and "no spec column" in r["note"]


# ------------------------------------------------------------------------------------------- exhibit verdicts
REAL_COLS = ["Pro", "Inn", *CONTROLS, "iv_ntl"]


def test_semi_verdict_words():
    assert S.semi_verdict(0.50, 0.05, 0.55) == S.SEMI_RECOVERS  # |diff| = 1 SE
    assert S.semi_verdict(0.50, 0.01, 0.55) == S.SEMI_MISSES  # 5 SE away
    assert S.semi_verdict(0.50, float("nan"), 0.55) == "—"
    assert "reproduc" not in S.SEMI_RECOVERS + S.SEMI_MISSES


def test_exhibit_verdicts_both_tracks(tmp_path):
    semi, real = tmp_path / "semi", tmp_path / "real"
    _write(
        semi,
        "03_t2_baseline/table2.csv",
        _cmp_table("baseline_controls", "Pro", "Inn", 0.55, 0.001, 2, truth=0.6, n_obs=5560),
    )
    _write(semi, "04_t3_psm_did/table3.csv", _cmp_table("psm_radius", "Pro", "Inn", 0.10, 0.001, 3, truth=0.6))
    _write(real, "03_t2_baseline/table2.csv", _cmp_table("baseline_controls", "Pro", "Inn", 0.2, 0.001, 2, n_obs=1234))
    _write(real, "04_t3_psm_did/table3.csv", _cmp_table("psm_radius", "Pro", "Inn", 0.2, 0.6, 3, n_obs=999))
    runs = {"runs": [{"chapter": "05_t4_iv", "status": "failed", "error": "ValueError: boom"}]}
    attrs = {"missing_dimensions": ["Mea"], "missing_indicators": ["mea_robots"]}
    v = S.exhibit_verdicts(semi, real, REAL_COLS, attrs, None, runs).set_index("headline")
    t2 = v.loc["Inn on Pro (Table 2)"]
    assert t2["real_verdict"] == S.REAL_SAME and t2["real_n"] == 1234 and t2["real"] == pytest.approx(0.2)
    assert "proxies: Gov, Fix, Tra" in t2["real_caveat"] and "no Mea" in t2["real_caveat"]
    assert t2["semi_verdict"] == S.SEMI_RECOVERS and t2["truth"] == pytest.approx(0.6)  # |0.05| < 1.96 × 0.1
    t3 = v.loc["Inn on Pro (Table 3)"]
    assert t3["real_verdict"].startswith(S.REAL_DIFFERS + ":") and t3["semi_verdict"] == S.SEMI_MISSES
    t4 = v.loc["Inn on Pro (Table 4)"]
    assert t4["real_verdict"] == f"{S.NOT_ESTIMABLE}: the real panel lacks iv_lzh"
    t5 = v.loc["interaction Inn×Hum on Pro (Table 5)"]
    assert t5["exhibit"] == "Table 5"
    assert t5["real_verdict"].startswith(S.NOT_ESTIMABLE) and "Hum" in t5["real_verdict"]
    shown = S.verdict_display(v.reset_index())
    assert "nan" not in shown.to_string().lower()
    assert (
        shown.loc[shown["Exhibit"] == "Table 2", "Real data: estimate (SE), N"].iloc[0] == "0.200*** (0.100), N = 1,234"
    )
    text = S.summary_paragraph(v.reset_index())
    assert "1 keeps the paper's sign and significance" in text and "(Table 2)" in text
    assert "N = 1,234" in text and "1 of 2 headline coefficients" in text and "reproduc" not in text
