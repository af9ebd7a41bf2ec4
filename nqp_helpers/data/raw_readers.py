"""Readers for the real public sources copied under ``data/raw/`` (one function per source file).

Every reader returns a tidy long DataFrame keyed by ``city_code`` (6-digit official code, 2023 vintage) and ``year``
where the file has codes, or by a name column (``name``, plus ``province`` where available) where it has none; the
name join happens in :func:`match_names` through the crosswalk's aliases. Values keep the source's natural unit, and the
unit is written in the column name's docstring line below. No reader fills gaps: interpolation is done once, in
``build_processed.py``, with flags.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import NQPInputError
from ..paths import RAW_DIR

CROSSWALK = "prefecture-crosswalk-ctamap"
GP = "gp-city-panel-2000-2023"
WD = "wd-gpi-prefecture-2006-2018"
LEIZHOU = "leizhou-jop2022-city-2003-2016"
NTL = "ntl-viirslike-city-2001-2020"
FACTS = "facts"
NATIONAL = "national"

# raw files the build reads (relative to raw_dir); the manifest hashes exactly these
RAW_FILES = (
    f"{CROSSWALK}/processed/ctamap_prefecture_links.csv",
    f"{CROSSWALK}/processed/legal_roster_2000_2024.csv",
    f"{CROSSWALK}/processed/fixed_boundary_reference_units_2020.csv",
    f"{CROSSWALK}/processed/events_2000_2026.csv",
    f"{CROSSWALK}/processed/aliases.csv",
    f"{CROSSWALK}/processed/entity_names.csv",
    f"{GP}/gdp_sector_valueadded_2000_2023.csv",
    f"{GP}/gdp_nominal_real_deflator_base2000_2000_2023.csv",
    f"{GP}/resident_pop_landarea_density_1998_2024.csv",
    f"{GP}/fdi_actual_use_1996_2023.csv",
    f"{GP}/loans_deposits_gdp_2003_2023.csv",
    f"{GP}/road_area_per_capita_2002_2023.csv",
    f"{GP}/co2_edgar_v8_city_2000_2023.csv",
    f"{WD}/selected_series_long.csv",
    f"{WD}/prefecture_list.csv",
    f"{LEIZHOU}/city_econ_subset_2003_2016.csv",
    f"{NTL}/ntl_viirslike_sum_of_lights_by_city_2001_2020.csv",
    f"{NTL}/ntl_viirslike_mean_of_lights_by_city_2001_2020.csv",
    f"{FACTS}/pilot_cities.csv",
    f"{FACTS}/old_industrial_base.csv",
    f"{NATIONAL}/rd_intensity_nbs.csv",
    f"{NATIONAL}/usd_cny_annual_average.csv",
)


def _read(raw_dir: Path | str, rel: str, **kw) -> pd.DataFrame:
    path = Path(raw_dir) / rel
    if not path.exists():
        raise NQPInputError(f"raw input missing: {path} (raw_dir={raw_dir})")
    return pd.read_csv(path, encoding="utf-8", **kw)


def _num(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s, errors="coerce")


def _by_code(code: pd.Series, year: pd.Series, **values: pd.Series) -> pd.DataFrame:
    """A ``city_code, year, <values>`` frame of numbers from raw columns; rows without a code or a year dropped."""
    out = pd.DataFrame(
        {
            "city_code": _num(code).astype("Int64"),
            "year": _num(year).astype("Int64"),
            **{k: _num(v) for k, v in values.items()},
        }
    )
    return out.dropna(subset=["city_code", "year"])


def _one_per_city_year(out: pd.DataFrame) -> pd.DataFrame:
    """First row of each (city_code, year), with integer keys."""
    return out.drop_duplicates(["city_code", "year"]).astype({"city_code": int, "year": int})


# ---------------------------------------------------------------- crosswalk (CC BY 4.0, FIERsity)
def read_crosswalk_links(raw_dir=RAW_DIR) -> pd.DataFrame:
    """CTAmap prefecture polygons per panel year with official ``source_code`` and ``source_prefecture_type``."""
    df = _read(raw_dir, f"{CROSSWALK}/processed/ctamap_prefecture_links.csv")
    return df[df["link_status"] == "linked"].copy()


def read_legal_roster(raw_dir=RAW_DIR) -> pd.DataFrame:
    """Entity × year (2000–2024) legal status."""
    return _read(raw_dir, f"{CROSSWALK}/processed/legal_roster_2000_2024.csv")


def read_fixed_boundary(raw_dir=RAW_DIR) -> pd.DataFrame:
    """337 units active at end-2020 with formation path, whole-city break years and sample-entry year."""
    return _read(raw_dir, f"{CROSSWALK}/processed/fixed_boundary_reference_units_2020.csv")


def read_events(raw_dir=RAW_DIR) -> pd.DataFrame:
    """63 prefecture-level change events 2000–2026 (Chinese column names as in the source)."""
    return _read(raw_dir, f"{CROSSWALK}/processed/events_2000_2026.csv")


def read_name_table(raw_dir=RAW_DIR) -> pd.DataFrame:
    """Every known name of every entity: ``name, entity_id`` (legal names, renames and short aliases)."""
    al = _read(raw_dir, f"{CROSSWALK}/processed/aliases.csv")[["alias", "entity_id"]].rename(columns={"alias": "name"})
    nm = _read(raw_dir, f"{CROSSWALK}/processed/entity_names.csv")[["name_zh", "entity_id"]].rename(
        columns={"name_zh": "name"}
    )
    out = pd.concat([nm, al], ignore_index=True).dropna().drop_duplicates()
    return out.sort_values(["name", "entity_id"]).reset_index(drop=True)


def province_key(s: pd.Series) -> pd.Series:
    """Province names reduced to a join key: the first two characters (unique across the 31 provinces, and equal for
    "河北" and "河北省", "广西" and "广西壮族自治区")."""
    return s.astype(str).str.strip().str[:2]


def entity_provinces(raw_dir=RAW_DIR) -> dict:
    """``entity_id -> province`` (Chinese, the latest panel year the entity is linked in the crosswalk)."""
    links = read_crosswalk_links(raw_dir).sort_values("panel_year")
    return links.drop_duplicates("entity_id", keep="last").set_index("entity_id")["province_name"].to_dict()


def match_names(
    names: pd.Series,
    name_table: pd.DataFrame,
    entity_to_code: dict,
    provinces: pd.Series | None = None,
    entity_province: dict | None = None,
) -> pd.Series:
    """Map city names to 2023 ``city_code`` through the crosswalk names; unknown or ambiguous names give NaN.

    Names are tried as given, then with 市 appended. Only entities in ``entity_to_code`` (the roster) are candidates,
    so e.g. 吉林 can only mean 吉林市 (the province is not a roster unit). With ``provinces`` (aligned with ``names``)
    and ``entity_province`` (entity → province), the key is (name, province): a name found under another province
    gives NaN, and a name is ambiguous only if two entities of the *same* province carry it.
    """
    nt = name_table[name_table["entity_id"].isin(entity_to_code)].copy()
    s = names.astype(str).str.strip()
    use_prov = provinces is not None
    if use_prov:
        if entity_province is None:
            raise NQPInputError("match_names: provinces given without entity_province")
        nt["prov"] = province_key(nt["entity_id"].map(entity_province))
        p = province_key(provinces.reindex(names.index))
    else:
        nt["prov"] = ""
        p = pd.Series("", index=names.index)
    counts = nt.groupby(["name", "prov"])["entity_id"].nunique()
    ok = counts[counts == 1].index
    unique = nt.set_index(["name", "prov"]).loc[lambda d: d.index.isin(ok)]
    unique = unique[~unique.index.duplicated()]
    lookup = dict(zip(unique.index, unique["entity_id"].map(entity_to_code)))
    code = pd.Series([lookup.get(k) for k in zip(s, p)], index=names.index, dtype="float64")
    code = code.fillna(pd.Series([lookup.get(k) for k in zip(s + "市", p)], index=names.index, dtype="float64"))
    return code


# ---------------------------------------------------------------- gp-city-panel (vendor compilation of yearbook data)
def read_gdp(raw_dir=RAW_DIR) -> pd.DataFrame:
    """GDP (100 m yuan, current prices, revised vintage) and sector shares, by code; 2000–2023."""
    df = _read(raw_dir, f"{GP}/gdp_sector_valueadded_2000_2023.csv")
    out = _by_code(
        df["城市代码"],
        df["年度标识"],
        gdp=df["gdp（亿元人民币）"],
        secondary_share=df["第二产业占GDP比重"],
        tertiary_share=df["第三产业占GDP比重"],
    )
    out.loc[out["gdp"] <= 0, "gdp"] = np.nan
    return _one_per_city_year(out)


def read_gdp_index(raw_dir=RAW_DIR) -> pd.DataFrame:
    """Real GDP index (previous year = 100) by city name and province; 2000–2023 (no code in the file)."""
    df = _read(raw_dir, f"{GP}/gdp_nominal_real_deflator_base2000_2000_2023.csv")
    return (
        pd.DataFrame(
            {
                "name": df["城市"].astype(str),
                "province": df["省份"].astype(str),
                "year": _num(df["年份"]).astype("Int64"),
                "gdp_index": _num(df["GDP指数"]),
            }
        )
        .dropna(subset=["year"])
        .astype({"year": int})
    )


def read_population(raw_dir=RAW_DIR) -> pd.DataFrame:
    """Resident population of the whole city (10k persons, the *non-interpolated* column) and land area (km²)."""
    df = _read(raw_dir, f"{GP}/resident_pop_landarea_density_1998_2024.csv")
    out = _by_code(df["城市代码"], df["年份"], pop=df["常住人口（万人）"], land_area=df["行政区域土地面积(平方公里)"])
    out.loc[out["pop"] <= 0, "pop"] = np.nan
    return _one_per_city_year(out)


def read_fdi(raw_dir=RAW_DIR) -> pd.DataFrame:
    """Actually used FDI, million US$, by short city name (no code); 1996–2023."""
    df = _read(raw_dir, f"{GP}/fdi_actual_use_1996_2023.csv")
    units = set(df["单位"].dropna().unique())
    if units - {"百万美元"}:
        raise NQPInputError(f"fdi_actual_use: unexpected unit(s) {sorted(units)} in column 单位")
    return (
        pd.DataFrame(
            {
                "name": df["地级市"].astype(str),
                "year": _num(df["year"]).astype("Int64"),
                "fdi_musd": _num(df["外商直接投资"]),
            }
        )
        .dropna(subset=["year"])
        .astype({"year": int})
    )


def read_loans(raw_dir=RAW_DIR) -> pd.DataFrame:
    """Year-end loans of financial institutions and the same file's GDP (both 10k yuan, CCSY vintage), by code."""
    df = _read(raw_dir, f"{GP}/loans_deposits_gdp_2003_2023.csv")
    return _one_per_city_year(
        _by_code(
            df["城市代码"], df["年份"], loans=df["年末金融机构各项贷款余额(万元)"], gdp_ccsy=df["地区生产总值(万元)"]
        )
    )


