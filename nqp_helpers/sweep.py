"""Parameter sweeps: one notebook run per parameter set, scheduled on dask.distributed, resumable.

    nqp sweep sweeps/seeds.yaml [--scheduler tcp://host:8786] [--workers 2] [--runs-dir runs] [--ship-code]

**Workers need not share the client's disk.** Before submitting, every worker is probed
(:func:`check_workers`): it must import ``nqp_helpers`` at the client's version and source fingerprint and see the
same ``data/processed/manifest.json``, else :class:`SweepEnvironmentError` names the worker and the difference.
``--ship-code`` first sends a wheel of the package and a zip of ``data/`` (:func:`ship_code_to`). Each task
(:func:`_execute`) checks again, runs the notebook in a scratch folder in the worker's local directory, returns the
run folder's files and deletes the scratch; the client writes them as a run folder under its own runs dir
(:func:`_receive`), the manifest extended with the worker (host, address, versions). Index, summary and resume
read only the client's disk.

A **grid file** (YAML) names the notebook(s) and the parameter sets::

    notebook: notebooks/03_t2_baseline.py     # or a list of notebooks (every set runs on every notebook)
    parameters:                            # name -> list of values; the Cartesian product is taken
      seed: [1, 2, 3]
      weights: [paper, entropy]
    runs:                                  # and/or explicit parameter sets, appended to the product
      - {seed: 99, weights: critic}
    fixed:                                 # merged into every set (a set's own value wins)
      data: semi_synthetic

The whole grid is validated before anything runs (:func:`load_grid`): an unknown top-level key is rejected with the
closest valid key, and every parameter set is checked against the notebook's declared parameters with the runner's
own :func:`~nqp_helpers.runner.validate_parameters` (unknown names, wrong types); one bad set and nothing runs.

**Identity and resume.** A run is identified by ``sha256(notebook file bytes, canonical JSON of the effective
parameters (declared defaults overlaid with the set), data/processed/manifest.json bytes)``. The sweep folder
(``sweeps_out/<grid name>/`` unless ``sweep_dir`` is given) holds ``index.jsonl``: one JSON line appended, flushed and
fsync'ed as each run finishes. A rerun skips a hash whose latest index line says ``ok`` *and* whose run folder (on the
client) still holds a ``manifest.json`` with status ``ok``; failed, missing and never-finished runs are run again.
Change the notebook, a parameter or the processed data and the hash changes, so the run is redone.

At the end ``summary.csv`` (one row per run: hash, notebook, one column per parameter, status, skipped, run folder,
wall time, error) is written atomically (temporary file, then rename).
"""

from __future__ import annotations

import datetime as _dt
import difflib
import hashlib
import itertools
import json
import os
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from . import atomic
from .errors import NQPInputError
from .paths import PROCESSED_DIR, RENAMED_NOTEBOOKS, REPO_ROOT, RUNS_DIR, notebook_path

__all__ = [
    "GRID_KEYS",
    "Grid",
    "RunSpec",
    "SweepEnvironmentError",
    "check_workers",
    "client_state",
    "format_summary",
    "load_grid",
    "read_index",
    "run_hash",
    "run_sweep",
    "ship_code_to",
]

GRID_KEYS = ("name", "description", "notebook", "parameters", "runs", "fixed")
DATA_MANIFEST = PROCESSED_DIR / "manifest.json"  # its bytes enter every run hash
SWEEPS_OUT = REPO_ROOT / "sweeps_out"
INDEX_NAME = "index.jsonl"
SUMMARY_NAME = "summary.csv"
CONNECT_TIMEOUT = "15s"  # to reach an existing scheduler given by address
WORKERS_TIMEOUT = 60.0  # seconds to wait for the first worker of a scheduler given by address
BASE_COLUMNS = ("hash", "notebook")
TAIL_COLUMNS = ("status", "skipped", "run_dir", "wall_seconds", "error")


