"""``simulate_panel`` output equals the stored reference *values*, within the cross-machine tolerance.

``tests/fixtures/semi_synthetic_values.json`` holds, for every case of ``CASES``, a compact summary of the panel and
of its truth table (shape; sha256 of the column names and of the non-float columns, which are exact on every
machine; per float column its NaN count and a checksum ``sum(w * x)`` with fixed pseudo-random weights ``w``, which
moves if any single value or the row order changes) and the calibrated ``tau``. Float values are compared with
``REL_TOL``/``ABS_TOL`` (``nqp_helpers.verify``), never by bits: numpy's SIMD dispatch and BLAS kernels depend on the
CPU, so the last bits differ across machines (CONTRIBUTING.md, Determinism; README, Controlled randomness).
Byte-identical output is promised, and tested, only within one machine: here, a ``PreparedSkeleton`` must give the
same bytes as the DataFrame it was prepared from (same process), and ``tests/test_determinism.py`` checks same
seed -> same bytes in-process and in a fresh interpreter.

The cases cover both skeletons (``real_panel()`` when the real track is built; ``toy_skeleton()`` always), all three
scenarios, with and without the exclusion violation, no/custom calibration.

Regenerate (only when the DGP is changed on purpose), one command:
``.venv/bin/python tests/test_semi_synthetic_speed_equivalence.py --regenerate``.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from toy_panels import toy_skeleton  # noqa: E402

from nqp_helpers.data import semi_synthetic as ss  # noqa: E402
from nqp_helpers.paths import PROCESSED_DIR  # noqa: E402
from nqp_helpers.verify import ABS_TOL, REL_TOL, close  # noqa: E402

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "semi_synthetic_values.json"

# (skeleton, seed, scenario, iv_exclusion_violation, calibration)
CASES = [
    (sk, seed, scen, viol, None)
    for sk, seeds in (("toy", (0, 11)), ("real", (1, 20260102)))
    for seed in seeds
    for scen in ss.SCENARIOS
    for viol in (False, True)
]
CASES += [
    ("toy", 3, "dynamic", False, False),
    ("toy", 4, "constant", False, {"Lab": 0.05}),
    ("real", 3, "heterogeneous", False, False),
    ("real", 5, "constant", True, {"Mea": 0.04, "Obj": 0.03}),
]


def case_id(case) -> str:
    sk, seed, scen, viol, cal = case
    return f"{sk}-seed{seed}-{scen}-viol{int(viol)}-cal{json.dumps(cal, sort_keys=True)}"


def _csv_bytes(df) -> bytes:
    return df.to_csv(float_format="%.10g").encode()


def _weights(n: int) -> np.ndarray:
    # integer-based PCG64 draws are the same on every platform
    return np.random.default_rng(12345).uniform(0.5, 1.5, n)


def _g(x: float) -> float:
    """11 significant digits: rounding error <= 5e-11 relative, well inside REL_TOL, and a smaller fixture."""
    return float(f"{x:.11g}")


def summarise(df) -> dict:
    """Compact, CPU-independent description of a table: exact parts (shape, names, sha256 of the non-float
    columns) and, per float column, [NaN count, checksum sum(w * x) over the non-NaN rows] (compared within
    tolerance)."""
    floats = [c for c in df.columns if df[c].dtype.kind == "f"]
    other = [c for c in df.columns if c not in floats]
    w = _weights(len(df))
    out = {
        "shape": list(df.shape),
        "columns_sha256": hashlib.sha256("\0".join(map(str, df.columns)).encode()).hexdigest(),
        "exact_sha256": hashlib.sha256(df[other].to_csv(index=False).encode()).hexdigest(),
        "float": {},
    }
    for c in floats:
        x = df[c].to_numpy(dtype=float)
        ok = ~np.isnan(x)
        out["float"][str(c)] = [int((~ok).sum()), _g(np.dot(w[ok], x[ok]))]
    return out


def case_values(skeleton, case) -> dict:
    _, seed, scen, viol, cal = case
    df = ss.simulate_panel(skeleton, seed=seed, scenario=scen, iv_exclusion_violation=viol, calibration=cal)
    return {
        "panel": summarise(df),
        "truth": summarise(df.attrs["truth"]),
        "tau": {k: _g(v) for k, v in df.attrs["calibration"]["tau"].items()},
    }


def assert_values_close(got, exp, where: str = "") -> None:
    """Recursive comparison: dict keys, list lengths, strings/ints/None exactly, floats within tolerance."""
    if isinstance(exp, dict):
        assert isinstance(got, dict) and sorted(got) == sorted(exp), f"{where}: keys {sorted(got)} != {sorted(exp)}"
        for k in exp:
            assert_values_close(got[k], exp[k], f"{where}.{k}")
    elif isinstance(exp, list):
        assert isinstance(got, list) and len(got) == len(exp), f"{where}: length {len(got)} != {len(exp)}"
        for i, (g, e) in enumerate(zip(got, exp)):
            assert_values_close(g, e, f"{where}[{i}]")
    elif isinstance(exp, float) and not isinstance(exp, bool):
        assert isinstance(got, (int, float)) and close(float(got), exp), (
            f"{where}: {got!r} != {exp!r} (rtol {REL_TOL:g}, atol {ABS_TOL:g})"
        )
    else:
        assert got == exp, f"{where}: {got!r} != {exp!r}"


_SKELETONS: dict = {}


def skeleton(name: str):
    if name not in _SKELETONS:
        if name == "toy":
            _SKELETONS[name] = toy_skeleton()
        else:
            if not (PROCESSED_DIR / "real_panel.csv").exists():
                pytest.skip("real track not built (data/processed/real_panel.csv)")
            from nqp_helpers.data.real_panel import real_panel

            _SKELETONS[name] = real_panel()
    return _SKELETONS[name]


_EXPECTED: dict = {}


def _expected() -> dict:
    if not _EXPECTED:
        _EXPECTED.update(json.loads(FIXTURE.read_text()))
    return _EXPECTED


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_output_equals_reference_values(case):
    exp = _expected()[case_id(case)]
    assert_values_close(case_values(skeleton(case[0]), case), exp, case_id(case))


def test_comparison_detects_a_changed_value():
    """The check can fail: one value moved by 1e-6 relative (far above the tolerance) is caught and named."""
    case = CASES[0]
    got = case_values(skeleton("toy"), case)
    col = next(iter(got["panel"]["float"]))
    got["panel"]["float"][col][1] *= 1 + 1e-6
    with pytest.raises(AssertionError, match=rf"float\.{col}\[1\]"):
        assert_values_close(got, _expected()[case_id(case)])
    # and a last-bits difference, as between two CPUs, passes
    got["panel"]["float"][col][1] = _expected()[case_id(case)]["panel"]["float"][col][1] * (1 + 4e-16)
    assert_values_close(got, _expected()[case_id(case)])


@pytest.mark.parametrize("name", ["toy", "real"])
def test_prepared_skeleton_gives_same_bytes(name):
    """Within one process: ``simulate_panel(prepare_skeleton(sk), ...)`` == ``simulate_panel(sk, ...)`` byte for
    byte (panel and truth)."""
    sk = skeleton(name)
    _, seed, scen, viol, cal = next(c for c in CASES if c[0] == name and c[2] == "dynamic" and c[3])
    kw = {"seed": seed, "scenario": scen, "iv_exclusion_violation": viol, "calibration": cal}
    a, b = ss.simulate_panel(sk, **kw), ss.simulate_panel(ss.prepare_skeleton(sk), **kw)
    assert _csv_bytes(a) == _csv_bytes(b)
    assert _csv_bytes(a.attrs["truth"]) == _csv_bytes(b.attrs["truth"])
    assert a.attrs["calibration"]["tau"] == b.attrs["calibration"]["tau"]


def test_skeleton_not_modified_and_cache_sees_edits():
    """The per-skeleton cache must not leak between different skeleton contents (an in-place edit of a cached
    skeleton changes the output exactly as a fresh copy would)."""
    sk = toy_skeleton(n_cities=30)
    before = sk.copy()
    a = ss.simulate_panel(sk, seed=1)
    assert sk.equals(before)
    sk2 = sk.copy()
    sk2.loc[sk2.index[:40], "Eco"] = sk2.loc[sk2.index[:40], "Eco"] * 1.5
    sk.loc[sk.index[:40], "Eco"] = sk.loc[sk.index[:40], "Eco"] * 1.5  # same object, edited in place
    assert _csv_bytes(ss.simulate_panel(sk, seed=1)) == _csv_bytes(ss.simulate_panel(sk2, seed=1))
    assert _csv_bytes(ss.simulate_panel(sk, seed=1)) != _csv_bytes(a)


if __name__ == "__main__" and "--regenerate" in sys.argv:
    out = {case_id(c): case_values(skeleton(c[0]), c) for c in CASES}
    lines = [f"{json.dumps(k)}:{json.dumps(v, sort_keys=True, separators=(',', ':'))}" for k, v in sorted(out.items())]
    FIXTURE.write_text("{\n" + ",\n".join(lines) + "\n}\n")  # one case per line: readable diffs
    print(f"wrote {len(out)} cases to {FIXTURE} ({FIXTURE.stat().st_size / 1024:.0f} KiB)")