def read_road(raw_dir=RAW_DIR) -> pd.DataFrame:
    """Urban road area per capita (m², 中国城市建设统计年鉴), prefecture level (codes ending in 00), raw column."""
    df = _read(raw_dir, f"{GP}/road_area_per_capita_2002_2023.csv")
    out = _by_code(df["城市代码"], df["年份"], road_pc=df["人均道路面积（平方米）"])
    return _one_per_city_year(out[out["city_code"] % 100 == 0])


def read_co2(raw_dir=RAW_DIR) -> pd.DataFrame:
    """EDGAR v8.0 CO2 emissions aggregated to cities (tonnes), by code; 2000–2023."""
    df = _read(raw_dir, f"{GP}/co2_edgar_v8_city_2000_2023.csv")
    return _one_per_city_year(_by_code(df["城市代码"], df["年份"], co2_t=df["碳排放量_吨"]))


# ---------------------------------------------------------------- WD-GPI (Ji et al.), 2006–2018
WD_SERIES = {
    "employment": ("employment", "10k person"),
    "gfcf": ("capital growth", "gross fixed capital formation (hundred million CNY, at current price)"),
    "so2_t": ("cost of air pollution", "emission of sulfur dioxide (ton)"),
    "edu_exp": ("pub. exps. on education-local", "hundred million CNY( at current price)"),
    "pop_urban": ("population-urban", "10k person"),
}


