"""Time-invariant city attributes: province, region, admin level, old industrial base, 2014 size class.

* ``region``: NBS four-region definition (东部/中部/西部/东北, 2011).
* ``admin_level``: from ``facts/city_classes.md`` section (c): ``municipality`` (4), ``sub_provincial`` (15; a
  sub-provincial capital such as 南京 is ``sub_provincial``), ``provincial_capital`` (the other capitals), ``other``.
* ``old_industrial_base`` (2013 plan, 国函〔2013〕46号; only 19 of 120 units are known): 1 if the prefecture is listed,
  **or** if one of its districts is listed (the plan represents capitals and municipalities by one named district,
  S60/S61, so the city counts; ``oib_via_district`` flags these); 0 only in 黑龙江, whose list the sources give as
  complete; NaN everywhere else (unknown, not "no").
* ``size_class`` (国发〔2014〕51号): the standard uses 城区常住人口, which no source here has. Proxy: the *urban*
  resident population of the whole city (城镇人口, WD-GPI ``population-urban``) in 2014; for the 4 municipalities
  (absent from WD-GPI) the whole-city resident population in 2014. Both include towns outside the 城区, so the proxy
  is biased **upward** (cities tend to land one class too high). ``pop_base`` is that 2014 measure (10k persons) and
  ``size_measure`` names it.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..errors import NQPInputError
from ..paths import RAW_DIR
from . import raw_readers as rs

REGIONS = {
    "east": ["北京市", "天津市", "河北省", "上海市", "江苏省", "浙江省", "福建省", "山东省", "广东省", "海南省"],
    "central": ["山西省", "安徽省", "江西省", "河南省", "湖北省", "湖南省"],
    "west": [
        "内蒙古自治区",
        "广西壮族自治区",
        "重庆市",
        "四川省",
        "贵州省",
        "云南省",
        "西藏自治区",
        "陕西省",
        "甘肃省",
        "青海省",
        "宁夏回族自治区",
        "新疆维吾尔自治区",
    ],
    "northeast": ["辽宁省", "吉林省", "黑龙江省"],
}
PROVINCE_REGION = {p: r for r, ps in REGIONS.items() for p in ps}
OIB_COMPLETE_PROVINCES = ("黑龙江省",)
HUB_LEVELS = ("municipality", "sub_provincial", "provincial_capital")  # Figure 1's "hub" cities
SIZE_CLASSES = ("超大城市", "特大城市", "大城市Ⅰ型", "大城市Ⅱ型", "中等城市", "小城市Ⅰ型", "小城市Ⅱ型")


def size_class(pop_10k: float) -> str:
    """2014 standard class from a population in 10k persons (lower bounds inclusive); "" if missing."""
    if pd.isna(pop_10k):
        return ""
    p = pop_10k * 1e4
    for bound, name in (
        (1e7, "超大城市"),
        (5e6, "特大城市"),
        (3e6, "大城市Ⅰ型"),
        (1e6, "大城市Ⅱ型"),
        (5e5, "中等城市"),
        (2e5, "小城市Ⅰ型"),
    ):
        if p >= bound:
            return name
    return "小城市Ⅱ型"


def admin_lists(raw_dir=RAW_DIR) -> dict:
    """Parse the three lists of section (c) of ``facts/city_classes.md`` into short names."""
    text = (rs.Path(raw_dir) / rs.FACTS / "city_classes.md").read_text(encoding="utf-8")
    out = {}
    for key, label in (
        ("municipality", "直辖市"),
        ("sub_provincial", "副省级城市"),
        ("provincial_capital", "省会/首府"),
    ):
        m = re.search(r"\*\*" + re.escape(label) + r" \(\d+[^)]*\):\*\*\s*([^\n(.]+)", text)
        out[key] = [x.strip() for x in m.group(1).split(",") if x.strip()]
    return out


def city_attributes(roster: pd.DataFrame, pop: pd.DataFrame, wd: pd.DataFrame, raw_dir=RAW_DIR) -> pd.DataFrame:
    """Attributes for the roster (``city_code, city, province``).

    ``pop``: output of ``read_population`` (city_code, year, pop); ``wd``: WD-GPI wide table with ``city_code`` added.
    """
    df = roster[["city_code", "city", "province"]].copy()
    df["region"] = df["province"].map(PROVINCE_REGION)
    short = df["city"].str.replace("市$", "", regex=True)
    lists = admin_lists(raw_dir)
    df["admin_level"] = np.select(
        [
            short.isin(lists["municipality"]),
            short.isin(lists["sub_provincial"]),
            short.isin(lists["provincial_capital"]),
        ],
        ["municipality", "sub_provincial", "provincial_capital"],
        default="other",
    )
    # old industrial base
    oib = rs.read_old_industrial_base(raw_dir)
    listed_pref = set(oib["parent_prefecture_zh"])
    via_district = set(oib.loc[oib["level"] == "district", "parent_prefecture_zh"]) - set(
        oib.loc[oib["level"] == "prefecture", "parent_prefecture_zh"]
    )
    df["old_industrial_base"] = np.where(
        df["city"].isin(listed_pref), 1.0, np.where(df["province"].isin(OIB_COMPLETE_PROVINCES), 0.0, np.nan)
    )
    df["oib_via_district"] = df["city"].isin(via_district)
    # size class
    urb = wd.loc[wd["year"] == 2014, ["city_code", "pop_urban"]].dropna()
    tot = pop.loc[pop["year"] == 2014, ["city_code", "pop"]].dropna()
    df = df.merge(urb, on="city_code", how="left").merge(tot, on="city_code", how="left")
    is_muni = df["admin_level"] == "municipality"
    df["pop_base"] = np.where(is_muni, df["pop"], df["pop_urban"])
    df["size_measure"] = np.where(
        is_muni,
        "whole-city resident population 2014 (gp)",
        np.where(df["pop_urban"].notna(), "urban (城镇) resident population 2014 (WD-GPI)", ""),
    )
    df["size_class"] = df["pop_base"].map(size_class)
    return df.drop(columns=["pop_urban", "pop"])


# ------------------------------------------------- Figure 1 subgroups (real and semi-synthetic tracks)
def size_group(size_class) -> pd.Series:
    """Map ``size_class`` labels (Chinese 2014 standard or English) to ``megacity/large/medium/small/unknown``."""

    def one(s):
        s = "" if s is None or (isinstance(s, float) and np.isnan(s)) else str(s).lower()
        if any(k in s for k in ("超大", "特大", "mega", "super")):
            return "megacity"
        if any(k in s for k in ("大", "large", "big")):
            return "large"
        if any(k in s for k in ("中", "medium")):
            return "medium"
        if any(k in s for k in ("小", "small")):
            return "small"
        return "unknown"

    memo: dict = {}  # labels repeat (one per city-year): classify each distinct label once

    def cached(s):
        try:
            return memo[s]
        except KeyError:
            memo[s] = r = one(s)
            return r
        except TypeError:  # unhashable label
            return one(s)

    return pd.Series([cached(s) for s in size_class], index=getattr(size_class, "index", None), dtype=object)


def innovation_tercile(panel: pd.DataFrame, before: int | None = None) -> pd.Series:
    """Innovation-capacity tercile (``high/medium/low``) of each row's city: terciles over cities of the pre-period
    mean of ``log(lab_rd_applied + lab_rd_experimental)`` (R&D personnel), pre-period = years before ``before``
    (default: the first pilot year; if no such year, the first three years)."""
    for c in ("lab_rd_applied", "lab_rd_experimental"):
        if c not in panel.columns:
            raise NQPInputError(f"innovation_tercile needs column {c!r}")
    ft = pd.to_numeric(panel["first_treat"], errors="coerce").fillna(0) if "first_treat" in panel else pd.Series(0)
    if before is None:
        pos = ft[ft > 0]
        before = int(pos.min()) if len(pos) else int(panel["year"].min()) + 3
    pre = panel[panel["year"] < before]
    if pre.empty:
        pre = panel[panel["year"] < panel["year"].min() + 3]
    v = np.log(pre["lab_rd_applied"] + pre["lab_rd_experimental"] + 1.0).groupby(pre["city_code"]).mean()
    rank = v.rank(method="first")
    grp = pd.cut(rank, bins=[0, len(v) / 3, 2 * len(v) / 3, len(v) + 1], labels=["low", "medium", "high"])
    return panel["city_code"].map(grp.astype(str)).fillna("unknown")


def subgroups(panel: pd.DataFrame) -> pd.DataFrame:
    """The four heterogeneity splits of the paper's Figure 1 for every row: ``innovation`` (tercile, see
    ``innovation_tercile``; uses column ``innovation_group`` when present), ``size`` (``size_group``), ``admin``
    (``hub`` = municipality / sub-provincial / provincial capital, else ``other``), ``industrial``
    (``old_base`` / ``non_old_base`` / ``unknown``)."""
    out = pd.DataFrame(index=panel.index)
    if "innovation_group" in panel.columns:
        out["innovation"] = panel["innovation_group"].astype(str)
    elif {"lab_rd_applied", "lab_rd_experimental"} <= set(panel.columns):
        out["innovation"] = innovation_tercile(panel)
    if "size_class" in panel.columns:
        out["size"] = size_group(panel["size_class"]).to_numpy()
    if "admin_level" in panel.columns:
        out["admin"] = np.where(panel["admin_level"].isin(HUB_LEVELS), "hub", "other")
    if "old_industrial_base" in panel.columns:
        o = pd.to_numeric(panel["old_industrial_base"], errors="coerce")
        out["industrial"] = np.where(o == 1, "old_base", np.where(o == 0, "non_old_base", "unknown"))
    return out
