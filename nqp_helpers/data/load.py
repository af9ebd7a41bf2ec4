"""``load_panel``: one entry point for the three tracks (real, semi-synthetic, user file).

* ``source="real"``: ``real_panel(...)`` plus ``build_index`` on the real indicators present; the index is built from
  those indicators only (weights renormalised), ``attrs["missing_indicators"]`` lists the others and a dimension with
  no indicator is all-NaN. ``attrs["track"] = "real"``.
* ``source="semi_synthetic"`` (default): ``simulate_panel(real_panel(...), ...)``; ``attrs["track"] =
  "semi_synthetic"``, ``attrs["truth"]`` holds the true effects.
* a path to a CSV, Parquet, Excel (.xlsx) or Stata (.dta) file (never pickle): read, validate (``validate_panel``),
  ``Inn`` computed from ``first_treat`` when absent (and ``first_treat`` from ``Inn`` when absent), the index built
  from the indicator columns when the index columns are absent; ``attrs["track"] = "user"``.

Every panel leaves through ``safe_attr`` (``nqp_helpers._attrs``): tables/arrays in ``attrs`` (``truth``,
``index_weights``, ...) are comparable wrappers, so ``pd.concat`` and ``repr`` of the panel or a column work.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from .._attrs import safe_attr
from ..errors import NQPInputError
from ..index import WEIGHT_SCHEMES, build_index
from ..indicators import INDEX_COLUMNS, INDICATOR_CODES
from .semi_synthetic import DEFAULT_SEED, SCENARIOS, reweight_index, simulate_panel
from .validate import BALANCED, validate_panel

SOURCES = ("semi_synthetic", "real")
FILE_TYPES = (".csv", ".parquet", ".pq", ".xlsx", ".dta")
OPTIONS = {
    "drop_uncertain": ("real", "semi_synthetic"),
    "calibration": ("semi_synthetic",),
    "moderation": ("semi_synthetic",),
    "na": ("real", "user"),
    "known_codes": ("user",),
}
TRACKS = ("real", "semi_synthetic", "user")


def _real(pilot_years, district_pilots, drop_uncertain):
    from .real_panel import real_panel  # lazy: the real track may be absent while the package is being built

    kw = {"pilot_years": pilot_years, "drop_uncertain": drop_uncertain}
    if district_pilots is not None:
        kw["district_pilots"] = district_pilots
    return real_panel(**kw)


def _read(path: Path) -> pd.DataFrame:
    ext = path.suffix.lower()
    if ext in (".pkl", ".pickle"):
        raise NQPInputError(f"{path}: pickle files are never read (they can run code); use {list(FILE_TYPES)}")
    if ext not in FILE_TYPES:
        raise NQPInputError(f"{path}: unsupported file type {ext!r}; allowed: {list(FILE_TYPES)}")
    if not path.exists():
        raise NQPInputError(f"data file {path} does not exist")
    if not path.is_file():
        raise NQPInputError(f"data file {path} is not a file")
    if path.stat().st_size == 0:
        raise NQPInputError(f"data file {path} is empty (0 bytes)")
    try:
        if ext == ".csv":
            df = pd.read_csv(path, encoding="utf-8")
        elif ext in (".parquet", ".pq"):
            df = pd.read_parquet(path)
        elif ext == ".xlsx":
            df = pd.read_excel(path)
        else:
            df = pd.read_stata(path)
    except UnicodeDecodeError as exc:
        raise NQPInputError(_not_utf8(path)) from exc
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - any reader failure is bad input: name the file, not a traceback
        raise NQPInputError(f"data file {path} could not be read as {ext} ({type(exc).__name__}: {exc})") from exc
    if len(df) == 0:
        raise NQPInputError(f"data file {path} has no data rows (columns: {list(map(str, df.columns))})")
    return df


def _not_utf8(path: Path) -> str:
    """Message for a CSV that is not UTF-8: where the first bad byte is and, if it decodes so, that it looks GBK."""
    raw = path.read_bytes()
    try:
        raw.decode("utf-8")
        where = ""
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        where = f" (byte {raw[err.start : err.start + 1].hex()} at line {line})"
    try:
        raw.decode("gb18030")
        guess = "; it looks GBK/GB18030-encoded (common for files saved by Chinese Excel)"
    except UnicodeDecodeError:
        guess = ""
    return (
        f"data file {path} is not UTF-8 encoded{where}{guess}. Save it as UTF-8 (Excel: 'CSV UTF-8'; "
        f"or `iconv -f GB18030 -t UTF-8 in.csv > out.csv`) and load it again"
    )


def _with_index(df: pd.DataFrame, weights, na: str) -> pd.DataFrame:
    present = [c for c in INDICATOR_CODES if c in df.columns]
    if not present:
        df.attrs["missing_indicators"] = list(INDICATOR_CODES)
        return df
    idx = build_index(df, weights=weights, na=na)
    for c in INDEX_COLUMNS:
        df[c] = idx[c].to_numpy()
    df.attrs["index_weights"] = idx.attrs["weights"]
    df.attrs["missing_indicators"] = idx.attrs["missing_indicators"]
    df.attrs["missing_dimensions"] = idx.attrs["missing_dimensions"]
    return df


def load_panel(
    source: str | os.PathLike = "semi_synthetic",
    seed: int = DEFAULT_SEED,
    scenario: str = "constant",
    pilot_years: str = "default",
    district_pilots: str | None = None,
    iv_exclusion_violation: bool = False,
    weights="paper",
    balanced: str = "reject",
    **options,
) -> pd.DataFrame:
    """Load the city-year panel of one track.

    Parameters
    ----------
    source : ``"semi_synthetic"`` (default), ``"real"`` or a path (CSV, Parquet, .xlsx, .dta).
    seed, scenario, iv_exclusion_violation : semi-synthetic generator options (``simulate_panel``).
    pilot_years, district_pilots : treatment-coding options of ``real_panel`` (``None`` = its default).
    weights : index weights for ``build_index`` (``"paper"``, ``"equal"``, ``"entropy"``, ``"critic"``, DataFrame).
        On the semi-synthetic track other weights rebuild the observed index *and* both potential outcomes with the
        same weights and bounds (``reweight_index``), so ``attrs["truth"]`` is the truth of the index analysed.
    balanced : ``"reject"`` or ``"warn"`` for an unbalanced user panel.
    **options : ``drop_uncertain`` (real, semi-synthetic), ``calibration`` and ``moderation`` (semi-synthetic:
        ``"cell_level"`` default, ``"city_level"``), ``na`` (index NaN
        policy; real and user), ``known_codes`` (user: allowed city codes).
    """
    unknown = [k for k in options if k not in OPTIONS]
    if unknown:
        raise NQPInputError(
            f"unknown option(s) {unknown}; allowed: {sorted(OPTIONS)} "
            f"(plus seed, scenario, pilot_years, district_pilots, iv_exclusion_violation, weights, "
            f"balanced)"
        )
    if balanced not in BALANCED:
        raise NQPInputError(f"unknown balanced={balanced!r}; allowed: {list(BALANCED)}")
    if scenario not in SCENARIOS:
        raise NQPInputError(f"unknown scenario {scenario!r}; allowed: {list(SCENARIOS)}")
    from .treatment import DISTRICT_PILOTS, PILOT_YEARS  # lazy, as _real

    if pilot_years not in PILOT_YEARS:
        raise NQPInputError(f"unknown pilot_years={pilot_years!r}; allowed: {list(PILOT_YEARS)}")
    if district_pilots is not None and district_pilots not in DISTRICT_PILOTS:
        raise NQPInputError(f"unknown district_pilots={district_pilots!r}; allowed: {list(DISTRICT_PILOTS)} or None")
    if isinstance(weights, str) and weights not in WEIGHT_SCHEMES:
        raise NQPInputError(f"unknown weights {weights!r}; allowed: {list(WEIGHT_SCHEMES)} or a DataFrame")
    na = options.get("na", "propagate")
    is_path = isinstance(source, os.PathLike) or (
        isinstance(source, str)
        and (source not in SOURCES and (os.sep in source or "/" in source or Path(source).suffix != ""))
    )
    track = "user" if is_path else source
    if track not in SOURCES + ("user",):
        raise NQPInputError(
            f"unknown source {source!r}; allowed: {list(SOURCES)} or a path to a {'/'.join(FILE_TYPES)} file"
        )
    misplaced = [k for k in options if track not in OPTIONS[k]]
    if misplaced:
        raise NQPInputError(f"option(s) {misplaced} do not apply to source {track!r}")

    if track == "real":
        df = _real(pilot_years, district_pilots, options.get("drop_uncertain", False))
        df = _with_index(df, weights, na)
        df.attrs["track"] = "real"
        return _safe_attrs(df)
    if track == "semi_synthetic":
        sk = _real(pilot_years, district_pilots, options.get("drop_uncertain", False))
        df = simulate_panel(
            sk,
            seed=seed,
            scenario=scenario,
            iv_exclusion_violation=iv_exclusion_violation,
            calibration=options.get("calibration"),
            moderation=options.get("moderation", "cell_level"),
        )
        if not (isinstance(weights, str) and weights == "paper"):
            df = reweight_index(df, weights)
        df.attrs["track"] = "semi_synthetic"
        return _safe_attrs(df)  # the generator stores plain DataFrames (truth, index_weights)

    path = Path(source)
    df = _read(path)
    validate_panel(df, balanced=balanced, known_codes=options.get("known_codes"))
    if "Inn" not in df.columns:
        ft = pd.to_numeric(df["first_treat"], errors="coerce").fillna(0)
        df["Inn"] = ((ft > 0) & (df["year"] >= ft)).astype(int)
    if "first_treat" not in df.columns:
        first = df[df["Inn"] == 1].groupby("city_code")["year"].min()
        df["first_treat"] = df["city_code"].map(first).fillna(0).astype(int)
    if not any(c in df.columns for c in INDEX_COLUMNS):
        df = _with_index(df, weights, na)
    df.attrs["track"] = "user"
    df.attrs["source_path"] = str(path)
    df.attrs["source"] = path.name
    return _safe_attrs(df)


def _safe_attrs(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with its ``attrs`` made comparable (DataFrame/Series/array values wrapped by ``safe_attr``), in place."""
    df.attrs = safe_attr(df.attrs)
    return df


def track_of(df: pd.DataFrame) -> str:
    """The track of a panel (``"real"``, ``"semi_synthetic"`` or ``"user"``); raises if ``attrs["track"]`` is unset."""
    t = getattr(df, "attrs", {}).get("track")
    if t not in TRACKS:
        raise NQPInputError(f"panel has no valid attrs['track'] (got {t!r}); allowed: {list(TRACKS)}")
    return t
