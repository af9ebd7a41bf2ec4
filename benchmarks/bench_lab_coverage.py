"""Benchmark: the teaching lab's coverage check (issue 13) at the page's defaults, with wall and CPU time.

Runs ``run_montecarlo(n_draws=200, n_populations=20, designs=("resample", "fixed"))`` on the real skeleton and prints,
per design × world × estimator, coverage of the population ATT, coverage of the sample ATT and mean SE / SD of the
estimates, then the done-when checks (constant world, new cities: coverage in [0.90, 0.99] and SE/SD in
[0.75, 1.33] for every estimator; dynamic world: TWFE coverage < 0.5) and the time against the page's 30 s budget
(the Monte Carlo call only; kernel start and imports come on top).
Run: ``python benchmarks/bench_lab_coverage.py [N_DRAWS] [N_POPULATIONS] [N_JOBS]`` (defaults 200, 20, 2).
"""

from __future__ import annotations

import sys
import time
import warnings

from nqp_helpers import montecarlo as mc
from nqp_helpers.data.real_panel import real_panel

BUDGET_S = 30.0


def main(n_draws: int = 200, n_populations: int = 20, n_jobs: int = 2) -> None:
    warnings.simplefilter("ignore", FutureWarning)
    sk = real_panel()
    w0, c0 = time.perf_counter(), time.process_time()
    draws = mc.run_montecarlo(
        n_draws=n_draws,
        n_populations=n_populations,
        skeleton=sk,
        n_jobs=n_jobs,
        progress=False,
        designs=("resample", "fixed"),
    )
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    s = mc.summarise(draws)
    cols = [
        "design",
        "scenario",
        "estimator",
        "n_draws",
        "bias",
        "sd_estimate",
        "mean_se",
        "se_ratio",
        "coverage",
        "coverage_sample",
    ]
    print(s[cols].round(3).to_string(index=False))
    S = s.set_index(["design", "scenario", "estimator"])
    c = S.loc["resample"].loc["constant"]
    ok_cov = c["coverage"].between(0.90, 0.99).all()
    ok_ratio = c["se_ratio"].between(0.75, 1.33).all()
    dyn = S.loc[("resample", "dynamic", "twfe"), "coverage"]
    print(
        f"constant world, new cities: coverage {c['coverage'].min():.3f}-{c['coverage'].max():.3f} "
        f"({'OK' if ok_cov else 'FAIL'}), SE/SD {c['se_ratio'].min():.2f}-{c['se_ratio'].max():.2f} "
        f"({'OK' if ok_ratio else 'FAIL'}); dynamic TWFE coverage {dyn:.3f} ({'OK' if dyn < 0.5 else 'FAIL'})"
    )
    print(
        f"Monte Carlo wall {wall:.1f} s (main-process CPU {cpu:.1f} s, workers not counted) vs page budget "
        f"{BUDGET_S:.0f} s -> {'OK' if wall <= BUDGET_S else 'OVER'}"
    )


if __name__ == "__main__":
    a = sys.argv[1:]
    main(*(int(x) for x in a[:3]))
