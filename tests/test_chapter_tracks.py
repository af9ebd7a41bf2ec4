"""The paper's chapters run on the other two tracks: the real public data and a user's own panel file.

The book itself executes every chapter on the default (semi-synthetic) track; these tests execute the exhibit chapters
with ``data=real`` and with ``data=<a user CSV in the documented schema>`` through ``nqp run``'s Python API, and check
that each run succeeds, writes its tables, and that the real track names what it cannot run instead of simulating it.
"""

import json

import pandas as pd
import pytest

from nqp_helpers.data.load import load_panel
from nqp_helpers.data.schema import SCHEMA
from nqp_helpers.paths import NOTEBOOKS_DIR
from nqp_helpers.realtrack import CHAPTERS
from nqp_helpers.runner import run_notebook

pytestmark = pytest.mark.slow

EXHIBIT_CHAPTERS = list(CHAPTERS)
REAL_ONLY = ["01_data", "10_event_study", "12_inference"]


@pytest.fixture(scope="module")
def user_panel(tmp_path_factory):
    """A user file: the semi-synthetic panel reduced to the documented schema columns (no truth, no potential
    outcomes)."""
    panel = load_panel("semi_synthetic", seed=1)
    cols = [c.name for c in SCHEMA if c.name in panel.columns]
    path = tmp_path_factory.mktemp("user") / "my_panel.csv"
    panel[cols].to_csv(path, index=False)
    return path


def _run(name, data, tmp_path):
    folder = run_notebook(NOTEBOOKS_DIR / f"{name}.py", {"data": str(data)}, runs_dir=tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "ok"
    tables = sorted((folder / "results").rglob("*.csv"))
    assert tables, f"{name} on {data!r} wrote no table"
    return folder, tables


@pytest.mark.parametrize("name", EXHIBIT_CHAPTERS + REAL_ONLY)
def test_chapter_runs_on_real_data(name, tmp_path):
    folder, _ = _run(name, "real", tmp_path)
    text = (folder / f"{name}.ipynb").read_text(encoding="utf-8")
    assert "Real data" in text  # the track banner
    if name == "05_t4_iv":  # no public laozihao counts: the column is named as not runnable, not simulated
        assert "laozihao" in text and "cannot" in text.lower()
    if name == "06_t5_t7_amplification":  # Hum, Dig, Ind have no public source
        assert "Hum" in text and ("absent" in text.lower() or "not available" in text.lower())


@pytest.mark.parametrize("name", EXHIBIT_CHAPTERS)
def test_chapter_runs_on_a_user_panel(name, user_panel, tmp_path):
    folder, tables = _run(name, user_panel, tmp_path)
    text = (folder / f"{name}.ipynb").read_text(encoding="utf-8")
    assert "User data" in text and user_panel.name in text  # the banner names the user's file
    assert all(len(pd.read_csv(t)) >= 0 for t in tables)