# --------------------------------------------------------------------------------------------------- the grid
@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep: notebook, the parameters passed to it, the effective parameters, its identity."""

    notebook: Path
    given: dict[str, Any]
    effective: dict[str, Any]
    hash: str


@dataclass
class Grid:
    """A validated grid: its name and the runs it expands to (deduplicated by hash, in grid order)."""

    name: str
    runs: list[RunSpec]
    source: str | None = None
    duplicates: int = 0
    notebooks: list[Path] = field(default_factory=list)


def _canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "absent"


def run_hash(notebook_sha: str, effective: Mapping[str, Any], data_sha: str) -> str:
    """Identity of a run: sha256 over the notebook content hash, the canonical JSON parameters and the data hash."""
    h = hashlib.sha256()
    for part in ("notebook", notebook_sha, "parameters", _canonical_json(dict(effective)), "data", data_sha):
        h.update(part.encode("utf-8") + b"\0")
    return h.hexdigest()


def _suggest(key: str, valid) -> str:
    close = difflib.get_close_matches(key, list(valid), n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _resolve_notebook(value: Any, base: Path | None) -> Path:
    if not isinstance(value, (str, os.PathLike)) or not str(value).strip():
        raise NQPInputError(f"grid key 'notebook': expected a path such as notebooks/03_t2_baseline.py, got {value!r}")
    p = Path(value)
    if p.is_absolute():
        candidates = [p]
    else:  # relative paths: to the repository root first (the documented form), then the grid's folder, then cwd
        candidates = [REPO_ROOT / p] + ([base / p] if base is not None else []) + [Path.cwd() / p]
    candidates = list(dict.fromkeys(candidates))
    for c in candidates:
        if c.is_file():
            return c.resolve()
    if p.suffix == ".py" and p.stem in RENAMED_NOTEBOOKS:  # a grid written before the chapters were renamed
        return notebook_path(p.name).resolve()
    raise NQPInputError(f"grid key 'notebook': {value} does not exist (looked in {', '.join(map(str, candidates))})")


def _read_grid(grid: str | os.PathLike | Mapping) -> tuple[dict, str, Path | None, str | None]:
    if isinstance(grid, Mapping):
        data = dict(grid)
        return data, str(data.get("name") or "sweep"), None, None
    import yaml

    path = Path(grid)
    if not path.is_file():
        raise NQPInputError(f"grid file {path} does not exist")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise NQPInputError(f"grid file {path}: not valid YAML ({exc})") from exc
    if not isinstance(data, dict):
        raise NQPInputError(f"grid file {path}: expected a mapping with keys {', '.join(GRID_KEYS)}")
    return data, str(data.get("name") or path.stem), path.resolve().parent, str(path)


def load_grid(grid: str | os.PathLike | Mapping, data_manifest: str | os.PathLike | None = None) -> Grid:
    """Read and validate a grid (YAML path or dict) and expand it into runs; nothing is executed.

    Every problem found is reported in one :class:`NQPInputError` (the runner's message for a bad set lists the
    notebook's declared parameters).
    """
    from .runner import declared_parameters, validate_parameters

    data, name, base, source = _read_grid(grid)
    where = f"grid {source}" if source else "grid"
    problems: list[str] = []
    for key in data:
        if key not in GRID_KEYS:
            problems.append(f"unknown key {key!r}{_suggest(str(key), GRID_KEYS)}; valid keys: {', '.join(GRID_KEYS)}")
    if "notebook" not in data:
        problems.append("missing key 'notebook' (a path such as notebooks/03_t2_baseline.py, or a list of paths)")
    if "parameters" not in data and "runs" not in data and "fixed" not in data:
        problems.append("no parameter sets: give 'parameters' (name -> list of values) and/or 'runs' (list of sets)")
    if problems:
        raise NQPInputError(f"{where}: " + "\n  ".join(problems))

    params = data.get("parameters") or {}
    runs = data.get("runs") or []
    fixed = data.get("fixed") or {}
    if not isinstance(params, dict):
        problems.append("'parameters' must be a mapping name -> list of values")
        params = {}
    for k, v in params.items():
        if not isinstance(v, list) or not v:
            hint = " (put single values under 'fixed', or write [value])" if not isinstance(v, list) else ""
            problems.append(f"parameters.{k}: expected a non-empty list of values, got {v!r}{hint}")
    if not isinstance(runs, list) or not all(isinstance(r, dict) for r in runs):
        problems.append("'runs' must be a list of mappings (one parameter set each)")
        runs = []
    if not isinstance(fixed, dict):
        problems.append("'fixed' must be a mapping name -> value")
        fixed = {}
    for k in sorted(set(fixed) & set(params)):
        problems.append(f"parameter {k!r} is both in 'fixed' and in 'parameters'")
    raw_nbs = data["notebook"] if isinstance(data["notebook"], list) else [data["notebook"]]
    if not raw_nbs:
        problems.append("'notebook' is an empty list")
    notebooks: list[Path] = []
    for v in raw_nbs:
        try:
            notebooks.append(_resolve_notebook(v, base))
        except NQPInputError as exc:
            problems.append(str(exc))
    if problems:
        raise NQPInputError(f"{where}: " + "\n  ".join(problems))

    names = list(params)
    sets = [dict(zip(names, combo)) for combo in itertools.product(*(params[k] for k in names))] if names else []
    sets += [dict(r) for r in runs]
    if not sets:
        sets = [{}]  # only 'fixed': one run
    sets = [{**fixed, **s} for s in sets]

    data_sha = _sha256_file(Path(data_manifest) if data_manifest is not None else DATA_MANIFEST)
    specs: list[RunSpec] = []
    seen: set[str] = set()
    duplicates = 0
    for nb in notebooks:
        try:
            declared = declared_parameters(nb)
        except NQPInputError as exc:
            problems.append(str(exc))
            continue
        nb_sha = hashlib.sha256(nb.read_bytes()).hexdigest()
        bad: dict[str, list[int]] = {}
        for i, s in enumerate(sets):
            try:
                _, coerced = validate_parameters(nb, s)
            except NQPInputError as exc:
                first_line = str(exc).splitlines()[0]
                bad.setdefault(first_line, []).append(i + 1)
                continue
            effective = {k: p.default for k, p in declared.items()} | coerced
            h = run_hash(nb_sha, effective, data_sha)
            if h in seen:
                duplicates += 1
                continue
            seen.add(h)
            specs.append(RunSpec(notebook=nb, given=coerced, effective=effective, hash=h))
        for msg, idx in bad.items():
            shown = ", ".join(map(str, idx[:10])) + (f" … ({len(idx)} sets)" if len(idx) > 10 else "")
            problems.append(f"parameter set(s) {shown}: {msg}")
        if bad:
            listing = "\n".join("    " + p.describe() for p in declared.values())
            problems.append(f"declared parameters of {nb.name}:\n{listing}")
    if problems:
        raise NQPInputError(f"{where}: invalid, nothing was run:\n  " + "\n  ".join(problems))
    return Grid(name=name, runs=specs, source=source, duplicates=duplicates, notebooks=notebooks)


# --------------------------------------------------------------------------------------------------- the index
def read_index(sweep_dir: str | os.PathLike) -> dict[str, dict]:
    """hash -> latest index record. A torn last line (sweep killed mid-write) is ignored."""
    path = Path(sweep_dir) / INDEX_NAME
    out: dict[str, dict] = {}
    if not path.is_file():
        return out
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(rec, dict) and "hash" in rec:
            out[rec["hash"]] = rec
    return out


def _completed_ok(rec: dict | None) -> bool:
    """The index says ok and the run folder still holds a manifest with status ok."""
    if not rec or rec.get("status") != "ok" or not rec.get("run_dir"):
        return False
    manifest = Path(rec["run_dir"]) / "manifest.json"
    try:
        return json.loads(manifest.read_text(encoding="utf-8")).get("status") == "ok"
    except (OSError, json.JSONDecodeError):
        return False


def _append_index(path: Path, rec: dict) -> None:
    line = json.dumps(rec, ensure_ascii=False, default=str, sort_keys=True) + "\n"
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(line)
        fh.flush()
        os.fsync(fh.fileno())


# --------------------------------------------------------------------------------------------------- one task
def client_state() -> dict:
    """What every worker must match: this process's nqp_helpers version and source fingerprint, and the sha256 of the
    data manifest the grid's run hashes were computed with."""
    from .sweep_workers import probe

    state = probe()
    state["data_sha"] = _sha256_file(DATA_MANIFEST)
    return state


def _worker_address() -> str | None:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return None


def _scratch_base() -> Path:
    """The worker's own local directory (``dask worker --local-directory``), else the system temporary folder."""
    try:
        from distributed import get_worker

        return Path(get_worker().local_directory)
    except (ImportError, ValueError):
        return Path(tempfile.gettempdir())


def _collect_files(run_dir: Path) -> dict[str, bytes]:
    return {p.relative_to(run_dir).as_posix(): p.read_bytes() for p in sorted(run_dir.rglob("*")) if p.is_file()}


def _execute(task: dict) -> dict:
    """Run one notebook on a worker, in a scratch folder, and return the run's files; never raises.

    ``task``: ``notebook`` (the client's display path), ``source`` (the notebook file's bytes), ``suffix``,
    ``given`` (parameters), ``hash``, ``expect`` (:func:`client_state`). A worker whose code or data differ from the
    client's runs nothing and returns a failed record saying how. Otherwise the run folder's files come back in
    ``files`` (relative path -> bytes) and the scratch folder is removed, whatever happened.
    """
    from .runner import RunFailed, run_notebook
    from .sweep_workers import compare_states, probe

    t0 = time.perf_counter()
    state = probe()
    worker = {
        "host": state["host"],
        "address": _worker_address(),
        "pid": os.getpid(),
        "python": state["python"],
        "executable": state["executable"],
        "nqp_helpers": state["nqp_helpers"],
        "package_dir": state["package_dir"],
        "code_sha": state["code_sha"],
        "data_sha": state["data_sha"],
    }
    rec: dict[str, Any] = {
        "hash": task["hash"],
        "notebook": task["notebook"],
        "run_dir": None,
        "error": None,
        "worker": worker,
        "files": None,
    }
    problems = compare_states(task["expect"], state)
    if problems:
        rec.update(
            status="failed",
            error=f"worker {worker['address'] or ''} (host {state['host']}) differs from "
            f"the client, nothing was run: " + "; ".join(problems),
        )
        rec["wall_seconds"] = round(time.perf_counter() - t0, 3)
        return rec
    scratch = Path(tempfile.mkdtemp(prefix="nqp-task-", dir=_scratch_base()))
    try:
        notebook = scratch / "notebook" / (Path(task["notebook"]).stem + task["suffix"])
        notebook.parent.mkdir()
        notebook.write_bytes(task["source"])
        run_dir = None
        try:
            run_dir = run_notebook(notebook, task["given"], runs_dir=scratch / "runs")
            rec["status"] = "ok"
        except RunFailed as exc:  # the message names the client's notebook, not the scratch copy
            run_dir = exc.run_dir
            rec.update(status="failed", error=str(exc).splitlines()[0].replace(str(notebook), task["notebook"]))
        except Exception as exc:  # noqa: BLE001 - any other error is this run's failure, not the sweep's
            rec.update(status="failed", error=f"{type(exc).__name__}: {exc}".splitlines()[0])
        if run_dir is not None:
            worker["run_dir"] = str(run_dir)
            rec["files"] = _collect_files(Path(run_dir))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    rec["wall_seconds"] = round(time.perf_counter() - t0, 3)
    return rec


def _receive(rec: dict, runs_dir: Path, sweep_name: str) -> dict:
    """Write a finished task's files as a new run folder under the client's ``runs_dir``; the manifest goes last and
    is rewritten to say where the run now lives and which worker ran it. Returns the record for the index."""
    from .runner import _new_run_dir, _write_json_atomic

    files = rec.pop("files", None)
    if not files:
        return rec
    for rel in files:
        if Path(rel).is_absolute() or ".." in Path(rel).parts:
            raise NQPInputError(f"a worker returned a file outside its run folder: {rel!r}")
    run_dir = _new_run_dir(runs_dir, Path(rec["notebook"]).stem)
    manifest = json.loads(files.pop("manifest.json", b"{}") or b"{}")
    for rel, data in files.items():
        target = run_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    manifest.update(
        notebook=rec["notebook"],
        run_dir=_display_path(run_dir),
        results_dir=_display_path(run_dir / "results"),
        worker=rec.get("worker"),
        sweep={"name": sweep_name, "hash": rec["hash"]},
        received=_dt.datetime.now().astimezone().isoformat(timespec="seconds"),
    )
    _write_json_atomic(run_dir / "manifest.json", manifest)
    rec["run_dir"] = str(run_dir.resolve())
    return rec


# --------------------------------------------------------------------------------------------------- the sweep
def _summary_frame(grid: Grid, records: dict[str, dict], skipped: set[str]) -> pd.DataFrame:
    param_names: list[str] = []
    for spec in grid.runs:
        param_names += [k for k in spec.effective if k not in param_names]
    reserved = set(BASE_COLUMNS) | set(TAIL_COLUMNS)
    col = {k: (f"param_{k}" if k in reserved else k) for k in param_names}
    rows = []
    for spec in grid.runs:
        rec = records.get(spec.hash, {})
        row: dict[str, Any] = {"hash": spec.hash, "notebook": _display_path(spec.notebook)}
        for k in param_names:
            v = spec.effective.get(k)
            row[col[k]] = _canonical_json(v) if isinstance(v, (list, dict)) else v
        row.update(
            status=rec.get("status", "pending"),
            skipped=spec.hash in skipped,
            run_dir=rec.get("run_dir"),
            wall_seconds=rec.get("wall_seconds"),
            error=rec.get("error"),
        )
        rows.append(row)
    return pd.DataFrame(rows, columns=[*BASE_COLUMNS, *(col[k] for k in param_names), *TAIL_COLUMNS])


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def run_sweep(
    grid_path_or_dict: str | os.PathLike | Mapping,
    scheduler: Any = None,
    n_workers: int = 2,
    runs_dir: str | os.PathLike | None = None,
    sweep_dir: str | os.PathLike | None = None,
    progress: bool = True,
    limit: int | None = None,
    ship_code: bool = False,
) -> pd.DataFrame:
    """Run every parameter set of a grid as one task on dask.distributed; return the summary (one row per run).

    ``scheduler``: ``None`` starts a ``LocalCluster`` of ``n_workers`` single-threaded worker processes (closed at
    the end); an address such as ``"tcp://127.0.0.1:8786"`` connects to a running scheduler; a
    ``distributed.Client`` is used as is. Before anything is submitted every worker is checked
    (:func:`check_workers`): same ``nqp_helpers`` version and code, same data manifest, else
    :class:`SweepEnvironmentError` naming the worker. ``ship_code=True`` first sends a wheel of the package and the
    ``data/`` folder to the workers (:func:`ship_code_to`), for workers that have the dependencies but not the project.
    Each run executes in a scratch folder on its worker; its files come back and are written under ``runs_dir``
    (default ``runs/``) on this machine. ``sweep_dir``: index and summary (default ``sweeps_out/<grid name>/``).
    ``limit``: submit at most this many of the runs still to do (the rest stay ``pending``; a later call picks them
    up). A failed run is recorded and the others go on. A task whose worker dies is rescheduled by dask on another
    worker (up to ``distributed.scheduler.allowed-failures`` times, then recorded as failed).

    The returned DataFrame carries ``attrs`` ``sweep_dir``, ``summary`` (path of summary.csv), ``wall_seconds``,
    ``n_ok``, ``n_failed``, ``n_skipped``, ``n_pending``, ``workers`` (address -> host).
    """
    from tqdm.auto import tqdm

    t_start = time.perf_counter()
    grid = load_grid(grid_path_or_dict)  # validates everything before anything runs
    out = Path(sweep_dir) if sweep_dir is not None else SWEEPS_OUT / grid.name
    index_path = out / INDEX_NAME
    runs_path = Path(runs_dir if runs_dir is not None else RUNS_DIR).resolve()

    previous = read_index(out)
    records: dict[str, dict] = {}
    skipped: set[str] = set()
    todo: list[RunSpec] = []
    for spec in grid.runs:
        rec = previous.get(spec.hash)
        if _completed_ok(rec):
            records[spec.hash] = rec
            skipped.add(spec.hash)
        else:
            todo.append(spec)
    if limit is not None:
        todo = todo[: max(0, int(limit))]

    counts = {"ok": 0, "failed": 0}
    client = cluster = plugin_name = None
    workers: dict[str, str] = {}
    if todo:  # connect and check the workers first: a bad cluster leaves nothing behind
        expect = client_state()
        client, cluster = _connect(scheduler, n_workers)
        try:
            if ship_code:
                plugin_name = ship_code_to(client)
            workers = check_workers(client, expect)
        except BaseException:
            _disconnect(client, cluster, scheduler, plugin_name)
            raise
    try:
        out.mkdir(parents=True, exist_ok=True)
        if todo:
            from distributed import as_completed

            tag = uuid.uuid4().hex[:6]
            futures = {}
            for i, spec in enumerate(todo):
                task = {
                    "notebook": _display_path(spec.notebook),
                    "source": spec.notebook.read_bytes(),
                    "suffix": spec.notebook.suffix,
                    "given": spec.given,
                    "hash": spec.hash,
                    "expect": expect,
                }
                fut = client.submit(
                    _execute, task, key=f"nqp-sweep-{grid.name}-{i:04d}-{spec.hash[:10]}-{tag}", pure=False
                )
                futures[fut] = spec
            bar = tqdm(
                total=len(grid.runs),
                initial=len(skipped),
                desc=f"sweep {grid.name}",
                unit="run",
                disable=not progress,
                dynamic_ncols=True,
            )
            bar.set_postfix(_postfix(counts, len(skipped), len(todo)))
            try:
                for fut in as_completed(futures):
                    spec = futures[fut]
                    try:
                        rec = _receive(fut.result(), runs_path, grid.name)
                    except Exception as exc:  # noqa: BLE001 - worker died too often, task lost, ...
                        rec = {
                            "hash": spec.hash,
                            "notebook": _display_path(spec.notebook),
                            "run_dir": None,
                            "status": "failed",
                            "error": f"{type(exc).__name__}: {exc}".splitlines()[0],
                            "wall_seconds": None,
                        }
                    rec.update(
                        parameters=spec.effective,
                        sweep=grid.name,
                        finished=_dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                    )
                    _append_index(index_path, rec)  # as each run finishes: a killed sweep resumes from here
                    records[spec.hash] = rec
                    counts[rec["status"]] = counts.get(rec["status"], 0) + 1
                    fut.release()
                    bar.update(1)
                    bar.set_postfix(_postfix(counts, len(skipped), len(todo)))
            finally:
                bar.close()
    finally:
        summary = _summary_frame(grid, records, skipped)
        if out.is_dir():
            atomic.write_csv(out / SUMMARY_NAME, summary, index=False, float_format="%.10g")
        if client is not None:
            _disconnect(client, cluster, scheduler, plugin_name)
    summary.attrs.update(
        sweep_dir=str(out),
        summary=str(out / SUMMARY_NAME),
        wall_seconds=round(time.perf_counter() - t_start, 3),
        n_ok=int((summary["status"] == "ok").sum()),
        n_failed=int((summary["status"] == "failed").sum()),
        n_skipped=int(summary["skipped"].sum()),
        n_pending=int((summary["status"] == "pending").sum()),
        duplicates=grid.duplicates,
        workers=workers,
    )
    return summary


def _postfix(counts: dict, n_skipped: int, n_todo: int) -> dict:
    done = counts.get("ok", 0) + counts.get("failed", 0)
    return {
        "ok": counts.get("ok", 0),
        "failed": counts.get("failed", 0),
        "skipped": n_skipped,
        "remaining": n_todo - done,
    }


def _is_client(obj: Any) -> bool:
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover
        return False
    return isinstance(obj, Client)


def _connect(scheduler: Any, n_workers: int):
    """(client, cluster): cluster is None unless we started a LocalCluster here."""
    from distributed import Client, LocalCluster

    if _is_client(scheduler):
        return scheduler, None
    if scheduler:
        try:
            return Client(str(scheduler), timeout=CONNECT_TIMEOUT), None
        except (OSError, TimeoutError) as exc:
            raise NQPInputError(f"cannot reach the dask scheduler at {scheduler!r}: {exc}") from exc
    if int(n_workers) < 1:
        raise NQPInputError(f"n_workers must be at least 1, got {n_workers!r}")
    # no dashboard; the scheduler's small HTTP server (health routes) on a free port rather than 8787
    cluster = LocalCluster(
        n_workers=int(n_workers),
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
    )
    return Client(cluster), cluster


def _disconnect(client, cluster, scheduler: Any, plugin_name: str | None) -> None:
    """Remove shipped code from the workers, then close what this sweep opened (also on Ctrl-C)."""
    if plugin_name is not None:
        try:
            client.unregister_worker_plugin(plugin_name)
        except Exception:  # noqa: BLE001, S110 - workers already gone: nothing left to clean
            pass
    if cluster is not None:  # we started them: close them
        client.close()
        cluster.close()
    elif not _is_client(scheduler):
        client.close()


# --------------------------------------------------------------------------------------------------- the workers
class SweepEnvironmentError(NQPInputError):
    """A worker cannot run the sweep as the client would: nqp_helpers missing or at another version or code, or
    another data manifest. Nothing was submitted."""


def _by_value():
    """The worker-side helpers travel by value, so a worker without nqp_helpers can still run them."""
    import cloudpickle

    from . import sweep_workers

    if sweep_workers.__name__ not in cloudpickle.list_registry_pickle_by_value():
        cloudpickle.register_pickle_by_value(sweep_workers)
    return sweep_workers


def check_workers(client, expect: dict, timeout: float | None = None) -> dict[str, str]:
    """Probe every worker of ``client`` (waiting up to ``timeout`` s for the first one); return address -> host.

    Raises :class:`SweepEnvironmentError` listing each worker that cannot import ``nqp_helpers``, runs another
    version or other code of it, or sees another ``data/processed/manifest.json`` than ``expect``
    (:func:`client_state`).
    """
    sweep_workers = _by_value()
    timeout = WORKERS_TIMEOUT if timeout is None else timeout
    try:
        client.wait_for_workers(1, timeout=timeout)
    except TimeoutError as exc:
        raise SweepEnvironmentError(
            f"no dask worker joined the scheduler {client.scheduler.address} within "
            f"{timeout:g} s; start one with `dask worker {client.scheduler.address}`"
        ) from exc
    states = client.run(sweep_workers.probe, on_error="return")
    problems = []
    for address, state in sorted(states.items()):
        if isinstance(state, BaseException):
            problems.append(f"worker {address}: the probe failed ({type(state).__name__}: {state})")
            continue
        for p in sweep_workers.compare_states(expect, state):
            problems.append(f"worker {address} (host {state['host']}, {state['executable']}): {p}")
    if problems:
        raise SweepEnvironmentError(
            "the workers cannot run this sweep as the client would, so nothing was submitted:\n  "
            + "\n  ".join(problems)
            + "\nInstall the client's version on the workers (book/sweeps.md), or pass --ship-code; a worker that "
            "already imported another nqp_helpers must be restarted."
        )
    return {address: state["host"] for address, state in states.items()}


def _wheel_and_data() -> tuple[bytes, bytes]:
    """A wheel of nqp_helpers built from a copy of the package (nothing written into the repository) and a zip of
    ``data/``."""
    import io
    import subprocess
    import sys
    import zipfile

    with tempfile.TemporaryDirectory(prefix="nqp-wheel-") as tmp:
        src, dist = Path(tmp) / "src", Path(tmp) / "dist"
        src.mkdir()
        for name in ("pyproject.toml", "README.md"):
            shutil.copy2(REPO_ROOT / name, src / name)
        shutil.copytree(
            REPO_ROOT / "nqp_helpers", src / "nqp_helpers", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--no-deps",
                "--no-build-isolation",
                "-q",
                "-w",
                str(dist),
                str(src),
            ],
            check=False,
            capture_output=True,
            text=True,
            timeout=600,
        )
        wheels = sorted(dist.glob("*.whl"))
        if done.returncode != 0 or not wheels:
            raise SweepEnvironmentError(f"could not build a wheel of nqp_helpers to ship: {done.stderr.strip()}")
        wheel = wheels[0].read_bytes()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted((REPO_ROOT / "data").rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                zf.write(path, path.relative_to(REPO_ROOT / "data").as_posix())
    return wheel, buf.getvalue()


def ship_code_to(client) -> str:
    """Send a wheel of this package and the ``data/`` folder to every worker (now and joining later) as a worker
    plugin; return the plugin's name (``run_sweep`` unregisters it at the end, which deletes the files)."""
    sweep_workers = _by_value()
    wheel, data = _wheel_and_data()
    tag = hashlib.sha256(wheel + data).hexdigest()[:12]
    plugin = sweep_workers.ShippedCode(wheel, data, tag)
    client.register_plugin(plugin, name=plugin.name)
    return plugin.name


def format_summary(summary: pd.DataFrame) -> str:
    """A short text rendering for the command line: one line per run, then the totals."""
    varying = [
        c for c in summary.columns[len(BASE_COLUMNS) : -len(TAIL_COLUMNS)] if summary[c].astype(str).nunique() > 1
    ]
    view = summary[["hash", "notebook", *varying, "status", "skipped", "wall_seconds"]].copy()
    view["hash"] = view["hash"].str[:10]
    if summary["notebook"].nunique() == 1:
        view = view.drop(columns="notebook")
    lines = [view.to_string(index=False)]
    failed = summary[summary["status"] == "failed"]
    for _, r in failed.iterrows():
        lines.append(f"FAILED {r['hash'][:10]}: {r['error']}  [{r['run_dir']}]")
    a = summary.attrs
    lines.append(
        f"{len(summary)} runs: {a.get('n_ok', '?')} ok ({a.get('n_skipped', '?')} skipped as already done), "
        f"{a.get('n_failed', '?')} failed, {a.get('n_pending', 0)} pending; "
        f"{a.get('wall_seconds', float('nan')):.1f} s; summary: {a.get('summary', '')}"
    )
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------------- command line
def cli_sweep(args) -> int:
    """``nqp sweep GRID.yaml [--scheduler ADDRESS] [--workers N] [--runs-dir DIR] [--sweep-dir DIR] [--limit K]
    [--ship-code]``.

    Prints the summary; exit status 0 when every run is ok (or skipped as already done), 1 when any run failed
    (a bad grid raises NQPInputError, which ``nqp`` turns into exit status 2).
    """
    import sys

    summary = run_sweep(
        args.grid,
        scheduler=args.scheduler,
        n_workers=args.workers,
        runs_dir=args.runs_dir,
        sweep_dir=getattr(args, "sweep_dir", None),
        progress=not getattr(args, "no_progress", False),
        limit=getattr(args, "limit", None),
        ship_code=getattr(args, "ship_code", False),
    )
    print(format_summary(summary))
    if summary.attrs.get("n_failed"):
        print(f"nqp sweep: {summary.attrs['n_failed']} run(s) failed", file=sys.stderr)
        return 1
    return 0
