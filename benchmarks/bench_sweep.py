"""Benchmark: a 24-run parameter sweep on 1 vs 2 local worker processes behind an external dask scheduler, then
resume after killing the sweep.

Grid: ``tests/fixtures/sweep_nb.py`` (draws ``n`` normals, writes a one-row CSV, sleeps ``pause`` = 0.2 s) over
12 seeds × 2 sample sizes = 24 runs. Each run is a full ``nqp run`` (papermill starts a fresh kernel), so the time per
run is dominated by the kernel start, as for a real chapter's fixed cost.

1. baseline: the grid through an external scheduler with **1** worker process, both started as the guide's
"scheduler and workers started by hand" (``dask scheduler`` / ``dask worker --local-directory``, separate processes:
:mod:`nqp_helpers.local_dask`); every run executes in the worker's scratch and its files come home to the client;
2. the same grid (fresh sweep folder) through a fresh scheduler with **2** worker processes. The speed-up is (1)/(2),
both measured in this run; the sweep wall time counts from ``run_sweep`` (worker probe included) to its return, the
cluster start is reported apart.
3. resume: the sweep is started in a child process (2 workers) and killed with SIGKILL once ``KILL_AFTER`` runs are in
its index; the sweep is then run again and the number of runs skipped (already completed ok, same hash) is counted.
Processes left behind by the kill (descendants of the killed child, recorded before the kill) are reported and ended.

Run: ``python benchmarks/bench_sweep.py [--keep]`` (scratch in a temporary folder, removed unless ``--keep``).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import yaml

from nqp_helpers.local_dask import by_hand_cluster
from nqp_helpers.sweep import INDEX_NAME, run_sweep

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK = REPO / "tests" / "fixtures" / "sweep_nb.py"
GRID = {
    "name": "bench",
    "notebook": str(NOTEBOOK),
    "parameters": {"seed": list(range(1, 13)), "n": [10, 1000]},
    "fixed": {"pause": 0.2},
}
N_RUNS = 24
KILL_AFTER = 8

CHILD = """
import sys
from nqp_helpers.sweep import run_sweep
run_sweep(sys.argv[1], n_workers=2, runs_dir=sys.argv[2], sweep_dir=sys.argv[3], progress=False)
"""


def timed_sweep(workers: int, scratch: Path, tag: str):
    t0 = time.perf_counter()
    with by_hand_cluster(scratch / f"cluster-{tag}", n_workers=workers) as cluster:
        started = time.perf_counter() - t0
        t1 = time.perf_counter()
        df = run_sweep(
            GRID,
            scheduler=cluster["address"],
            runs_dir=scratch / f"runs-{tag}",
            sweep_dir=scratch / f"out-{tag}",
            progress=False,
        )
        wall = time.perf_counter() - t1
        left = [p for p in cluster["scratch"].rglob("nqp-task-*")]
    assert len(df) == N_RUNS and (df["status"] == "ok").all(), df[["status", "error"]]
    assert len(list((scratch / f"runs-{tag}").iterdir())) == N_RUNS and not left
    return wall, started, df


def index_lines(sweep_dir: Path) -> int:
    path = sweep_dir / INDEX_NAME
    return len(path.read_text().splitlines()) if path.is_file() else 0


def resume_demo(scratch: Path) -> dict:
    grid_file = scratch / "bench.yaml"
    grid_file.write_text(yaml.safe_dump(GRID, sort_keys=False))
    runs, out = scratch / "runs-resume", scratch / "out-resume"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(grid_file), str(runs), str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    t0 = time.perf_counter()
    while index_lines(out) < KILL_AFTER:
        if child.poll() is not None:
            raise RuntimeError(f"the sweep child exited early with status {child.returncode}")
        if time.perf_counter() - t0 > 300:
            child.kill()
            raise RuntimeError("the sweep child made no progress in 300 s")
        time.sleep(0.05)
    descendants = psutil.Process(child.pid).children(recursive=True)
    os.kill(child.pid, signal.SIGKILL)  # an abrupt interruption: no clean-up code runs in the child
    child.wait()
    killed_after = time.perf_counter() - t0
    in_index = index_lines(out)
    time.sleep(5)  # give orphaned workers/kernels the chance to notice their parent is gone
    left = [p for p in descendants if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    for p in left:  # processes this benchmark started (descendants of its child): end them by pid
        p.terminate()
    psutil.wait_procs(left, timeout=5)
    folders_before = len(list(runs.iterdir())) if runs.is_dir() else 0

    t1 = time.perf_counter()
    df = run_sweep(grid_file, n_workers=2, runs_dir=runs, sweep_dir=out, progress=False)
    rerun_wall = time.perf_counter() - t1
    assert (df["status"] == "ok").all(), df[["status", "error"]]
    lines = [json.loads(x) for x in (out / INDEX_NAME).read_text().splitlines()]
    return {
        "killed_after_s": killed_after,
        "index_lines_at_kill": in_index,
        "descendants_at_kill": len(descendants),
        "left_after_kill": len(left),
        "run_folders_at_kill": folders_before,
        "skipped": int(df["skipped"].sum()),
        "rerun": int((~df["skipped"]).sum()),
        "rerun_wall_s": rerun_wall,
        "index_lines_total": len(lines),
        "summary_rows": len(df),
    }


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    scratch = Path(tempfile.mkdtemp(prefix="nqp-bench-sweep-"))
    print(
        f"bench_sweep: {N_RUNS} runs of {NOTEBOOK.relative_to(REPO)} (pause 0.2 s each); "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M %Z')}"
    )
    try:
        w1, s1, df1 = timed_sweep(1, scratch, "w1")
        print(
            f"1 worker  (external scheduler): {w1:6.1f} s wall  ({w1 / N_RUNS:.2f} s/run; "
            f"median run {df1['wall_seconds'].median():.2f} s; cluster start {s1:.1f} s)"
        )
        w2, s2, df2 = timed_sweep(2, scratch, "w2")
        print(
            f"2 workers (external scheduler): {w2:6.1f} s wall  ({w2 / N_RUNS:.2f} s/run; "
            f"median run {df2['wall_seconds'].median():.2f} s; cluster start {s2:.1f} s)"
        )
        print(f"all {2 * N_RUNS} run folders written under the client's runs dirs; worker scratch left empty")
        print(f"speed-up 2 vs 1 workers: {w1 / w2:.2f}x")
        same = (df1.set_index("hash")["seed"] == df2.set_index("hash")["seed"]).all()
        print(f"run hashes identical across the two sweeps: {same}")
        r = resume_demo(scratch)
        print(
            f"resume: sweep child killed (SIGKILL) after {r['killed_after_s']:.1f} s with {r['index_lines_at_kill']} "
            f"runs in its index ({r['run_folders_at_kill']} run folders on disk); "
            f"{r['left_after_kill']} of {r['descendants_at_kill']} child processes still alive 5 s after the kill "
            f"(ended by pid)"
        )
        print(
            f"resume: rerun skipped {r['skipped']}, ran {r['rerun']} in {r['rerun_wall_s']:.1f} s; "
            f"{r['summary_rows']} rows in summary.csv, all ok; {r['index_lines_total']} index lines"
        )
    finally:
        if "--keep" in argv:
            print(f"scratch kept: {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
