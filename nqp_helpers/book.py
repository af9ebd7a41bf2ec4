"""Build the Jupyter Book (``jupyter-book build``) and fail loudly on any notebook error.

Two safety nets: ``_config.yml`` sets ``execute.raise_on_error: true`` (myst-nb raises, Sphinx exits non-zero), and
after the build we look for execution error reports (``<html>/reports/*.err.log``) and for failed-execution warnings
in the log, so a notebook error can never slip through as a warning.

The execution cache (``_build/.jupyter_cache``) is keyed by each notebook's code only, so a change to the package or
to the data a notebook reads would otherwise leave stale numbers on unchanged pages. ``build_book`` therefore keeps a
fingerprint of ``nqp_helpers/``, ``data/paper/``, ``data/processed/`` and ``requirements-lock.txt`` in
``_build/.nqp_inputs_stamp`` and, when it changed, empties the execution cache and rebuilds every page (``--all``), so
every page is re-executed (``nqp build`` prints why). Set ``NQP_KEEP_CACHE=1`` to skip this check while editing prose
(numbers may then be stale; never for a published build).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from .paths import REPO_ROOT

__all__ = ["BookBuildError", "build_book", "inputs_fingerprint", "jupyter_book_executable", "write_redirects"]

# What the notebooks compute from besides their own code (relative to the book root; absent entries are skipped).
FINGERPRINT_INPUTS = ("nqp_helpers", "data/paper", "data/processed", "requirements-lock.txt")
STAMP_NAME = ".nqp_inputs_stamp"

_FAILED = re.compile(
    r"Executing notebook failed|ExecutionError|Notebook exception traceback|"
    r"An exception occurred while executing|CellExecutionError"
)


class BookBuildError(RuntimeError):
    """The book did not build (a cell failed, Sphinx raised, or an execution report was written)."""


def toc_files(toc_path: str | os.PathLike = REPO_ROOT / "_toc.yml") -> list[str]:
    """Every ``file:`` entry of a jb-book ``_toc.yml`` (root first), in build order."""
    import yaml

    toc = yaml.safe_load(Path(toc_path).read_text(encoding="utf-8"))
    out = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                out.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({k: v for k, v in toc.items() if k != "root"})
    return out


def jupyter_book_executable() -> list[str]:
    """The ``jupyter-book`` of the running interpreter's environment (never whatever is first on PATH)."""
    exe = Path(sys.executable).parent / "jupyter-book"
    if exe.exists():
        return [str(exe)]
    return [sys.executable, "-c", "from jupyter_book.cli.main import main; main()"]


def inputs_fingerprint(root: str | os.PathLike = REPO_ROOT) -> str:
    """SHA-256 over the names and contents of :data:`FINGERPRINT_INPUTS` under ``root`` (``__pycache__`` ignored)."""
    root = Path(root)
    h = hashlib.sha256()
    for entry in FINGERPRINT_INPUTS:
        base = root / entry
        files = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.is_file()) if base.is_dir() else []
        for f in files:
            if "__pycache__" in f.parts or f.suffix == ".pyc":
                continue
            h.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def _drop_stale_cache(path: Path, stamp: str, echo: bool) -> bool:
    """Empty the execution cache if the inputs changed since the stamp was written; True if they changed (then
    every page must also be re-read, since Sphinx itself only re-reads pages whose source changed)."""
    cache = path / "_build" / ".jupyter_cache"
    stamp_file = path / "_build" / STAMP_NAME
    old = stamp_file.read_text(encoding="utf-8").strip() if stamp_file.is_file() else None
    changed = old != stamp and (cache.is_dir() or (path / "_build" / ".doctrees").is_dir())
    if changed:
        if echo:
            print("nqp build: the package or data changed since the last build; re-executing every page")
        shutil.rmtree(cache, ignore_errors=True)
    # the executions this build caches use the current inputs (written before, so a failed build does not clear twice)
    stamp_file.parent.mkdir(parents=True, exist_ok=True)
    stamp_file.write_text(stamp + "\n", encoding="utf-8")
    return changed


