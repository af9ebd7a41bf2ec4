"""The exhibit chapters on the real track, run beside the book build so every exhibit gets a real-data verdict.

``nqp build`` starts :func:`start` (a background process: ``python -m nqp_helpers.realtrack``) before Sphinx, so the
real-track runs use the second core while the book executes its default-track pages on the first. Each exhibit
chapter is executed with papermill and ``data="real"``; its tables land in ``results/real/<chapter>/`` (the chapter's
own ``save_table`` calls, with ``NQP_RESULTS_DIR`` pointed there) and the executed notebook beside them. When all are
done, ``results/real/_runs.json`` records per chapter: ok/failed, seconds and the error.

The status page calls :func:`wait` (waits for a run in progress, or runs the chapters itself when none is, e.g. under
a bare ``jupyter-book build``), then reads ``results/real/``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from . import atomic
from .paths import REPO_ROOT
from .reported import EXHIBITS

__all__ = ["CHAPTERS", "chapters_in", "read_runs", "real_dir", "run_all", "stale", "start", "wait"]

# The chapters that rebuild one of the paper's exhibits (nqp_helpers.reported.exhibits), in build order.
CHAPTERS = tuple(dict.fromkeys(Path(e[2]).stem for e in EXHIBITS))
RUNS_FILE = "_runs.json"
LOCK_FILE = "_running.pid"


def real_dir(root: str | os.PathLike | None = None) -> Path:
    """``<results>/real``: ``results/real`` under the book root (default: this repository)."""
    return Path(root or REPO_ROOT) / "results" / "real"


def chapters_in(root: str | os.PathLike | None = None) -> list[str]:
    """The :data:`CHAPTERS` present as ``notebooks/<chapter>.py`` under the book root (none in a mini test book)."""
    nbdir = Path(root or REPO_ROOT) / "notebooks"
    return [c for c in CHAPTERS if (nbdir / f"{c}.py").is_file()]


def _run_one(chapter: str, out: Path, timeout: int, nbdir: Path) -> dict:
    import nbformat
    import papermill as pm

    from .runner import read_notebook

    src = nbdir / f"{chapter}.py"
    nb = read_notebook(src)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    (out / chapter).mkdir(parents=True, exist_ok=True)
    input_nb = out / chapter / f"{chapter}.input.ipynb"
    nbformat.write(nb, str(input_nb))
    t0 = time.perf_counter()
    rec = {"chapter": chapter, "status": "ok", "seconds": None, "error": ""}
    try:
        pm.execute_notebook(
            str(input_nb),
            str(out / chapter / f"{chapter}.ipynb"),
            parameters={"data": "real"},
            kernel_name="python3",
            cwd=str(nbdir),
            progress_bar=False,
            log_output=False,
            execution_timeout=timeout,
        )
    except Exception as exc:  # noqa: BLE001 - recorded; the status page reports it as "not estimable"
        rec["status"] = "failed"
        rec["error"] = f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1] if str(exc).strip() else ''}"[:300]
    finally:
        input_nb.unlink(missing_ok=True)
    rec["seconds"] = round(time.perf_counter() - t0, 1)
    return rec


def run_all(root: str | os.PathLike | None = None, chapters=None, timeout: int = 600) -> list[dict]:
    """Execute ``chapters`` (default: :func:`chapters_in`) on the real track into ``results/real/`` (sequentially);
    write and return the records."""
    out = real_dir(root)
    nbdir = Path(root or REPO_ROOT) / "notebooks"
    chapters = chapters_in(root) if chapters is None else chapters
    out.mkdir(parents=True, exist_ok=True)
    old = os.environ.get("NQP_RESULTS_DIR")
    os.environ["NQP_RESULTS_DIR"] = str(out)
    try:
        records = [_run_one(c, out, timeout, nbdir) for c in chapters]
    finally:
        if old is None:
            os.environ.pop("NQP_RESULTS_DIR", None)
        else:
            os.environ["NQP_RESULTS_DIR"] = old
    atomic.write_text(
        out / RUNS_FILE, json.dumps({"finished": time.strftime("%Y-%m-%d %H:%M:%S"), "runs": records}, indent=1)
    )
    return records


def start(root: str | os.PathLike | None = None) -> subprocess.Popen:
    """Start the real-track runs in a background process (fresh: the old ``results/real`` is emptied first)."""
    import shutil

    out = real_dir(root)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    log = open(out / "_runs.log", "w", encoding="utf-8")  # noqa: SIM115 - owned by the child process
    proc = subprocess.Popen(
        [sys.executable, "-m", "nqp_helpers.realtrack", str(Path(root or REPO_ROOT))],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=str(REPO_ROOT),
    )
    (out / LOCK_FILE).write_text(str(proc.pid), encoding="utf-8")
    return proc


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError, OSError):
        return False
    return True


def read_runs(root: str | os.PathLike | None = None) -> dict | None:
    """The records of the last completed real-track run, or None."""
    f = real_dir(root) / RUNS_FILE
    return json.loads(f.read_text(encoding="utf-8")) if f.is_file() else None


def wait(root: str | os.PathLike | None = None, timeout: float = 1800, poll: float = 2.0) -> dict:
    """The completed run records: wait for a background run in progress, or run the chapters here if none is."""
    out = real_dir(root)
    lock = out / LOCK_FILE
    t0 = time.monotonic()
    while True:
        runs = read_runs(root)
        if runs is not None:
            return runs
        pid = int(lock.read_text(encoding="utf-8") or 0) if lock.is_file() else 0
        if not pid or not _alive(pid):
            break
        if time.monotonic() - t0 > timeout:
            raise TimeoutError(f"the real-track runs (pid {pid}) did not finish within {timeout:.0f} s")
        time.sleep(poll)
    run_all(root)
    return read_runs(root)


if __name__ == "__main__":
    run_all(sys.argv[1] if len(sys.argv) > 1 else None)


def stale(root: str | os.PathLike | None = None, inputs_changed: bool = False) -> bool:
    """True when the real-track results must be re-made: none yet, the package or data changed, or an exhibit
    chapter's source is newer than the last run (never for a book without the exhibit chapters)."""
    present = chapters_in(root)
    if not present:
        return False
    f = real_dir(root) / RUNS_FILE
    if inputs_changed or not f.is_file():
        return True
    done = f.stat().st_mtime
    nbdir = Path(root or REPO_ROOT) / "notebooks"
    return any((nbdir / f"{c}.py").stat().st_mtime > done for c in present)
