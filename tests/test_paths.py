"""Where things live (nqp_helpers.paths): chapter names old and new, and results written before the rename."""

from __future__ import annotations

import pytest

from nqp_helpers import paths
from nqp_helpers.errors import NQPInputError


def test_renamed_chapters_point_at_existing_files_and_names_never_collide():
    on_disk = {p.stem for p in paths.NOTEBOOKS_DIR.glob("[0-9]*.py")}
    assert set(paths.RENAMED_NOTEBOOKS.values()) <= on_disk
    assert not set(paths.RENAMED_NOTEBOOKS) & on_disk


@pytest.mark.parametrize(
    "name", ["notebooks/04_psm_did.py", "04_psm_did", "04_t3_psm_did", "notebooks/04_t3_psm_did.py"]
)
def test_notebook_path_accepts_old_new_and_bare_names(name):
    assert paths.notebook_path(name).resolve() == paths.NOTEBOOKS_DIR / "04_t3_psm_did.py"


def test_notebook_path_keeps_an_existing_file(tmp_path):
    nb = tmp_path / "mine.py"
    nb.write_text("# %%\n")
    assert paths.notebook_path(nb) == nb


def test_notebook_path_error_lists_the_chapters():
    with pytest.raises(NQPInputError, match=r"07_nothing does not exist .*07_f1_heterogeneity"):
        paths.notebook_path("07_nothing")


def test_results_file_finds_tables_under_the_old_folder_name(tmp_path):
    old = tmp_path / "03_baseline"
    old.mkdir()
    (old / "table2.csv").write_text("a\n1\n")
    assert paths.results_file(tmp_path, "03_t2_baseline/table2.csv") == old / "table2.csv"
    new = tmp_path / "03_t2_baseline"
    new.mkdir()
    (new / "table2.csv").write_text("a\n2\n")
    assert paths.results_file(tmp_path, "03_t2_baseline/table2.csv") == new / "table2.csv"  # the new name wins
    assert paths.results_file(tmp_path, "05_t4_iv/table4.csv") == tmp_path / "05_t4_iv" / "table4.csv"  # absent
