"""``nqp verify``: compare a build's headline result tables with the committed reference set, within tolerance.

What a replicator runs to check they got our numbers (the AEA manifest comparison, with tolerances). The reference
set is ``data/reference/<track>/`` and holds the output files of every paper exhibit (``reported.EXHIBITS``) as
produced by one build of that track. Each exhibit is reported as

* ``match``: every output file has the reference's shape and columns, equal text cells and numeric cells equal
  within ``TABLE_REL_TOL`` / ``ABS_TOL``;
* ``differs``: with the largest absolute and relative difference and the cells (row, column) that differ;
* ``missing``: a reference file is absent from the results (or the results have a file the reference lacks:
  ``unreferenced``, i.e. the reference is stale);
* ``not produced``: neither the build nor the reference has it (an exhibit whose inputs the track lacks).

Determinism (README, "Controlled randomness"): on one machine the same seed gives byte-identical tables; across
machines numpy's SIMD dispatch and BLAS kernels change the last bits, so values are equal within ``REL_TOL``
(1e-9, relative) or ``ABS_TOL`` (1e-12). Result tables are written with 10 significant digits (``%.10g``), so a
last-bit difference can move the 10th digit by one unit (up to 1e-9 relative): tables are compared with
``TABLE_REL_TOL`` = 1e-8.

Each track maps to one results folder (``TRACK_RESULTS``); ``--results DIR`` points at another one (e.g. the
``results/`` of an ``nqp run`` folder). ``--update`` rewrites the reference from the results, and only when asked:
``nqp verify --track semi_synthetic --update``.
"""

from __future__ import annotations

import math
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import NQPInputError
from .paths import DATA_DIR, REPO_ROOT, results_file
from .realtrack import real_dir

REL_TOL = 1e-9
ABS_TOL = 1e-12
TABLE_REL_TOL = 1e-8
REFERENCE_DIR = DATA_DIR / "reference"
# track -> the folder its default build writes (``make book`` writes the semi-synthetic track to results/)
TRACK_RESULTS = {
    "semi_synthetic": REPO_ROOT / "results",
    "real": real_dir(),
}  # real: written by the build beside the book
MAX_CELLS_SHOWN = 5

__all__ = [
    "ABS_TOL",
    "REFERENCE_DIR",
    "REL_TOL",
    "TABLE_REL_TOL",
    "TRACK_RESULTS",
    "ExhibitResult",
    "close",
    "compare_tables",
    "exhibit_outputs",
    "format_results",
    "results_table",
    "update_reference",
    "verdict",
    "verify",
]


def close(a: float, b: float, rel_tol: float = REL_TOL, abs_tol: float = ABS_TOL) -> bool:
    """``a`` equals ``b`` within the cross-machine tolerance (NaN equals NaN, infinities must be equal)."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=rel_tol, abs_tol=abs_tol)


@dataclass
class CellDiff:
    file: str
    row: int
    label: str
    column: str
    reference: object
    got: object
    abs_diff: float = math.nan
    rel_diff: float = math.nan

    def __str__(self) -> str:
        where = f"{self.file} row {self.row}" + (f" ({self.label})" if self.label else "") + f", column {self.column!r}"
        return f"{where}: reference {self.reference!r}, got {self.got!r}"


@dataclass
class ExhibitResult:
    exhibit: str
    status: str  # match | differs | missing | unreferenced | not produced
    files: list[str]
    cells: list[CellDiff] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status in ("match", "not produced")

    def max_diffs(self) -> tuple[float, float]:
        a = [c.abs_diff for c in self.cells if not math.isnan(c.abs_diff)]
        r = [c.rel_diff for c in self.cells if not math.isnan(c.rel_diff)]
        return (max(a) if a else math.nan, max(r) if r else math.nan)


def _track(track: str) -> str:
    if track not in TRACK_RESULTS:
        raise NQPInputError(f"unknown track {track!r}; allowed: {list(TRACK_RESULTS)}")
    return track


def exhibit_outputs() -> list[tuple[str, list[str]]]:
    """(exhibit, output files relative to a results folder) for every paper exhibit, in the paper's order."""
    from .reported import EXHIBITS

    return [(e[0], list(e[3])) for e in EXHIBITS]


def _label(df: pd.DataFrame, i: int) -> str:
    """A human row label: the row's text cells (e.g. 'outcome=Pro, model=(2)')."""
    text = [c for c in df.columns if df[c].dtype == object][:3]
    return ", ".join(f"{c}={df.iloc[i][c]}" for c in text if pd.notna(df.iloc[i][c]))


def compare_tables(
    got: pd.DataFrame, ref: pd.DataFrame, file: str = "", rel_tol: float = TABLE_REL_TOL, abs_tol: float = ABS_TOL
) -> tuple[list[CellDiff], list[str]]:
    """Cell-by-cell comparison of two tables: (differing cells, structural problems such as shape or columns)."""
    problems = []
    if list(got.columns) != list(ref.columns):
        problems.append(f"{file}: columns {list(got.columns)} differ from the reference's {list(ref.columns)}")
        return [], problems
    if len(got) != len(ref):
        problems.append(f"{file}: {len(got)} rows, the reference has {len(ref)}")
        return [], problems
    cells = []
    for col in ref.columns:
        r, g = ref[col], got[col]
        if r.dtype.kind in "fiub" and g.dtype.kind in "fiub":
            rv, gv = r.to_numpy(dtype=float), g.to_numpy(dtype=float)
            both_nan = np.isnan(rv) & np.isnan(gv)
            with np.errstate(invalid="ignore"):
                ok = (
                    both_nan
                    | (gv == rv)
                    | (np.abs(gv - rv) <= np.maximum(rel_tol * np.maximum(np.abs(rv), np.abs(gv)), abs_tol))
                )
            for i in np.flatnonzero(~ok):
                d = abs(gv[i] - rv[i])
                rel = d / max(abs(rv[i]), abs(gv[i])) if max(abs(rv[i]), abs(gv[i])) > 0 else math.nan
                cells.append(CellDiff(file, int(i), _label(ref, i), str(col), rv[i].item(), gv[i].item(), d, rel))
        else:
            rs, gs = r.astype(object).where(r.notna(), ""), g.astype(object).where(g.notna(), "")
            for i in np.flatnonzero((rs.astype(str) != gs.astype(str)).to_numpy()):
                cells.append(CellDiff(file, int(i), _label(ref, i), str(col), rs.iloc[i], gs.iloc[i]))
    return cells, problems


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=True)


