"""The one atomic-write helper: whole file or nothing, no temporary file left behind, old target untouched."""

from __future__ import annotations

import os

import pandas as pd
import pytest

from nqp_helpers import atomic


def _names(folder):
    return sorted(p.name for p in folder.iterdir())


def test_write_text_bytes_csv_round_trip(tmp_path):
    t = atomic.write_text(tmp_path / "a.json", '{"x": "新质"}\n')
    assert t == tmp_path / "a.json" and t.read_bytes() == '{"x": "新质"}\n'.encode("utf-8")
    assert atomic.write_bytes(tmp_path / "b.svg", b"<svg/>").read_bytes() == b"<svg/>"
    df = pd.DataFrame({"term": ["Inn", "Eco"], "estimate": [0.1 + 0.2, 1 / 3]})
    c = atomic.write_csv(tmp_path / "c.csv", df, index=False, float_format="%.10g")
    assert c.read_bytes() == b"term,estimate\nInn,0.3\nEco,0.3333333333\n"
    assert _names(tmp_path) == ["a.json", "b.svg", "c.csv"]


def test_written_file_is_readable_by_others(tmp_path):
    """mkstemp makes private files; a results table gets the usual 0o666 minus umask instead."""
    mask = os.umask(0o022)
    try:
        p = atomic.write_text(tmp_path / "t.tex", "x")
    finally:
        os.umask(mask)
    assert p.stat().st_mode & 0o777 == 0o644


def test_replaces_an_existing_target(tmp_path):
    target = tmp_path / "t.txt"
    target.write_text("old", encoding="utf-8")
    atomic.write_text(target, "new")
    assert target.read_text(encoding="utf-8") == "new" and _names(tmp_path) == ["t.txt"]


@pytest.mark.parametrize("exc", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_exception_mid_write_leaves_old_target_and_no_temp(tmp_path, exc):
    target = tmp_path / "t.csv"
    target.write_bytes(b"old,table\n")
    with pytest.raises(type(exc)):
        with atomic.atomic_path(target) as tmp:
            assert tmp.parent == tmp_path and tmp != target
            tmp.write_bytes(b"half a ta")  # some bytes reach the temp file, then the write dies
            raise exc
    assert _names(tmp_path) == ["t.csv"] and target.read_bytes() == b"old,table\n"


def test_exception_mid_write_leaves_no_new_target(tmp_path):
    class Boom(pd.DataFrame):
        def to_csv(self, buf=None, *args, **kwargs):
            pd.DataFrame(self).head(1).to_csv(buf, *args, **kwargs)
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        atomic.write_csv(tmp_path / "t.csv", Boom({"a": [1, 2, 3]}), index=False)
    assert _names(tmp_path) == []


def test_failed_rename_leaves_no_temp(tmp_path, monkeypatch):
    target = atomic.write_text(tmp_path / "manifest.json", "{}")

    def fails(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", fails)
    with pytest.raises(OSError, match="No space left"):
        atomic.write_text(target, '{"status": "ok"}')
    assert _names(tmp_path) == ["manifest.json"] and target.read_text() == "{}"


def test_staged_files_all_or_nothing(tmp_path):
    out = tmp_path / "processed"
    out.mkdir()
    (out / "a.csv").write_text("old a")
    (out / "keep.csv").write_text("kept")
    with pytest.raises(RuntimeError):
        with atomic.staged_files(out) as stage:
            (stage / "a.csv").write_text("new a")
            (stage / "b.csv").write_text("new b")
            raise RuntimeError("raw input missing")
    assert _names(tmp_path) == ["processed"] and _names(out) == ["a.csv", "keep.csv"]
    assert (out / "a.csv").read_text() == "old a"

    with atomic.staged_files(out) as stage:
        (stage / "a.csv").write_text("new a")
        (stage / "b.csv").write_text("new b")
    assert _names(tmp_path) == ["processed"] and _names(out) == ["a.csv", "b.csv", "keep.csv"]
    assert (out / "a.csv").read_text() == "new a" and (out / "keep.csv").read_text() == "kept"


def test_staged_files_creates_the_folder(tmp_path):
    out = tmp_path / "new" / "processed"
    with atomic.staged_files(out) as stage:
        (stage / "x.csv").write_text("x")
    assert _names(out) == ["x.csv"] and _names(out.parent) == ["processed"]
