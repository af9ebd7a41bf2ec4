import hashlib
import json

import pytest

from nqp_helpers.data.build import build_processed
from nqp_helpers.paths import PROCESSED_DIR


def _sha(p):
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory):
    out = tmp_path_factory.mktemp("processed")
    summary = build_processed(out_dir=out)
    return out, summary


def test_rebuild_is_byte_identical(rebuilt):
    out, _ = rebuilt
    committed = json.loads((PROCESSED_DIR / "manifest.json").read_text(encoding="utf-8"))
    for name, meta in committed["outputs"].items():
        assert _sha(out / name) == meta["sha256"] == _sha(PROCESSED_DIR / name), name
    assert (out / "manifest.json").read_bytes() == (PROCESSED_DIR / "manifest.json").read_bytes()
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".processed-")]


def test_summary_plausible(rebuilt):
    _, s = rebuilt
    assert 250 <= s["n_cities"] <= 297
    assert 85 <= s["n_pilots_default"] <= 103
    assert s["n_city_years"] == 20 * s["n_cities"]
