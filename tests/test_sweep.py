"""`nqp sweep`: grids validated before anything runs, one dask task per run, failures isolated, resume by hash;
runs execute in a worker's scratch folder and come home to the client; workers are checked before submitting.

The cluster commands are parsed from book/sweeps.md (blocks after `% tested-commands: <label>`), so the guide shows
what these tests run.
"""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path

import pandas as pd
import pytest

from nqp_helpers.cli import main
from nqp_helpers.errors import NQPInputError
from nqp_helpers.local_dask import by_hand_cluster, guide_commands
from nqp_helpers.sweep import client_state, load_grid, read_index, run_hash, run_sweep

REPO = Path(__file__).resolve().parent.parent
NB = REPO / "tests" / "fixtures" / "sweep_nb.py"
NB_REL = "tests/fixtures/sweep_nb.py"


@pytest.fixture(scope="module")
def by_hand(tmp_path_factory):
    """The guide's `dask scheduler` and `dask worker` on a free port; the worker runs in its own working directory
    with its own scratch (--local-directory). Yields (address, scratch, worker home, the guide's nqp lines)."""
    with by_hand_cluster(tmp_path_factory.mktemp("by-hand")) as c:
        yield c["address"], c["scratch"], c["home"], c["nqp"]


def _nqp(argv: list[str], grid: Path, tmp: Path, *extra: str) -> int:
    """Run a guide's `nqp sweep` line in this process with the test's grid and output folders."""
    assert argv[:2] == ["nqp", "sweep"] and argv[2].endswith(".yaml")
    return main(
        ["sweep", str(grid), *argv[3:], "--runs-dir", str(tmp / "runs"), "--sweep-dir", str(tmp / "out"), *extra]
    )


def _leftovers(scratch: Path, pattern: str) -> list[Path]:
    return [p for p in scratch.rglob(pattern)] if scratch.exists() else []


def _grid(tmp_path: Path, text: str, name: str = "grid.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _manifest(run_dir) -> dict:
    return json.loads((Path(run_dir) / "manifest.json").read_text(encoding="utf-8"))


# --------------------------------------------------------------------------------------------- validation (no runs)
def test_typo_in_grid_file_names_key_and_suggests(tmp_path):
    grid = _grid(tmp_path, f"notebook: {NB_REL}\nparamters:\n  seed: [1, 2]\n", "typo.yaml")
    with pytest.raises(NQPInputError) as exc:
        run_sweep(grid, runs_dir=tmp_path / "runs", sweep_dir=tmp_path / "out", progress=False)
    msg = str(exc.value)
    assert "'paramters'" in msg and "did you mean 'parameters'" in msg
    assert not (tmp_path / "runs").exists() and not (tmp_path / "out").exists()
    # the command line reports it with exit status 2
    assert main(["sweep", str(grid), "--runs-dir", str(tmp_path / "runs"), "--sweep-dir", str(tmp_path / "out")]) == 2


def test_one_invalid_set_and_nothing_runs(tmp_path, capsys):
    grid = _grid(
        tmp_path,
        f"""
notebook: {NB_REL}
parameters:
  seed: [1, 2, "x"]
runs:
  - {{seed: 5, sampel: 3}}
""",
    )
    with pytest.raises(NQPInputError) as exc:
        load_grid(grid)
    msg = str(exc.value)
    assert "nothing was run" in msg
    assert "unknown parameter 'sampel'" in msg
    assert "parameter 'seed' expects int" in msg
    assert "declared parameters of sweep_nb.py" in msg and "n (int, default 10): sample size" in msg
    assert main(["sweep", str(grid), "--runs-dir", str(tmp_path / "runs"), "--sweep-dir", str(tmp_path / "o")]) == 2
    assert "sampel" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists() and not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    "text, needle",
    [
        (f"notebook: {NB_REL}\nparameters:\n  seed: 3\n", "non-empty list"),
        (f"notebook: {NB_REL}\nparameters:\n  seed: [1]\nfixed:\n  seed: 2\n", "both in 'fixed' and in 'parameters'"),
        ("notebook: notebooks/99_missing.py\nparameters:\n  seed: [1]\n", "does not exist"),
        ("parameters:\n  seed: [1]\n", "missing key 'notebook'"),
        (f"notebooks: {NB_REL}\nparameters:\n  seed: [1]\n", "did you mean 'notebook'"),
        ("- just a list\n", "expected a mapping"),
    ],
)
def test_malformed_grids(tmp_path, text, needle):
    with pytest.raises(NQPInputError) as exc:
        load_grid(_grid(tmp_path, text))
    assert needle in str(exc.value)


