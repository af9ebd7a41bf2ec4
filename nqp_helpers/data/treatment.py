"""Treatment coding for the national innovative-city pilots (国家创新型城市试点), from ``facts/pilot_cities.csv``.

Approval years
    Batches: 1 = 2008, 2 = 2010, 3 = 2011, 4 = 2012, 5 = 2013, 6 = 2018, 7 = 2022. Twenty pilots have a year known only
    as a range (batch ``"2-5"`` = 2010–2013, ``"3-5"`` = 2011–2013, ``"2-3"`` = 2010–2011). Options:

    * ``"default"``: the midpoint of the range **rounded down** (2-5 → 2011, 3-5 → 2012, 2-3 → 2010). It keeps the
      largest possible error at 2 years, sits inside the 2011–2013 window that economics papers use for this group,
      and rounds down because the stored sources show 2010-dated approvals after the January-2010 lists (海口, 银川).
    * ``"earliest"`` / ``"latest"``: the ends of the range. Rows with an exact year are the same under all three.

District / county-level pilots (北京海淀, 天津滨海, 上海杨浦, 重庆沙坪坝, county-level 昌吉市, 石河子市)
    * ``"ignore"`` (**default**): the parent is not treated by them. This reproduces the paper's count of 97 pilots
      (the prefecture-level and sub-provincial cities of the 2022 evaluation report, which excludes the 4 municipal
      districts and the 2 county-level cities), so the 4 municipalities are never-treated controls.
    * ``"treat_parent"``: the parent prefecture takes the district's year (earliest of its own and its districts').
    * ``"drop_parent"``: parents of district pilots are dropped from the panel (the clean robustness check).
"""

from __future__ import annotations

import pandas as pd

from ..errors import NQPInputError
from ..paths import RAW_DIR
from . import raw_readers as rs

PILOT_YEARS = ("default", "earliest", "latest")
DISTRICT_PILOTS = ("ignore", "treat_parent", "drop_parent")
DEFAULT_DISTRICT_PILOTS = "ignore"
BATCH_YEAR = {1: 2008, 2: 2010, 3: 2011, 4: 2012, 5: 2013, 6: 2018, 7: 2022}


def check_option(name: str, value, allowed) -> None:
    """Raise NQPInputError naming the option and listing the allowed values."""
    if value not in allowed:
        raise NQPInputError(f"{name}={value!r} is not allowed; choose one of {list(allowed)}")


def _certainty(raw: str) -> str:
    raw = str(raw).strip().lower()
    if raw.startswith("high"):
        return "high"
    if raw.startswith("medium"):
        return "medium"
    return "low"


def entity_codes(raw_dir=RAW_DIR) -> dict:
    """entity_id → official 6-digit code in panel year 2023 (all 337 prefecture-level units)."""
    links = rs.read_crosswalk_links(raw_dir)
    l23 = links[links["panel_year"] == 2023].drop_duplicates("entity_id")
    return dict(zip(l23["entity_id"], l23["source_code"].astype(int)))


def pilot_units(raw_dir=RAW_DIR) -> pd.DataFrame:
    """One row per listed pilot unit with every year alternative and the code of the prefecture it belongs to.

    Columns: ``pilot_zh, city_code`` (parent prefecture's 2023 code; NaN if it has none), ``parent_zh,
    is_district_or_county, batch, year_low, year_high, first_treat_default, first_treat_earliest,
    first_treat_latest, year_uncertain, pilot_certainty`` (high/medium/low), ``certainty_raw, source_ids, note``.
    """
    p = rs.read_pilots_raw(raw_dir)
    codes = entity_codes(raw_dir)
    names = rs.read_name_table(raw_dir)
    out = pd.DataFrame(
        {
            "pilot_zh": p["city_zh"],
            "pilot_en": p["city_en"],
            "parent_zh": p["parent_prefecture_zh"],
            "is_district_or_county": p["is_district_or_county"].astype(int),
            "batch": p["batch"].astype(str),
        }
    )
    out["city_code"] = rs.match_names(out["parent_zh"], names, codes).astype("Int64")
    lo, hi = [], []
    for b, y in zip(p["batch"].astype(str), p["approval_year"]):
        if pd.notna(y):
            lo.append(int(y))
            hi.append(int(y))
        else:
            a, c = (int(x) for x in b.split("-"))
            lo.append(BATCH_YEAR[a])
            hi.append(BATCH_YEAR[c])
    out["year_low"], out["year_high"] = lo, hi
    out["first_treat_earliest"] = out["year_low"]
    out["first_treat_latest"] = out["year_high"]
    out["first_treat_default"] = (out["year_low"] + out["year_high"]) // 2
    out["year_uncertain"] = out["year_low"] != out["year_high"]
    out["pilot_certainty"] = p["certainty"].map(_certainty)
    out["certainty_raw"] = p["certainty"]
    out["source_ids"] = p["source_ids"]
    out["note"] = p["note"]
    return out


