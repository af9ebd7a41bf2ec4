"""Atomic file writes: write to a temporary file in the target's folder, then rename it over the target.

A write that fails (full disk, exception, Ctrl-C) leaves neither a half-written target nor a temporary file
behind, and an existing target stays untouched. The one home for this pattern: results tables, LaTeX tables,
run manifests, sweep summaries, the processed real panel and rendered figures all go through it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; when the block ends normally, rename it onto ``target``.

    On any exception (including KeyboardInterrupt) the temporary file is removed and ``target`` is left as it was.
    The file gets the usual permissions (0o666 minus the umask), not mkstemp's private 0o600.
    """
    target = Path(target)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text(target: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8, ``\\n`` line ends) to ``target`` atomically; return the path."""
    with atomic_path(target) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    return Path(target)


def write_bytes(target: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``target`` atomically; return the path."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return Path(target)


def write_csv(target: str | os.PathLike, df: pd.DataFrame, **to_csv) -> Path:
    """Write ``df.to_csv(**to_csv)`` (UTF-8, ``\\n`` line ends unless ``lineterminator`` says otherwise) to
    ``target`` atomically; return the path."""
    to_csv.setdefault("lineterminator", "\n")
    with atomic_path(target) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
        df.to_csv(fh, **to_csv)
    return Path(target)


@contextmanager
def staged_files(folder: str | os.PathLike) -> Iterator[Path]:
    """Yield an empty staging folder next to ``folder``; when the block ends normally, move every file written
    there into ``folder`` (created if missing), replacing files of the same name; always remove the stage.

    For a set of files that are built together: an exception inside the block leaves ``folder`` untouched.
    Each file is renamed atomically; the set is moved file by file, in name order.
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        yield stage
        folder.mkdir(parents=True, exist_ok=True)
        for f in sorted(stage.iterdir()):
            os.replace(f, folder / f.name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