def test_grid_naming_a_chapter_by_its_old_name_runs_the_renamed_file(tmp_path):
    g = load_grid({"notebook": "notebooks/03_baseline.py", "parameters": {"seed": [1]}})
    assert [nb.name for nb in g.notebooks] == ["03_t2_baseline.py"]


def test_expansion_fixed_runs_duplicates_and_hash(tmp_path):
    grid = {
        "name": "exp",
        "notebook": NB_REL,
        "parameters": {"seed": [1, 2], "n": ["5", 6]},  # quoted numbers from YAML are coerced
        "runs": [{"seed": 9, "pause": 0.5}, {"seed": 1, "n": 5}],  # the second duplicates a product set
        "fixed": {"pause": 0.0},
    }
    g = load_grid(grid)
    assert g.name == "exp" and len(g.runs) == 5 and g.duplicates == 1
    assert [r.given for r in g.runs[:2]] == [{"pause": 0.0, "seed": 1, "n": 5}, {"pause": 0.0, "seed": 1, "n": 6}]
    assert g.runs[-1].given == {"pause": 0.5, "seed": 9}  # a set's own value wins over 'fixed'
    assert g.runs[-1].effective == {"seed": 9, "n": 10, "fail": False, "pause": 0.5}  # declared defaults filled in
    # identity: stable, and it changes with the notebook content, a parameter, or the data manifest
    assert [r.hash for r in load_grid(grid).runs] == [r.hash for r in g.runs]
    data = tmp_path / "manifest.json"
    data.write_text('{"outputs": {}}')
    assert load_grid(grid, data_manifest=data).runs[0].hash != g.runs[0].hash
    edited = tmp_path / "sweep_nb.py"
    edited.write_text(NB.read_text() + "\n# an edit\n")
    assert load_grid(grid | {"notebook": str(edited)}).runs[0].hash != g.runs[0].hash
    assert run_hash("a", {"x": 1, "y": 2}, "d") == run_hash("a", {"y": 2, "x": 1}, "d")  # canonical JSON
    assert run_hash("a", {"x": 1}, "d") != run_hash("a", {"x": 2}, "d")
    # a list of notebooks: every set runs on every notebook
    two = load_grid(grid | {"notebook": [NB_REL, str(edited)]})
    assert len(two.runs) == 10 and len({r.notebook for r in two.runs}) == 2


