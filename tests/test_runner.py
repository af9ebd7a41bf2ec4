"""`nqp run`: parameters checked before anything runs, one fresh folder per run, manifest, failures kept."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from nqp_helpers.errors import NQPInputError
from nqp_helpers.runner import (
    RunFailed,
    declared_parameters,
    parse_parameters_source,
    run_notebook,
    validate_parameters,
)

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"

OK = FIXTURES / "tiny_ok.py"
FAIL = FIXTURES / "tiny_fail.py"


def test_declared_parameters_types_defaults_comments():
    params = declared_parameters(OK)
    assert list(params) == ["seed", "n", "scale", "label", "verbose", "cap"]
    assert (params["seed"].type, params["seed"].default) == ("int", 1)
    assert params["scale"].type == "float"
    assert params["verbose"].type == "bool"
    assert params["cap"].nullable
    assert params["n"].comment == "number of rows"


def test_annotated_parameters():
    params = parse_parameters_source("k: int | None = None  # optional count\nw: float = 1  # weight\n")
    assert params["k"].nullable and params["k"].type == "int | None"
    _, given = validate_parameters(OK, {"seed": 3})
    assert given == {"seed": 3}


def test_good_run_makes_folder_with_notebook_table_manifest(runs_dir):
    run = run_notebook(OK, {"n": "4", "scale": "2.5", "label": "x"}, runs_dir=runs_dir, from_cli=True)
    assert run.parent == runs_dir and run.name.endswith("-tiny_ok")
    assert (run / "tiny_ok.ipynb").is_file() and (run / "tiny_ok.input.ipynb").is_file()
    table = (run / "results" / "tiny_ok" / "table.csv").read_text().splitlines()
    assert len(table) == 1 + 4 and table[1].endswith(",x")
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "ok"
    assert manifest["parameters_given"] == {"n": 4, "scale": 2.5, "label": "x"}
    assert manifest["parameters_effective"] == {
        "seed": 1,
        "n": 4,
        "scale": 2.5,
        "label": "x",
        "verbose": False,
        "cap": None,
    }
    assert manifest["seed"] == 1
    for key in ("git", "versions", "started", "ended", "wall_seconds", "notebook"):
        assert key in manifest
    for pkg in ("pandas", "numpy", "papermill", "jupytext", "nqp-replication", "python"):
        assert manifest["versions"][pkg]
    assert "commit" in manifest["git"] and "dirty" in manifest["git"]
    # the kernel ran on this interpreter (the venv's python), in the notebook's folder
    kernel_python, cwd, cap = (run / "results" / "tiny_ok" / "kernel.txt").read_text().splitlines()
    assert Path(kernel_python).parent == Path(sys.executable).parent
    assert Path(cwd) == OK.parent
    assert cap == "None"
    # the source is untouched
    assert OK.read_text().startswith('# %% tags=["parameters"]')


def test_misspelt_parameter_rejected_before_running(runs_dir):
    with pytest.raises(NQPInputError) as exc:
        run_notebook(OK, {"sed": 3}, runs_dir=runs_dir)
    msg = str(exc.value)
    assert "'sed'" in msg
    for name in ("seed", "n", "scale", "label", "verbose", "cap"):
        assert f"  {name} (" in msg  # every declared parameter listed with type and default
    assert "default 1" in msg
    assert not runs_dir.exists()


@pytest.mark.parametrize("params", [{"seed": "abc"}, {"n": 2.5}, {"verbose": 1}, {"seed": None}, {"scale": "x"}])
def test_wrong_type_rejected(runs_dir, params):
    with pytest.raises(NQPInputError, match="expects"):
        run_notebook(OK, params, runs_dir=runs_dir, from_cli=isinstance(next(iter(params.values())), str))
    assert not runs_dir.exists()


def test_cli_literals_are_coerced():
    _, given = validate_parameters(OK, {"verbose": "true", "cap": "None", "scale": "3", "label": "12"}, from_cli=True)
    assert given == {"verbose": True, "cap": None, "scale": 3.0, "label": "12"}


def test_failing_cell_keeps_partial_notebook_and_manifest(runs_dir):
    with pytest.raises(RunFailed) as exc:
        run_notebook(FAIL, {"seed": 2}, runs_dir=runs_dir)
    run = exc.value.run_dir
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "failed"
    err = manifest["error"]
    assert err["ename"] == "RuntimeError" and "deliberate" in err["evalue"]
    assert err["cell_index"] == 3 and err["code_cell_number"] == 3
    assert (run / "tiny_fail.ipynb").is_file()
    assert "cell 3" in str(exc.value)


def test_two_runs_never_share_a_folder(runs_dir):
    a = run_notebook(OK, {}, runs_dir=runs_dir)
    b = run_notebook(OK, {}, runs_dir=runs_dir)
    assert a != b and a.is_dir() and b.is_dir()
    assert (a / "results" / "tiny_ok" / "table.csv").read_bytes() == (
        b / "results" / "tiny_ok" / "table.csv"
    ).read_bytes()


def test_missing_parameters_cell(tmp_path):
    nb = tmp_path / "nope.py"
    nb.write_text("# %%\nx = 1\n")
    with pytest.raises(NQPInputError, match="parameters"):
        declared_parameters(nb)
