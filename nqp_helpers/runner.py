"""Run one notebook with parameters into a fresh, self-describing run folder.

``run_notebook("notebooks/03_t2_baseline.py", {"seed": 7})`` (or ``nqp run notebooks/03_t2_baseline.py -p seed 7``)

1. reads the jupytext ``py:percent`` file and the parameters it declares (the first code cell tagged
   ``parameters``: one ``name = literal  # comment`` per line, optionally annotated ``name: int | None = None``);
2. rejects unknown names and values of the wrong type **before** anything is executed or written
   (:class:`~nqp_helpers.errors.NQPInputError` listing every declared parameter, its type and default);
3. creates a new folder ``runs/<YYYYmmdd-HHMMSS-µs>-<name>/`` (never reused), writes the converted input notebook
   ``<name>.input.ipynb`` there, executes it with papermill (kernel ``python3``; working directory = the folder of the
   notebook, the same as during ``jupyter-book build``) with ``NQP_RESULTS_DIR=<run folder>/results`` so the tables land
   in the run folder, and saves the executed notebook as ``<name>.ipynb``;
4. writes ``manifest.json`` (parameters given and effective, seed, git commit, versions, times, status and, on failure,
   the error and the failing cell).

The kernel: the ``python3`` kernelspec launches ``python -m ipykernel_launcher``; jupyter_client replaces a bare
``python`` with ``sys.executable``, so the kernel runs on the interpreter that runs this module (the venv's python).
"""

from __future__ import annotations

import ast
import datetime as _dt
import io
import json
import os
import platform
import subprocess
import sys
import threading
import time
import tokenize
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from . import atomic
from .errors import NQPInputError
from .paths import REPO_ROOT, RUNS_DIR, notebook_path

__all__ = [
    "Parameter",
    "declared_parameters",
    "format_parameters",
    "validate_parameters",
    "coerce_cli_value",
    "run_notebook",
    "RunFailed",
    "PACKAGES_IN_MANIFEST",
]

PACKAGES_IN_MANIFEST = (
    "pandas",
    "numpy",
    "scipy",
    "linearmodels",
    "pyfixest",
    "statsmodels",
    "papermill",
    "jupytext",
    "nbclient",
    "ipykernel",
    "nqp-replication",
)

_ENV_LOCK = threading.Lock()  # NQP_RESULTS_DIR is process-wide: runs in threads of one process are serialised


@dataclass(frozen=True)
class Parameter:
    """One declared notebook parameter."""

    name: str
    type: str  # "int", "float", "bool", "str", "NoneType", or an annotation such as "int | None"
    default: Any
    comment: str
    nullable: bool = False  # None is accepted (default None or annotation with None/Optional)

    def describe(self) -> str:
        return f"{self.name} ({self.type}, default {self.default!r})" + (f": {self.comment}" if self.comment else "")


class RunFailed(RuntimeError):
    """A notebook cell failed; the run folder (partial notebook, manifest with status failed) is kept."""

    def __init__(self, message: str, run_dir: Path, manifest: dict):
        super().__init__(message)
        self.run_dir = run_dir
        self.manifest = manifest


# --------------------------------------------------------------------------------------------------- reading
def read_notebook(path: str | os.PathLike):
    """The notebook as an ``nbformat`` node (``.py`` read as jupytext ``py:percent``, ``.ipynb`` as is)."""
    import jupytext

    path = Path(path)
    if not path.is_file():
        raise NQPInputError(f"notebook {path} does not exist")
    fmt = "py:percent" if path.suffix == ".py" else None
    return jupytext.read(path, fmt=fmt) if fmt else jupytext.read(path)


def _parameters_cell(nb, path) -> tuple[int, str]:
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            return i, cell.source
    raise NQPInputError(f"{path}: no code cell tagged 'parameters' (first code cell must carry the tag)")


def _trailing_comments(source: str) -> dict[int, str]:
    """Line number (1-based) -> text of the comment at the end of that line."""
    out: dict[int, str] = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            out[tok.start[0]] = tok.string.lstrip("#").strip()
    return out


def _annotation_info(node: ast.expr | None) -> tuple[str | None, bool]:
    if node is None:
        return None, False
    text = ast.unparse(node)
    nullable = "None" in text or "Optional" in text
    return text, nullable


