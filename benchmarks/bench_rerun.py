"""Benchmark: re-running one chapter with new parameters via ``nqp run`` vs plain ``papermill`` (the wrapper's
overhead).

For each parameter set (default: ``notebooks/03_t2_baseline.py`` with ``-p seed 7`` and with ``-p data real``), measured
as the wall time of a subprocess, ``REPS`` (3) repetitions, median reported:

* ``nqp run``: ``nqp run NOTEBOOK -p ... --runs-dir <scratch>/runs`` (jupytext read, parameter validation, run folder,
  manifest with git state and versions, papermill in-process); its own ``ok in X s`` (the papermill part, from the
  manifest) is printed beside it;
* baseline, ``papermill``: the papermill command line on the same notebook converted once to ``.ipynb`` beforehand
  (papermill cannot read ``py:percent``), same kernel (``python3``), same working directory (``notebooks/``),
  ``NQP_RESULTS_DIR`` pointed at the scratch folder so no table lands in the repository.

The two are interleaved (order alternating between repetitions) so a change of machine load hits both alike; one
untimed papermill run warms the disk cache first. Ratio = ``nqp run`` / ``papermill``; target: a re-run <= 30 s.
Everything is written to a temporary folder (removed unless ``--keep``); the machine load is printed with each run.

Run: ``python benchmarks/bench_rerun.py [--notebook notebooks/03_t2_baseline.py] [--reps 3] [--keep]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TARGET_S = 30.0
PARAM_SETS = ({"seed": "7"}, {"data": "real"})
_OK = re.compile(r"^ok in ([0-9.]+) s", re.M)


def load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def timed(cmd: list[str], env: dict | None = None) -> tuple[float, str]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, encoding="utf-8", errors="replace")
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        print(
            f"FAILED (exit {proc.returncode}): {' '.join(cmd)}\n{(proc.stdout + proc.stderr)[-3000:]}", file=sys.stderr
        )
        raise SystemExit(1)
    return wall, proc.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--notebook", default="notebooks/03_t2_baseline.py")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = ap.parse_args()
    notebook = REPO / args.notebook
    scratch = Path(tempfile.mkdtemp(prefix="nqp-bench-rerun-"))
    try:
        import jupytext
        import nbformat

        nb = jupytext.read(notebook, fmt="py:percent")
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        ipynb = scratch / f"{notebook.stem}.ipynb"
        nbformat.write(nb, str(ipynb))
        print(
            f"bench_rerun: {args.notebook}, {args.reps} repetitions per parameter set, median; "
            f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M %Z')}, "
            f"{load()} (1/5/15 min)"
        )

        def nqp_cmd(params, i):
            return [str(BIN / "nqp"), "run", args.notebook, "--runs-dir", str(scratch / "runs")] + [
                x for k, v in params.items() for x in ("-p", k, v)
            ]

        def pm_cmd(params, i):
            out = scratch / "pm" / f"{i}" / f"{notebook.stem}.ipynb"
            out.parent.mkdir(parents=True, exist_ok=True)
            return [
                str(BIN / "papermill"),
                str(ipynb),
                str(out),
                "-k",
                "python3",
                "--cwd",
                str(notebook.parent),
                "--no-progress-bar",
            ] + [x for k, v in params.items() for x in ("-p", k, v)]

        def pm_env(i):
            return dict(os.environ, NQP_RESULTS_DIR=str(scratch / "pm" / f"{i}" / "results"))

        timed(pm_cmd(PARAM_SETS[0], "warmup"), pm_env("warmup"))  # untimed: warm disk cache and imports
        rows = []
        counter = 0
        for rep in range(args.reps):
            for params in PARAM_SETS:
                label = " ".join(f"-p {k} {v}" for k, v in params.items())
                order = ("nqp", "pm") if rep % 2 == 0 else ("pm", "nqp")
                for how in order:
                    counter += 1
                    if how == "nqp":
                        # GIT_OPTIONAL_LOCKS=0: the manifest's `git status` must not refresh the repository's index
                        wall, out = timed(nqp_cmd(params, counter), dict(os.environ, GIT_OPTIONAL_LOCKS="0"))
                        m = _OK.search(out)
                        inner = float(m.group(1)) if m else float("nan")
                    else:
                        wall, _ = timed(pm_cmd(params, counter), pm_env(counter))
                        inner = float("nan")
                    rows.append({"params": label, "how": how, "rep": rep, "wall": wall, "inner": inner})
                    print(
                        f"  rep {rep + 1} {label:<12} {'nqp run' if how == 'nqp' else 'papermill':<9} "
                        f"{wall:6.1f} s"
                        + (f"  (papermill inside nqp run: {inner:.1f} s)" if how == "nqp" else "")
                        + f"  {load()}",
                        flush=True,
                    )

        print(
            f"\n{'parameters':<12} {'nqp run s':>10} {'papermill s':>12} {'ratio':>7} {'overhead s':>11} "
            f"{'target <= 30 s':>15}"
        )
        for params in PARAM_SETS:
            label = " ".join(f"-p {k} {v}" for k, v in params.items())
            w = statistics.median(r["wall"] for r in rows if r["params"] == label and r["how"] == "nqp")
            b = statistics.median(r["wall"] for r in rows if r["params"] == label and r["how"] == "pm")
            print(
                f"{label:<12} {w:10.1f} {b:12.1f} {w / b:7.2f} {w - b:11.1f} {'met' if w <= TARGET_S else 'MISSED':>15}"
            )
        print(
            f"(medians of {args.reps}; ratio = nqp run / plain papermill, both wall time of a subprocess; {load()} "
            f"at the end)"
        )
    finally:
        if args.keep:
            print(f"scratch kept: {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
