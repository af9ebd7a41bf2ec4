"""The real-data API: ``real_panel`` (tidy city-year panel with treatment options), provenance and coverage tables."""

from __future__ import annotations

import json

import pandas as pd

from ..errors import NQPInputError
from ..paths import PROCESSED_DIR
from .treatment import DEFAULT_DISTRICT_PILOTS, apply_treatment

PROVENANCE = [
    (
        "gp-city-panel-2000-2023",
        "none stated (vendor compilation of yearbook data, EDGAR v8.0 for CO2)",
        "2000-2023",
        "GDP (revised vintage), resident population, loans + CCSY-vintage GDP, FDI (US$), road area per capita, "
        "CO2, GDP index",
        "Eco, Fin, Tra, Ope, obj_co2_intensity, gdp, pop, gdp_growth; all GDP denominators except Gov and Fin",
    ),
    (
        "wd-gpi-prefecture-2006-2018",
        "none stated; cite Ji et al. (WD-GPI)",
        "2006-2018",
        "GFCF, employment, industrial SO2, urban population",
        "Fix, lab_productivity, obj_waste_gas_intensity, size_class",
    ),
    (
        "leizhou-jop2022-city-2003-2016",
        "none stated; cite Lei & Zhou (2022, JOP)",
        "2003-2016 (no municipalities)",
        "general-budget revenue and GDP",
        "Gov (proxy: budget revenue / GDP)",
    ),
    (
        "ntl-viirslike-city-2001-2020",
        "none stated; cite Chen et al. (2021, ESSD)",
        "2001-2020",
        "NPP-VIIRS-like sum and mean of lights",
        "ntl_sum, ntl_mean, ntl_base (2001 mean light)",
    ),
    (
        "prefecture-crosswalk-ctamap",
        "CSV: CC BY 4.0 (FIERsity); GeoJSON: CTAmap 1.30, non-commercial",
        "2000-2024",
        "roster, codes, names, events, boundaries",
        "roster rule, name joins, province, maps",
    ),
    (
        "facts",
        "project facts compiled from public pages (see sources.md)",
        "2008-2022",
        "pilot list, city classes, old-industrial-base list",
        "first_treat, admin_level, old_industrial_base",
    ),
    (
        "national",
        "NBS bulletins (official statistics)",
        "2003-2023",
        "national R&D intensity, USD/CNY annual average",
        "rd_intensity_lag, iv_ntl, Ope currency conversion",
    ),
]


def _read(name: str, processed_dir=PROCESSED_DIR) -> pd.DataFrame:
    path = processed_dir / name
    if not path.exists():
        raise NQPInputError(
            f"{path} is missing: run `nqp data build` (nqp_helpers.data.build_processed.build_processed)"
        )
    return pd.read_csv(path, encoding="utf-8")


def real_panel(
    pilot_years: str = "default",
    district_pilots: str = DEFAULT_DISTRICT_PILOTS,
    drop_uncertain: bool = False,
    processed_dir=PROCESSED_DIR,
) -> pd.DataFrame:
    """The real-track city-year panel (2004–2023) with ``first_treat`` (0 = never treated) and ``Inn``.

    Options are those of :mod:`nqp_helpers.data.treatment`: ``pilot_years`` in default/earliest/latest,
    ``district_pilots`` in ignore/treat_parent/drop_parent, ``drop_uncertain`` drops cities whose approval year is
    known only as a range. ``attrs["track"] == "real"``; ``attrs["options"]`` records the options.
    """
    panel = _read("real_panel.csv", processed_dir)
    units = _read("pilots.csv", processed_dir)
    units["city_code"] = units["city_code"].astype("Int64")
    df = apply_treatment(panel, units, pilot_years, district_pilots, drop_uncertain)
    for c in [c for c in df.columns if c.endswith("_imputed")]:
        df[c] = df[c].astype(bool)
    df["old_industrial_base"] = df["old_industrial_base"].astype(float)
    df["size_class"] = df["size_class"].fillna("").astype(str)
    df = df.sort_values(["city_code", "year"]).reset_index(drop=True)
    df.attrs["track"] = "real"
    df.attrs["options"] = {
        "pilot_years": pilot_years,
        "district_pilots": district_pilots,
        "drop_uncertain": drop_uncertain,
    }
    return df


def coverage_table(processed_dir=PROCESSED_DIR) -> pd.DataFrame:
    """Share of roster cities with a non-missing value, variable × year."""
    return _read("coverage.csv", processed_dir).set_index("variable")


def provenance_table(processed_dir=PROCESSED_DIR) -> pd.DataFrame:
    """One row per source: licence, years, what it holds, what we use it for, and mean 2004–2023 coverage of the
    variables built from it (from ``coverage.csv``)."""
    cov = coverage_table(processed_dir).mean(axis=1)
    rows = []
    for src, lic, years, holds, use in PROVENANCE:
        vars_ = [v.strip().split(" ")[0] for v in use.split(",")]
        vals = [cov[v] for v in vars_ if v in cov.index]
        rows.append(
            dict(
                source=src,
                licence=lic,
                years=years,
                contents=holds,
                used_for=use,
                mean_coverage=round(float(sum(vals) / len(vals)), 3) if vals else float("nan"),
            )
        )
    return pd.DataFrame(rows)


def build_summary(processed_dir=PROCESSED_DIR) -> dict:
    """The summary stored in ``manifest.json`` (N cities, N pilots …)."""
    return json.loads((processed_dir / "manifest.json").read_text(encoding="utf-8"))["summary"]