# --------------------------------------------------------------------------------------------- running
def test_failure_isolated_then_resume_after_interruption(tmp_path, by_hand, capsys):
    scheduler_address = by_hand[0]
    grid = _grid(
        tmp_path,
        f"""# four runs, one failing on purpose
notebook: {NB_REL}
parameters:
  seed: [1, 2, 3]
runs:
  - {{seed: 4, fail: true}}
fixed:
  pause: 0.0
""",
        "resume.yaml",
    )
    runs, out = tmp_path / "runs", tmp_path / "out"
    df = run_sweep(grid, scheduler=scheduler_address, runs_dir=runs, sweep_dir=out, progress=False)

    # one row per run; the failing one is reported and did not stop the others
    assert len(df) == 4 and list(df["seed"]) == [1, 2, 3, 4]
    assert list(df["status"]) == ["ok", "ok", "ok", "failed"] and not df["skipped"].any()
    failed = df.iloc[3]
    assert "deliberate failure (seed=4" in failed["error"] and failed["error"].endswith(f"of {NB_REL}")
    assert _manifest(failed["run_dir"])["status"] == "failed"
    for run_dir in df["run_dir"][:3]:
        assert _manifest(run_dir)["status"] == "ok"
        assert (Path(run_dir) / "results" / "sweep_nb" / "row.csv").is_file()
    on_disk = pd.read_csv(out / "summary.csv")
    assert list(on_disk.columns) == [
        "hash",
        "notebook",
        "seed",
        "n",
        "fail",
        "pause",
        "status",
        "skipped",
        "run_dir",
        "wall_seconds",
        "error",
    ]
    assert list(on_disk["hash"]) == list(df["hash"]) and (on_disk["wall_seconds"] > 0).all()
    assert not list(out.glob("*.tmp")) and not list(out.glob(".*.tmp"))
    lines = (out / "index.jsonl").read_text().splitlines()
    assert len(lines) == 4

    # simulate an interruption: the line of run seed=2 never made it to the index, its folder is gone,
    # and the sweep was killed in the middle of writing another line
    h2 = df.loc[df["seed"] == 2, "hash"].item()
    shutil.rmtree(df.loc[df["seed"] == 2, "run_dir"].item())
    kept = [ln for ln in lines if json.loads(ln)["hash"] != h2]
    (out / "index.jsonl").write_text("\n".join(kept) + '\n{"hash": "torn', encoding="utf-8")
    assert h2 not in read_index(out) and len(read_index(out)) == 3

    capsys.readouterr()
    code = main(
        ["sweep", str(grid), "--scheduler", scheduler_address, "--runs-dir", str(runs), "--sweep-dir", str(out)]
    )
    assert code == 1  # the failed run is retried and fails again
    printed = capsys.readouterr().out
    assert "4 runs: 3 ok (2 skipped as already done), 1 failed" in printed
    again = pd.read_csv(out / "summary.csv")
    assert list(again["skipped"]) == [True, False, True, False]
    assert list(again["status"]) == ["ok", "ok", "ok", "failed"]
    assert again.loc[0, "run_dir"] == df.loc[0, "run_dir"] and again.loc[2, "run_dir"] == df.loc[2, "run_dir"]
    assert again.loc[1, "run_dir"] != df.loc[1, "run_dir"] and _manifest(again.loc[1, "run_dir"])["status"] == "ok"
    assert len(list(runs.iterdir())) == 3 + 2  # 3 kept (seed=2 deleted); only seed=2 and the failed run ran again


def test_by_hand_cluster_commands_from_the_guide(tmp_path, by_hand):
    """The guide's scheduler + worker; run folders come home, the worker's scratch is emptied, resume skips."""
    _, scratch, home, nqp_lines = by_hand
    plain = nqp_lines[0]
    grid = _grid(tmp_path, f"notebook: {NB_REL}\nparameters:\n  seed: [11, 12, 13]\nfixed:\n  pause: 0.0\n")
    # interrupted after two runs (--limit), then the guide's command as written
    assert _nqp(plain, grid, tmp_path, "--limit", "2") == 0
    first = pd.read_csv(tmp_path / "out" / "summary.csv")
    assert list(first["status"]) == ["ok", "ok", "pending"]
    assert _nqp(plain, grid, tmp_path) == 0
    summary = pd.read_csv(tmp_path / "out" / "summary.csv")
    assert list(summary["status"]) == ["ok"] * 3 and list(summary["skipped"]) == [True, True, False]
    runs = tmp_path / "runs"
    assert sorted(Path(d).parent for d in summary["run_dir"]) == [runs] * 3 and len(list(runs.iterdir())) == 3
    hosts = {socket.gethostname()}
    for run_dir, seed in zip(summary["run_dir"], summary["seed"]):
        m = _manifest(run_dir)
        assert m["status"] == "ok" and m["parameters_effective"]["seed"] == seed and m["notebook"] == NB_REL
        assert m["worker"]["host"] in hosts and m["worker"]["address"].startswith("tcp://127.0.0.1:")
        assert m["worker"]["nqp_helpers"] == client_state()["nqp_helpers"] and m["versions"]["pandas"]
        assert Path(m["worker"]["run_dir"]).is_relative_to(scratch)  # it ran in the worker's scratch ...
        assert not Path(m["worker"]["run_dir"]).exists()
        row = pd.read_csv(Path(run_dir) / "results" / "sweep_nb" / "row.csv")  # ... and its files came home
        assert row["seed"].item() == seed
        assert (Path(run_dir) / "sweep_nb.ipynb").is_file()
    assert _leftovers(scratch, "nqp-task-*") == [] and list(home.iterdir()) == []


