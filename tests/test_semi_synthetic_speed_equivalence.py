"""``simulate_panel`` output is byte-identical to the pre-optimisation generator.

``tests/fixtures/semi_synthetic_hashes.json`` holds the sha256 of ``df.to_csv(float_format="%.10g")`` (the whole
panel) and of ``df.attrs["truth"].to_csv(...)`` for every case of ``CASES``, computed with the generator *before* the
speed work (per-process caches, prepared skeletons, vectorised calibration). Any change to the output - even in the
10th significant digit - changes a hash and fails the test.

The cases cover both skeletons (``real_panel()`` when the real track is built; ``toy_skeleton()`` always), all three
scenarios, with and without the exclusion violation, no/custom calibration, and a ``PreparedSkeleton`` passed in
place of the DataFrame (must give the same bytes as the DataFrame).

Regenerate (only when the DGP is changed on purpose):
``python tests/test_semi_synthetic_speed_equivalence.py --regenerate``.
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from nqp_helpers.data import semi_synthetic as ss  # noqa: E402
from nqp_helpers.paths import PROCESSED_DIR  # noqa: E402

from toy_panels import toy_skeleton  # noqa: E402

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "semi_synthetic_hashes.json"

# (name, skeleton, seed, scenario, iv_exclusion_violation, calibration)
CASES = [(sk, seed, scen, viol, None)
         for sk, seeds in (("toy", (0, 11)), ("real", (1, 20260102)))
         for seed in seeds for scen in ss.SCENARIOS for viol in (False, True)]
CASES += [("toy", 3, "dynamic", False, False), ("toy", 4, "constant", False, {"Lab": 0.05}),
          ("real", 3, "heterogeneous", False, False), ("real", 5, "constant", True, {"Mea": 0.04, "Obj": 0.03})]


def case_id(case) -> str:
    sk, seed, scen, viol, cal = case
    return f"{sk}-seed{seed}-{scen}-viol{int(viol)}-cal{json.dumps(cal, sort_keys=True)}"


def _csv_hash(df) -> str:
    return hashlib.sha256(df.to_csv(float_format="%.10g").encode()).hexdigest()


def panel_hashes(skeleton, case) -> dict:
    _, seed, scen, viol, cal = case
    df = ss.simulate_panel(skeleton, seed=seed, scenario=scen, iv_exclusion_violation=viol, calibration=cal)
    return {"panel": _csv_hash(df), "truth": _csv_hash(df.attrs["truth"]),
            "tau": {k: float.hex(v) for k, v in df.attrs["calibration"]["tau"].items()}}


_SKELETONS: dict = {}


def skeleton(name: str):
    if name not in _SKELETONS:
        if name == "toy":
            _SKELETONS[name] = toy_skeleton()
        else:
            if not (PROCESSED_DIR / "real_panel.csv").exists():
                pytest.skip("real track not built (data/processed/real_panel.csv)")
            from nqp_helpers.data.real import real_panel
            _SKELETONS[name] = real_panel()
    return _SKELETONS[name]


def _expected() -> dict:
    return json.loads(FIXTURE.read_text())


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_output_identical_to_reference(case):
    exp = _expected()[case_id(case)]
    assert panel_hashes(skeleton(case[0]), case) == exp


@pytest.mark.parametrize("name", ["toy", "real"])
def test_prepared_skeleton_gives_same_bytes(name):
    """``simulate_panel(prepare_skeleton(sk), ...)`` == ``simulate_panel(sk, ...)`` byte for byte."""
    prep = getattr(ss, "prepare_skeleton", None)
    if prep is None:
        pytest.skip("no prepare_skeleton")
    sk = skeleton(name)
    case = next(c for c in CASES if c[0] == name and c[2] == "dynamic" and c[3])
    assert panel_hashes(prep(sk), case) == _expected()[case_id(case)]


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
    assert _csv_hash(ss.simulate_panel(sk, seed=1)) == _csv_hash(ss.simulate_panel(sk2, seed=1))
    assert _csv_hash(ss.simulate_panel(sk, seed=1)) != _csv_hash(a)


if __name__ == "__main__" and "--regenerate" in sys.argv:
    out = {case_id(c): panel_hashes(skeleton(c[0]), c) for c in CASES}
    FIXTURE.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(out)} cases to {FIXTURE}")
