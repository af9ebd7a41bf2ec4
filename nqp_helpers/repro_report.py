"""Tables of the "Reproducibility report" page (notebooks/90_reproducibility.py), computed in the build.

Machine (CPU model, cores, memory), operating system, Python and the key packages' versions; each chapter's
execution time (from the book's execution cache, ``_build/.jupyter_cache``, which myst-nb fills with jupyter-cache
records); each output file's sha256 and row count; the seeds every chapter declares; and ``nqp verify``'s result
(``nqp_helpers.verify``). Every function returns a tidy DataFrame with human column names, "—" for what is unknown.
"""

from __future__ import annotations

import hashlib
import os
import platform
import sys
from importlib import metadata
from pathlib import Path

import pandas as pd

from .paths import NOTEBOOKS_DIR, REPO_ROOT

CACHE_DIR = REPO_ROOT / "_build" / ".jupyter_cache"
MISSING = "—"

__all__ = ["direct_dependencies", "environment_table", "execution_times", "output_files", "seeds_used", "styled"]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or MISSING


def _memory_gib() -> str:
    try:
        import psutil

        return f"{psutil.virtual_memory().total / 2**30:.1f} GiB"
    except Exception:  # noqa: BLE001 - psutil absent or unsupported platform: say unknown
        return MISSING


def _simd_flags() -> str:
    """The CPU's wide-vector flags (why last bits may differ from another machine's)."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return MISSING
    flags = next((ln.split(":", 1)[1].split() for ln in text.splitlines() if ln.startswith("flags")), [])
    wide = sorted({f for f in flags if f.startswith(("avx", "fma", "sse4"))})
    return " ".join(wide) or MISSING


def _blas() -> str:
    try:
        import numpy as np

        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{blas.get('name', MISSING)} {blas.get('version', '')}".strip()
    except Exception:  # noqa: BLE001 - older numpy or no build info: say unknown
        return MISSING


def direct_dependencies(pyproject: str | os.PathLike = REPO_ROOT / "pyproject.toml") -> list[str]:
    """The package names pinned in ``pyproject.toml``'s ``dependencies`` (the one list of key packages)."""
    import re
    import tomllib

    deps = tomllib.loads(Path(pyproject).read_text(encoding="utf-8"))["project"]["dependencies"]
    return [re.split(r"[<>=!~\[; ]", d, maxsplit=1)[0] for d in deps]


def environment_table(packages=None) -> pd.DataFrame:
    """Hardware, OS, Python, BLAS and the versions of ``packages`` (default: the direct dependencies) as
    installed: one row per item (``Item``, ``Value``)."""
    rows = [
        ("CPU model", _cpu_model()),
        ("Logical cores", str(os.cpu_count() or MISSING)),
        ("Vector instruction sets", _simd_flags()),
        ("Memory", _memory_gib()),
        ("Operating system", platform.platform()),
        ("Python", sys.version.split()[0]),
        ("numpy's BLAS", _blas()),
    ]
    for name in direct_dependencies() if packages is None else packages:
        try:
            rows.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            rows.append((name, MISSING))
    return pd.DataFrame(rows, columns=["Item", "Value"])


def execution_times(
    cache_dir: str | os.PathLike = CACHE_DIR, root: str | os.PathLike = REPO_ROOT, skip=None
) -> pd.DataFrame:
    """Each executed page's last execution time from the jupyter-cache records (``Page``, ``Executed (UTC)``,
    ``Seconds``); empty when there is no cache (e.g. under ``nqp run``). Pages in ``skip`` (default
    ``book.ALWAYS_REREAD``: executed in every build, outside the cache) are left out, so an old record is never
    shown."""
    if skip is None:
        from .book import ALWAYS_REREAD as skip
    cols = ["Page", "Executed (UTC)", "Seconds"]
    cache_dir, root = Path(cache_dir), Path(root).resolve()
    if not (cache_dir / "global.db").is_file():
        return pd.DataFrame(columns=cols)
    from jupyter_cache import get_cache

    latest: dict[str, tuple] = {}
    for rec in get_cache(cache_dir).list_cache_records():
        uri = Path(rec.uri)
        try:
            page = uri.resolve().relative_to(root).with_suffix("").as_posix()
        except ValueError:
            page = uri.stem
        secs = (rec.data or {}).get("execution_seconds")
        if page in skip:
            continue
        if page not in latest or rec.created > latest[page][0]:
            latest[page] = (rec.created, secs)
    rows = [
        (p, c.strftime("%Y-%m-%d %H:%M"), round(float(s), 1) if s is not None else float("nan"))
        for p, (c, s) in sorted(latest.items())
    ]
    return pd.DataFrame(rows, columns=cols)


def _csv_rows(path: Path) -> int:
    """Data rows of a CSV file (quoted line breaks counted correctly)."""
    return len(pd.read_csv(path, dtype=str, keep_default_na=False))


def output_files(results_dir: str | os.PathLike) -> pd.DataFrame:
    """Every file under ``results_dir`` (``File``, ``Rows`` for CSV tables, ``sha256``), sorted by path."""
    base = Path(results_dir)
    rows = []
    for p in sorted(q for q in base.rglob("*") if q.is_file() and not q.name.startswith(".")):
        rows.append(
            (
                p.relative_to(base).as_posix(),
                _csv_rows(p) if p.suffix == ".csv" else pd.NA,
                hashlib.sha256(p.read_bytes()).hexdigest(),
            )
        )
    return pd.DataFrame(rows, columns=["File", "Rows", "sha256"]).astype({"Rows": "Int64"})


def seeds_used(notebooks_dir: str | os.PathLike = NOTEBOOKS_DIR) -> pd.DataFrame:
    """Every seed parameter the chapters declare with its default, which is what the book runs with
    (``Chapter``, ``Parameter``, ``Value``, ``Meaning``)."""
    from .runner import declared_parameters

    rows = []
    for nb in sorted(Path(notebooks_dir).glob("[0-9][0-9]_*.py")):
        for p in declared_parameters(nb).values():
            if "seed" in p.name:
                rows.append((nb.stem, p.name, repr(p.default), p.comment))
    return pd.DataFrame(rows, columns=["Chapter", "Parameter", "Value", "Meaning"])


def styled(df: pd.DataFrame):
    """The table for the page: no index column, floats with 3 significant digits, "—" for missing values."""
    floats = {c: "{:.3g}" for c in df.columns if df[c].dtype.kind == "f"}
    return df.style.hide(axis="index").format(na_rep=MISSING).format(floats, na_rep=MISSING)
