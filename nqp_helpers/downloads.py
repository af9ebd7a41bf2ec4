"""Each chapter's downloads on the built site: its source (.py), its executed notebook (.ipynb) and its CSVs.

:func:`publish` (run by ``nqp build`` after Sphinx) copies them to ``_build/html/_downloads/nqp/<chapter>/``, where
the links of :func:`nqp_helpers.display.download_links` (end of every chapter) point; real-track tables go to
``_downloads/nqp/real/<chapter>/``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from .display import DOWNLOADS

__all__ = ["publish"]


def publish(root: str | os.PathLike) -> Path:
    """Copy every chapter's .py, executed .ipynb and results/<chapter>/*.csv (and real-track CSVs) into the site."""
    root = Path(root)
    html = root / "_build" / "html"
    target = html / DOWNLOADS
    shutil.rmtree(target, ignore_errors=True)
    executed = root / "_build" / "jupyter_execute" / "notebooks"
    for src in sorted((root / "notebooks").glob("[0-9][0-9]_*.py")):
        stem = src.stem
        out = target / stem
        out.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, out / src.name)
        nb = executed / f"{stem}.ipynb"
        if nb.is_file():
            shutil.copy2(nb, out / nb.name)
        else:  # not executed in this build (e.g. cached elsewhere): the unexecuted twin, via jupytext
            import jupytext

            jupytext.write(jupytext.read(src, fmt="py:percent"), out / f"{stem}.ipynb")
        for sub, dest in (("", out), ("real", target / "real" / stem)):
            folder = root / "results" / sub / stem if sub else root / "results" / stem
            if folder.is_dir():
                dest.mkdir(parents=True, exist_ok=True)
                for f in sorted(folder.glob("*.csv")) + sorted(folder.glob("*.tex")):
                    shutil.copy2(f, dest / f.name)
    return target