def read_wdgpi_list(raw_dir=RAW_DIR) -> pd.DataFrame:
    """WD-GPI's own prefecture list (sheet ``list of prefectures included``), in sheet-row order.

    Every data sheet of the workbook lists the prefectures in exactly this order (checked for the sheets we use), so
    the position of a row identifies the city even where the English name is ambiguous (Suzhou 苏州/宿州, Taizhou
    泰州/台州, Yichun 伊春/宜春, Fuzhou 福州/抚州, Yulin 玉林/榆林).
    """
    return _read(raw_dir, f"{WD}/prefecture_list.csv")


def _wd_relabel(df: pd.DataFrame, lst: pd.DataFrame) -> pd.DataFrame:
    """Give each row of the long extract the Chinese name and province of its sheet row.

    The extract's ``prefecture_zh``/``province_zh`` came from an English-name lookup, so the second city of each
    ambiguous English name carries the first one's label (both 苏州 and 宿州 rows say 宿州/安徽). Within one
    (sheet, series_unit) block the rows are in sheet order; each run of rows with one English name is one sheet row,
    aligned greedily with the next list entry of that English name (robust to sheet rows absent from the extract).
    """
    en_list = lst["prefecture_en"].tolist()
    pos = np.empty(len(df), dtype=int)
    for _, g in df.groupby(["sheet", "series_unit"], sort=False):
        run = (g["prefecture_en"] != g["prefecture_en"].shift()).cumsum()
        ptr, run_pos = 0, {}
        for r, en in g.groupby(run, sort=True)["prefecture_en"].first().items():
            while ptr < len(en_list) and en_list[ptr] != en:
                ptr += 1
            if ptr == len(en_list):
                raise NQPInputError(
                    f"WD-GPI: prefecture {en!r} of sheet {g['sheet'].iloc[0]!r} is out of the list order"
                )
            run_pos[r], ptr = ptr, ptr + 1
        pos[df.index.get_indexer(g.index)] = run.map(run_pos).to_numpy()
    out = df.copy()
    out["prefecture_zh"] = lst["prefecture_zh"].to_numpy()[pos]
    out["province_zh"] = lst["province_zh"].to_numpy()[pos]
    return out


