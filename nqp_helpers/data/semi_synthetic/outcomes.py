"""DGP step 5: untreated outcomes Y(0) of the 18 indicators in natural units, ``P`` (non-control part, made parallel
across cohort-stratum cells by ``parallel._CohortParallel``) + ``Q`` (linear in the controls) [+ ``V``, the
exclusion violation]."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...indicators import INDICATOR_CODES
from ...variables import CONTROLS, MODERATORS
from .parallel import _within_nonneg
from .parameters import _BETA, _CTRL_SCALE, _SHARE_CLIP, _SMOOTH, _VIOL, _Y0
from .skeleton import PreparedSkeleton, _z


@dataclass
class Untreated:
    """Y(0) of every indicator (``y0``; ``y0c`` before the randomised rounding of counts), the rounding uniforms
    (shared with Y(1)), the innovation tercile per city (0 low, 1 medium, 2 high), the TWFE treated weights per city
    and the controls' z-scores."""

    y0: dict[str, np.ndarray]
    y0c: dict[str, np.ndarray]
    u_round: np.ndarray
    innov_c: np.ndarray
    w_city: np.ndarray
    zc: dict[str, np.ndarray]


def untreated_outcomes(
    df: pd.DataFrame,
    sk: PreparedSkeleton,
    dev: np.ndarray,
    rng: np.random.Generator,
    moderation: str,
    iv: tuple[np.ndarray, np.ndarray] | None,
    sign_of: dict[str, int],
) -> Untreated:
    """Y(0) of the 18 indicators (step 5); ``iv = (iv_ntl, iv_lzh)`` only with the exclusion violation."""
    n, ci, n_c, t, T = sk.n, sk.ci, sk.n_c, sk.t, sk.T
    zc = {c: _z(df[c].to_numpy(float)) for c in CONTROLS}
    zm = {m: _z(df[m].to_numpy(float)) for m in MODERATORS}
    zv = (_z(iv[0]) + _z(iv[1])) if iv is not None else None
    n_years = sk.y_max - sk.y_min + 1
    K = len(INDICATOR_CODES)
    a_city = rng.normal(0, 1, (K, n_c))
    b_city = rng.normal(0, 1, (K, n_c))
    c_city = rng.normal(0, 1, (K, n_c))
    g_year = rng.normal(0, 0.03, (K, n_years))
    eps = rng.normal(0, 1, (K, n))
    u_round = rng.random((K, n))
    y0: dict[str, np.ndarray] = {}
    y0c: dict[str, np.ndarray] = {}  # continuous Y(0) before the randomised rounding of counts
    # innovation capacity group (Figure 1a proxy on this track): tercile of the development factor, which drives the
    # simulated R&D personnel; Y(0) is made parallel within hub x megacity x innovation strata
    rank_c = pd.Series(dev).rank(method="first").to_numpy()
    innov_c = np.digitize(rank_c, [n_c / 3, 2 * n_c / 3], right=True)  # 0 low, 1 medium, 2 high
    par, w_city = sk.control_design(zc, sk.stratum_c * 3 + innov_c)
    q_within = {c: {s_: _within_nonneg(_BETA[s_][c] * zc[c], ci, n_c) for s_ in (1, -1)} for c in CONTROLS}
    viol_within = {s_: _within_nonneg(s_ * zv, ci, n_c) for s_ in (1, -1)} if zv is not None else None
    for k, code in enumerate(INDICATOR_CODES):
        kind, med, g, sd, rho, nu = _Y0[code]
        sign = sign_of[code]
        mu = np.log(med / (1 - med)) if kind == "share" else np.log(med)
        beta = _BETA[sign]
        L = (
            mu
            + g * t
            + sd * (rho * dev[ci] + np.sqrt(1 - rho**2) * a_city[k][ci])
            + g_year[k][t]
            + _SMOOTH[0] * b_city[k][ci] * (t / T - 0.5) * 2
            + _SMOOTH[1] * c_city[k][ci] * np.sin(np.pi * t / T)
        )
        if moderation == "city_level":  # default: Y(0) does not depend on the moderators (a2 = 0)
            for m in MODERATORS:
                L = L + beta[m] * zm[m]
        sys_part = 1 / (1 + np.exp(-L)) if kind == "share" else np.exp(L)
        P, _ = par.fit(sys_part)
        P = P * np.exp(nu * eps[k] - nu**2 / 2)  # idiosyncratic noise, mean 1 and independent of everything
        q_raw = sum(q_within[c][sign] for c in CONTROLS)  # same terms, same order as sum(_within_nonneg(...))
        scale = _CTRL_SCALE * float(np.median(P))
        Q = scale * q_raw
        x = P + Q
        if viol_within is not None:
            x = x + scale * _VIOL * viol_within[sign]  # raises the index (sign-aware)
        if kind == "share":
            x = np.clip(x, *_SHARE_CLIP)
        y0c[code] = x
        y0[code] = np.floor(x + u_round[k]) if kind == "count" else x
    return Untreated(y0, y0c, u_round, innov_c, w_city, zc)
