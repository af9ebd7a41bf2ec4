"""Benchmark: the Monte Carlo teaching lab (``nqp_helpers.montecarlo``), 500 panels × 4 estimators.

Prints, per estimator, seconds per panel of the tidy wrappers (baseline, measured on a few panels in this run) and of
the batched cores used by ``run_montecarlo``, the speed ratio, and the wall time of a full run (simulation +
estimation) against the 2-minute target.
Run: ``python benchmarks/bench_montecarlo.py [N_PANELS] [N_JOBS]`` (defaults 500 and 2).
"""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np

from nqp_helpers import montecarlo as mc
from nqp_helpers.data.real_panel import real_panel
from nqp_helpers.data.semi_synthetic import simulate_panel

TARGET_S = 120.0
N_BASELINE = 3


def main(n_panels: int = 500, n_jobs: int = 2) -> None:
    warnings.simplefilter("ignore", FutureWarning)
    sk = real_panel()
    panels = [simulate_panel(sk, seed=1000 + r, scenario="dynamic") for r in range(N_BASELINE)]
    base = {e: [] for e in mc.ESTIMATORS}
    for p in panels:
        for e in mc.ESTIMATORS:
            t = time.perf_counter()
            mc.fit_wrappers(p, "Pro", [e])
            base[e].append(time.perf_counter() - t)
    per_scen = -(-n_panels // len(mc.SCENARIOS))
    tm: dict = {}
    t0 = time.perf_counter()
    draws = mc.run_montecarlo(
        n_draws=per_scen, n_populations=per_scen, skeleton=sk, n_jobs=n_jobs, progress=False, timings=tm
    )  # one simulated population per draw: every panel simulated
    total = time.perf_counter() - t0
    n = per_scen * len(mc.SCENARIOS)
    print(f"Monte Carlo benchmark: {n} panels (3 scenarios × {per_scen}), 4 estimators, {n_jobs} worker(s)")
    print(f"{'estimator':<20}{'wrapper s/panel':>17}{'core s/panel':>14}{'speed-up':>10}")
    for e in mc.ESTIMATORS:
        w = float(np.median(base[e]))
        c = tm["estimate_s"][e] / n  # includes the one-off design set-up, spread over the panels
        print(f"{e:<20}{w:>17.4f}{c:>14.6f}{w / c:>9.0f}x")
    est = sum(tm["estimate_s"].values())
    wrap = sum(float(np.median(v)) for v in base.values()) * n
    print(
        f"simulation (simulate_panel): {tm['simulate_s']:.1f} s = {tm['simulate_s'] / n:.3f} s/panel wall "
        f"with {n_jobs} worker(s)"
    )
    print(f"estimation, 4 estimators:     {est:.1f} s  (wrappers would take ~{wrap:.0f} s)")
    print(
        f"total wall time:              {total:.1f} s  vs target {TARGET_S:.0f} s -> "
        f"{'OK' if total <= TARGET_S else 'OVER'} (estimation alone {'OK' if est <= TARGET_S else 'OVER'})"
    )
    print(f"rows: {len(draws)}")


if __name__ == "__main__":
    a = sys.argv[1:]
    main(int(a[0]) if a else 500, int(a[1]) if len(a) > 1 else 2)