def build_book(
    path: str | os.PathLike = REPO_ROOT, *, strict: bool = False, all_files: bool = False, echo: bool = True
) -> Path:
    """Run ``jupyter-book build PATH``; return ``PATH/_build/html`` or raise :class:`BookBuildError`.

    ``strict`` adds ``-W --keep-going`` (every Sphinx warning is an error, all reported at once);
    ``all_files`` adds ``--all`` (rebuild every page; executed notebooks still come from the cache when unchanged).
    """
    path = Path(path).resolve()
    inputs_changed = False
    if os.environ.get("NQP_KEEP_CACHE", "").strip().lower() in ("", "0", "false", "no"):
        if _drop_stale_cache(path, inputs_fingerprint(path), echo):
            all_files = inputs_changed = True
    elif echo:
        print("nqp build: NQP_KEEP_CACHE is set; cached executions are reused even if the package or data changed")
    cmd = jupyter_book_executable() + ["build", str(path), "--builder", "html"]
    if strict:
        cmd += ["-W", "--keep-going"]
    if all_files:
        cmd += ["--all"]
    t0 = time.perf_counter()
    real = _start_real_track(path, inputs_changed, echo)  # exhibit chapters on the real track, on the second core
    proc = subprocess.Popen(
        cmd, cwd=path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, encoding="utf-8", errors="replace"
    )
    log: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        log.append(line)
        if echo:
            sys.stdout.write(line)
    rc = proc.wait()
    _finish_real_track(real, path, echo)
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
        raise BookBuildError(
            "book build FAILED (" + "; ".join(problems) + f"); full log: {path / '_build' / 'build.log'}"
        )
    from .downloads import publish

    publish(path)  # each chapter's .py, .ipynb and CSVs next to its page (display.download_links)
    if echo:
        print(f"built in {time.perf_counter() - t0:.1f} s: {html / 'index.html'}")
    return html


def _start_real_track(path: Path, inputs_changed: bool, echo: bool):
    """Start ``nqp_helpers.realtrack`` in the background when its results are stale (``NQP_SKIP_REAL=1``: never)."""
    from . import realtrack

    if os.environ.get("NQP_SKIP_REAL", "").strip().lower() not in ("", "0", "false", "no"):
        return None
    if not realtrack.stale(path, inputs_changed):
        return None
    if echo:
        print("nqp build: running the exhibit chapters on the real track in parallel (results/real/)")
    return realtrack.start(path)


def _finish_real_track(real, path: Path, echo: bool) -> None:
    """Wait for the background real-track runs; list any chapter that failed (the status page says so too)."""
    from . import realtrack

    if real is None:
        return
    real.wait()
    runs = realtrack.read_runs(path) or {"runs": []}
    failed = [f"{r['chapter']} ({r['error']})" for r in runs["runs"] if r["status"] != "ok"]
    if echo:
        print(
            "nqp build: real-track runs "
            + ("done" if not failed else "done; FAILED: " + "; ".join(failed))
            + " ("
            + ", ".join(f"{r['chapter']} {r['seconds']} s" for r in runs["runs"])
            + ")"
        )


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
        key = (
            str(getattr(script, "filename", script) or ""),
            getattr(script, "priority", 500),
            tuple(sorted((k, str(v)) for k, v in getattr(script, "attributes", {}).items())),
        )
        if key in seen:
            continue
        seen.add(key)
        unique.append(script)
    scripts[:] = unique


# The status page and the reproducibility report summarise what the chapters wrote in this build (results tables,
# execution times, nqp verify), so Sphinx re-reads them in every build and their notebook metadata sets
# `mystnb: execution_mode: force`: they are re-executed, never cached, and stay current after a one-chapter edit.
# Sphinx reads pages in sorted order, so they run after the chapters.
ALWAYS_REREAD = ("notebooks/15_status", "notebooks/90_reproducibility")


def _always_reread(app, env, added, changed, removed):  # noqa: ARG001 - Sphinx event signature
    return [d for d in ALWAYS_REREAD if d in env.found_docs]


REDIRECT_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Moved: {new}</title>
<meta http-equiv="refresh" content="0; url={new}.html">
<link rel="canonical" href="{new}.html">
</head>
<body>
<p>This chapter was renamed after its exhibit. It is now at <a href="{new}.html">{new}</a>.</p>
</body>
</html>
"""


def write_redirects(outdir: str | os.PathLike, found_docs) -> list[Path]:
    """A page at each renamed chapter's old address (``paths.RENAMED_NOTEBOOKS``) that sends the reader to the new
    one, so links to the site from before the rename keep working; only for chapters this book builds."""
    from . import atomic
    from .paths import RENAMED_NOTEBOOKS

    written = []
    for old, new in RENAMED_NOTEBOOKS.items():
        if f"notebooks/{new}" in found_docs and f"notebooks/{old}" not in found_docs:
            target = Path(outdir) / "notebooks" / f"{old}.html"
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic.write_text(target, REDIRECT_PAGE.format(new=new))
            written.append(target)
    return written


def _redirects(app, exception):
    if exception is None and app.builder.format == "html":
        write_redirects(app.outdir, app.env.found_docs)


def setup(app):
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    app.connect("env-get-outdated", _always_reread)
    app.connect("build-finished", _redirects)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
