"""Small synthetic panels shared by the test-suite (any module's tests may import them).

* ``toy_panel``: a generic staggered-adoption panel (``unit``/``city_code``, ``year``, ``first_treat``, ``Inn``,
  outcome ``y``, covariates ``x1``, ``x2``, ``cluster``) with a known constant effect ``tau`` (``attrs["tau"]``).
* ``toy_skeleton``: a city-year skeleton shaped like ``real_panel()`` (attributes, some real-looking controls with
  gaps, a national R&D series) for the semi-synthetic generator and ``load_panel`` tests.

Both are deterministic given ``seed``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DEFAULT_COHORTS = (2008, 2010, 2012, 2016, 2022)


def toy_panel(
    n_units: int = 40,
    years=range(2004, 2024),
    cohorts=DEFAULT_COHORTS,
    seed: int = 0,
    tau: float = 1.0,
    never_share: float = 0.4,
) -> pd.DataFrame:
    """A balanced staggered panel: ``y = a_i + b_t + 0.5 x1 - 0.3 x2 + tau * Inn + e``.

    Units are assigned round-robin to ``cohorts`` after a ``never_share`` fraction is left never treated
    (``first_treat = 0``). ``cluster`` groups units in pairs.
    """
    rng = np.random.default_rng(seed)
    years = list(years)
    n_never = int(round(n_units * never_share))
    ft = np.zeros(n_units, dtype=int)
    for j, i in enumerate(range(n_never, n_units)):
        ft[i] = cohorts[j % len(cohorts)] if len(cohorts) else 0
    a = rng.normal(0, 1, n_units)
    b = np.linspace(0, 1, len(years))
    unit = np.repeat(np.arange(1, n_units + 1), len(years))
    year = np.tile(years, n_units)
    first_treat = np.repeat(ft, len(years))
    inn = ((first_treat > 0) & (year >= first_treat)).astype(int)
    x1 = rng.normal(0, 1, unit.size)
    x2 = rng.normal(0, 1, unit.size)
    y = a[unit - 1] + np.tile(b, n_units) + 0.5 * x1 - 0.3 * x2 + tau * inn + rng.normal(0, 0.5, unit.size)
    df = pd.DataFrame(
        {
            "unit": unit,
            "city_code": 110000 + unit * 100,
            "year": year,
            "first_treat": first_treat,
            "Inn": inn,
            "y": y,
            "x1": x1,
            "x2": x2,
            "cluster": (unit - 1) // 2 + 1,
        }
    )
    df.attrs["tau"] = tau
    return df


def toy_skeleton(n_cities: int = 60, years=range(2004, 2024), seed: int = 0) -> pd.DataFrame:
    """A ``real_panel``-shaped skeleton: city attributes, pilot timing and controls Eco/Fin/Tra/Ope with NaN gaps
    (Gov and Fix absent, as when the real track lacks them), ``pop_base``, ``ntl_base`` and ``rd_intensity_lag``."""
    rng = np.random.default_rng(seed)
    years = list(years)
    n_y = len(years)
    dev = rng.normal(0, 1, n_cities)
    order = np.argsort(-dev)
    admin = np.array(["other"] * n_cities, dtype=object)
    admin[order[:3]] = "municipality"
    admin[order[3:8]] = "sub_provincial"
    admin[order[8:16]] = "provincial_capital"
    pop = np.exp(5.8 + 0.6 * dev + rng.normal(0, 0.3, n_cities))  # 10k persons
    size = np.select(
        [pop > 1000, pop > 500, pop > 100, pop > 50], ["超大城市", "特大城市", "大城市", "中等城市"], "小城市"
    )
    # pilots: the more developed, the earlier
    ft = np.zeros(n_cities, dtype=int)
    cohorts = [2008, 2010, 2010, 2011, 2012, 2013, 2018, 2022]
    k = 0
    pilot_order = np.argsort(-(dev + rng.normal(0, 0.8, n_cities)))
    for i in pilot_order[: int(n_cities * 0.35)]:
        ft[i] = cohorts[min(k * len(cohorts) // int(n_cities * 0.35), len(cohorts) - 1)]
        k += 1
    certainty = np.where(ft > 0, "high", "")
    oib = rng.choice([1.0, 0.0, np.nan], n_cities, p=[0.25, 0.6, 0.15])
    regions = np.array(["east", "central", "west", "northeast"])[rng.integers(0, 4, n_cities)]
    codes = 110100 + np.arange(n_cities) * 100
    t = np.arange(n_y)
    rows = {
        "city_code": np.repeat(codes, n_y),
        "city": np.repeat([f"城市{i}" for i in range(n_cities)], n_y),
        "city_en": np.repeat([f"City{i}" for i in range(n_cities)], n_y),
        "province": np.repeat([f"省{i % 7}" for i in range(n_cities)], n_y),
        "region": np.repeat(regions, n_y),
        "year": np.tile(years, n_cities),
        "first_treat": np.repeat(ft, n_y),
        "pilot_certainty": np.repeat(certainty, n_y),
        "admin_level": np.repeat(admin, n_y),
        "old_industrial_base": np.repeat(oib, n_y),
        "size_class": np.repeat(size, n_y),
        "pop_base": np.repeat(pop, n_y),
    }
    df = pd.DataFrame(rows)
    df["Inn"] = ((df["first_treat"] > 0) & (df["year"] >= df["first_treat"])).astype(int)
    tt = np.tile(t, n_cities)
    dd = np.repeat(dev, n_y)
    df["Eco"] = 9.6 + 0.45 * dd + 0.08 * tt + rng.normal(0, 0.05, len(df))
    df["Fin"] = np.exp(-0.1 + 0.2 * dd + 0.02 * tt + rng.normal(0, 0.1, len(df)))
    df["Tra"] = np.exp(-0.5 + 0.3 * dd + 0.03 * tt + rng.normal(0, 0.1, len(df)))
    df["Ope"] = np.exp(-4.0 + 0.5 * dd - 0.02 * tt + rng.normal(0, 0.3, len(df)))
    for c in ("Eco", "Fin", "Tra", "Ope"):
        gaps = rng.random(len(df)) < 0.08
        df.loc[gaps, c] = np.nan
    df.loc[df["city_code"] == codes[-1], "Ope"] = np.nan  # one city with no value at all
    df["ntl_base"] = np.repeat(np.exp(1.0 + 0.8 * dev + rng.normal(0, 0.3, n_cities)), n_y)
    rd = np.interp(np.array(years) - 1, [2003, 2008, 2013, 2018, 2022], [1.13, 1.45, 2.0, 2.14, 2.54])
    df["rd_intensity_lag"] = np.tile(rd, n_cities)
    df["iv_ntl"] = df["ntl_base"] * df["rd_intensity_lag"]
    return df


def staggered_panel(n_units=60, years=range(2010, 2022), cohorts=(2014, 2016, 2018), seed=0):
    """Staggered adoption: every 4th unit never treated, 3 cohorts, effects growing with e and differing by cohort."""
    rng = np.random.default_rng(seed)
    years = list(years)
    g = np.array([cohorts[i % len(cohorts)] if i % 4 else 0 for i in range(n_units)])
    a = rng.normal(0, 1, n_units)
    lam = {t: 0.3 * (t - years[0]) + rng.normal(0, 0.2) for t in years}
    rows = []
    for i in range(n_units):
        for t in years:
            e = t - g[i] if g[i] else None
            tau = 0.0 if e is None or e < 0 else (1 + 0.2 * e) * (1 + 0.5 * cohorts.index(g[i]))
            rows.append((100000 + i, t, g[i], a[i] + lam[t] + tau + rng.normal(0, 0.5), rng.normal()))
    df = pd.DataFrame(rows, columns=["city_code", "year", "first_treat", "y", "x1"])
    df["y"] += 0.4 * df["x1"]
    return df