def read_wdgpi(raw_dir=RAW_DIR) -> pd.DataFrame:
    """Wide city-year table of selected WD-GPI series by Chinese short name + province (no code).

    Columns: ``name, province, year`` + employment (10k persons), gfcf (100 m yuan, current), so2_t (tonnes),
    edu_exp (100 m yuan, current), pop_urban (urban resident population, 10k). Chinese names and provinces are
    taken from the workbook's own list by sheet position (:func:`_wd_relabel`), not from the extract's labels.
    """
    df = _read(raw_dir, f"{WD}/selected_series_long.csv").reset_index(drop=True)
    df = _wd_relabel(df, read_wdgpi_list(raw_dir))
    parts = []
    for col, (sheet, unit) in WD_SERIES.items():
        sub = df[(df["sheet"] == sheet) & (df["series_unit"] == unit)]
        dup = sub.duplicated(["prefecture_zh", "province_zh", "year"])
        if dup.any():
            r = sub[dup].iloc[0]
            raise NQPInputError(
                f"WD-GPI {sheet}: duplicate row for ({r['prefecture_zh']}, {r['province_zh']}, {r['year']})"
            )
        parts.append(sub.set_index(["prefecture_zh", "province_zh", "year"])["value"].rename(col))
    wide = pd.concat(parts, axis=1).reset_index()
    wide = wide.rename(columns={"prefecture_zh": "name", "province_zh": "province"})
    wide["year"] = wide["year"].astype(int)
    return wide