def parse_parameters_source(source: str, where: str = "parameters cell") -> dict[str, Parameter]:
    """Parse a parameters cell: ``name = literal  # comment`` (or ``name: ann = literal  # comment``) per line."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise NQPInputError(f"{where}: not valid Python ({exc})") from exc
    comments = _trailing_comments(source)
    params: dict[str, Parameter] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            name, value_node, ann = stmt.targets[0].id, stmt.value, None
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
            name, value_node, ann = stmt.target.id, stmt.value, stmt.annotation
        else:
            raise NQPInputError(f"{where}, line {stmt.lineno}: only `name = literal  # comment` lines are allowed")
        try:
            default = ast.literal_eval(value_node)
        except ValueError as exc:
            raise NQPInputError(f"{where}, line {stmt.lineno}: the default of {name!r} must be a literal") from exc
        ann_text, ann_nullable = _annotation_info(ann)
        type_name = ann_text or type(default).__name__
        params[name] = Parameter(
            name=name,
            type=type_name,
            default=default,
            comment=comments.get(stmt.lineno, ""),
            nullable=ann_nullable or default is None,
        )
    return params


def declared_parameters(path: str | os.PathLike) -> dict[str, Parameter]:
    """The parameters a notebook declares, in order: name -> :class:`Parameter` (old chapter names accepted)."""
    path = notebook_path(path)
    nb = read_notebook(path)
    _, source = _parameters_cell(nb, path)
    return parse_parameters_source(source, where=f"{path}: parameters cell")


def format_parameters(params: dict[str, Parameter]) -> str:
    """A small aligned table: name, type, default, comment."""
    rows = [("name", "type", "default", "comment")] + [
        (p.name, p.type, repr(p.default), p.comment) for p in params.values()
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return "\n".join(f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}".rstrip() for r in rows)


# --------------------------------------------------------------------------------------------------- validation
def _literal(text: str) -> Any:
    """A CLI string as a Python literal, else a YAML scalar (true/false/null/1e-3), else the string itself."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        pass
    try:
        import yaml

        return yaml.safe_load(text)
    except Exception:  # noqa: BLE001 - any YAML problem means "treat as a plain string"
        return text


def _base_type(p: Parameter) -> str:
    t = p.type.replace("Optional[", "").replace("]", "")
    parts = [s.strip() for s in t.split("|") if s.strip() not in ("None", "NoneType")]
    return parts[0] if parts else "NoneType"


def coerce_cli_value(p: Parameter, text: str) -> Any:
    """Turn a command-line string into a value of the declared type (or raise NQPInputError)."""
    base = _base_type(p)
    if base == "str":
        if p.nullable and text in ("None", "null", "~"):
            return None
        return text
    return _check_value(p, _literal(text), raw=text)


def _check_value(p: Parameter, value: Any, raw: Any = None) -> Any:
    shown = raw if raw is not None else repr(value)
    base = _base_type(p)
    if value is None:
        if p.nullable:
            return None
        raise NQPInputError(f"parameter {p.name!r} expects {p.type}, got None")
    if isinstance(value, str) and base not in ("str", "NoneType"):
        value = _literal(value)  # e.g. sweep grids with quoted numbers
    ok = {
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, (int, float)) and not isinstance(value, bool),
        "bool": isinstance(value, bool),
        "str": isinstance(value, str),
        "list": isinstance(value, (list, tuple)),
        "tuple": isinstance(value, (list, tuple)),
        "dict": isinstance(value, dict),
        "NoneType": isinstance(value, (int, float, str, bool, list, tuple, dict)),
    }.get(base)
    if ok is None:  # unknown annotation: accept literals only
        ok = isinstance(value, (int, float, str, bool, list, tuple, dict))
    if not ok:
        raise NQPInputError(f"parameter {p.name!r} expects {p.type}, got {shown} ({type(value).__name__})")
    if base == "float":
        value = float(value)
    if base == "tuple":
        value = list(value)
    return value


def validate_parameters(
    path: str | os.PathLike, given: dict[str, Any], from_cli: bool = False
) -> tuple[dict[str, Parameter], dict[str, Any]]:
    """Check ``given`` against the notebook's declared parameters; return (declared, coerced given values).

    Raises :class:`NQPInputError` naming every problem and listing every declared parameter.
    """
    declared = declared_parameters(path)
    problems, coerced = [], {}
    for name, value in given.items():
        if name not in declared:
            problems.append(f"unknown parameter {name!r}")
            continue
        try:
            coerced[name] = (
                coerce_cli_value(declared[name], value)
                if from_cli and isinstance(value, str)
                else _check_value(declared[name], value)
            )
        except NQPInputError as exc:
            problems.append(str(exc))
    if problems:
        listing = "\n".join("  " + p.describe() for p in declared.values())
        raise NQPInputError(
            f"{Path(path).name}: " + "; ".join(problems) + f"\ndeclared parameters of {Path(path).name}:\n{listing}"
        )
    return declared, coerced


# --------------------------------------------------------------------------------------------------- provenance
def _git_state() -> dict[str, Any]:
    def git(*args):
        return subprocess.run(["git", "-C", str(REPO_ROOT), *args], capture_output=True, text=True, timeout=20)

    try:
        head = git("rev-parse", "HEAD")
        if head.returncode != 0:
            return {"commit": None, "dirty": None}
        status = git("status", "--porcelain", "--untracked-files=no")
        return {"commit": head.stdout.strip(), "dirty": bool(status.stdout.strip())}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def _versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version()}
    for pkg in PACKAGES_IN_MANIFEST:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = None
    return out


