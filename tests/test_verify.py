"""``nqp verify``: exhibit tables vs the committed reference, within tolerance (nqp_helpers.verify).

The results folders used here are temporary copies of the committed reference (never the real ``results/``); one
test checks the book's own ``results/`` when ``make book`` has written them.
"""

from __future__ import annotations

import math
import shutil

import numpy as np
import pandas as pd
import pytest

from nqp_helpers import verify as V
from nqp_helpers.cli import main

REF = V.REFERENCE_DIR / "semi_synthetic"


@pytest.fixture
def results(tmp_path):
    """A fresh 'build': a copy of the committed semi-synthetic reference."""
    out = tmp_path / "results"
    shutil.copytree(REF, out)
    return out


def test_results_written_before_the_chapter_rename_still_verify(results):
    """A run folder from before the rename has ``03_baseline/`` where the reference has ``03_t2_baseline/``."""
    from nqp_helpers.paths import RENAMED_NOTEBOOKS

    old_names = {new: old for old, new in RENAMED_NOTEBOOKS.items()}
    for folder in list(results.iterdir()):
        folder.rename(results / old_names[folder.name])
    assert all(r.ok for r in V.verify(results_dir=results))


def _first_numeric_cell(path):
    df = pd.read_csv(path)
    col = next(c for c in df.columns if df[c].dtype.kind == "f" and df[c].notna().any() and (df[c] != 0).any())
    row = int(np.flatnonzero(df[col].notna().to_numpy() & (df[col] != 0).to_numpy())[0])
    return df, row, col


def test_close_is_relative_and_absolute():
    assert V.close(1.0, 1.0 + 5e-10) and not V.close(1.0, 1.0 + 5e-9)
    assert V.close(0.0, 1e-13) and not V.close(0.0, 1e-11)
    assert V.close(math.nan, math.nan) and not V.close(math.nan, 0.0)


def test_compare_tables_names_cell_and_ignores_last_bits():
    ref = pd.DataFrame({"outcome": ["Pro", "Lab"], "coef": [0.5, 0.25], "note": ["a", None]})
    got = ref.copy()
    got.loc[1, "coef"] = 0.25 * (1 + 1e-12)  # last-bit noise: equal
    assert V.compare_tables(got, ref) == ([], [])
    got.loc[1, "coef"] = 0.26
    got.loc[0, "note"] = "b"
    cells, problems = V.compare_tables(got, ref, "t.csv")
    assert not problems
    assert [(c.row, c.column) for c in cells] == [(1, "coef"), (0, "note")]
    assert cells[0].label == "outcome=Lab" and cells[0].abs_diff == pytest.approx(0.01)
    assert "t.csv row 1 (outcome=Lab), column 'coef'" in str(cells[0])
    _, problems = V.compare_tables(got.drop(columns="note"), ref)
    assert problems and "columns" in problems[0]
    _, problems = V.compare_tables(got.iloc[:1], ref)
    assert problems and "rows" in problems[0]


def test_reference_covers_every_exhibit():
    files = [f for _, fs in V.exhibit_outputs() for f in fs]
    assert all((REF / f).is_file() for f in files), [f for f in files if not (REF / f).is_file()]


def test_fresh_results_match(results, capsys):
    assert main(["verify", "--results", str(results)]) == 0
    out = capsys.readouterr().out
    assert out.count(": match") == len(V.exhibit_outputs()) and "OK" in out


def test_one_changed_number_fails_naming_the_cell(results, capsys):
    target = results / "03_t2_baseline" / "table2.csv"
    df, row, col = _first_numeric_cell(target)
    old = df.loc[row, col]
    df.loc[row, col] = old * 1.001
    df.to_csv(target, index=False, float_format="%.10g", lineterminator="\n")
    assert main(["verify", "--results", str(results)]) == 1
    out = capsys.readouterr().out
    assert "Table 2: differs in 1 cell(s)" in out
    assert f"03_t2_baseline/table2.csv row {row}" in out and f"column {col!r}" in out
    assert "max rel diff 0.000999" in out and "FAILED: Table 2" in out
    assert "Table 3: match" in out


def test_missing_and_unreferenced(results, tmp_path, capsys):
    (results / "05_t4_iv" / "table4.csv").unlink()
    assert main(["verify", "--results", str(results)]) == 1
    assert "Table 4: missing" in capsys.readouterr().out
    # a reference without the file: the results have one it does not know (stale reference)
    ref = tmp_path / "ref"
    shutil.copytree(REF, ref)
    (ref / "05_t4_iv" / "table4.csv").unlink()
    shutil.copy(REF / "05_t4_iv" / "table4.csv", results / "05_t4_iv" / "table4.csv")
    res = {r.exhibit: r.status for r in V.verify(results_dir=results, reference_dir=ref)}
    assert res["Table 4"] == "unreferenced" and res["Table 2"] == "match"
    # neither has it: an exhibit the track does not produce
    (results / "05_t4_iv" / "table4.csv").unlink()
    res = {r.exhibit: r for r in V.verify(results_dir=results, reference_dir=ref)}
    assert res["Table 4"].status == "not produced" and res["Table 4"].ok


def test_update_rewrites_only_when_asked(results, tmp_path, monkeypatch, capsys):
    ref = tmp_path / "ref"
    monkeypatch.setattr(V, "REFERENCE_DIR", ref)
    assert main(["verify", "--results", str(results)]) == 1  # empty reference: every exhibit unreferenced
    assert not ref.exists()
    assert main(["verify", "--results", str(results), "--update"]) == 0
    assert "rewritten" in capsys.readouterr().out
    assert main(["verify", "--results", str(results)]) == 0
    assert (ref / "semi_synthetic" / "03_t2_baseline" / "table2.csv").read_bytes() == (
        results / "03_t2_baseline" / "table2.csv"
    ).read_bytes()


def test_unknown_track_and_empty_results(tmp_path):
    with pytest.raises(V.NQPInputError, match="unknown track"):
        V.verify("other")
    with pytest.raises(V.NQPInputError, match="no exhibit output"):
        V.update_reference(results_dir=tmp_path, reference_dir=tmp_path / "ref")


def test_results_table_one_row_per_exhibit(results):
    checked = V.verify(results_dir=results)
    t = V.results_table(checked)
    assert list(t["Exhibit"]) == [e for e, _ in V.exhibit_outputs()] and set(t["Status"]) == {"match"}
    assert V.verdict(checked) == f"All {len(t)} exhibits agree with the reference."
    checked[1].status = "missing"
    assert V.verdict(checked).endswith(f"not: {checked[1].exhibit} (missing).")
    assert "no reference" in V.verdict([])


@pytest.mark.skipif(
    not (V.TRACK_RESULTS["semi_synthetic"] / "03_t2_baseline" / "table2.csv").is_file(),
    reason="the book has not been built (make book writes results/)",
)
def test_the_books_results_match_the_reference(capsys):
    """After ``make book`` (as in ``make test``): the build's own tables agree with the committed reference."""
    assert main(["verify"]) == 0, capsys.readouterr().out