# ---------------------------------------------------------------- Lei & Zhou (JOP 2022), 2003–2016, no municipalities
def read_leizhou(raw_dir=RAW_DIR) -> pd.DataFrame:
    """GDP (10k yuan), budget revenue (10k yuan) and DMSP log mean brightness; 4-digit code × 100 → 6-digit code."""
    df = _read(raw_dir, f"{LEIZHOU}/city_econ_subset_2003_2016.csv")
    out = _by_code(
        _num(df["City_Code"]) * 100,
        df["Year"],
        grp_lz=df["GRP"],
        budget_income_lz=df["Budget_income"],
        logltavg=df["logltavg"],
    )
    return _one_per_city_year(out)


# ---------------------------------------------------------------- NPP-VIIRS-like night lights (Chen et al. 2021)
def read_ntl(raw_dir=RAW_DIR) -> pd.DataFrame:
    """Total sum of lights and mean light (DN) inside each city polygon, by 6-digit code; 2001–2020."""
    s = _read(raw_dir, f"{NTL}/ntl_viirslike_sum_of_lights_by_city_2001_2020.csv")
    m = _read(raw_dir, f"{NTL}/ntl_viirslike_mean_of_lights_by_city_2001_2020.csv")
    s = s[["city_id", "year", "total_sol"]].rename(columns={"city_id": "city_code", "total_sol": "ntl_sum"})
    m = m[["city_id", "year", "total_meanlight"]].rename(
        columns={"city_id": "city_code", "total_meanlight": "ntl_mean"}
    )
    out = s.merge(m, on=["city_code", "year"], how="outer")
    return out.drop_duplicates(["city_code", "year"]).astype({"city_code": int, "year": int})


# ---------------------------------------------------------------- national series typed from NBS publications
def read_rd_intensity(raw_dir=RAW_DIR) -> pd.DataFrame:
    """National R&D expenditure / GDP (%), one row per year, with the bulletin it comes from."""
    df = _read(raw_dir, f"{NATIONAL}/rd_intensity_nbs.csv")
    return df[["year", "rd_intensity_pct"]].astype({"year": int, "rd_intensity_pct": float})


def read_usd_cny(raw_dir=RAW_DIR) -> pd.DataFrame:
    """Annual average central parity, yuan per 100 US$."""
    df = _read(raw_dir, f"{NATIONAL}/usd_cny_annual_average.csv")
    return df[["year", "cny_per_100usd"]].astype({"year": int, "cny_per_100usd": float})


# ---------------------------------------------------------------- facts
def read_pilots_raw(raw_dir=RAW_DIR) -> pd.DataFrame:
    """``facts/pilot_cities.csv`` as stored (one row per pilot unit)."""
    return _read(raw_dir, f"{FACTS}/pilot_cities.csv", dtype={"batch": str})


def read_old_industrial_base(raw_dir=RAW_DIR) -> pd.DataFrame:
    """``facts/old_industrial_base.csv``: the partial member list of the 2013 old-industrial-base plan."""
    return _read(raw_dir, f"{FACTS}/old_industrial_base.csv")
