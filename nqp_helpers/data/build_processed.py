"""Deterministic build of the real-data layer: ``data/raw`` → ``data/processed``.

Roster rule (also in ``data/raw/README.md``)
    A balanced 2004–2023 panel of **prefecture-level cities** (地级市 and the 4 municipalities; 自治州/地区/盟 are
    out): a crosswalk entity enters if, in every panel year 2004–2023, it is linked in ``ctamap_prefecture_links.csv``
    as 地级市 or municipality (不统计) under one unchanged 6-digit code and is ``active`` in ``legal_roster``; this
    drops units upgraded after 2004 (毕节, 铜仁, 海东, 日喀则, 昌都, 林芝, 山南, 那曲, 吐鲁番, 哈密, 三沙, 儋州) and
    units abolished (巢湖 2011, 莱芜 2019). Whole-city boundary breaks inside the window (e.g. 合肥/芜湖/马鞍山 2011
    after 巢湖, 济南 2019 after 莱芜; ``fixed_boundary_reference_units_2020.break_years``) are **kept and flagged** in
    ``boundary_break_years``, as yearbook-based panels (and the paper) do. Core coverage: GDP and resident population
    each available (observed or interior-interpolated) in at least ``MIN_CORE_YEARS`` of the 20 years.

Outputs: ``real_panel.csv``, ``pilots.csv``, ``roster.csv``, ``coverage.csv``, ``manifest.json``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd

from .. import atomic
from ..errors import NQPInputError
from ..paths import PROCESSED_DIR, RAW_DIR
from ..variables import CONTROLS
from . import raw_readers as rs
from .attributes import city_attributes
from .treatment import DEFAULT_DISTRICT_PILOTS, pilot_table, pilot_units

YEARS = range(2004, 2024)
MIN_CORE_YEARS = 14  # 70% of 20 years; 16 would drop 10 Liaoning cities (resident pop missing 2004-09 in the source)
FLOAT_FORMAT = "%.10g"

# ingredients that are interpolated (interior gaps, within city) and flagged
INGREDIENTS = [
    "gdp",
    "pop",
    "loans",
    "gdp_ccsy",
    "fdi_musd",
    "road_pc",
    "co2_t",
    "gfcf",
    "employment",
    "so2_t",
    "grp_lz",
    "budget_income_lz",
    "gdp_index",
    "ntl_sum",
    "ntl_mean",
]
# derived column → ingredients it is computed from (its *_imputed flag is the OR of theirs)
DERIVED = {
    "Eco": ["gdp", "pop"],
    "Gov": ["budget_income_lz", "grp_lz"],
    "Fix": ["gfcf", "gdp"],
    "Fin": ["loans", "gdp_ccsy"],
    "Tra": ["road_pc"],
    "Ope": ["fdi_musd", "gdp"],
    "lab_productivity": ["gdp", "employment"],
    "obj_co2_intensity": ["co2_t", "gdp"],
    "obj_waste_gas_intensity": ["so2_t", "gdp"],
    "gdp_pc": ["gdp", "pop"],
    "gdp_growth": ["gdp_index"],
}


def interpolate_interior(df: pd.DataFrame, cols, by: str = "city_code", order: str = "year") -> pd.DataFrame:
    """Linear interpolation of interior gaps within ``by`` (never beyond first/last observed year); adds
    ``<col>_imputed`` (True exactly where a missing cell was filled). ``df`` must hold every year per group."""
    df = df.sort_values([by, order]).reset_index(drop=True)
    for c in cols:
        before = df[c].isna()
        df[c] = df.groupby(by, sort=False)[c].transform(lambda s: s.interpolate(method="linear", limit_area="inside"))
        df[f"{c}_imputed"] = before & df[c].notna()
    return df


def build_roster(raw_dir=RAW_DIR):
    """Candidate units and the roster. Returns (candidates DataFrame with ``included`` and ``reason``, codes)."""
    links = rs.read_crosswalk_links(raw_dir)
    win = links[links["panel_year"].between(min(YEARS), max(YEARS))]
    legal = rs.read_legal_roster(raw_dir)
    legal = legal[legal["year"].between(min(YEARS), max(YEARS))]
    fb = rs.read_fixed_boundary(raw_dir).set_index("entity_id")
    rows = []
    l23 = links[links["panel_year"] == 2023].drop_duplicates("entity_id").set_index("entity_id")
    for eid, g in win.groupby("entity_id"):
        types = set(g["source_prefecture_type"])
        last = g.sort_values("panel_year").iloc[-1]
        r = dict(
            entity_id=eid,
            city_code=int(last["source_code"]),
            city=last["year_end_name"],
            province=last["province_name"],
            n_years_linked=g["panel_year"].nunique(),
            n_codes=g["source_code"].nunique(),
            types="/".join(sorted(types)),
        )
        act = legal[(legal["entity_id"] == eid) & (legal["status"] == "active")]["year"].nunique()
        reasons = []
        if not types <= {"地级市", "不统计"}:
            reasons.append("not a prefecture-level city in every year (" + r["types"] + ")")
        if r["n_years_linked"] < len(YEARS) or act < len(YEARS):
            reasons.append(f"not active in all 2004-2023 (linked {r['n_years_linked']}, active {act} years)")
        if r["n_codes"] > 1:
            reasons.append("code changed 2004-2023")
        if eid not in l23.index:
            reasons.append("abolished before 2023")
        by = fb.loc[eid, "break_years"] if eid in fb.index else np.nan
        r["boundary_break_years"] = "" if pd.isna(by) else str(by).replace(".0", "")
        r["formation_path"] = fb.loc[eid, "formation_path"] if eid in fb.index else "merged_away_or_abolished"
        r["reason"] = "; ".join(reasons)
        rows.append(r)
    cand = pd.DataFrame(rows).sort_values("city_code").reset_index(drop=True)
    return cand


def _assemble(raw_dir, codes: dict):
    """City-year table of every ingredient for the candidate codes, years 2004–2023 (no interpolation yet)."""
    names = rs.read_name_table(raw_dir)
    base = pd.MultiIndex.from_product([sorted(set(codes.values())), list(YEARS)], names=["city_code", "year"])
    df = pd.DataFrame(index=base).reset_index()
    for part in (
        rs.read_gdp(raw_dir)[["city_code", "year", "gdp", "tertiary_share"]],
        rs.read_population(raw_dir)[["city_code", "year", "pop"]],
        rs.read_loans(raw_dir),
        rs.read_road(raw_dir),
        rs.read_co2(raw_dir),
        rs.read_leizhou(raw_dir)[["city_code", "year", "grp_lz", "budget_income_lz"]],
        rs.read_ntl(raw_dir),
    ):
        df = df.merge(part, on=["city_code", "year"], how="left", validate="one_to_one")
    by_name = []
    ent_prov = rs.entity_provinces(raw_dir)
    for part in (rs.read_fdi(raw_dir), rs.read_gdp_index(raw_dir), rs.read_wdgpi(raw_dir)):
        part = part.copy()
        # join on Chinese name + province where the file has a province (FDI has names only)
        prov = part["province"] if "province" in part.columns else None
        part["city_code"] = rs.match_names(part["name"], names, codes, prov, ent_prov if prov is not None else None)
        part = part.dropna(subset=["city_code"]).astype({"city_code": int})
        keep = [c for c in part.columns if c not in ("name", "province")]
        part = part[keep].groupby(["city_code", "year"], as_index=False).first()
        by_name.append(part)
        df = df.merge(part, on=["city_code", "year"], how="left", validate="one_to_one")
    return df, by_name[2]


def build_processed(raw_dir=RAW_DIR, out_dir=PROCESSED_DIR) -> dict:
    """Build ``real_panel.csv``, ``pilots.csv``, ``roster.csv``, ``coverage.csv``, ``manifest.json`` in ``out_dir``.

    Writes into a temporary folder next to ``out_dir`` and moves the files in only when all are written.
    Returns a summary dict (N cities, N pilots, …) that is also stored in the manifest.
    """
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    cand = build_roster(raw_dir)
    structural = cand[cand["reason"] == ""]
    codes = dict(zip(structural["entity_id"], structural["city_code"]))
    df, wd = _assemble(raw_dir, codes)

    # core coverage: observed or interior-interpolated (Liaoning/Jilin report resident population only in
    # census / 1%-survey years before 2010, so counting raw observations alone would drop both provinces)
    df = interpolate_interior(df, INGREDIENTS)
    cov = df.groupby("city_code")[["gdp", "pop"]].count()
    low = cov[(cov["gdp"] < MIN_CORE_YEARS) | (cov["pop"] < MIN_CORE_YEARS)]
    cand["gdp_years"] = cand["city_code"].map(cov["gdp"]).astype("Int64")
    cand["pop_years"] = cand["city_code"].map(cov["pop"]).astype("Int64")
    m = cand["city_code"].isin(low.index) & (cand["reason"] == "")
    cand.loc[m, "reason"] = f"core coverage: GDP or population available in fewer than {MIN_CORE_YEARS} of 20 years"
    cand["included"] = cand["reason"] == ""
    roster = cand[cand["included"]].copy()
    df = df[df["city_code"].isin(roster["city_code"])].copy()

    # derived variables (ingredients already interpolated above)
    rate = rs.read_usd_cny(raw_dir).set_index("year")["cny_per_100usd"]
    rd = rs.read_rd_intensity(raw_dir).set_index("year")["rd_intensity_pct"]
    with np.errstate(divide="ignore", invalid="ignore"):
        df["gdp_pc"] = df["gdp"] * 1e8 / (df["pop"] * 1e4)
        df["Eco"] = np.log(df["gdp_pc"])
        df["Gov"] = df["budget_income_lz"] / df["grp_lz"]
        df["Fix"] = df["gfcf"] / df["gdp"]
        df["Fin"] = df["loans"] / df["gdp_ccsy"]
        df["Tra"] = df["road_pc"]
        df["Ope"] = df["fdi_musd"] * df["year"].map(rate) / 100 / 100 / df["gdp"]
        df["lab_productivity"] = df["gdp"] / df["employment"]
        df["obj_co2_intensity"] = df["co2_t"] / (df["gdp"] * 1e4)
        df["obj_waste_gas_intensity"] = df["so2_t"] / df["gdp"]
        df["gdp_growth"] = df["gdp_index"] - 100
    for col, ing in DERIVED.items():
        df[f"{col}_imputed"] = df[[f"{c}_imputed" for c in ing]].any(axis=1) & df[col].notna()
    ntl01 = rs.read_ntl(raw_dir)
    ntl01 = ntl01[ntl01["year"] == 2001].set_index("city_code")["ntl_mean"]
    df["ntl_base"] = df["city_code"].map(ntl01)
    df["rd_intensity_lag"] = (df["year"] - 1).map(rd)
    df["iv_ntl"] = df["ntl_base"] * df["rd_intensity_lag"]

    # attributes
    wdc = wd.copy()
    attrs = city_attributes(roster[["city_code", "city", "province"]], rs.read_population(raw_dir), wdc, raw_dir)
    roster_out = cand.merge(attrs.drop(columns=["city", "province"]), on="city_code", how="left")

    # pilots: every alternative year column, mapped to codes, roster membership and reason
    units = pilot_units(raw_dir)
    rcodes = set(roster["city_code"])
    units["in_roster"] = units["city_code"].isin(rcodes)
    why = []
    for r in units.itertuples():
        if pd.isna(r.city_code):
            why.append(
                "no prefecture-level parent in the crosswalk (county-level city under the XPCC/autonomous region)"
            )
        elif r.is_district_or_county == 1:
            why.append("district/county-level pilot: parent not treated under the default district_pilots='ignore'")
        elif int(r.city_code) not in rcodes:
            c = cand.loc[cand["city_code"] == int(r.city_code), "reason"]
            why.append("parent not in roster: " + (c.iloc[0] if len(c) else "not a prefecture-level city"))
        else:
            why.append("")
    units["exclusion_reason"] = why
    default = pilot_table("default", DEFAULT_DISTRICT_PILOTS, units=units)
    units["first_treat"] = np.where(units["is_district_or_county"] == 0, units["first_treat_default"], 0)
    pilots_out = units[
        [
            "city_code",
            "pilot_zh",
            "pilot_en",
            "parent_zh",
            "is_district_or_county",
            "batch",
            "first_treat",
            "first_treat_default",
            "first_treat_earliest",
            "first_treat_latest",
            "year_low",
            "year_high",
            "year_uncertain",
            "pilot_certainty",
            "certainty_raw",
            "in_roster",
            "exclusion_reason",
            "source_ids",
            "note",
        ]
    ]
    pilots_out = pilots_out.sort_values(["city_code", "is_district_or_county", "pilot_zh"], na_position="last")
    n_pilots = int(default["city_code"].isin(rcodes).sum())

    # panel
    attr_cols = ["city_code", "province", "region", "admin_level", "old_industrial_base", "size_class", "pop_base"]
    panel = df.merge(roster[["city_code", "city"]], on="city_code").merge(attrs[attr_cols], on="city_code")
    value_cols = [
        *CONTROLS,
        "lab_productivity",
        "obj_co2_intensity",
        "obj_waste_gas_intensity",
        "gdp",
        "pop",
        "gdp_pc",
        "gdp_growth",
        "tertiary_share",
        "ntl_sum",
        "ntl_mean",
        "ntl_base",
        "rd_intensity_lag",
        "iv_ntl",
    ]
    raw_cols = [c for c in INGREDIENTS if c not in ("gdp", "pop", "ntl_sum", "ntl_mean")]
    flag_cols = [f"{c}_imputed" for c in list(DERIVED) + INGREDIENTS]
    panel = panel[
        [
            "city_code",
            "city",
            "province",
            "region",
            "year",
            "admin_level",
            "old_industrial_base",
            "size_class",
            "pop_base",
        ]
        + value_cols
        + raw_cols
        + flag_cols
    ]
    panel = panel.sort_values(["city_code", "year"]).reset_index(drop=True)

    coverage = panel.groupby("year")[value_cols + raw_cols].apply(lambda g: g.notna().mean()).T
    coverage.index.name = "variable"
    coverage.columns = [str(c) for c in coverage.columns]

    summary = {
        "n_cities": int(roster["city_code"].nunique()),
        "n_pilots_default": n_pilots,
        "n_never_treated_default": int(roster["city_code"].nunique()) - n_pilots,
        "n_city_years": int(len(panel)),
        "years": [min(YEARS), max(YEARS)],
        "n_candidates": int(len(cand)),
        "min_core_years": MIN_CORE_YEARS,
        "default_options": {"pilot_years": "default", "district_pilots": DEFAULT_DISTRICT_PILOTS},
    }

    files = {
        "real_panel.csv": panel,
        "pilots.csv": pilots_out,
        "roster.csv": roster_out,
        "coverage.csv": coverage.reset_index(),
    }
    with atomic.staged_files(out_dir) as stage:  # all four tables or none; the manifest goes in last
        for name, frame in files.items():
            frame.to_csv(stage / name, index=False, float_format=FLOAT_FORMAT, lineterminator="\n")
        manifest = {"summary": summary, "outputs": {}, "raw_inputs": {}}
        for name, frame in files.items():
            manifest["outputs"][name] = {"sha256": _sha(stage / name), "rows": int(len(frame))}
        for rel in rs.RAW_FILES:
            p = raw_dir / rel
            if not p.exists():
                raise NQPInputError(f"raw input missing: {p}")
            with open(p, "rb") as fh:
                n = sum(1 for _ in fh) - 1
            manifest["raw_inputs"][rel] = {"sha256": _sha(p), "rows": n}
    atomic.write_text(
        out_dir / "manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    )
    return summary


def _sha(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
