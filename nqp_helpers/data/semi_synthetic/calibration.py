"""Calibration targets from the paper's reported numbers: the true ATTs of Lab, Mea, Obj (Table 2) and the moderation
strengths ``kappa`` (Tables 5-7 interactions relative to the ATTs), read once per process and file version."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from ...errors import NQPInputError
from ...indicators import DIMENSIONS
from ...variables import MODERATOR_TABLES
from .parameters import _KAPPA_MAX


def _reported_key() -> tuple:
    """Identifies the version of data/paper/reported_results.csv (path, size, mtime) for the per-process caches."""
    from ...paths import PAPER_DIR

    path = PAPER_DIR / "reported_results.csv"
    try:
        st = path.stat()
        return str(path), st.st_size, st.st_mtime_ns
    except OSError:  # missing file: reported_results raises its own error
        return str(path), None, None


@functools.lru_cache(maxsize=4)
def _reported_cached(key: tuple) -> pd.DataFrame:
    from ...reported import reported_results

    return reported_results()


def _reported() -> pd.DataFrame:
    """The paper's reported numbers (data/paper/reported_results.csv); the calibration targets come only from there.
    Read and validated once per process and version of the file; each call returns a copy."""
    return _reported_cached(_reported_key()).copy()


def _paper_coef(r: pd.DataFrame, what: str, **match) -> float:
    mask = np.ones(len(r), dtype=bool)
    for k, v in match.items():
        mask &= (r[k] == v).to_numpy()
    if not mask.any():
        raise NQPInputError(f"reported_results.csv has no row for {what} ({match}); the calibration needs it")
    return float(r.loc[mask, "coef"].iloc[0])


def default_targets() -> dict[str, float]:
    """The paper's Table 2 coefficients on ``Inn`` with controls: Lab col. (4), Mea col. (6), Obj col. (8)."""
    return dict(_targets_and_kappa(_reported_key())[0])


def _kappa() -> dict[tuple[str, str], float]:
    return dict(_targets_and_kappa(_reported_key())[1])


@functools.lru_cache(maxsize=4)
def _targets_and_kappa(key: tuple) -> tuple[dict, dict]:
    """(default targets, kappa) from the reported numbers, once per version of the file (callers copy the dicts)."""
    r = _reported_cached(key)
    att = {}
    for d, col in (("Lab", 4), ("Mea", 6), ("Obj", 8)):
        att[d] = _paper_coef(r, f"Table 2 column {col}", table=2, column=col, term="Inn", outcome=d)
    kappa = {}
    for m, tb in MODERATOR_TABLES.items():
        ratios = {}
        for d in DIMENSIONS:
            coef = _paper_coef(r, f"Table {tb}", table=tb, outcome=d, term=f"Inn:{m}")
            ratios[d] = max(coef, 0.0) / att[d]
        top = max(ratios.values()) or 1.0
        for d in DIMENSIONS:
            kappa[(m, d)] = _KAPPA_MAX * ratios[d] / top
    return att, kappa
