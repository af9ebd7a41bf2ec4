"""Choropleth maps of prefecture-level cities with matplotlib only (no geopandas).

Geometry: the simplified CTAmap 1.30 GeoJSON shipped in ``data/raw/prefecture-crosswalk-ctamap/geojson`` (2024
snapshot: ``prefecture/2024.geojson``, ``province/2024.geojson``), parsed with :mod:`json` and drawn as
:class:`matplotlib.collections.PolyCollection` (exterior rings only; enclaves are drawn after, i.e. on top of, the
larger polygons around them). A prefecture feature is matched to the panel by its ``source_code`` (the 2023 official
6-digit code = ``city_code``).

The geometry is **not** under the repository's data licence: CTAmap is for non-commercial use only, and every map must
carry :data:`CTAMAP_CREDIT` (it is drawn on the figure and returned in ``fig.caption``).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.collections import PolyCollection
from matplotlib.patches import Patch

from .errors import NQPInputError
from .paths import PROCESSED_DIR, RAW_DIR

GEOJSON_DIR = RAW_DIR / "prefecture-crosswalk-ctamap" / "geojson"
CTAMAP_CREDIT = (
    "Boundaries: CTAmap 1.30 (2000–2024), Rui Cheng / 锐多宝, simplified 2024 snapshot; "
    "non-commercial use only, no warranty of boundary accuracy."
)
CTAMAP_CREDIT_ASCII = (
    "Boundaries: CTAmap 1.30 (Rui Cheng), simplified 2024 snapshot; non-commercial use only; "
    "boundaries not authoritative."
)
NEVER_COLOR = "#d0d0d0"
EXTENT = (73.0, 135.5, 17.5, 54.0)  # lon/lat window: mainland + Hainan island; South China Sea islands not shown
_ASPECT = 1 / np.cos(np.deg2rad(36.0))


def _rings(geometry: dict) -> list[np.ndarray]:
    """Exterior rings of a Polygon / MultiPolygon as (n, 2) arrays of lon, lat."""
    kind, coords = geometry.get("type"), geometry.get("coordinates", [])
    if kind == "Polygon":
        polys = [coords]
    elif kind == "MultiPolygon":
        polys = coords
    else:
        return []
    return [np.asarray(p[0], dtype=float) for p in polys if p and len(p[0]) >= 3]


def _area(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))))


@lru_cache(maxsize=4)
def load_features(level: str = "prefecture", year: int = 2024, geojson_dir: str = str(GEOJSON_DIR)) -> tuple:
    """Parsed features of one GeoJSON file: a tuple of ``(properties, [rings])`` (cached)."""
    path = Path(geojson_dir) / level / f"{year}.geojson"
    if not path.exists():
        raise NQPInputError(f"map geometry missing: {path}")
    data = json.loads(path.read_text(encoding="utf-8"))
    return tuple((f.get("properties", {}), _rings(f.get("geometry") or {})) for f in data.get("features", []))


def prefecture_codes(year: int = 2024) -> set[int]:
    """6-digit codes of every prefecture feature of the map."""
    out = set()
    for props, _ in load_features("prefecture", year):
        code = str(props.get("source_code") or "")
        if code.isdigit():
            out.add(int(code))
    return out


def match_rate(city_codes) -> tuple[float, list[int]]:
    """Share of ``city_codes`` found among the map's prefecture codes, and the codes not found."""
    codes = sorted({int(c) for c in city_codes})
    if not codes:
        raise NQPInputError("match_rate: no city codes given")
    have = prefecture_codes()
    missing = [c for c in codes if c not in have]
    return 1 - len(missing) / len(codes), missing


def _city_table(panel_or_pilots: pd.DataFrame, sample_codes) -> tuple[pd.Series, set[int]]:
    """``first_treat`` per city (0 = never treated) and the set of sample codes."""
    df = panel_or_pilots
    for col in ("city_code", "first_treat"):
        if col not in df.columns:
            raise NQPInputError(f"pilot_map: column {col!r} is missing")
    ft = pd.to_numeric(df["first_treat"], errors="coerce").fillna(0)
    per_city = pd.DataFrame({"city_code": pd.to_numeric(df["city_code"], errors="coerce"), "ft": ft})
    per_city = per_city.dropna(subset=["city_code"]).astype({"city_code": int})
    if "year" in df.columns:  # a panel: every city in it is in the sample
        sample = set(per_city["city_code"]) if sample_codes is None else {int(c) for c in sample_codes}
    else:  # a pilot table: the sample is the processed roster unless given
        if sample_codes is None:
            roster = pd.read_csv(PROCESSED_DIR / "roster.csv", usecols=["city_code", "included"])
            sample_codes = roster.loc[roster["included"].astype(bool), "city_code"]
        sample = {int(c) for c in sample_codes}
        if "is_district_or_county" in df.columns:  # district pilots do not treat their parent
            per_city = per_city[pd.to_numeric(df.loc[per_city.index, "is_district_or_county"]).fillna(0) == 0]
    ft = per_city.groupby("city_code")["ft"].max()
    bad = ft[(ft > 0) & ((ft < 1990) | (ft > 2100))]
    if len(bad):
        raise NQPInputError(f"pilot_map: implausible first_treat {bad.iloc[0]} for city_code {bad.index[0]}")
    return ft.reindex(sorted(sample)).fillna(0).astype(int), sample


