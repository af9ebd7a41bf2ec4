"""Benchmark: HonestDiD relative-magnitudes bounds, exact root-finding vs the grid test inversion it replaces.

Design: the EHEC Medicaid example of HonestDiD's README (data shipped with moderndid; 5 pre, 2 post periods, effect
on impact), Mbar in (0.5, 1, 1.5, 2), and a 4-pre / 4-post event study on a synthetic staggered panel shaped like the
robust-DiD chapter's (Mbar in (0, 0.5, 1, 1.5)).  Both solvers run in this process (root: default 400 scan points
per shoulder; grid: moderndid's ``compute_conditional_cs_rm`` at 200 points, the previous default).  The grid's run
time barely depends on its size: ~80% goes to the 1,000 LPs per component of the least favourable critical value.
Prints per-call seconds, the grid/root time ratio and the end points of both.
Run: ``python benchmarks/bench_honest_did.py`` (a few minutes, nearly all in the grid solver).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from ehec_panel import ehec_event_study
from toy_panels import staggered_panel

from nqp_helpers.estimators.event_study import event_study
from nqp_helpers.estimators.honest_did import honest_did


def timed(es, mbars, solver, grid_points):
    t0 = time.perf_counter()
    out = honest_did(es, Mbar=mbars, e=0, solver=solver, grid_points=grid_points)
    return time.perf_counter() - t0, out[out["term"] == "robust"][["Mbar", "conf_low", "conf_high"]]


def main():
    cases = [
        ("EHEC (5 pre, 2 post)", ehec_event_study(), (0.5, 1.0, 1.5, 2.0)),
        ("synthetic (4 pre, 4 post)", event_study(staggered_panel(), "y", leads=5, lags=3), (0, 0.5, 1, 1.5)),
    ]
    for name, es, mbars in cases:
        t_root, root = timed(es, mbars, "root", None)
        t_grid, grid = timed(es, mbars, "grid", 200)
        print(f"{name}: {len(mbars)} Mbar values")
        print(f"  root-finding  {t_root:7.2f} s  ({t_root / len(mbars):.2f} s per Mbar)")
        print(f"  200-pt grid   {t_grid:7.2f} s  ({t_grid / len(mbars):.2f} s per Mbar)")
        print(f"  ratio grid/root = {t_grid / t_root:.1f}x")
        both = root.merge(grid, on="Mbar", suffixes=("_root", "_grid"))
        print(both.to_string(index=False, float_format=lambda v: f"{v:.6f}"))


if __name__ == "__main__":
    main()