def verify(
    track: str = "semi_synthetic", results_dir: str | Path | None = None, reference_dir: str | Path | None = None
) -> list[ExhibitResult]:
    """Compare every exhibit's output files in ``results_dir`` (default ``TRACK_RESULTS[track]``) with
    ``reference_dir`` (default ``data/reference/<track>``)."""
    _track(track)
    res = Path(results_dir) if results_dir is not None else TRACK_RESULTS[track]
    ref = Path(reference_dir) if reference_dir is not None else REFERENCE_DIR / track
    out = []
    for exhibit, files in exhibit_outputs():
        in_ref = [f for f in files if (ref / f).is_file()]
        in_res = [f for f in files if results_file(res, f).is_file()]
        result = ExhibitResult(exhibit, "match", files)
        if not in_ref and not in_res:
            result.status = "not produced"
        elif set(in_ref) - set(in_res):
            result.status = "missing"
            result.problems = [f"{f}: not in {res}" for f in files if f in in_ref and f not in in_res]
        elif set(in_res) - set(in_ref):
            result.status = "unreferenced"
            result.problems = [
                f"{f}: in the results but not in the reference {ref} (update it?)" for f in in_res if f not in in_ref
            ]
        else:
            for f in in_ref:
                cells, problems = compare_tables(_read(results_file(res, f)), _read(ref / f), f)
                result.cells += cells
                result.problems += problems
            if result.cells or result.problems:
                result.status = "differs"
        out.append(result)
    return out


def format_results(results: list[ExhibitResult], track: str = "", results_dir=None) -> str:
    """The text ``nqp verify`` prints: one block per exhibit and a last line with the verdict."""
    lines = [f"nqp verify: track {track}, results {results_dir}, tolerance rel {TABLE_REL_TOL:g} / abs {ABS_TOL:g}"]
    for r in results:
        if r.status == "differs" and r.cells:
            a, rel = r.max_diffs()
            lines.append(
                f"{r.exhibit}: differs in {len(r.cells)} cell(s); max abs diff {a:.3g}, max rel diff {rel:.3g}"
            )
            lines += [f"    {c}" for c in r.cells[:MAX_CELLS_SHOWN]]
            if len(r.cells) > MAX_CELLS_SHOWN:
                lines.append(f"    ... and {len(r.cells) - MAX_CELLS_SHOWN} more")
        else:
            lines.append(f"{r.exhibit}: {r.status}")
        lines += [f"    {p}" for p in r.problems]
    bad = [r.exhibit for r in results if not r.ok]
    lines.append("FAILED: " + ", ".join(bad) if bad else "OK: every exhibit matches the reference")
    return "\n".join(lines)


def results_table(results: list[ExhibitResult]) -> pd.DataFrame:
    """One row per exhibit for a report page (human headers; NaN differences where there is none to report)."""
    rows = []
    for r in results:
        a, rel = r.max_diffs()
        detail = "; ".join([str(c) for c in r.cells[:MAX_CELLS_SHOWN]] + r.problems)
        rows.append(
            {
                "Exhibit": r.exhibit,
                "Status": r.status,
                "Files": "; ".join(r.files),
                "Cells differing": len(r.cells),
                "Max abs diff": a,
                "Max rel diff": rel,
                "Detail": detail,
            }
        )
    return pd.DataFrame(rows)


def verdict(results: list[ExhibitResult]) -> str:
    """One sentence: how many exhibits match the reference and which do not (no results: no reference applies)."""
    if not results:
        return "There is no reference for a user's own panel, so nothing was compared."
    bad = [f"{r.exhibit} ({r.status})" for r in results if not r.ok]
    n_ok = len(results) - len(bad)
    if not bad:
        return f"All {len(results)} exhibits agree with the reference."
    return f"{n_ok} of {len(results)} exhibits agree with the reference; not: {', '.join(bad)}."


def update_reference(
    track: str = "semi_synthetic", results_dir: str | Path | None = None, reference_dir: str | Path | None = None
) -> list[str]:
    """Rewrite ``data/reference/<track>/`` from the exhibits' output files in the results folder (files the build
    did not produce are removed from the reference); return the files written."""
    _track(track)
    res = Path(results_dir) if results_dir is not None else TRACK_RESULTS[track]
    ref = Path(reference_dir) if reference_dir is not None else REFERENCE_DIR / track
    files = [f for _, fs in exhibit_outputs() for f in fs]
    present = [f for f in files if results_file(res, f).is_file()]
    if not present:
        raise NQPInputError(
            f"no exhibit output in {res}: build the track first (make book, or nqp run ... -p data {track})"
        )
    written = []
    for f in files:
        target = ref / f
        if f in present:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(results_file(res, f), target)
            written.append(f)
        elif target.is_file():
            target.unlink()
    return written