HIDE_PROJECT = """# dask --preload: this worker cannot import nqp_helpers (a worker without the project installed)
import sys
sys.meta_path[:] = [f for f in sys.meta_path if "__editable__" not in getattr(f, "__module__", "")]
"""


def test_ship_code_to_a_worker_without_the_project(tmp_path, capsys):
    """Way (b), the guide's `--ship-code` line: refused without it; with it the kernel imports the shipped copy,
    which is deleted at the end."""
    hide = tmp_path / "hide_nqp.py"
    hide.write_text(HIDE_PROJECT, encoding="utf-8")
    with by_hand_cluster(tmp_path / "cluster", n_workers=1, worker_args=("--preload", str(hide))) as c:
        plain, shipped = c["nqp"]
        assert "--ship-code" not in plain and "--ship-code" in shipped
        grid = _grid(tmp_path, f"notebook: {NB_REL}\nparameters:\n  seed: [21]\nfixed:\n  pause: 0.0\n")
        assert _nqp(plain, grid, tmp_path / "a") == 2
        err = capsys.readouterr().err
        assert (
            "cannot import nqp_helpers (ModuleNotFoundError" in err
            and f"worker {c['address'].rsplit(':', 1)[0]}:" in err
        )
        assert not (tmp_path / "a").exists()
        assert _nqp(shipped, grid, tmp_path / "b") == 0
        [run_dir] = pd.read_csv(tmp_path / "b" / "out" / "summary.csv")["run_dir"]
        package = Path((Path(run_dir) / "results" / "sweep_nb" / "package.txt").read_text().strip())
        assert package.is_relative_to(c["scratch"]) and "nqp-shipped-code-" in str(package), package
        assert _manifest(run_dir)["worker"]["package_dir"] == str(package.parent)
        assert _leftovers(c["scratch"], "nqp-shipped-code-*") == [] and _leftovers(c["scratch"], "nqp-task-*") == []


def test_version_or_data_mismatch_stops_before_submitting(tmp_path, by_hand, monkeypatch, capsys):
    import nqp_helpers
    from nqp_helpers import sweep

    address = by_hand[0]
    grid = _grid(tmp_path, f"notebook: {NB_REL}\nparameters:\n  seed: [31]\n")
    args = [
        "sweep",
        str(grid),
        "--scheduler",
        address,
        "--runs-dir",
        str(tmp_path / "runs"),
        "--sweep-dir",
        str(tmp_path / "out"),
    ]
    real = nqp_helpers.__version__
    monkeypatch.setattr(nqp_helpers, "__version__", "9.9.9")  # the client now says 9.9.9; the workers run `real`
    assert main(args) == 2
    err = capsys.readouterr().err
    assert f"nqp_helpers version {real} (client: 9.9.9)" in err and "nothing was submitted" in err
    assert err.count("worker tcp://127.0.0.1:") == 2 and socket.gethostname() in err  # each worker named
    monkeypatch.setattr(nqp_helpers, "__version__", real)
    other = tmp_path / "manifest.json"
    other.write_text('{"outputs": {"other": "data"}}')
    monkeypatch.setattr(sweep, "DATA_MANIFEST", other)  # the client now sees other processed data
    assert main(args) == 2
    assert "data manifest data/processed/manifest.json sha256" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists() and not (tmp_path / "out").exists()


