"""What a sweep needs on its dask workers: a probe of the code and data a worker would run with, and the plugin that
ships the project's code and data to workers that do not have them.

Standard library and ``distributed`` only, nothing imported from ``nqp_helpers`` at module level: the sweep sends
these functions and the plugin class *by value* (``cloudpickle.register_pickle_by_value``), so they run on a worker
that cannot import ``nqp_helpers`` yet, and report that instead of failing to unpickle.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import socket
import sys
import zipfile
from pathlib import Path

from distributed import WorkerPlugin

__all__ = ["ShippedCode", "compare_states", "file_sha256", "package_fingerprint", "probe"]


def package_fingerprint(package_dir: str | os.PathLike) -> str:
    """sha256 over the relative paths and the bytes (line endings normalised) of every ``.py`` file of a package.

    Two copies of ``nqp_helpers`` with the same fingerprint run the same code, whatever their version string says.
    """
    root = Path(package_dir)
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts):
        h.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
        h.update(path.read_bytes().replace(b"\r\n", b"\n") + b"\0")
    return h.hexdigest()


def file_sha256(path: str | os.PathLike) -> str:
    """sha256 of a file's bytes, or ``"absent"``."""
    p = Path(path)
    return hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "absent"


def probe() -> dict:
    """The code and data this process would run a notebook with (run on each worker before a sweep is submitted).

    Keys: ``host``, ``pid``, ``python``, ``executable``, ``nqp_helpers`` (version, or None), ``package_dir``,
    ``code_sha`` (:func:`package_fingerprint`), ``data_sha`` (sha256 of ``data/processed/manifest.json`` as the
    package finds it), ``error`` (why ``nqp_helpers`` could not be imported, else None).
    """
    import platform

    state = {
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "python": platform.python_version(),
        "executable": sys.executable,
        "nqp_helpers": None,
        "package_dir": None,
        "code_sha": None,
        "data_sha": None,
        "error": None,
    }
    try:
        import nqp_helpers
        from nqp_helpers.paths import PROCESSED_DIR
    except Exception as exc:  # noqa: BLE001 - reported to the client, which names this worker
        state["error"] = f"cannot import nqp_helpers ({type(exc).__name__}: {exc})"
        return state
    package_dir = Path(nqp_helpers.__file__).resolve().parent
    state.update(
        nqp_helpers=getattr(nqp_helpers, "__version__", None),
        package_dir=str(package_dir),
        code_sha=package_fingerprint(package_dir),
        data_sha=file_sha256(Path(PROCESSED_DIR) / "manifest.json"),
    )
    return state


def compare_states(expected: dict, state: dict) -> list[str]:
    """How a worker's :func:`probe` differs from the client's (empty list: same code, same data)."""
    if state.get("error"):
        return [state["error"]]
    problems = []
    if state.get("nqp_helpers") != expected.get("nqp_helpers"):
        problems.append(f"nqp_helpers version {state.get('nqp_helpers')} (client: {expected.get('nqp_helpers')})")
    elif state.get("code_sha") != expected.get("code_sha"):
        problems.append(
            f"nqp_helpers {state.get('nqp_helpers')} with different code: source fingerprint "
            f"{str(state.get('code_sha'))[:12]} (client: {str(expected.get('code_sha'))[:12]}) "
            f"in {state.get('package_dir')}"
        )
    if state.get("data_sha") != expected.get("data_sha"):
        problems.append(
            f"data manifest data/processed/manifest.json sha256 {str(state.get('data_sha'))[:12]} "
            f"(client: {str(expected.get('data_sha'))[:12]})"
        )
    return problems


class ShippedCode(WorkerPlugin):
    """dask worker plugin: unpack a wheel of the project and a zip of its ``data/`` folder into the worker's local
    directory and put that folder first on ``sys.path`` and ``PYTHONPATH`` (notebook kernels inherit the environment).

    ``teardown`` (on ``Client.unregister_worker_plugin`` or when the worker closes) removes the folder, forgets the
    modules imported from it and restores ``PYTHONPATH``.
    """

    idempotent = True

    def __init__(self, wheel: bytes, data_zip: bytes, tag: str):
        self.wheel, self.data_zip, self.tag = wheel, data_zip, tag
        self.name = f"nqp-shipped-code-{tag}"
        self.target: str | None = None
        self.old_pythonpath: str | None = None

    def setup(self, worker=None):
        base = Path(getattr(worker, "local_directory", None) or os.getcwd())
        target = base / self.name
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        with zipfile.ZipFile(io.BytesIO(self.wheel)) as zf:
            zf.extractall(target)
        with zipfile.ZipFile(io.BytesIO(self.data_zip)) as zf:
            zf.extractall(target / "data")
        self.target = str(target)
        self.old_pythonpath = os.environ.get("PYTHONPATH")
        os.environ["PYTHONPATH"] = os.pathsep.join(
            [self.target, *([self.old_pythonpath] if self.old_pythonpath else [])]
        )
        sys.path.insert(0, self.target)
        import importlib

        importlib.invalidate_caches()

    def teardown(self, worker=None):
        if self.target is None:
            return
        if self.target in sys.path:
            sys.path.remove(self.target)
        if self.old_pythonpath is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = self.old_pythonpath
        for name, module in list(sys.modules.items()):  # a later import finds the worker's own copy, if any
            if str(getattr(module, "__file__", None) or "").startswith(self.target + os.sep):
                del sys.modules[name]
        shutil.rmtree(self.target, ignore_errors=True)
        self.target = None
