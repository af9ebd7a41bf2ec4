"""Build the Jupyter Book (``jupyter-book build``) and fail loudly on any notebook error.

Two safety nets: ``_config.yml`` sets ``execute.raise_on_error: true`` (myst-nb raises, Sphinx exits non-zero), and
after the build we look for execution error reports (``<html>/reports/*.err.log``) and for failed-execution warnings
in the log, so a notebook error can never slip through as a warning.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from .paths import REPO_ROOT

__all__ = ["BookBuildError", "build_book", "jupyter_book_executable"]

_FAILED = re.compile(r"Executing notebook failed|ExecutionError|Notebook exception traceback|"
                     r"An exception occurred while executing|CellExecutionError")


class BookBuildError(RuntimeError):
    """The book did not build (a cell failed, Sphinx raised, or an execution report was written)."""


def jupyter_book_executable() -> list[str]:
    """The ``jupyter-book`` of the running interpreter's environment (never whatever is first on PATH)."""
    exe = Path(sys.executable).parent / "jupyter-book"
    if exe.exists():
        return [str(exe)]
    return [sys.executable, "-c", "from jupyter_book.cli.main import main; main()"]


def build_book(path: str | os.PathLike = REPO_ROOT, *, strict: bool = False, all_files: bool = False,
               echo: bool = True) -> Path:
    """Run ``jupyter-book build PATH``; return ``PATH/_build/html`` or raise :class:`BookBuildError`.

    ``strict`` adds ``-W --keep-going`` (every Sphinx warning is an error, all reported at once);
    ``all_files`` adds ``--all`` (rebuild every page; executed notebooks still come from the cache when unchanged).
    """
    path = Path(path).resolve()
    cmd = jupyter_book_executable() + ["build", str(path), "--builder", "html"]
    if strict:
        cmd += ["-W", "--keep-going"]
    if all_files:
        cmd += ["--all"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            encoding="utf-8", errors="replace")
    log: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        log.append(line)
        if echo:
            sys.stdout.write(line)
    rc = proc.wait()
    html = path / "_build" / "html"
    text = "".join(log)
    (path / "_build").mkdir(exist_ok=True)
    (path / "_build" / "build.log").write_text(text, encoding="utf-8")
    reports = sorted((html / "reports").rglob("*.err.log")) if (html / "reports").is_dir() else []
    problems = []
    if rc != 0:
        problems.append(f"jupyter-book exited with status {rc}")
    if reports:
        problems.append("notebook execution reports: " + ", ".join(str(r) for r in reports))
    if _FAILED.search(text):
        problems.append("the build log reports a failed notebook execution")
    # jupyter-book catches Sphinx exceptions in some versions and prints them instead of exiting non-zero
    if "Traceback (most recent call last)" in text and rc == 0:
        problems.append("the build log contains a Python traceback")
    if problems:
        raise BookBuildError("book build FAILED (" + "; ".join(problems) + f"); full log: {path / '_build' / 'build.log'}")
    if echo:
        print(f"built in {time.perf_counter() - t0:.1f} s: {html / 'index.html'}")
    return html


# ----------------------------------------------------------------------------------------------- Sphinx extension
# Loaded by _config.yml (`sphinx: extra_extensions: [nqp_helpers.book]`). It works around an upstream bug of the
# pinned stack (sphinx-thebe 0.3.1 under jupyter-book 1.0.4 registers its inline `const THEBE_JS_URL = ...` script
# twice, so every page throws "Identifier 'THEBE_JS_URL' has already been declared"): identical script entries are
# dropped before each page is written. tests/test_site.py catches a regression in the browser.
def _dedupe_scripts(app, pagename, templatename, context, doctree):  # noqa: ARG001 - Sphinx event signature
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        # the second copy comes back from the pickled environment with filename '' instead of None
        key = (str(getattr(script, "filename", script) or ""), getattr(script, "priority", 500),
               tuple(sorted((k, str(v)) for k, v in getattr(script, "attributes", {}).items())))
        if key in seen:
            continue
        seen.add(key)
        unique.append(script)
    scripts[:] = unique


def setup(app):
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
