"""The book configuration: a failing cell fails the build; the real config keeps its safety settings."""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import pytest
import yaml

from nqp_helpers.book import BookBuildError, build_book, toc_files
from nqp_helpers.paths import RENAMED_NOTEBOOKS
from nqp_helpers.runner import declared_parameters, read_notebook

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"

CONFIG = yaml.safe_load((REPO / "_config.yml").read_text(encoding="utf-8"))
TOC = yaml.safe_load((REPO / "_toc.yml").read_text(encoding="utf-8"))


# ------------------------------------------------------------------------------------------- real configuration
def test_config_safety_settings():
    assert CONFIG["only_build_toc_files"] is True
    ex = CONFIG["execute"]
    assert ex["execute_notebooks"] == "cache"
    assert ex["allow_errors"] is False
    raise_on_error = ex.get("raise_on_error") or CONFIG.get("sphinx", {}).get("config", {}).get(
        "nb_execution_raise_on_error"
    )
    assert raise_on_error is True
    assert ex["timeout"] == 600
    assert CONFIG["bibtex_bibfiles"] == ["book/references.bib"]
    assert (REPO / "book" / "references.bib").is_file()
    assert {"amsmath", "dollarmath", "colon_fence", "deflist"} <= set(CONFIG["parse"]["myst_enable_extensions"])
    fmt = CONFIG["sphinx"]["config"]["nb_custom_formats"][".py"]
    assert fmt[0] == "jupytext.reads" and fmt[1] == {"fmt": "py:percent"}
    for pattern in (".venv", "_build", "runs", "results", "tests", "nqp_helpers"):
        assert pattern in CONFIG["exclude_patterns"]


def test_suppressed_warnings_are_explained():
    """Every suppressed Sphinx warning carries a comment saying why (none are suppressed today)."""
    text = (REPO / "_config.yml").read_text(encoding="utf-8")
    suppressed = CONFIG.get("sphinx", {}).get("config", {}).get("suppress_warnings", [])
    for name in suppressed:
        line = next(row for row in text.splitlines() if name in row)
        assert "#" in line, f"suppress_warnings entry {name!r} needs a comment"


def test_bibliography_keys_are_unique_and_complete():
    text = (REPO / "book" / "references.bib").read_text(encoding="utf-8")
    keys = re.findall(r"@\w+\{([^,]+),", text)
    assert len(keys) == len(set(keys))
    for key in (
        "an2026innovative",
        "goodmanbacon2021difference",
        "callaway2021difference",
        "sun2021estimating",
        "borusyak2024revisiting",
        "dechaisemartin2020twoway",
        "rambachan2023more",
        "roth2023trending",
    ):
        assert key in keys


def test_toc_order_is_file_order_and_lists_every_chapter():
    """A reader of the tree sees the chapters in the book's order: ``_toc.yml`` lists every notebook, sorted by name."""
    in_toc = [Path(e).name for e in toc_files() if e.startswith("notebooks/")]
    on_disk = sorted(p.stem for p in (REPO / "notebooks").glob("[0-9]*.py"))
    assert in_toc == on_disk


def test_every_toc_entry_exists_and_notebooks_declare_parameters():
    files = toc_files()
    assert files[0] == "book/intro"
    for entry in files:
        candidates = [REPO / f"{entry}{suffix}" for suffix in (".md", ".py", ".ipynb")]
        existing = [c for c in candidates if c.is_file()]
        assert existing, f"_toc.yml lists {entry} but no .md/.py file exists"
        if entry.startswith("notebooks/"):
            path = REPO / f"{entry}.py"
            assert path.is_file(), f"notebook {entry} must be a jupytext .py file"
            nb = read_notebook(path)
            first_code = next(c for c in nb.cells if c.cell_type == "code")
            assert "parameters" in first_code.metadata.get("tags", []), f"{entry}: first code cell not tagged"
            params = declared_parameters(path)
            assert {"data", "seed"} <= set(params), f"{entry}: every notebook declares data and seed"
            for stmt in ast.parse(first_code.source).body:
                line = first_code.source.splitlines()[stmt.lineno - 1]
                assert "#" in line.split("=", 1)[1], f"{entry}: parameter line without comment: {line!r}"
            for p in params.values():
                assert p.comment, f"{entry}: parameter {p.name} has no comment"


# ------------------------------------------------------------------------------------------- mini book builds
def _mini_book(root: Path, notebook: Path) -> Path:
    (root / "book").mkdir(parents=True)
    (root / "notebooks").mkdir()
    shutil.copy(REPO / "_config.yml", root / "_config.yml")
    shutil.copy(REPO / "book" / "references.bib", root / "book" / "references.bib")
    shutil.copytree(REPO / "book" / "_static", root / "book" / "_static")
    shutil.copy(notebook, root / "notebooks" / notebook.name)
    (root / "book" / "intro.md").write_text(
        "# Mini book\n\nA citation {cite:p}`goodmanbacon2021difference`.\n\n```{bibliography}\n```\n", encoding="utf-8"
    )
    (root / "_toc.yml").write_text(
        f"format: jb-book\nroot: book/intro\nchapters:\n  - file: notebooks/{notebook.stem}\n", encoding="utf-8"
    )
    return root


