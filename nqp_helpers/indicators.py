"""The catalogue of the paper's 18 index indicators (Table 1): code, dimension, Chinese name, unit, direction.

Weights are not typed here: they are read from ``data/paper/index_weights.csv`` (the paper's Table 1) and joined on
the Chinese indicator name, so the paper's numbers stay data.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from .paths import PAPER_DIR
from .variables import OUTCOMES, SUBINDICES

DIMENSIONS = SUBINDICES  # the index's three dimensions (names kept for the modules that import them from here)
INDEX_COLUMNS = OUTCOMES

# code, dimension, indicator_zh (exactly as in index_weights.csv), English label, natural unit
_CATALOGUE = [
    (
        "lab_edu_share",
        "Lab",
        "教育支出占财政总支出比重",
        "education spending, share of fiscal expenditure",
        "share (0-1)",
    ),
    ("lab_postgrad", "Lab", "硕士学位及以上毕业人数", "master's and doctoral graduates", "persons"),
    ("lab_schooling", "Lab", "人均受教育年限", "average years of schooling", "years"),
    ("lab_productivity", "Lab", "劳动生产率", "labour productivity (GDP per employed person)", "10k yuan per person"),
    ("lab_rd_applied", "Lab", "应用研究R&D人员全时当量", "applied-research R&D personnel (FTE)", "person-years"),
    (
        "lab_rd_experimental",
        "Lab",
        "试验发展R&D人员全时当量",
        "experimental-development R&D personnel (FTE)",
        "person-years",
    ),
    ("mea_robots", "Mea", "工业机器人渗透度", "industrial-robot penetration", "robots per 10k manufacturing workers"),
    ("mea_ai_firms", "Mea", "人工智能企业数量", "artificial-intelligence firms", "firms"),
    ("mea_fibre", "Mea", "光缆线路长度", "optical-cable length", "km"),
    ("mea_broadband", "Mea", "宽带接入端口数量", "broadband access ports", "10k ports"),
    ("mea_energy_intensity", "Mea", "能源消耗强度", "energy consumption per unit of GDP", "tce per 10k yuan"),
    ("mea_water_intensity", "Mea", "水资源开发利用强度", "water use per unit of GDP", "m3 per 10k yuan"),
    ("obj_sei_value_added", "Obj", "战略性新兴产业增加值", "value added of strategic emerging industries", "100m yuan"),
    ("obj_sei_clusters", "Obj", "国家级战略性新兴产业集群数", "national strategic-emerging-industry clusters", "count"),
    ("obj_power_capacity", "Obj", "发电装机容量", "installed power-generation capacity", "10k kW"),
    ("obj_energy_pc", "Obj", "一次能源人均消费量", "primary energy consumption per capita", "tce per person"),
    ("obj_co2_intensity", "Obj", "二氧化碳排放强度", "CO2 emissions per unit of GDP", "t per 10k yuan"),
    (
        "obj_waste_gas_intensity",
        "Obj",
        "工业废气排放强度",
        "industrial waste-gas (SO2) emissions per unit of GDP",
        "t per 100m yuan",
    ),
]


def indicator_catalogue() -> pd.DataFrame:
    """One row per indicator: code, dimension, names, unit, direction (+1/-1) and the paper's weights."""
    return _catalogue_cached().copy()


@lru_cache(maxsize=1)
def _catalogue_cached() -> pd.DataFrame:
    """Read once per process: the simulator and the index ask for the catalogue many times per panel."""
    cat = pd.DataFrame(_CATALOGUE, columns=["code", "dimension", "indicator_zh", "label_en", "unit"])
    w = pd.read_csv(PAPER_DIR / "index_weights.csv")
    merged = cat.merge(
        w[["indicator_zh", "dimension_weight", "subdimension_zh", "indicator_weight", "direction"]],
        on="indicator_zh",
        how="left",
        validate="one_to_one",
    )
    if merged["indicator_weight"].isna().any():
        missing = merged.loc[merged["indicator_weight"].isna(), "indicator_zh"].tolist()
        raise ValueError(f"index_weights.csv has no weight for indicators {missing}")
    merged["sign"] = merged["direction"].map({"+": 1, "-": -1}).astype(int)
    return merged


INDICATOR_CODES = tuple(row[0] for row in _CATALOGUE)
