"""The guide's "scheduler and workers started by hand" on this machine: read the commands from book/sweeps.md, start
``dask scheduler`` and ``dask worker`` as separate processes on 127.0.0.1, and stop them.

One source for the commands: the sweep tests and ``benchmarks/bench_sweep.py`` run what the guide shows (with a free
port, and temporary folders instead of the guide's ``/tmp/nqp-scratch``).
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from .paths import BOOK_DIR

__all__ = ["GUIDE", "by_hand_cluster", "guide_commands"]

GUIDE = BOOK_DIR / "sweeps.md"
GUIDE_ADDRESS = "tcp://127.0.0.1:8786"
GUIDE_SCRATCH = "/tmp/nqp-scratch"
START_TIMEOUT = 90.0  # seconds for the scheduler and its workers to come up
STOP_TIMEOUT = 20.0  # seconds a process gets to exit after SIGTERM before SIGKILL


def guide_commands(label: str, guide: str | os.PathLike = GUIDE) -> list[list[str]]:
    """The commands (argv lists) of the ```bash block that follows the line ``% tested-commands: <label>``."""
    lines = Path(guide).read_text(encoding="utf-8").splitlines()
    marker = f"% tested-commands: {label}"
    if marker not in lines:
        raise ValueError(f"{guide}: no line {marker!r}")
    start = lines.index(marker) + 1
    if lines[start] != "```bash":
        raise ValueError(f"{guide}: the line after {marker!r} must open a ```bash block")
    end = lines.index("```", start + 1)
    return [shlex.split(line, comments=True) for line in lines[start + 1 : end] if line.strip()]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    """End a process group started here (by its id): SIGTERM, then SIGKILL after STOP_TIMEOUT."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=STOP_TIMEOUT)


def _wait_for_port(port: int, deadline: float, log: Path) -> None:
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the dask scheduler did not listen on port {port}: {log.read_text()[-2000:]}")
            time.sleep(0.2)


@contextlib.contextmanager
def by_hand_cluster(
    base: str | os.PathLike, n_workers: int | None = None, worker_args: tuple[str, ...] = ()
) -> Iterator[dict]:
    """Start the guide's ``dask scheduler`` and ``dask worker`` (``--nworkers n_workers`` if given, then
    ``worker_args``) under ``base``.

    The scheduler runs in ``base``, the worker in ``base/worker-home`` with ``--local-directory base/scratch``; logs
    go to ``base/{scheduler,worker}.log``. Yields ``address``, ``scratch``, ``home`` and ``nqp`` (the guide's
    ``nqp`` lines, rewritten to this address). Both processes are stopped on exit, workers first.
    """
    from distributed import Client

    base = Path(base)
    scratch, home = base / "scratch", base / "worker-home"
    home.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"

    def rewrite(argv: list[str]) -> list[str]:
        return [
            a.replace(GUIDE_ADDRESS, address).replace(GUIDE_SCRATCH, str(scratch)).replace("8786", str(port))
            for a in argv
        ]

    commands = [rewrite(c) for c in guide_commands("by-hand")]
    dask_cmds = [c for c in commands if c[0] == "dask"]
    if [c[1] for c in dask_cmds] != ["scheduler", "worker"]:
        raise ValueError(f"{GUIDE}: the by-hand block must start a scheduler, then workers")
    worker = dask_cmds[1]
    if n_workers is not None:
        worker[worker.index("--nworkers") + 1] = str(int(n_workers))
    expected = int(worker[worker.index("--nworkers") + 1])
    worker += list(worker_args)
    dask = Path(sys.executable).with_name("dask")
    procs: list[subprocess.Popen] = []
    deadline = time.monotonic() + START_TIMEOUT
    try:
        for argv, cwd in zip(dask_cmds, (base, home)):
            log = base / f"{argv[1]}.log"
            with open(log, "wb") as fh:
                procs.append(
                    subprocess.Popen([str(dask), *argv[1:]], cwd=cwd, stdout=fh, stderr=fh, start_new_session=True)
                )
            if argv[1] == "scheduler":
                _wait_for_port(port, deadline, log)
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(expected, timeout=max(1.0, deadline - time.monotonic()))
        yield {"address": address, "scratch": scratch, "home": home, "nqp": [c for c in commands if c[0] == "nqp"]}
    finally:
        for proc in reversed(procs):
            _stop(proc)
