"""The documented panel schema, as data: used by ``validate_panel`` and written out in ``book/data_dictionary.md``.

``required`` is ``"required"`` (must be present), ``"treatment"`` (``first_treat`` or ``Inn`` must be present),
``"outcome"`` (at least one index column or one indicator column must be present) or ``"optional"``.
``log_taken`` marks columns whose logarithm is taken downstream (values must be > 0).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

from ..indicators import indicator_catalogue


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    dtype: str  # int, float, str, bool
    unit: str
    meaning: str
    source: str
    required: str = "optional"
    log_taken: bool = False


_BASE = [
    ColumnSpec(
        "city_code",
        "int",
        "code",
        "6-digit city code (GB/T 2260, 2023 vintage)",
        "administrative-division codes",
        "required",
    ),
    ColumnSpec("year", "int", "year", "calendar year", "-", "required"),
    ColumnSpec(
        "first_treat", "int", "year", "pilot approval year; 0 = never treated", "NDRC/MOST pilot lists", "treatment"
    ),
    ColumnSpec("Inn", "int", "0/1", "pilot in force: first_treat > 0 and year >= first_treat", "derived", "treatment"),
    ColumnSpec("city", "str", "-", "Chinese city name", "-"),
    ColumnSpec("city_en", "str", "-", "pinyin city name", "-"),
    ColumnSpec("province", "str", "-", "province (Chinese)", "-"),
    ColumnSpec("region", "str", "-", "east / central / west / northeast", "NBS regional division"),
    ColumnSpec("pilot_certainty", "str", "-", "high / medium / low for pilots, empty otherwise", "project facts"),
    ColumnSpec(
        "admin_level", "str", "-", "municipality / sub_provincial / provincial_capital / other", "project facts"
    ),
    ColumnSpec(
        "old_industrial_base",
        "float",
        "1/0",
        "in the 2013 old-industrial-base plan (NaN = unknown)",
        "国函〔2013〕46号",
    ),
    ColumnSpec("size_class", "str", "-", "2014 State Council city-size class", "国发〔2014〕51号; census"),
    ColumnSpec(
        "pop_base",
        "float",
        "10k persons",
        "base-year urban population (size classification)",
        "China City Statistical Yearbook",
        log_taken=True,
    ),
    ColumnSpec(
        "gdp", "float", "100m yuan", "gross regional product", "China City Statistical Yearbook", log_taken=True
    ),
    ColumnSpec(
        "gdp_pc", "float", "yuan", "GDP per capita (Eco = ln gdp_pc)", "China City Statistical Yearbook", log_taken=True
    ),
    ColumnSpec("Eco", "float", "ln yuan", "economic development: ln GDP per capita", "China City Statistical Yearbook"),
    ColumnSpec(
        "Gov", "float", "ratio", "government intervention: fiscal expenditure / GDP", "China City Statistical Yearbook"
    ),
    ColumnSpec("Fix", "float", "ratio", "fixed-asset investment / GDP", "China City Statistical Yearbook"),
    ColumnSpec("Fin", "float", "ratio", "financial scale: loans / GDP", "China City Statistical Yearbook"),
    ColumnSpec("Tra", "float", "km per km2", "transport: road length / land area", "China City Statistical Yearbook"),
    ColumnSpec("Ope", "float", "ratio", "openness: FDI / GDP", "China City Statistical Yearbook"),
    ColumnSpec(
        "Hum",
        "float",
        "per 100 residents",
        "human-capital agglomeration: knowledge-service employment / population",
        "China City Statistical Yearbook",
    ),
    ColumnSpec(
        "Dig",
        "float",
        "ln",
        "digital agglomeration: ln internet users per 100 persons",
        "China City Statistical Yearbook",
    ),
    ColumnSpec(
        "Ind",
        "float",
        "quotient",
        "manufacturing agglomeration: location quotient of manufacturing employment",
        "China City Statistical Yearbook",
    ),
    ColumnSpec("ntl_base", "float", "DN", "1997 night-light intensity (IV base)", "DMSP-OLS / VIIRS-like proxy"),
    ColumnSpec("laozihao", "float", "firms", "number of 中华老字号 firms (IV base)", "MOFCOM list"),
    ColumnSpec(
        "rd_intensity_lag", "float", "% of GDP", "lagged national R&D intensity (IV shift)", "NBS statistical bulletins"
    ),
    ColumnSpec("iv_ntl", "float", "DN x %", "ntl_base x rd_intensity_lag", "derived"),
    ColumnSpec("iv_lzh", "float", "firms x %", "laozihao x rd_intensity_lag", "derived"),
    ColumnSpec(
        "Pro",
        "float",
        "index 0-10",
        "new quality productive forces index (paper weights)",
        "derived (build_index)",
        "outcome",
    ),
    ColumnSpec("Lab", "float", "index 0-10", "sub-index: new-quality labourers", "derived (build_index)", "outcome"),
    ColumnSpec(
        "Mea", "float", "index 0-10", "sub-index: new-quality means of labour", "derived (build_index)", "outcome"
    ),
    ColumnSpec(
        "Obj", "float", "index 0-10", "sub-index: new-quality objects of labour", "derived (build_index)", "outcome"
    ),
    ColumnSpec(
        "innovation_group", "str", "-", "innovation-capacity tercile (high/medium/low), semi-synthetic track", "derived"
    ),
]

_INDICATOR_SOURCE = {
    "Lab": "China City Statistical Yearbook; China Statistical Yearbook on Science and Technology; census",
    "Mea": "IFR robot data; firm registry (AI firms); China City Statistical Yearbook; energy/water statistics",
    "Obj": "China City Statistical Yearbook; NDRC SEI cluster lists; energy statistics; CO2 inventories",
}


def _indicator_specs() -> list[ColumnSpec]:
    cat = indicator_catalogue()
    return [
        ColumnSpec(
            r.code,
            "float",
            r.unit,
            f"{r.label_en} ({r.indicator_zh}); {r.dimension}, direction {r.direction}",
            _INDICATOR_SOURCE[r.dimension],
            "outcome",
            log_taken=r.code in ("lab_productivity",),
        )
        for r in cat.itertuples()
    ]


SCHEMA: list[ColumnSpec] = _BASE + _indicator_specs()
# plausible calendar years of a Chinese city panel (PRC statistics start in 1949); a year outside is a typo
YEAR_RANGE = (1949, 2100)
# columns that must have a value in every row (a missing key or treatment cannot be imputed)
NO_MISSING = ("city_code", "year", "first_treat", "Inn")
BY_NAME = {c.name: c for c in SCHEMA}
NUMERIC_DTYPES = ("int", "float")


def schema_table() -> pd.DataFrame:
    """The schema as a DataFrame (one row per column)."""
    return pd.DataFrame([asdict(c) for c in SCHEMA])