def test_a_task_refuses_other_code_or_data(tmp_path):
    """The per-task check (a worker that joined after the probe): nothing runs, the message says why."""
    from nqp_helpers.sweep import _execute

    expect = client_state()
    for key, value, needle in [
        ("nqp_helpers", "0.0.1", "nqp_helpers version"),
        ("code_sha", "0" * 64, "with different code"),
        ("data_sha", "f" * 64, "data manifest"),
    ]:
        task = {
            "notebook": NB_REL,
            "source": NB.read_bytes(),
            "suffix": ".py",
            "given": {"seed": 1},
            "hash": "h",
            "expect": expect | {key: value},
        }
        rec = _execute(task)
        assert rec["status"] == "failed" and rec["files"] is None and needle in rec["error"]
        assert "nothing was run" in rec["error"] and rec["worker"]["host"] == socket.gethostname()


def test_a_returned_file_outside_the_run_folder_is_refused(tmp_path):
    from nqp_helpers.sweep import _receive

    with pytest.raises(NQPInputError, match="outside its run folder"):
        _receive({"hash": "h", "notebook": NB_REL, "files": {"../evil.txt": b"x"}}, tmp_path / "runs", "g")
    assert not (tmp_path / "runs").exists() and not (tmp_path / "evil.txt").exists()


def test_local_cluster_commands_from_the_guide(tmp_path, capsys):
    """The guide's local forms: `--workers 2` starts a local cluster and runs both sets; the `--workers 1 --limit 2`
    line then finds nothing to do and starts no cluster (`--limit` leaving runs pending: the by-hand test)."""
    default, limited = guide_commands("local")
    assert "--limit" not in default and "--limit" in limited
    grid = _grid(tmp_path, f"notebook: {NB_REL}\nparameters:\n  seed: [1, 2]\nfixed:\n  pause: 0.0\n")
    assert _nqp(default, grid, tmp_path) == 0
    assert "2 ok (0 skipped as already done), 0 failed, 0 pending" in capsys.readouterr().out
    summary = pd.read_csv(tmp_path / "out" / "summary.csv")
    workers = {_manifest(d)["worker"]["address"] for d in summary["run_dir"]}
    assert (summary["status"] == "ok").all() and all(a.startswith("tcp://127.0.0.1:") for a in workers)
    assert _nqp(limited, grid, tmp_path) == 0
    assert "2 ok (2 skipped as already done), 0 failed, 0 pending" in capsys.readouterr().out
    assert len(list((tmp_path / "runs").iterdir())) == 2


def test_unreachable_scheduler_is_an_input_error(tmp_path, monkeypatch, capsys):
    from nqp_helpers import sweep

    monkeypatch.setattr(sweep, "CONNECT_TIMEOUT", "1s")
    grid = _grid(tmp_path, f"notebook: {NB_REL}\nparameters:\n  seed: [1]\n")
    code = main(
        [
            "sweep",
            str(grid),
            "--scheduler",
            "tcp://127.0.0.1:9",
            "--runs-dir",
            str(tmp_path / "runs"),
            "--sweep-dir",
            str(tmp_path / "out"),
        ]
    )
    assert code == 2 and "cannot reach the dask scheduler" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists() and not (tmp_path / "out").exists()


def test_example_grids_are_well_formed():
    """The committed grids use only valid keys; those whose notebooks exist validate completely (nothing runs)."""
    import yaml

    from nqp_helpers.sweep import GRID_KEYS

    grids = sorted((REPO / "sweeps").glob("*.yaml"))
    assert {g.name for g in grids} >= {"seeds.yaml", "baseline_choices.yaml"}
    for path in grids:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert set(data) <= set(GRID_KEYS), path.name
        assert path.read_text(encoding="utf-8").startswith("#"), f"{path.name}: comment header missing"
        notebooks = data["notebook"] if isinstance(data["notebook"], list) else [data["notebook"]]
        if all((REPO / nb).is_file() for nb in notebooks):
            assert load_grid(path).runs
    assert len(load_grid(REPO / "sweeps" / "seeds.yaml").runs) == 5
