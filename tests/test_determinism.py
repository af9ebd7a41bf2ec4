"""Same seed and parameters -> byte-identical output; another seed -> other numbers (CONTRIBUTING.md, Determinism).

(a) ``load_panel("semi_synthetic", seed=s)``: twice in this process and once in a fresh interpreter with another
    ``PYTHONHASHSEED`` (so set/dict ordering cannot leak into the data) -> the same sha256 of the CSV; another seed
    -> another sha256.
(b) a chapter notebook executed twice with the same seed through ``run_notebook`` into two run folders -> every CSV
    of ``results/`` byte-identical (each execution is a fresh kernel process).
(c) the same notebook with another seed -> its semi-synthetic result tables change.

All comparisons here are within one machine (this process, a fresh interpreter, fresh kernels): byte identity is
promised only there. Across machines results are equal within a tolerance, checked against stored values, never
hashes (``tests/test_semi_synthetic_speed_equivalence.py``, ``nqp verify``; README, "Controlled randomness").

The notebook-executing tests are marked ``slow``; every execution is shared through one module-scoped cache, so
each (notebook, seed, repetition) runs once.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
FIXTURES = REPO / "tests" / "fixtures"
SEED_A, SEED_B = 7, 8

# (b): quick chapter notebooks, those present; plus the notebook used for (c).
CHAPTERS = [p for p in (NOTEBOOKS / "00_quickstart.py", NOTEBOOKS / "01_data.py") if p.is_file()]
# (c): a chapter whose tables are estimates on the semi-synthetic panel; the fixture until 03_t2_baseline exists.
SEEDED = NOTEBOOKS / "03_t2_baseline.py" if (NOTEBOOKS / "03_t2_baseline.py").is_file() else FIXTURES / "det_twfe.py"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def panel_csv(df) -> bytes:
    return df.to_csv(index=False, float_format="%.10g", lineterminator="\n").encode("utf-8")


def result_hashes(run_dir: Path) -> dict[str, str]:
    """relative path -> sha256 of every CSV under ``run_dir/results``."""
    root = run_dir / "results"
    return {p.relative_to(root).as_posix(): sha256(p.read_bytes()) for p in sorted(root.rglob("*.csv"))}


# ------------------------------------------------------------------------------------------------------- (a)
def test_load_panel_same_seed_same_bytes_other_seed_other_bytes():
    from nqp_helpers.data.load import load_panel

    first = load_panel("semi_synthetic", seed=SEED_A)
    second = load_panel("semi_synthetic", seed=SEED_A)
    other = load_panel("semi_synthetic", seed=SEED_B)
    assert sha256(panel_csv(first)) == sha256(panel_csv(second))
    pd.testing.assert_frame_equal(first, second, check_exact=True)  # not only at 10 significant digits
    assert sha256(panel_csv(first.attrs["truth"])) == sha256(panel_csv(second.attrs["truth"]))
    assert sha256(panel_csv(first)) != sha256(panel_csv(other))
    # what stays fixed across seeds (real cities, years, pilot timing) and what moves (the simulated outcomes)
    keys = ["city_code", "year", "first_treat", "Inn"]
    assert first[keys].equals(other[keys])
    assert not first["Pro"].equals(other["Pro"])


def test_load_panel_same_bytes_in_a_fresh_interpreter():
    from nqp_helpers.data.load import load_panel

    here = sha256(panel_csv(load_panel("semi_synthetic", seed=SEED_A)))
    code = (
        "import hashlib, sys; from nqp_helpers.data.load import load_panel; "
        f"df = load_panel('semi_synthetic', seed={SEED_A}); "
        "sys.stdout.write(hashlib.sha256(df.to_csv(index=False, float_format='%.10g', "
        "lineterminator='\\n').encode('utf-8')).hexdigest())"
    )
    env = dict(os.environ, PYTHONHASHSEED="12345")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == here


# ---------------------------------------------------------------------------------------------------- (b), (c)
@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """executed(notebook, seed, rep) -> run folder; each combination is executed once per module."""
    from nqp_helpers.runner import run_notebook

    cache: dict[tuple[str, int, int], Path] = {}
    runs = tmp_path_factory.mktemp("determinism_runs")

    def get(notebook: Path, seed: int, rep: int) -> Path:
        key = (notebook.name, seed, rep)
        if key not in cache:
            cache[key] = run_notebook(notebook, {"seed": seed}, runs_dir=runs)
        return cache[key]

    return get


@pytest.mark.slow
@pytest.mark.parametrize("notebook", list(dict.fromkeys([*CHAPTERS, SEEDED])), ids=lambda p: p.stem)
def test_same_seed_byte_identical_tables(notebook, executed):
    one, two = executed(notebook, SEED_A, 1), executed(notebook, SEED_A, 2)
    assert one != two, "the two executions must use two run folders"
    h1, h2 = result_hashes(one), result_hashes(two)
    assert h1, f"{notebook.name} wrote no CSV to {one / 'results'}"
    assert sorted(h1) == sorted(h2)
    differ = [name for name in h1 if h1[name] != h2[name]]
    assert not differ, f"{notebook.name}: tables differ between two runs with seed {SEED_A}: {differ}"


@pytest.mark.slow
def test_other_seed_changes_the_semi_synthetic_tables(executed):
    a, b = executed(SEEDED, SEED_A, 1), executed(SEEDED, SEED_B, 1)
    ha, hb = result_hashes(a), result_hashes(b)
    assert ha and sorted(ha) == sorted(hb)
    changed = [name for name in ha if ha[name] != hb[name]]
    assert changed, f"{SEEDED.name}: no table changed between seeds {SEED_A} and {SEED_B}"
    if SEEDED.name == "det_twfe.py":
        assert set(changed) == set(ha), (
            f"every table of the fixture depends on the seed; unchanged: {sorted(set(ha) - set(changed))}"
        )