def pilot_table(
    pilot_years: str = "default",
    district_pilots: str = DEFAULT_DISTRICT_PILOTS,
    raw_dir=RAW_DIR,
    units: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per-city treatment under the chosen options: one row per prefecture code that is treated or dropped.

    Returns ``city_code, first_treat, pilot_certainty, batch, year_uncertain, drop, via_district, pilot_units``.
    ``drop`` is True only for parents under ``district_pilots="drop_parent"``. Units without a prefecture code
    (石河子市) are left out here; :func:`pilot_units` lists them.
    """
    check_option("pilot_years", pilot_years, PILOT_YEARS)
    check_option("district_pilots", district_pilots, DISTRICT_PILOTS)
    u = pilot_units(raw_dir) if units is None else units.copy()
    u = u[u["city_code"].notna()].copy()
    u["first_treat"] = u[f"first_treat_{pilot_years}"].astype(int)
    own = u[u["is_district_or_county"] == 0]
    dist = u[u["is_district_or_county"] == 1]
    rows = {}
    for r in own.itertuples():
        rows[int(r.city_code)] = dict(
            city_code=int(r.city_code),
            first_treat=int(r.first_treat),
            pilot_certainty=r.pilot_certainty,
            batch=r.batch,
            year_uncertain=bool(r.year_uncertain),
            drop=False,
            via_district=False,
            pilot_units=r.pilot_zh,
        )
    if district_pilots != "ignore":
        for code, g in dist.groupby("city_code"):
            code = int(code)
            g = g.sort_values("first_treat")
            names = "; ".join(g["pilot_zh"])
            if district_pilots == "drop_parent":
                base = rows.get(
                    code,
                    dict(
                        city_code=code,
                        first_treat=0,
                        pilot_certainty="",
                        batch="",
                        year_uncertain=False,
                        via_district=False,
                        pilot_units="",
                    ),
                )
                base.update(drop=True, pilot_units=(base["pilot_units"] + "; " if base["pilot_units"] else "") + names)
                rows[code] = base
            else:  # treat_parent
                first = g.iloc[0]
                cur = rows.get(code)
                if cur is None or int(first["first_treat"]) < cur["first_treat"]:
                    rows[code] = dict(
                        city_code=code,
                        first_treat=int(first["first_treat"]),
                        pilot_certainty=first["pilot_certainty"],
                        batch=first["batch"],
                        year_uncertain=bool(first["year_uncertain"]),
                        drop=False,
                        via_district=True,
                        pilot_units=((cur["pilot_units"] + "; ") if cur else "") + names,
                    )
    out = pd.DataFrame(
        list(rows.values()),
        columns=[
            "city_code",
            "first_treat",
            "pilot_certainty",
            "batch",
            "year_uncertain",
            "drop",
            "via_district",
            "pilot_units",
        ],
    )
    return out.sort_values("city_code").reset_index(drop=True)


def apply_treatment(
    panel: pd.DataFrame,
    units: pd.DataFrame,
    pilot_years: str = "default",
    district_pilots: str = DEFAULT_DISTRICT_PILOTS,
    drop_uncertain: bool = False,
) -> pd.DataFrame:
    """Add ``first_treat`` (0 = never treated), ``Inn``, ``pilot_certainty``, ``pilot_year_uncertain`` to a panel.

    ``drop_uncertain=True`` drops the cities whose approval year is only known as a range.
    """
    check_option("pilot_years", pilot_years, PILOT_YEARS)
    check_option("district_pilots", district_pilots, DISTRICT_PILOTS)
    check_option("drop_uncertain", drop_uncertain, (True, False))
    t = pilot_table(pilot_years, district_pilots, units=units)
    t = t[t["city_code"].isin(panel["city_code"].unique())]
    df = panel.drop(
        columns=[c for c in ("first_treat", "Inn", "pilot_certainty", "pilot_year_uncertain") if c in panel.columns]
    )
    df = df.merge(
        t[["city_code", "first_treat", "pilot_certainty", "year_uncertain", "drop"]].rename(
            columns={"year_uncertain": "pilot_year_uncertain"}
        ),
        on="city_code",
        how="left",
    )
    df = df[~df["drop"].astype("boolean").fillna(False).astype(bool)].drop(columns="drop")
    df["first_treat"] = df["first_treat"].fillna(0).astype(int)
    df["pilot_certainty"] = df["pilot_certainty"].fillna("").astype(str)
    df["pilot_year_uncertain"] = df["pilot_year_uncertain"].astype("boolean").fillna(False).astype(bool)
    if drop_uncertain:
        df = df[~df["pilot_year_uncertain"]]
    df["Inn"] = ((df["first_treat"] > 0) & (df["year"] >= df["first_treat"])).astype(int)
    return df.reset_index(drop=True)
