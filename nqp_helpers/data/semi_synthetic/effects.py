"""DGP step 6: treated outcomes Y(1) = Y(0) + an effect in natural units, ``tau_d × A_k × h_dit × s_it``: the city
multipliers ``h_di`` (Figure-1 groups, cohort-normalised, orthogonal to the TWFE weights), the scenario profile
``s_it``, the effect scales ``A_k`` and ``make_y1``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...indicators import DIMENSIONS, INDICATOR_CODES
from ...variables import MODERATORS
from ..attributes import subgroups
from .calibration import _kappa
from .parameters import _DYNAMIC, _HETEROGENEOUS, _MULT, _SHARE_CLIP, _Y0
from .skeleton import PreparedSkeleton, _z


def city_multipliers(
    df: pd.DataFrame, sk: PreparedSkeleton, moderation: str, w_city: np.ndarray, innov_c: np.ndarray
) -> dict[str, np.ndarray]:
    """``h_di`` per dimension and city: product of the Figure-1 group multipliers (city-level world: times the city
    mean moderators), divided by its cohort mean and made uncorrelated with the TWFE weights within cohorts. Adds
    ``innovation_group`` to ``df``."""
    ci, n, ft_c = sk.ci, sk.n, sk.ft_c
    df["innovation_group"] = np.array(["low", "medium", "high"])[innov_c][ci]
    sg = subgroups(df)
    base = np.ones(n)
    for split, mult in _MULT.items():
        base = base * sg[split].map(mult).fillna(1.0).to_numpy(float)
    base_c = pd.Series(base).groupby(ci).mean().to_numpy()
    kappa = _kappa()
    zbar = {m: _z(pd.Series(df[m].to_numpy(float)).groupby(ci).mean().to_numpy()) for m in MODERATORS}
    cohort_key = ft_c  # 0 = never treated
    treated_c = ft_c > 0
    w_dev = w_city - pd.Series(w_city).groupby(cohort_key).transform("mean").to_numpy()
    w_ss = float((w_dev * w_dev)[treated_c].sum())
    tw_ok = w_ss > 1e-12
    h = {}
    for d in DIMENSIONS:
        if moderation == "city_level":  # effect depends on the city's mean moderators (time-invariant)
            hd = base_c * np.maximum(1 + sum(kappa[(m, d)] * zbar[m] for m in MODERATORS), 0.2)
            hd = np.maximum(hd, 0.05)
        else:  # cell level: the moderators enter later (moderation._cell_moderation), cell by cell
            hd = np.maximum(base_c, 0.05)
        means = pd.Series(hd).groupby(cohort_key).transform("mean").to_numpy()
        hd = hd / means
        # remove the (small) within-cohort correlation between h and the weights TWFE-with-controls puts on the
        # treated cities, so that in the constant scenario the TWFE estimand is the ATT (cohort means stay 1)
        if tw_ok:
            lam = float(((hd - 1) * w_dev)[treated_c].sum() / w_ss)
            hd = np.maximum(hd - lam * w_dev, 0.05)
        h[d] = hd
    return h


def effect_profile(scenario: str, first_treat: np.ndarray, year: np.ndarray, inn: np.ndarray) -> np.ndarray:
    """``s_it`` of the scenario: ``constant`` 1, ``dynamic`` rising with event time, ``heterogeneous`` by cohort."""
    e_time = np.where(first_treat > 0, year - first_treat, 0)
    if scenario == "constant":
        return np.ones(len(year))
    if scenario == "dynamic":
        return _DYNAMIC[0] + _DYNAMIC[1] * np.minimum(np.where(inn, e_time, 0), _DYNAMIC[2])
    slope, pivot, s_lo, s_hi = _HETEROGENEOUS
    return np.where(first_treat > 0, np.clip(1 + slope * (pivot - first_treat), s_lo, s_hi), 1.0)


def effect_scales(y0: dict[str, np.ndarray], sign_of: dict[str, int], year: np.ndarray) -> dict[str, float]:
    """``A_k``: the Y(0) panel range for positive indicators, twice the 10th percentile from 2008 on otherwise."""
    post = year >= 2008 if (year >= 2008).any() else np.ones(len(year), bool)
    A = {}
    for code in INDICATOR_CODES:
        if sign_of[code] > 0:
            A[code] = float(np.nanmax(y0[code]) - np.nanmin(y0[code]))
        else:
            A[code] = 2.0 * float(np.nanpercentile(y0[code][post], 10))
    return A


def make_y1(
    tau: dict[str, float],
    y0: dict[str, np.ndarray],
    y0c: dict[str, np.ndarray],
    u_round: np.ndarray,
    A: dict[str, float],
    hcell: dict[str, np.ndarray],
    s: np.ndarray,
    sign_of: dict[str, int],
    dim_of: dict[str, str],
) -> np.ndarray:
    """Y(1) of every indicator as the rows of a (K, n) array: falls for negative indicators (floored at half of
    Y(0)), shares capped at 0.95, counts rounded with the uniforms ``u_round`` shared with Y(0)."""
    out = np.empty((len(INDICATOR_CODES), len(s)))
    for k, code in enumerate(INDICATOR_CODES):
        d = dim_of[code]
        delta = tau[d] * A[code] * hcell[d] * s
        x0 = y0[code]
        kind = _Y0[code][0]
        if sign_of[code] < 0:
            out[k] = np.maximum(x0 - delta, 0.5 * x0)
        elif kind == "share":
            out[k] = np.minimum(x0 + delta, np.maximum(_SHARE_CLIP[1], x0))
        elif kind == "count":
            out[k] = np.maximum(np.floor(y0c[code] + delta + u_round[k]), 0.0)  # binds only if delta < 0
        else:
            out[k] = x0 + delta
    return out
