"""``simulate_panel``: the semi-synthetic data-generating process (described step by step on the book page
``book/semi_synthetic_dgp.md``), and ``reweight_index``."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..._attrs import safe_attr
from ...errors import NQPInputError
from ...index import array_bounds, build_index, index_arrays, paper_dimension_weights
from ...indicators import DIMENSIONS, INDEX_COLUMNS, INDICATOR_CODES, indicator_catalogue
from ...variables import CONTROLS, MODERATORS
from ..attributes import subgroups
from .calibration import _kappa, default_targets
from .moderation import _cell_moderation
from .parallel import _within_nonneg
from .parameters import (
    _BETA,
    _CALIB_STEPS,
    _CALIB_TOL,
    _CTRL_SCALE,
    _DEV_NOISE_SD,
    _DYNAMIC,
    _HETEROGENEOUS,
    _LZH,
    _MOD_SD,
    _MULT,
    _NTL,
    _RD_ANCHORS,
    _SIM_CTRL,
    _TAU_UNCALIBRATED,
    _VIOL,
    _Y0,
    DEFAULT_SEED,
    MODERATION_MODES,
    SCENARIOS,
)
from .skeleton import PreparedSkeleton, _prepared, _z
from .truth import true_effects


def _rd_default(years: np.ndarray) -> np.ndarray:
    return np.interp(years - 1, *_RD_ANCHORS)



# ----------------------------------------------------------------------------------------------------------- main
def simulate_panel(skeleton: pd.DataFrame | PreparedSkeleton, seed: int = DEFAULT_SEED, scenario: str = "constant",
                   iv_exclusion_violation: bool = False, calibration: dict | None = None,
                   moderation: str = "cell_level") -> pd.DataFrame:
    """Simulate the semi-synthetic panel on ``skeleton`` (see the module docstring for the DGP).

    Parameters
    ----------
    skeleton : city-year frame with at least ``city_code``, ``year`` and ``first_treat`` (or ``Inn``); normally
        ``real_panel()``. Or a ``PreparedSkeleton`` (``prepare_skeleton(skeleton)``): same output, less work per call.
    seed : seed of ``numpy.random.default_rng``; same inputs → byte-identical output.
    scenario : ``"constant"``, ``"dynamic"`` or ``"heterogeneous"`` (time/cohort profile of the effect).
    iv_exclusion_violation : if True, ``iv_ntl`` and ``iv_lzh`` also enter Y(0) directly.
    calibration : ``None`` (targets = paper Table 2 cols 4/6/8), a dict ``{"Lab": .., "Mea": .., "Obj": ..}`` of
        target ATTs (index units; missing keys keep the default), or ``False`` (no calibration, ``tau_d = 0.08``).
    moderation : ``"cell_level"`` (default: effects depend on each cell's moderators, Tables 5-7 correctly
        specified) or ``"city_level"`` (effects depend on the city means of the moderators; see the module doc).

    Returns
    -------
    DataFrame with the skeleton columns, filled controls (+ ``_imputed`` flags), moderators, IV columns, the 18
    indicators (observed), ``Pro, Lab, Mea, Obj``, their ``_y0``/``_y1`` potential outcomes and ``innovation_group``.
    ``attrs``: ``track="semi_synthetic"``, ``truth`` (``true_effects``), ``calibration``, ``simulated_columns``,
    ``options``.

    Speed: what depends only on the skeleton is computed once (``PreparedSkeleton``, cached per process by content)
    and the paper's numbers are read once per process; the calibration loop builds the indices in numpy.
    """
    if scenario not in SCENARIOS:
        raise NQPInputError(f"unknown scenario {scenario!r}; allowed: {list(SCENARIOS)}")
    if moderation not in MODERATION_MODES:
        raise NQPInputError(f"unknown moderation {moderation!r}; allowed: {list(MODERATION_MODES)}")
    sk = _prepared(skeleton)
    targets = default_targets()
    if isinstance(calibration, dict):
        bad = [k for k in calibration if k not in DIMENSIONS]
        if bad:
            raise NQPInputError(f"calibration keys {bad} unknown; allowed: {list(DIMENSIONS)}")
        targets.update({k: float(v) for k, v in calibration.items()})
    elif calibration not in (None, False):
        raise NQPInputError("`calibration` must be None, False or a dict of target ATTs by dimension")
    rng = np.random.default_rng(seed)
    cat = indicator_catalogue().set_index("code").loc[list(INDICATOR_CODES)]
    sign_of = dict(zip(INDICATOR_CODES, cat["sign"].astype(int).tolist()))
    dim_of = dict(zip(INDICATOR_CODES, cat["dimension"]))

    df = sk.frame.copy()
    n, ci, n_c, year, t, T = sk.n, sk.ci, sk.n_c, sk.year, sk.t, sk.T
    y_min, y_max = sk.y_min, sk.y_max
    ft_c, inn, early_c = sk.ft_c, sk.inn, sk.early_c
    simulated: list[str] = []

    # --- development factor from real attributes
    noise_dev = rng.normal(0, _DEV_NOISE_SD, n_c)
    dev = _z(sk.dev_base + noise_dev)

    # --- attributes absent from the skeleton
    attr_noise = rng.normal(0, 1, (3, n_c))
    if "pop_base" not in df.columns:
        df["pop_base"] = np.exp(5.5 + 0.6 * dev + 0.3 * attr_noise[0])[ci]
        simulated.append("pop_base")
    if "admin_level" not in df.columns:
        rank = np.argsort(np.argsort(-(dev + 0.3 * attr_noise[1])))
        lvl = np.where(rank < 0.015 * n_c, "municipality", np.where(rank < 0.05 * n_c, "sub_provincial",
                       np.where(rank < 0.12 * n_c, "provincial_capital", "other")))
        df["admin_level"] = lvl[ci]
        simulated.append("admin_level")
    if "size_class" not in df.columns or df["size_class"].astype(str).str.strip().eq("").all():
        pb = pd.to_numeric(df["pop_base"], errors="coerce").to_numpy()
        df["size_class"] = np.select([pb >= 1000, pb >= 500, pb >= 100, pb >= 50],
                                     ["超大城市", "特大城市", "大城市", "中等城市"], "小城市")
        simulated.append("size_class")
    if "old_industrial_base" not in df.columns:
        df["old_industrial_base"] = (attr_noise[2] > 0.5).astype(float)[ci]
        simulated.append("old_industrial_base")

    # --- controls: fill real gaps (precomputed in the PreparedSkeleton), simulate absent ones
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

    # --- moderators
    mod_city = rng.normal(0, 1, (3, n_c))
    mod_noise = rng.normal(0, 1, (3, n))
    if moderation == "city_level":  # moderators load on the development factor (the pre-issue-13 world)
        sim_mod = {
            "Hum": np.exp(np.log(1.5) + 0.35 * dev[ci] + 0.02 * t + 0.25 * mod_city[0][ci] + 0.05 * mod_noise[0]),
            "Dig": np.log(100 / (1 + np.exp(-(-2.5 + 0.25 * t + 0.5 * dev[ci] + 0.3 * mod_city[1][ci]
                                                  + 0.05 * mod_noise[1])))),
            "Ind": np.exp(0.3 * mod_city[2][ci] + 0.1 * dev[ci] + 0.005 * t + 0.05 * mod_noise[2]),
        }
    else:  # same shapes and spreads, but independent of dev (hence of Y(0)'s proportional growth): see step 3
        sim_mod = {
            "Hum": np.exp(np.log(1.5) + 0.02 * t + _MOD_SD[0] * mod_city[0][ci] + 0.05 * mod_noise[0]),
            "Dig": np.log(100 / (1 + np.exp(-(-2.5 + 0.25 * t + _MOD_SD[1] * mod_city[1][ci]
                                                  + 0.05 * mod_noise[1])))),
            "Ind": np.exp(_MOD_SD[2] * mod_city[2][ci] + 0.005 * t + 0.05 * mod_noise[2]),
        }
    for m in MODERATORS:
        if m in sk.filled:
            filled, miss = sk.filled[m]
            df[m], df[f"{m}_imputed"] = filled.copy(), miss.copy()
        else:
            df[m] = sim_mod[m]
            simulated.append(m)

    # --- IV ingredients: simulated "1997-like" lights and laozihao counts, driven by pilot timing only (early_i)
    # plus independent noise - never by dev, the moderators or anything else that enters Y(0)
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
        df["rd_intensity_lag"] = _rd_default(year)
        simulated.append("rd_intensity_lag")
    iv_ntl = nb[ci] * df["rd_intensity_lag"].to_numpy()
    iv_lzh = lzh[ci] * df["rd_intensity_lag"].to_numpy()
    df["iv_ntl"] = iv_ntl
    df["iv_lzh"] = iv_lzh

    # --- Y(0) = P (non-control part, parallel across cohorts) + Q (linear in the controls) [+ V (violation)]
    zc = {c: _z(df[c].to_numpy(float)) for c in CONTROLS}
    zm = {m: _z(df[m].to_numpy(float)) for m in MODERATORS}
    zv = (_z(iv_ntl) + _z(iv_lzh)) if iv_exclusion_violation else None
    n_years = y_max - y_min + 1
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
    viol_within = {s_: _within_nonneg(s_ * zv, ci, n_c) for s_ in (1, -1)} if iv_exclusion_violation else None
    for k, code in enumerate(INDICATOR_CODES):
        kind, med, g, sd, rho, nu = _Y0[code]
        sign = sign_of[code]
        mu = np.log(med / (1 - med)) if kind == "share" else np.log(med)
        beta = _BETA[sign]
        L = (mu + g * t + sd * (rho * dev[ci] + np.sqrt(1 - rho ** 2) * a_city[k][ci]) + g_year[k][t]
             + 0.05 * b_city[k][ci] * (t / T - 0.5) * 2 + 0.03 * c_city[k][ci] * np.sin(np.pi * t / T))
        if moderation == "city_level":  # default: Y(0) does not depend on the moderators (a2 = 0)
            for m in MODERATORS:
                L = L + beta[m] * zm[m]
        sys_part = 1 / (1 + np.exp(-L)) if kind == "share" else np.exp(L)
        P, _ = par.fit(sys_part)
        P = P * np.exp(nu * eps[k] - nu ** 2 / 2)  # idiosyncratic noise, mean 1 and independent of everything
        q_raw = sum(q_within[c][sign] for c in CONTROLS)  # same terms, same order as sum(_within_nonneg(...))
        scale = _CTRL_SCALE * float(np.median(P))
        Q = scale * q_raw
        x = P + Q
        if iv_exclusion_violation:
            x = x + scale * _VIOL * viol_within[sign]  # raises the index (sign-aware)
        if kind == "share":
            x = np.clip(x, 1e-4, 0.95)
        y0c[code] = x
        y0[code] = np.floor(x + u_round[k]) if kind == "count" else x

    # --- heterogeneity multipliers h_{d,i}
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
        else:  # cell level: the moderators enter below, cell by cell
            hd = np.maximum(base_c, 0.05)
        means = pd.Series(hd).groupby(cohort_key).transform("mean").to_numpy()
        hd = hd / means
        # remove the (small) within-cohort correlation between h and the weights TWFE-with-controls puts on the
        # treated cities, so that in the constant scenario the TWFE estimand is the ATT (cohort means stay 1)
        if tw_ok:
            lam = float(((hd - 1) * w_dev)[treated_c].sum() / w_ss)
            hd = np.maximum(hd - lam * w_dev, 0.05)
        h[d] = hd
    ftr = df["first_treat"].to_numpy()
    e_time = np.where(ftr > 0, year - ftr, 0)
    if scenario == "constant":
        s = np.ones(n)
    elif scenario == "dynamic":
        s = _DYNAMIC[0] + _DYNAMIC[1] * np.minimum(np.where(inn, e_time, 0), _DYNAMIC[2])
    else:
        slope, pivot, s_lo, s_hi = _HETEROGENEOUS
        s = np.where(ftr > 0, np.clip(1 + slope * (pivot - ftr), s_lo, s_hi), 1.0)

    # --- effect scales A_k
    post = year >= 2008 if (year >= 2008).any() else np.ones(n, bool)
    A = {}
    for code in INDICATOR_CODES:
        if sign_of[code] > 0:
            A[code] = float(np.nanmax(y0[code]) - np.nanmin(y0[code]))
        else:
            A[code] = 2.0 * float(np.nanpercentile(y0[code][post], 10))
    kind_of = {c: _Y0[c][0] for c in INDICATOR_CODES}
    hcell = {d: h[d][ci] for d in DIMENSIONS}
    mod_info = {"mode": moderation}
    if moderation == "cell_level":
        sd_m = {m: float(np.std(df[m].to_numpy(float))) for m in MODERATORS}
        target_h = {(m, d): kappa[(m, d)] / sd_m[m] for m in MODERATORS for d in DIMENSIONS}
        hcell, extra = _cell_moderation(inn, {m: df[m].to_numpy(float) for m in MODERATORS},
                                        np.column_stack([zc[c] for c in CONTROLS]), ci, t, ftr, hcell, s, target_h)
        mod_info.update(extra, target_per_unit=target_h, moderator_sd=sd_m)
    Y0 = np.vstack([y0[c] for c in INDICATOR_CODES]).astype(float)  # (K, n)

    def make_y1(tau: dict[str, float]) -> np.ndarray:
        """Y(1) of every indicator as the rows of a (K, n) array."""
        out = np.empty((K, n))
        for k, code in enumerate(INDICATOR_CODES):
            d = dim_of[code]
            delta = tau[d] * A[code] * hcell[d] * s
            x0 = y0[code]
            if sign_of[code] < 0:
                out[k] = np.maximum(x0 - delta, 0.5 * x0)
            elif kind_of[code] == "share":
                out[k] = np.minimum(x0 + delta, np.maximum(0.95, x0))
            elif kind_of[code] == "count":
                out[k] = np.maximum(np.floor(y0c[code] + delta + u_round[k]), 0.0)  # binds only if delta < 0
            else:
                out[k] = x0 + delta
        return out

    def indices(tau):
        """Observed indicators and the three indices (observed, Y(0), Y(1)) with the observed data's bounds."""
        Y1 = make_y1(tau)
        obs = np.where(inn, Y1, Y0)
        lo, hi = array_bounds(obs)
        return Y1, obs, index_arrays(obs, lo, hi), index_arrays(Y0, lo, hi), index_arrays(Y1, lo, hi)

    tau = {d: (targets[d] / 10.0 if calibration is not False else _TAU_UNCALIBRATED) for d in DIMENSIONS}
    history = []
    Y1, obs, idx, i0, i1 = indices(tau)
    if calibration is not False and inn.any():
        for _ in range(_CALIB_STEPS):
            att = {d: float(np.mean((i1[d] - i0[d])[inn])) for d in DIMENSIONS}
            history.append({**{f"tau_{d}": tau[d] for d in DIMENSIONS}, **{f"att_{d}": att[d] for d in DIMENSIONS}})
            if max(abs(att[d] - targets[d]) for d in DIMENSIONS) < _CALIB_TOL:
                break
            tau = {d: tau[d] * targets[d] / att[d] if att[d] > 0 else tau[d] * 2 for d in DIMENSIONS}
            Y1, obs, idx, i0, i1 = indices(tau)

    # the output columns, appended in one step (same order as assigning them one by one)
    new = {}
    for k, c in enumerate(INDICATOR_CODES):
        new[c] = obs[k]
    for col in INDEX_COLUMNS:
        new[col] = idx[col]
    for col in INDEX_COLUMNS:
        new[f"{col}_y0"] = i0[col]
        new[f"{col}_y1"] = i1[col]
    # indicator-level potential outcomes, so the truth can be recomputed for any other weighting (reweight_index)
    for k, c in enumerate(INDICATOR_CODES):
        new[f"{c}_y0"] = Y0[k]
        new[f"{c}_y1"] = Y1[k]
    df = pd.concat([df, pd.DataFrame(new, index=df.index)], axis=1)
    df.attrs = {}
    df.attrs["track"] = "semi_synthetic"
    df.attrs["options"] = {"seed": seed, "scenario": scenario, "iv_exclusion_violation": bool(iv_exclusion_violation),
                           "calibration": calibration if isinstance(calibration, (dict, bool)) else None,
                           "moderation": moderation}
    if moderation == "cell_level" and inn.any():
        # the generator's a3 in index units: per unit of M, the multiplier-unit target times the index value of one
        # multiplier unit in dimension d (ATT_d / mean treated multiplier); Pro is the paper-weighted sum
        W = paper_dimension_weights()
        a3 = {}
        for d in DIMENSIONS:
            unit = float(np.mean((i1[d] - i0[d])[inn])) / float(np.mean((hcell[d] * s)[inn]))
            for m in MODERATORS:
                a3[(m, d)] = mod_info["target_per_unit"][(m, d)] * unit
        for m in MODERATORS:
            a3[(m, "Pro")] = float(sum(W[d] * a3[(m, d)] for d in DIMENSIONS))
        mod_info["a3"] = {f"{m}|{o}": v for (m, o), v in a3.items()}
        mod_info["target_per_unit"] = {f"{m}|{d}": v for (m, d), v in mod_info["target_per_unit"].items()}
    df.attrs["moderation"] = mod_info
    df.attrs["calibration"] = {"targets": targets if calibration is not False else None, "tau": dict(tau),
                               "iterations": len(history), "history": history}
    df.attrs["simulated_columns"] = simulated
    df.attrs["truth"] = safe_attr(true_effects(df))
    return df



def reweight_index(panel: pd.DataFrame, weights) -> pd.DataFrame:
    """Rebuild the observed index with another weighting and, with the *same* weights and bounds, both potential
    outcomes of every index, so that ``attrs["truth"]`` stays the exact truth for the index actually analysed."""
    df = panel.copy()
    idx = build_index(df, weights=weights)
    table, bounds = idx.attrs["weights"], idx.attrs["bounds"]
    for col in INDEX_COLUMNS:
        df[col] = idx[col].to_numpy()
    for s in ("y0", "y1"):
        po = pd.DataFrame({c: df[f"{c}_{s}"].to_numpy() for c in INDICATOR_CODES}, index=df.index)
        ip = build_index(po, weights=table, bounds=bounds)
        for col in INDEX_COLUMNS:
            df[f"{col}_{s}"] = ip[col].to_numpy()
    df.attrs = dict(panel.attrs)
    df.attrs["index_weights"] = safe_attr(table)
    df.attrs["truth"] = safe_attr(true_effects(df))
    return df

