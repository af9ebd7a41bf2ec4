"""The reproducibility report's tables (nqp_helpers.repro_report) and the book hook that re-reads the page."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import nbformat
import pandas as pd

from nqp_helpers import book
from nqp_helpers import repro_report as R
from nqp_helpers.paths import NOTEBOOKS_DIR, REPO_ROOT

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def test_environment_table_lists_machine_and_every_direct_dependency():
    t = R.environment_table()
    items = dict(zip(t["Item"], t["Value"]))
    for key in ("CPU model", "Logical cores", "Memory", "Operating system", "Python", "numpy's BLAS"):
        assert items[key] and items[key] != "nan", key
    deps = R.direct_dependencies()
    assert {"numpy", "pandas", "jupyter-book"} <= set(deps)
    assert items["numpy"] == __import__("numpy").__version__
    assert list(t["Item"])[-len(deps) :] == deps


def test_output_files_sha256_and_rows(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "t.csv").write_text('x,y\n1,"two\nlines"\n3,4\n', encoding="utf-8")
    (tmp_path / "b.png").write_bytes(b"\x89PNG")
    (tmp_path / "a" / ".t.csv.tmp").write_text("half-written")
    t = R.output_files(tmp_path)
    assert list(t["File"]) == ["a/t.csv", "b.png"]
    assert t["Rows"].iloc[0] == 2 and pd.isna(t["Rows"].iloc[1])
    assert t["sha256"].iloc[1] == hashlib.sha256(b"\x89PNG").hexdigest()


def test_seeds_used_reads_declared_parameters(tmp_path):
    shutil.copy(FIXTURES / "tiny_ok.py", tmp_path / "01_tiny.py")
    shutil.copy(FIXTURES / "tiny_ok.py", tmp_path / "helper.py")  # not a chapter (no NN_ prefix)
    t = R.seeds_used(tmp_path)
    assert list(t["Chapter"]) == ["01_tiny"] and list(t["Parameter"]) == ["seed"]
    real = R.seeds_used(NOTEBOOKS_DIR)
    assert "03_t2_baseline" in set(real["Chapter"])


def test_execution_times_from_a_jupyter_cache(tmp_path):
    from jupyter_cache import get_cache

    assert R.execution_times(tmp_path / "none", tmp_path).empty
    nb = tmp_path / "notebooks" / "01_x.ipynb"
    nb.parent.mkdir()
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")]), nb)
    get_cache(tmp_path / "cache").cache_notebook_file(str(nb), data={"execution_seconds": 2.345}, check_validity=False)
    t = R.execution_times(tmp_path / "cache", tmp_path)
    assert list(t["Page"]) == ["notebooks/01_x"] and t["Seconds"].iloc[0] == 2.3
    # a page executed in every build (book.ALWAYS_REREAD) is never shown with an old cached time
    assert R.execution_times(tmp_path / "cache", tmp_path, skip=("notebooks/01_x",)).empty


def test_styled_hides_index_and_marks_missing():
    html = R.styled(pd.DataFrame({"Item": ["a", "b"], "Seconds": [1.23456, float("nan")]})).to_html()
    assert "1.23" in html and "—" in html and "nan" not in html.lower().replace("nanosec", "")
    assert 'class="row_heading' not in html


def test_report_page_is_reread_in_every_build_and_forced():
    class Env:
        found_docs = {"notebooks/03_t2_baseline", *book.ALWAYS_REREAD}

    assert book._always_reread(None, Env(), set(), set(), set()) == list(book.ALWAYS_REREAD)
    for doc in book.ALWAYS_REREAD:
        assert doc in book.toc_files(REPO_ROOT / "_toc.yml")
        src = (REPO_ROOT / f"{doc}.py").read_text(encoding="utf-8")
        assert "execution_mode: force" in src.split("# ---", 2)[1]
