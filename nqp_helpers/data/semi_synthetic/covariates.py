"""DGP steps 1-4: the development factor, attributes absent from the skeleton, the controls (real with gaps filled, or
simulated), the moderators and the instruments. Each function draws from ``rng`` in the order ``simulate_panel``
calls them, adds its columns to ``df`` and lists simulated columns in ``simulated``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...variables import CONTROLS, MODERATORS
from .parameters import _DEV_NOISE_SD, _LZH, _MOD_SD, _NTL, _RD_ANCHORS, _SIM_CTRL
from .skeleton import PreparedSkeleton, _z


def _rd_default(years: np.ndarray) -> np.ndarray:
    return np.interp(years - 1, *_RD_ANCHORS)


def development_factor(sk: PreparedSkeleton, rng: np.random.Generator) -> np.ndarray:
    """Step 2: city development factor ``dev_i`` (standardised skeleton inputs plus noise), one value per city."""
    noise_dev = rng.normal(0, _DEV_NOISE_SD, sk.n_c)
    return _z(sk.dev_base + noise_dev)


def simulate_attributes(
    df: pd.DataFrame, sk: PreparedSkeleton, dev: np.ndarray, rng: np.random.Generator, simulated: list[str]
) -> None:
    """City attributes the skeleton lacks (``pop_base``, ``admin_level``, ``size_class``, ``old_industrial_base``)."""
    ci, n_c = sk.ci, sk.n_c
    attr_noise = rng.normal(0, 1, (3, n_c))
    if "pop_base" not in df.columns:
        df["pop_base"] = np.exp(5.5 + 0.6 * dev + 0.3 * attr_noise[0])[ci]
        simulated.append("pop_base")
    if "admin_level" not in df.columns:
        rank = np.argsort(np.argsort(-(dev + 0.3 * attr_noise[1])))
        lvl = np.where(
            rank < 0.015 * n_c,
            "municipality",
            np.where(rank < 0.05 * n_c, "sub_provincial", np.where(rank < 0.12 * n_c, "provincial_capital", "other")),
        )
        df["admin_level"] = lvl[ci]
        simulated.append("admin_level")
    if "size_class" not in df.columns or df["size_class"].astype(str).str.strip().eq("").all():
        pb = pd.to_numeric(df["pop_base"], errors="coerce").to_numpy()
        df["size_class"] = np.select(
            [pb >= 1000, pb >= 500, pb >= 100, pb >= 50], ["超大城市", "特大城市", "大城市", "中等城市"], "小城市"
        )
        simulated.append("size_class")
    if "old_industrial_base" not in df.columns:
        df["old_industrial_base"] = (attr_noise[2] > 0.5).astype(float)[ci]
        simulated.append("old_industrial_base")


def simulate_controls(
    df: pd.DataFrame, sk: PreparedSkeleton, dev: np.ndarray, rng: np.random.Generator, simulated: list[str]
) -> None:
    """Step 1: the six controls, real ones with their gaps filled (precomputed in the ``PreparedSkeleton``, flagged
    ``<col>_imputed``), absent ones simulated from ``dev``."""
    n, n_c, ci, t = sk.n, sk.n_c, sk.ci, sk.t
    ctrl_noise = rng.normal(0, 1, (len(CONTROLS), n))
    ctrl_city = rng.normal(0, 1, (len(CONTROLS), n_c))
    for j, c in enumerate(CONTROLS):
        flag = f"{c}_imputed"
        if c in sk.filled:
            filled, miss = sk.filled[c]
            df[c] = filled.copy()
            prev = df[flag].astype(bool).to_numpy() if flag in df.columns else np.zeros(n, bool)
            df[flag] = prev | miss
        else:
            lv, ld, tr, csd, nsd, logsc = _SIM_CTRL[c]
            v = lv + ld * dev[ci] + tr * t + csd * ctrl_city[j][ci] + nsd * ctrl_noise[j]
            df[c] = np.exp(v) if logsc else v
            df[flag] = False
            simulated.append(c)


def simulate_moderators(
    df: pd.DataFrame,
    sk: PreparedSkeleton,
    dev: np.ndarray,
    rng: np.random.Generator,
    moderation: str,
    simulated: list[str],
) -> None:
    """Step 3: ``Hum``, ``Dig``, ``Ind`` (real ones gap-filled); independent of ``dev`` unless ``city_level``."""
    n, n_c, ci, t = sk.n, sk.n_c, sk.ci, sk.t
    mod_city = rng.normal(0, 1, (3, n_c))
    mod_noise = rng.normal(0, 1, (3, n))
    if moderation == "city_level":  # moderators load on the development factor (the pre-issue-13 world)
        sim_mod = {
            "Hum": np.exp(np.log(1.5) + 0.35 * dev[ci] + 0.02 * t + 0.25 * mod_city[0][ci] + 0.05 * mod_noise[0]),
            "Dig": np.log(
                100 / (1 + np.exp(-(-2.5 + 0.25 * t + 0.5 * dev[ci] + 0.3 * mod_city[1][ci] + 0.05 * mod_noise[1])))
            ),
            "Ind": np.exp(0.3 * mod_city[2][ci] + 0.1 * dev[ci] + 0.005 * t + 0.05 * mod_noise[2]),
        }
    else:  # same shapes and spreads, but independent of dev (hence of Y(0)'s proportional growth): see step 3
        sim_mod = {
            "Hum": np.exp(np.log(1.5) + 0.02 * t + _MOD_SD[0] * mod_city[0][ci] + 0.05 * mod_noise[0]),
            "Dig": np.log(100 / (1 + np.exp(-(-2.5 + 0.25 * t + _MOD_SD[1] * mod_city[1][ci] + 0.05 * mod_noise[1])))),
            "Ind": np.exp(_MOD_SD[2] * mod_city[2][ci] + 0.005 * t + 0.05 * mod_noise[2]),
        }
    for m in MODERATORS:
        if m in sk.filled:
            filled, miss = sk.filled[m]
            df[m], df[f"{m}_imputed"] = filled.copy(), miss.copy()
        else:
            df[m] = sim_mod[m]
            simulated.append(m)


def simulate_instruments(
    df: pd.DataFrame, sk: PreparedSkeleton, rng: np.random.Generator, simulated: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Step 4: simulated "1997-like" lights and laozihao counts, driven by pilot timing only (``early_i``) plus
    independent noise - never by dev, the moderators or anything else that enters Y(0) - times the R&D series.
    Returns ``(iv_ntl, iv_lzh)``."""
    ci, n_c, early_c = sk.ci, sk.n_c, sk.early_c
    iv_noise = rng.normal(0, 1, (2, n_c))
    nb = np.exp(_NTL[0] + _NTL[1] * early_c + _NTL[2] * iv_noise[0])
    df["ntl_base"] = nb[ci]
    simulated.append("ntl_base")
    lzh = rng.poisson(np.exp(_LZH[0] + _LZH[1] * early_c + _LZH[2] * iv_noise[1])).astype(float)
    df["laozihao"] = lzh[ci]
    simulated.append("laozihao")
    if sk.rd is not None:
        df["rd_intensity_lag"] = sk.rd.copy()
    else:
        df["rd_intensity_lag"] = _rd_default(sk.year)
        simulated.append("rd_intensity_lag")
    iv_ntl = nb[ci] * df["rd_intensity_lag"].to_numpy()
    iv_lzh = lzh[ci] * df["rd_intensity_lag"].to_numpy()
    df["iv_ntl"] = iv_ntl
    df["iv_lzh"] = iv_lzh
    return iv_ntl, iv_lzh