def _collection(rings, **kw) -> PolyCollection:
    return PolyCollection(rings, closed=True, **kw)


def pilot_map(panel_or_pilots: pd.DataFrame, ax=None, sample_codes=None, cmap: str = "turbo", title: str | None = None):
    """Map of cities coloured by pilot approval year (``first_treat``).

    ``panel_or_pilots``: a city-year panel (the sample = its cities) or a pilot table with ``city_code, first_treat``
    (the sample = ``sample_codes`` or the processed roster). Never-treated sample cities are grey; map units outside
    the sample are white and hatched. Province borders come from the province GeoJSON. Returns the Figure; its
    ``caption`` attribute holds a caption with the CTAmap licence credit, ``match_rate`` the share of sample cities
    found in the map.
    """
    ft, sample = _city_table(panel_or_pilots, sample_codes)
    years = sorted(int(y) for y in ft[ft > 0].unique())
    colors = plt.get_cmap(cmap)(np.linspace(0.05, 0.95, max(len(years), 1)))
    year_color = dict(zip(years, colors))

    groups: dict[str, list] = {"out": [], "never": [], **{str(y): [] for y in years}}
    found = set()
    for props, rings in load_features("prefecture"):
        code = str(props.get("source_code") or "")
        code = int(code) if code.isdigit() else None
        if props.get("context_kind") == "out_of_scope_province":
            key = "scope"
        elif code in sample:
            found.add(code)
            key = str(ft[code]) if ft[code] > 0 else "never"
        else:
            key = "out"
        for ring in rings:
            groups.setdefault(key, []).append(ring)
    if ax is None:
        fig, ax = plt.subplots(figsize=(9, 5.6))
        fig.subplots_adjust(left=0.0, right=0.78, bottom=0.05, top=0.97)
    else:
        fig = ax.figure
    by_area = lambda rs: sorted(rs, key=_area, reverse=True)  # noqa: E731
    ax.add_collection(
        _collection(by_area(groups.get("scope", [])), facecolor="white", edgecolor="#bbbbbb", linewidths=0.2)
    )
    ax.add_collection(
        _collection(by_area(groups["out"]), facecolor="white", edgecolor="#999999", hatch="////", linewidths=0.2)
    )
    ax.add_collection(_collection(by_area(groups["never"]), facecolor=NEVER_COLOR, edgecolor="white", linewidths=0.25))
    for y in years:
        ax.add_collection(
            _collection(by_area(groups[str(y)]), facecolor=year_color[y], edgecolor="white", linewidths=0.25)
        )
    prov = [r for _, rings in load_features("province") for r in rings]
    ax.add_collection(_collection(prov, facecolor="none", edgecolor="#333333", linewidths=0.6))
    ax.set_xlim(EXTENT[0], EXTENT[1])
    ax.set_ylim(EXTENT[2], EXTENT[3])
    ax.set_aspect(_ASPECT)
    ax.set_axis_off()
    n_by_year = ft[ft > 0].value_counts()
    handles = [Patch(facecolor=year_color[y], edgecolor="none", label=f"{y} ({n_by_year[y]})") for y in years]
    handles += [
        Patch(facecolor=NEVER_COLOR, edgecolor="none", label=f"never treated ({int((ft == 0).sum())})"),
        Patch(facecolor="white", edgecolor="#999999", hatch="////", label="not in sample"),
    ]
    ax.legend(
        handles=handles,
        title="Pilot approved in\n(number of cities)",
        loc="center left",
        bbox_to_anchor=(1.0, 0.5),
        fontsize=9,
        title_fontsize=9.5,
        frameon=False,
    )
    if title:
        ax.set_title(title)
    fig.text(0.01, 0.01, CTAMAP_CREDIT_ASCII, fontsize=6.5, color="#555555", ha="left", va="bottom")
    rate = len(found) / len(sample) if sample else float("nan")
    fig.match_rate = rate
    fig.caption = (
        f"Prefecture-level cities of the sample ({len(sample)}) coloured by the year their national "
        f"innovative-city pilot was approved ({int((ft > 0).sum())} pilots); grey = never treated; "
        f"hatched = map units outside the sample (autonomous prefectures, leagues, cities created or "
        f"abolished within 2004–2023, county-level units). Thick lines: provinces. "
        f"{len(found)} of {len(sample)} sample cities found in the map ({rate:.0%}). "
        f"South China Sea islands not shown. {CTAMAP_CREDIT}"
    )
    return fig
