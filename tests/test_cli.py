"""The `nqp` command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from nqp_helpers.cli import main

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"


def test_help(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for cmd in ("run", "params", "build", "data"):
        assert cmd in out


def test_console_script_help():
    exe = Path(sys.executable).parent / "nqp"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "nqp_helpers.cli"]
    proc = subprocess.run(cmd + ["--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "params" in proc.stdout


def test_params_lists_comments(capsys):
    assert main(["params", str(FIXTURES / "tiny_ok.py")]) == 0
    out = capsys.readouterr().out
    assert "number of rows" in out and "seed of the random draw" in out
    assert "int" in out and "float" in out and "'tiny'" in out


def test_params_quickstart(capsys):
    assert main(["params", str(REPO / "notebooks" / "00_quickstart.py")]) == 0
    out = capsys.readouterr().out
    assert "seed" in out and "data" in out and "20260101" in out


def test_params_accepts_old_and_bare_chapter_names(capsys):
    """Chapters were renamed after their exhibits; the old path and the bare stem still work, with a note."""
    assert main(["params", "notebooks/03_baseline.py"]) == 0
    out, err = capsys.readouterr()
    assert "seed" in out and "note: notebooks/03_baseline.py is now notebooks/03_t2_baseline.py" in err
    assert main(["params", "03_t2_baseline"]) == 0
    out, err = capsys.readouterr()
    assert "seed" in out and "note:" not in err  # the current name gets no note


def test_unknown_chapter_names_the_chapters(capsys):
    assert main(["params", "notebooks/99_nope.py"]) == 2
    err = capsys.readouterr().err
    assert "notebooks/99_nope.py does not exist" in err and "03_t2_baseline" in err


def test_run_rejects_unknown_parameter(tmp_path, capsys):
    rc = main(["run", str(FIXTURES / "tiny_ok.py"), "-p", "nn", "3", "--runs-dir", str(tmp_path / "runs")])
    assert rc == 2
    err = capsys.readouterr().err
    assert "'nn'" in err and "declared parameters" in err
    assert not (tmp_path / "runs").exists()


def test_run_ok_and_failed_exit_codes(tmp_path, capsys):
    runs = tmp_path / "runs"
    assert main(["run", str(FIXTURES / "tiny_ok.py"), "-p", "n", "2", "--runs-dir", str(runs)]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert Path(last).is_dir() and Path(last).parent == runs
    assert main(["run", str(FIXTURES / "tiny_fail.py"), "--runs-dir", str(runs)]) == 1
    err = capsys.readouterr().err
    assert "FAILED" in err and "cell 3" in err and "manifest" in err


def test_data_build_calls_build_processed(monkeypatch, capsys):
    """`nqp data build` imports the data layer lazily and prints the manifest summary it returns."""
    import types

    fake = types.ModuleType("nqp_helpers.data.build_processed")
    fake.build_processed = lambda: {"tables": 3, "status": "ok"}
    monkeypatch.setitem(sys.modules, "nqp_helpers.data.build_processed", fake)
    assert main(["data", "build"]) == 0
    out = capsys.readouterr().out
    assert "tables: 3" in out and "status: ok" in out
