"""Where things live: one place for every path the package reads or writes."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import NQPInputError

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


# Notebooks were renamed after their exhibits (issue 12): old stem -> new stem. ``nqp run`` and sweep grids accept the
# old names, and tables in results folders written before the rename (``runs/<stamp>-03_baseline/results/03_baseline/``)
# are still found. Old and new stems never coincide, so the lookup is unambiguous.
RENAMED_NOTEBOOKS = {
    "02_index": "02_t1_index",
    "03_baseline": "03_t2_baseline",
    "04_psm_did": "04_t3_psm_did",
    "05_iv": "05_t4_iv",
    "06_amplification": "06_t5_t7_amplification",
    "07_heterogeneity": "07_f1_heterogeneity",
    "08_audit": "09_audit",
    "09_event_study": "10_event_study",
    "10_robust_did": "11_robust_did",
    "11_inference": "12_inference",
    "12_teaching_lab": "13_teaching_lab",
    "13_status": "15_status",
    "15_calibration": "08_calibration",
}


def notebook_path(name: str | os.PathLike) -> Path:
    """The chapter file for ``name``: an existing path, or a stem / ``notebooks/<stem>.py`` under its old or new name.

    Raises :class:`~nqp_helpers.errors.NQPInputError` naming the available chapters when nothing matches.
    """
    path = Path(name)
    if path.is_file():
        return path
    stem = path.stem if path.suffix == ".py" else path.name
    stem = RENAMED_NOTEBOOKS.get(stem, stem)
    candidate = NOTEBOOKS_DIR / f"{stem}.py"
    if candidate.is_file():
        return candidate
    available = ", ".join(sorted(p.stem for p in NOTEBOOKS_DIR.glob("[0-9]*.py")))
    raise NQPInputError(f"{name} does not exist (no such file, and no chapter of that name; chapters: {available})")


def results_file(base: str | os.PathLike, relative: str) -> Path:
    """``base/relative``; when absent and ``relative`` starts with a renamed notebook's folder, the same file under the
    folder's old name (results written before the rename). Returns the new-name path when neither exists."""
    base, rel = Path(base), Path(relative)
    path = base / rel
    if path.exists() or not rel.parts:
        return path
    old = {new: old for old, new in RENAMED_NOTEBOOKS.items()}.get(rel.parts[0])
    if old is not None and (base / old).joinpath(*rel.parts[1:]).exists():
        return (base / old).joinpath(*rel.parts[1:])
    return path
