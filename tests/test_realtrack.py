"""The real-track runner's bookkeeping (the runs themselves are exercised by the book build)."""

import json
import os
import time

from nqp_helpers import realtrack


def test_stale_and_read_runs(tmp_path):
    assert not realtrack.stale(tmp_path)  # a book without the exhibit chapters never runs them
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "03_t2_baseline.py").write_text("# %%\n")
    assert realtrack.chapters_in(tmp_path) == ["03_t2_baseline"]
    assert realtrack.stale(tmp_path) and realtrack.read_runs(tmp_path) is None
    out = realtrack.real_dir(tmp_path)
    out.mkdir(parents=True)
    (out / realtrack.RUNS_FILE).write_text(json.dumps({"runs": [{"chapter": "03_t2_baseline", "status": "ok"}]}))
    future = time.time() + 3600
    os.utime(out / realtrack.RUNS_FILE, (future, future))
    assert not realtrack.stale(tmp_path) and realtrack.stale(tmp_path, inputs_changed=True)
    assert realtrack.wait(tmp_path)["runs"][0]["chapter"] == "03_t2_baseline"  # a finished run is read, not redone


def test_wait_runs_itself_when_no_run_is_in_progress(tmp_path, monkeypatch):
    calls = []

    def fake_run_all(root):
        calls.append(root)
        out = realtrack.real_dir(root)
        out.mkdir(parents=True, exist_ok=True)
        (out / realtrack.RUNS_FILE).write_text(json.dumps({"runs": []}))

    monkeypatch.setattr(realtrack, "run_all", fake_run_all)
    realtrack.real_dir(tmp_path).mkdir(parents=True)
    (realtrack.real_dir(tmp_path) / realtrack.LOCK_FILE).write_text("999999999")  # a dead process
    assert realtrack.wait(tmp_path, poll=0.01) == {"runs": []} and calls == [tmp_path]
