"""Where things live: one place for every path the package reads or writes."""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"
RAW_DIR = DATA_DIR / "raw"
PROCESSED_DIR = DATA_DIR / "processed"
PAPER_DIR = DATA_DIR / "paper"
BOOK_DIR = REPO_ROOT / "book"
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
RUNS_DIR = REPO_ROOT / "runs"


def results_dir(name: str | None = None) -> Path:
    """Folder a notebook writes its tables to.

    ``nqp run`` points the environment variable ``NQP_RESULTS_DIR`` at the run folder; a plain book build
    writes to ``results/`` at the repository root. ``name`` adds a sub-folder (one per notebook).
    """
    base = Path(os.environ.get("NQP_RESULTS_DIR", REPO_ROOT / "results"))
    out = base / name if name else base
    out.mkdir(parents=True, exist_ok=True)
    return out
