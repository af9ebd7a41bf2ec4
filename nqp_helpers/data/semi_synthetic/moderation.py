"""Moderation (DGP step 6): cell-level effect multipliers that make the Tables 5-7 regression correctly specified,
and ``moderation_projection``, what that regression estimates from given cell effects."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...estimators._common import demean_twoway
from ...variables import CONTROLS


def _fwl_moderation(inn: np.ndarray, M: np.ndarray, X: np.ndarray, keys: list[np.ndarray]) -> np.ndarray:
    """``Inn×M`` residualised on ``Inn``, ``M``, the controls ``X`` and the dummies of ``keys`` (Frisch-Waugh-Lovell):
    the Tables 5-7 regression ``y ~ Inn + M + Inn×M + X | city + year`` estimates ``sum(D y) / sum(D Inn M)``."""
    v = demean_twoway(inn * M, *keys)
    Z = np.column_stack(
        [demean_twoway(inn.astype(float), *keys), demean_twoway(M, *keys)]
        + ([demean_twoway(X, *keys)] if X.shape[1] else [])
    )
    return v - Z @ np.linalg.lstsq(Z, v, rcond=None)[0]


def moderation_projection(panel: pd.DataFrame, effect: np.ndarray, moderator: str, controls=CONTROLS) -> float:
    """Coefficient of ``Inn×M`` in the paper's moderation regression (``y ~ Inn + M + Inn×M + controls | city +
    year``) fitted to ``Inn × effect`` (the effect part of the outcome): what that regression estimates from the true
    cell effects. NaN if a column is missing."""
    need = ["Inn", "city_code", "year", moderator, *controls]
    if any(c not in panel.columns for c in need):
        return float("nan")
    keys = [pd.factorize(panel["city_code"])[0], pd.factorize(panel["year"])[0]]
    inn = panel["Inn"].to_numpy(float)
    M = panel[moderator].to_numpy(float)
    X = panel[list(controls)].to_numpy(float)
    D = _fwl_moderation(inn, M, X, keys)
    return float((D * inn * effect).sum() / (D * inn * M).sum())


def _cell_moderation(
    inn: np.ndarray,
    mods: dict[str, np.ndarray],
    X: np.ndarray,
    ci: np.ndarray,
    t: np.ndarray,
    cohort: np.ndarray,
    hbase: dict[str, np.ndarray],
    s: np.ndarray,
    target: dict[tuple[str, str], float],
) -> tuple[dict[str, np.ndarray], dict]:
    """Cell-level moderation (the default): the effect multiplier of a cell is ``h_dit = hbase_di + sum_m gamma_dm
    u_mit``, with ``u_m`` = the cell's moderator ``M_mit`` net of its cohort-by-year mean among treated cells and
    orthogonal (over treated cells) to the TWFE weights and to the other moderators' Tables 5-7 residuals. So the
    ATT, every cohort-by-year mean effect and the TWFE estimand are unchanged, and ``gamma`` solves, for each
    dimension, the 3x3 system making the Tables 5-7 estimand of the effect part (in multiplier units) equal to
    ``target[(m, d)]`` (per unit of M). Returns ``({d: h_dit}, info)``."""
    tr = inn.astype(bool)
    keys = [ci, t]
    names = list(mods)
    D = {m: _fwl_moderation(inn.astype(float), mods[m], X, keys) for m in names}
    den = {m: float((D[m] * inn * mods[m]).sum()) for m in names}
    # TWFE-with-controls weight of each cell (Inn residualised on city, year and the controls)
    dd = demean_twoway(inn.astype(float), *keys)
    Xd = demean_twoway(X, *keys) if X.shape[1] else X
    w = dd - (Xd @ np.linalg.lstsq(Xd, dd, rcond=None)[0] if X.shape[1] else 0.0)
    cell = pd.factorize(pd.Series(cohort[tr]).astype(str) + "_" + pd.Series(t[tr]).astype(str))[0]

    def within(v):  # v net of its treated cohort-by-year mean
        return v - (np.bincount(cell, weights=v) / np.bincount(cell))[cell]

    u = {}
    for m in names:
        Z = np.column_stack([within(w[tr])] + [within(D[o][tr]) for o in names if o != m])
        x = within(mods[m][tr])
        um = np.zeros(len(inn))
        um[tr] = x - Z @ np.linalg.lstsq(Z, x, rcond=None)[0]
        # untreated cells (their Y(1) is never observed): the moderator net of its year mean among treated cells
        yr_mean = pd.Series(mods[m][tr]).groupby(t[tr]).mean()
        um[~tr] = mods[m][~tr] - pd.Series(t[~tr]).map(yr_mean).fillna(float(mods[m][tr].mean())).to_numpy()
        u[m] = um
    Pi = np.array([[float((D[m] * inn * s * u[o]).sum()) / den[m] for o in names] for m in names])
    h, gamma, b0 = {}, {}, {}
    for d, hb in hbase.items():
        b0[d] = np.array([float((D[m] * inn * s * hb).sum()) / den[m] for m in names])
        g = np.linalg.solve(Pi, np.array([target[(m, d)] for m in names]) - b0[d])
        gamma[d] = dict(zip(names, g.tolist()))
        h[d] = hb + sum(gi * u[m] for gi, m in zip(g, names))  # linear in M: no floor (a few cells < 0)
    info = {
        "gamma": gamma,
        "base_projection": {d: dict(zip(names, v.tolist())) for d, v in b0.items()},
        "negative_share": {d: float((h[d][tr] < 0).mean()) for d in h},
    }
    return h, info
