"""Benchmark: the book build (``nqp build --strict``, as ``make book``) cold, cached, and after changing one chapter.

Everything happens in a **temporary copy** of the repository, so the working tree's ``_build/`` and ``results/`` are
never touched: the files of ``git ls-files --cached --others --exclude-standard`` (tracked files plus untracked,
non-ignored ones such as chapters not committed yet; files deleted in the working tree are skipped) are copied into a
temporary folder, plus the whole of ``data/processed`` and ``data/raw``. ``nqp build --path <copy>`` writes
``<copy>/_build``; ``NQP_RESULTS_DIR=<copy>/results`` sends the notebooks' tables there (the package is an editable
install of ``/work/main/nqp_helpers``, whose ``paths.REPO_ROOT`` is ``/work/main``; notebooks only *read* data through
it). After the runs the script checks where ``_build`` and the tables landed.

Measured, in this order, each a fresh ``nqp`` subprocess (wall time includes interpreter start and the Sphinx pass):

(a) cold: no ``_build`` (so no execution cache): every page executes;
(b) cached: nothing changed: every notebook comes from the jupyter-cache;
(c1) touched: ``os.utime`` on one chapter (mtime = now, as ``touch``): Sphinx re-reads the page, the cache (keyed on
code) still hits;
(c2) edited: one harmless code cell appended to that chapter: only that chapter re-executes (checked from the log).

Ratios are against (a), measured in the same run; the target is "cold build <= 5 min on 2 cores". Per-notebook
execution times come from myst-nb's log lines ``<file>: Executed notebook in X seconds`` (cache hits:
``Using cached notebook``), printed sorted by time. Machine load (``os.getloadavg()``) is printed before and after
every build: the machine is shared, so read the figures with the load beside them.

Run: ``python benchmarks/bench_book.py [--chapter notebooks/03_t2_baseline.py] [--no-strict] [--keep]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NQP = Path(sys.executable).parent / "nqp"
TARGET_COLD_S = 300.0
DATA_DIRS = ("data/processed", "data/raw")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_EXECUTED = re.compile(r"^(?P<file>\S.*?): Executed notebook in (?P<s>[0-9.]+) seconds")
_CACHED = re.compile(r"^(?P<file>\S.*?): Using cached notebook")
# jupyter_client picks free TCP ports, then binds them: on a shared machine another kernel can take one in between
# (ZMQError "Address already in use", then "Kernel didn't respond"). That is the machine, not the book: retry.
_PORT_RACE = re.compile(r"Address already in use|Kernel didn't respond in")
RETRIES = 2


def load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def copy_repo(dest: Path) -> int:
    """Copy the working-tree files git knows about (tracked + untracked non-ignored) and the data folders."""
    out = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    ).stdout.decode()
    n = 0
    for rel in sorted(set(filter(None, out.split("\0")))):
        src = REPO / rel
        if not src.is_file():  # deleted in the working tree (or a submodule)
            continue
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest / rel)
        n += 1
    for d in DATA_DIRS:
        if (REPO / d).is_dir():
            shutil.copytree(REPO / d, dest / d, dirs_exist_ok=True)
    return n


def _rel(name: str, root: Path) -> str:
    try:
        return Path(name).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return name


def build(root: Path, strict: bool, label: str) -> dict:
    """One ``nqp build``; on a kernel port race retry (a cold build from an empty ``_build`` again, so it stays
    cold)."""
    for attempt in range(RETRIES + 1):
        try:
            res = _build_once(root, strict, label)
            res["retries"] = attempt
            return res
        except _PortRace:
            print(
                f"  {label}: kernel start-up port race (another process took the port); retrying "
                f"({attempt + 1}/{RETRIES})",
                flush=True,
            )
            if label == "cold":
                shutil.rmtree(root / "_build", ignore_errors=True)
                shutil.rmtree(root / "results", ignore_errors=True)
    raise SystemExit(f"[{label}] nqp build failed {RETRIES + 1} times on kernel port races")


class _PortRace(Exception):
    pass


def _build_once(root: Path, strict: bool, label: str) -> dict:
    cmd = [str(NQP), "build", "--path", str(root)] + (["--strict"] if strict else [])
    env = dict(os.environ, NQP_RESULTS_DIR=str(root / "results"))
    before = load()
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, encoding="utf-8", errors="replace")
    wall = time.perf_counter() - t0
    log = _ANSI.sub("", proc.stdout + proc.stderr)
    if proc.returncode != 0 and _PORT_RACE.search(log):
        raise _PortRace
    if proc.returncode != 0:
        print(f"[{label}] nqp build FAILED (exit {proc.returncode}); last lines of the log:", file=sys.stderr)
        print("\n".join(log.splitlines()[-40:]), file=sys.stderr)
        raise SystemExit(1)
    executed, cached = {}, []
    for line in log.splitlines():
        if m := _EXECUTED.match(line):
            executed[_rel(m["file"], root)] = float(m["s"])
        elif m := _CACHED.match(line):
            cached.append(_rel(m["file"], root))
    res = {
        "label": label,
        "wall": wall,
        "executed": executed,
        "cached": cached,
        "load_before": before,
        "load_after": load(),
    }
    print(
        f"  {label:<8} {wall:7.1f} s   executed {len(executed):2d}, from cache {len(cached):2d}   "
        f"({before} -> {res['load_after']})",
        flush=True,
    )
    return res


def mtimes(folder: Path) -> dict[str, float]:
    return {str(p): p.stat().st_mtime for p in folder.rglob("*") if p.is_file()} if folder.is_dir() else {}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chapter", default="notebooks/03_t2_baseline.py", help="chapter touched/edited in (c)")
    ap.add_argument("--no-strict", action="store_true", help="build without -W (default: --strict, as make book)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary copy")
    args = ap.parse_args()
    strict = not args.no_strict

    watched = {d: mtimes(REPO / d) for d in ("_build", "results")}
    scratch = Path(tempfile.mkdtemp(prefix="nqp-bench-book-"))
    root = scratch / "repo"
    root.mkdir()
    try:
        t0 = time.perf_counter()
        n_files = copy_repo(root)
        print(
            f"bench_book: nqp build{' --strict' if strict else ''} in a copy of {REPO} ({n_files} files + "
            f"{', '.join(DATA_DIRS)}; copied in {time.perf_counter() - t0:.1f} s) at {root}"
        )
        print(
            f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M %Z')}, "
            f"{load()} (1/5/15 min); toc: {(root / '_toc.yml').read_text().count('- file:')} files"
        )
        chapter = root / args.chapter
        if not chapter.is_file():
            raise SystemExit(f"--chapter {args.chapter} is not in the copy")
        runs = [build(root, strict, "cold")]
        runs.append(build(root, strict, "cached"))
        os.utime(chapter)  # `touch`: mtime = now (copy2 kept the old mtime, which Sphinx read after)
        runs.append(build(root, strict, "touched"))
        with chapter.open("a", encoding="utf-8") as fh:
            fh.write("\n# %%\n_bench_book_edit = 1  # appended by benchmarks/bench_book.py (temporary copy only)\n")
        runs.append(build(root, strict, "edited"))

        cold = runs[0]
        print(f"\n{'build':<8} {'seconds':>8} {'ratio to cold':>14}  executed notebooks")
        for r in runs:
            names = ", ".join(sorted(r["executed"])) if 0 < len(r["executed"]) <= 3 else f"{len(r['executed'])}"
            print(
                f"{r['label']:<8} {r['wall']:8.1f} {r['wall'] / cold['wall']:14.3f}  {names}"
                + (f"  (after {r['retries']} port-race retries)" if r["retries"] else "")
            )
        edited = runs[3]["executed"]
        only = set(edited) == {args.chapter}
        print(
            f"edited build re-executed only {args.chapter}: {only}"
            + ("" if only else f" (executed: {sorted(edited) or 'none'})")
        )
        print(
            f"cached build executed nothing: {not runs[1]['executed']}; touched build executed nothing: "
            f"{not runs[2]['executed']}"
        )

        total = sum(cold["executed"].values())
        print(
            f"\nper-notebook execution, cold build (myst-nb log), sum {total:.1f} s of {cold['wall']:.1f} s wall "
            f"({cold['wall'] - total:.1f} s Sphinx/start-up):"
        )
        width = max((len(k) for k in cold["executed"]), default=10)
        for name, s in sorted(cold["executed"].items(), key=lambda kv: -kv[1]):
            print(f"  {name:<{width}} {s:7.2f} s  {100 * s / cold['wall']:5.1f} %")

        html = root / "_build" / "html" / "index.html"
        tables = sorted(p for p in (root / "results").rglob("*.csv")) if (root / "results").is_dir() else []
        changed = {d: sorted(k for k, v in mtimes(REPO / d).items() if watched[d].get(k) != v) for d in watched}
        print(
            f"\n_build in the copy: {html.is_file()}; tables in the copy's results/: {len(tables)}; files under "
            f"{REPO}/_build or /results created or modified during the benchmark: "
            f"{sum(map(len, changed.values()))} (other users of the tree may cause these)"
            + "".join(f"\n  {p}" for p in sorted(sum(changed.values(), []))[:8])
        )
        print(
            f"target: cold build <= {TARGET_COLD_S / 60:.0f} min on 2 cores -> "
            f"{'met' if cold['wall'] <= TARGET_COLD_S else 'MISSED'} ({cold['wall']:.1f} s, "
            f"{cold['wall'] / TARGET_COLD_S:.2f} of the budget; {load()} at the end)"
        )
    finally:
        if args.keep:
            print(f"copy kept: {root}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