@pytest.mark.slow
def test_mini_book_good_builds(tmp_path):
    root = _mini_book(tmp_path / "good", FIXTURES / "tiny_ok.py")
    html = build_book(root, echo=False)
    assert (html / "index.html").is_file()
    page = (html / "notebooks" / "tiny_ok.html").read_text(encoding="utf-8")
    assert "Tiny fixture notebook" in page
    assert (root / "_build" / ".jupyter_cache").is_dir()  # execution is cached
    # a second build re-uses the cache (nothing re-executed)
    build_book(root, echo=False)
    log = (root / "_build" / "build.log").read_text(encoding="utf-8")
    assert "Executing notebook" not in log


@pytest.mark.slow
def test_mini_book_with_failing_cell_fails(tmp_path):
    root = _mini_book(tmp_path / "bad", FIXTURES / "tiny_fail.py")
    with pytest.raises(BookBuildError) as exc:
        build_book(root, echo=False)
    assert "exited with status" in str(exc.value)
    log = (root / "_build" / "build.log").read_text(encoding="utf-8")
    assert "deliberate failure" in log


# ------------------------------------------------------------------------------------------- strictness, landing page
def test_make_book_is_strict():
    """`make book` (and so `make test`) builds with --strict: every Sphinx warning fails the build."""
    text = (REPO / "Makefile").read_text(encoding="utf-8")
    recipe = text.split("\nbook:", 1)[1].split("\n\n", 1)[0]
    assert 'nqp" build --strict' in recipe


def test_root_page_is_an_executed_notebook():
    """The landing page computes its numbers: book/intro.py (py:percent, parameters cell with seed), no intro.md
    twin."""
    root = REPO / f"{TOC['root']}.py"
    assert root.is_file() and not (REPO / f"{TOC['root']}.md").exists()
    assert {"data", "seed"} <= set(declared_parameters(root))
    src = root.read_text(encoding="utf-8")
    assert "headline_table(seed=seed)" in src and "teaching_path.md" in src


def test_teaching_path_cites_real_parameters():
    """Every `-p name` in a row of the teaching path is a parameter of a chapter linked (or named) in that row."""
    text = (REPO / "book" / "teaching_path.md").read_text(encoding="utf-8")
    rows = [row for row in text.splitlines() if row.startswith("| ") and "{doc}" in row]
    assert len(rows) >= 5
    for line in rows:
        chapters = re.findall(r"/notebooks/(\d\d_\w+)`", line) + re.findall(r"notebooks/(\d\d_\w+)\.py", line)
        assert chapters, line
        params = set().union(*(declared_parameters(REPO / "notebooks" / f"{c}.py") for c in chapters))
        for name in re.findall(r"-p (\w+) ", line):
            assert name in params, f"teaching path cites -p {name}, not a parameter of {chapters}"
    # the paragraph on chapters not yet in the book names only real parameters of the files it names
    for stem in re.findall(r"notebooks/(\d\d_\w+)\.py`: [^)]*", text):
        assert (REPO / "notebooks" / f"{stem}.py").is_file()


def test_stale_execution_cache_is_dropped(tmp_path):
    """A change to the package (or data) empties the execution cache; an unchanged tree keeps it."""
    from nqp_helpers.book import STAMP_NAME, _drop_stale_cache, inputs_fingerprint

    (tmp_path / "nqp_helpers").mkdir()
    (tmp_path / "nqp_helpers" / "m.py").write_text("x = 1\n")
    cache = tmp_path / "_build" / ".jupyter_cache"
    cache.mkdir(parents=True)
    # no stamp yet: a cache of unknown inputs
    assert _drop_stale_cache(tmp_path, inputs_fingerprint(tmp_path), echo=False) is True
    assert not cache.exists() and (tmp_path / "_build" / STAMP_NAME).is_file()
    cache.mkdir()
    assert _drop_stale_cache(tmp_path, inputs_fingerprint(tmp_path), echo=False) is False
    assert cache.exists()  # unchanged inputs: kept
    (tmp_path / "nqp_helpers" / "m.py").write_text("x = 2\n")
    assert _drop_stale_cache(tmp_path, inputs_fingerprint(tmp_path), echo=False) is True
    assert not cache.exists()


def test_renamed_chapters_leave_a_redirect_at_their_old_address(tmp_path):
    from nqp_helpers.book import write_redirects

    found = {"notebooks/03_t2_baseline", "notebooks/05_t4_iv"}
    written = write_redirects(tmp_path, found)
    assert sorted(p.name for p in written) == ["03_baseline.html", "05_iv.html"]  # only chapters this book builds
    page = (tmp_path / "notebooks" / "03_baseline.html").read_text(encoding="utf-8")
    assert 'content="0; url=03_t2_baseline.html"' in page and 'href="03_t2_baseline.html"' in page


def test_built_site_redirects_old_chapter_addresses():
    html = REPO / "_build" / "html" / "notebooks"
    if not (html / "03_t2_baseline.html").is_file():
        pytest.skip("the book has not been built (make book)")
    for old, new in RENAMED_NOTEBOOKS.items():
        assert (html / f"{new}.html").is_file(), new
        assert f"url={new}.html" in (html / f"{old}.html").read_text(encoding="utf-8"), old
