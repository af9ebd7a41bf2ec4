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
from .calibration import _kappa, default_targets
from .covariates import (
    development_factor,
    simulate_attributes,
    simulate_controls,
    simulate_instruments,
    simulate_moderators,
)
from .effects import city_multipliers, effect_profile, effect_scales, make_y1
from .moderation import _cell_moderation
from .outcomes import untreated_outcomes
from .parameters import (
    _CALIB_STEPS,
    _CALIB_TOL,
    _TAU_UNCALIBRATED,
    DEFAULT_SEED,
    MODERATION_MODES,
    SCENARIOS,
)
from .skeleton import PreparedSkeleton, _prepared
from .truth import true_effects


# ----------------------------------------------------------------------------------------------------------- main
def simulate_panel(
    skeleton: pd.DataFrame | PreparedSkeleton,
    seed: int = DEFAULT_SEED,
    scenario: str = "constant",
    iv_exclusion_violation: bool = False,
    calibration: dict | None = None,
    moderation: str = "cell_level",
) -> pd.DataFrame:
    """Simulate the semi-synthetic panel on ``skeleton`` (the DGP: book page ``book/semi_synthetic_dgp.md``).

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
        specified) or ``"city_level"`` (effects depend on the city means of the moderators; see the DGP page).

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
    ci, t, inn = sk.ci, sk.t, sk.inn
    simulated: list[str] = []

    # steps 1-4: development factor, attributes, controls, moderators, instruments (this order of random draws)
    dev = development_factor(sk, rng)
    simulate_attributes(df, sk, dev, rng, simulated)
    simulate_controls(df, sk, dev, rng, simulated)
    simulate_moderators(df, sk, dev, rng, moderation, simulated)
    iv = simulate_instruments(df, sk, rng, simulated)
    # step 5: Y(0)
    u = untreated_outcomes(df, sk, dev, rng, moderation, iv if iv_exclusion_violation else None, sign_of)
    y0 = u.y0
    # step 6: effect multipliers h_dit, profile s_it, scales A_k
    h = city_multipliers(df, sk, moderation, u.w_city, u.innov_c)
    ftr = df["first_treat"].to_numpy()
    s = effect_profile(scenario, ftr, sk.year, inn)
    A = effect_scales(y0, sign_of, sk.year)
    hcell = {d: h[d][ci] for d in DIMENSIONS}
    mod_info = {"mode": moderation}
    if moderation == "cell_level":
        kappa = _kappa()
        sd_m = {m: float(np.std(df[m].to_numpy(float))) for m in MODERATORS}
        target_h = {(m, d): kappa[(m, d)] / sd_m[m] for m in MODERATORS for d in DIMENSIONS}
        hcell, extra = _cell_moderation(
            inn,
            {m: df[m].to_numpy(float) for m in MODERATORS},
            np.column_stack([u.zc[c] for c in CONTROLS]),
            ci,
            t,
            ftr,
            hcell,
            s,
            target_h,
        )
        mod_info.update(extra, target_per_unit=target_h, moderator_sd=sd_m)
    Y0 = np.vstack([y0[c] for c in INDICATOR_CODES]).astype(float)  # (K, n)

    def indices(tau):
        """Observed indicators and the three indices (observed, Y(0), Y(1)) with the observed data's bounds."""
        Y1 = make_y1(tau, y0, u.y0c, u.u_round, A, hcell, s, sign_of, dim_of)
        obs = np.where(inn, Y1, Y0)
        lo, hi = array_bounds(obs)
        return Y1, obs, index_arrays(obs, lo, hi), index_arrays(Y0, lo, hi), index_arrays(Y1, lo, hi)

    # step 7: calibrate tau_d so that the true ATT of Lab, Mea, Obj equals the targets
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
    df.attrs["options"] = {
        "seed": seed,
        "scenario": scenario,
        "iv_exclusion_violation": bool(iv_exclusion_violation),
        "calibration": calibration if isinstance(calibration, (dict, bool)) else None,
        "moderation": moderation,
    }
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
    df.attrs["calibration"] = {
        "targets": targets if calibration is not False else None,
        "tau": dict(tau),
        "iterations": len(history),
        "history": history,
    }
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