def _new_run_dir(runs_dir: Path, name: str) -> Path:
    runs_dir.mkdir(parents=True, exist_ok=True)
    while True:
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        candidate = runs_dir / f"{stamp}-{name}"
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            time.sleep(1e-6)


def _write_json_atomic(path: Path, obj: dict) -> None:
    atomic.write_text(path, json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n")


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path.resolve())


# --------------------------------------------------------------------------------------------------- running
def run_notebook(
    path: str | os.PathLike,
    parameters: dict[str, Any] | None = None,
    runs_dir: str | os.PathLike | None = None,
    *,
    from_cli: bool = False,
    timeout: int | None = None,
) -> Path:
    """Execute ``path`` with ``parameters`` into a new run folder and return that folder.

    Raises :class:`NQPInputError` (nothing created) for bad parameters and :class:`RunFailed` (folder kept, manifest
    ``status: failed``) when a cell fails. ``from_cli=True`` coerces string values to the declared types.
    """
    import nbformat
    import papermill as pm

    path = notebook_path(path)
    parameters = dict(parameters or {})
    declared, given = validate_parameters(path, parameters, from_cli=from_cli)
    effective = {name: p.default for name, p in declared.items()} | given
    nb = read_notebook(path)
    param_idx, _ = _parameters_cell(nb, path)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}

    name = path.stem
    run_dir = _new_run_dir(Path(runs_dir) if runs_dir is not None else RUNS_DIR, name)
    input_nb = run_dir / f"{name}.input.ipynb"
    output_nb = run_dir / f"{name}.ipynb"
    results = run_dir / "results"
    nbformat.write(nb, str(input_nb))

    started = _dt.datetime.now().astimezone()
    manifest: dict[str, Any] = {
        "notebook": _relative(path),
        "run_dir": _relative(run_dir),
        "parameters_given": given,
        "parameters_effective": effective,
        "seed": effective.get("seed"),
        "git": _git_state(),
        "versions": _versions(),
        "python_executable": sys.executable,
        "kernel": "python3",
        "cwd": str(path.resolve().parent),
        "results_dir": _relative(results),
        "started": started.isoformat(timespec="seconds"),
        "status": "running",
    }
    _write_json_atomic(run_dir / "manifest.json", manifest)

    t0 = time.perf_counter()
    error: BaseException | None = None
    with _ENV_LOCK:
        old = os.environ.get("NQP_RESULTS_DIR")
        os.environ["NQP_RESULTS_DIR"] = str(results)
        try:
            pm.execute_notebook(
                str(input_nb),
                str(output_nb),
                parameters=given,
                kernel_name="python3",
                cwd=str(path.resolve().parent),
                progress_bar=False,
                log_output=False,
                execution_timeout=timeout,
            )
        except Exception as exc:  # noqa: BLE001 - recorded in the manifest, re-raised as RunFailed below
            error = exc
        finally:
            if old is None:
                os.environ.pop("NQP_RESULTS_DIR", None)
            else:
                os.environ["NQP_RESULTS_DIR"] = old
    ended = _dt.datetime.now().astimezone()
    manifest.update(
        ended=ended.isoformat(timespec="seconds"),
        wall_seconds=round(time.perf_counter() - t0, 3),
        status="ok" if error is None else "failed",
    )
    if error is not None:
        manifest["error"] = _describe_error(error, given, param_idx, nb)
        _write_json_atomic(run_dir / "manifest.json", manifest)
        err = manifest["error"]
        where = (
            f"cell {err['cell_index']} (code cell #{err['code_cell_number']}) of {path}"
            if err.get("cell_index") is not None
            else str(path)
        )
        raise RunFailed(
            f"{err['ename']}: {err['evalue']} in {where}\n"
            f"partial notebook: {_relative(output_nb)}\nmanifest: {_relative(run_dir / 'manifest.json')}",
            run_dir,
            manifest,
        )
    if results.is_dir():
        manifest["results"] = sorted(str(p.relative_to(run_dir)) for p in results.rglob("*") if p.is_file())
    _write_json_atomic(run_dir / "manifest.json", manifest)
    return run_dir


def _describe_error(error: BaseException, given: dict, param_idx: int, nb) -> dict[str, Any]:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(error, PapermillExecutionError):
        idx = error.cell_index
        injected = bool(given)  # papermill inserts its 'injected-parameters' cell after the parameters cell
        if injected and idx > param_idx:
            idx -= 1
        code_no = sum(1 for c in nb.cells[: idx + 1] if c.cell_type == "code") if 0 <= idx < len(nb.cells) else None
        return {
            "ename": error.ename,
            "evalue": error.evalue,
            "cell_index": idx,
            "code_cell_number": code_no,
            "execution_count": error.exec_count,
            "cell_source": (error.source or "")[:2000],
            "note": "cell_index is 0-based over all cells (markdown included) of the source notebook",
        }
    return {"ename": type(error).__name__, "evalue": str(error)[:2000], "cell_index": None, "code_cell_number": None}
