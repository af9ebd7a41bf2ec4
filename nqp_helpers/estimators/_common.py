"""Shared pieces of every estimator: the tidy output frame, two-way demeaning and cluster-robust covariance.

Standard-error convention (see CONTRIBUTING.md): CR1 clustered by city with the reghdfe/fixest small-sample factor
G/(G-1) × (N-1)/(N-K); K counts slope regressors plus fixed effects not nested in the cluster; t(G-1) inference.
The exact fixest/pyfixest K rule for unit + time FE is in :func:`fe_dof` (non-nested cluster: K = p + n_units +
n_times - 1; unit nested in the cluster: K = p + n_times).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import NQPInputError

TIDY_COLUMNS = [
    "term",
    "estimate",
    "std_error",
    "statistic",
    "p_value",
    "conf_low",
    "conf_high",
    "n_obs",
    "n_clusters",
    "estimator",
    "outcome",
]


def tidy(terms, estimates, std_errors, *, df_resid, n_obs, n_clusters, estimator, outcome, alpha=0.05, **extra):
    """Build the tidy frame every estimator returns (t-based p-values and intervals with ``df_resid`` dof).

    ``df_resid=None`` means normal (z) inference.
    """
    est = np.asarray(estimates, dtype=float)
    se = np.asarray(std_errors, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = est / se
    dist = stats.norm if df_resid is None else stats.t(df_resid)
    p = 2 * dist.sf(np.abs(stat))
    crit = dist.ppf(1 - alpha / 2)
    out = pd.DataFrame(
        {
            "term": list(terms),
            "estimate": est,
            "std_error": se,
            "statistic": stat,
            "p_value": p,
            "conf_low": est - crit * se,
            "conf_high": est + crit * se,
            "n_obs": n_obs,
            "n_clusters": n_clusters,
            "estimator": estimator,
            "outcome": outcome,
        }
    )
    for k, v in extra.items():
        out[k] = v
    return out


def require_columns(df: pd.DataFrame, columns, what="data") -> None:
    """Raise NQPInputError naming every column of ``columns`` missing from ``df``."""
    missing = [c for c in columns if c is not None and c not in df.columns]
    if missing:
        raise NQPInputError(f"{what}: missing column(s) {missing}; available: {sorted(map(str, df.columns))[:40]}")


def first_treat_to_int(s: pd.Series) -> pd.Series:
    """Never-treated units may be coded 0 or missing; return int with 0 for never treated."""
    return pd.to_numeric(s, errors="raise").fillna(0).astype(int)


def demean_twoway(
    arr: np.ndarray,
    unit_codes: np.ndarray,
    time_codes: np.ndarray,
    weights=None,
    tol: float = 1e-13,
    maxiter: int = 10_000,
) -> np.ndarray:
    """Remove unit and time means (weighted if ``weights``) from each column of ``arr``.

    Exact in one pass for balanced, unweighted panels; otherwise alternating projections until the largest
    change is below ``tol`` (relative to the column scale).
    """
    a = np.asarray(arr, dtype=float)
    one_d = a.ndim == 1
    if one_d:
        a = a[:, None]
    n_u = unit_codes.max() + 1
    n_t = time_codes.max() + 1
    w = np.ones(len(a)) if weights is None else np.asarray(weights, dtype=float)
    balanced = weights is None and len(a) == n_u * n_t and np.all(np.bincount(unit_codes) == n_t)
    if balanced:
        um = _group_mean(a, unit_codes, n_u, w)
        tm = _group_mean(a, time_codes, n_t, w)
        out = a - um[unit_codes] - tm[time_codes] + a.mean(axis=0)
    else:
        out = a.copy()
        scale = np.maximum(np.abs(a).max(axis=0), 1.0)
        for _ in range(maxiter):
            out -= _group_mean(out, unit_codes, n_u, w)[unit_codes]
            tmeans = _group_mean(out, time_codes, n_t, w)
            out -= tmeans[time_codes]
            if np.max(np.abs(tmeans) / scale) < tol:
                break
        else:  # pragma: no cover - pathological designs only
            raise RuntimeError("two-way demeaning did not converge")
    return out[:, 0] if one_d else out


def _group_mean(a: np.ndarray, codes: np.ndarray, n: int, w: np.ndarray) -> np.ndarray:
    wsum = np.bincount(codes, weights=w, minlength=n)
    sums = np.stack([np.bincount(codes, weights=w * a[:, j], minlength=n) for j in range(a.shape[1])], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / wsum[:, None]


def cluster_vcov(
    X: np.ndarray,
    resid: np.ndarray,
    cluster_codes: np.ndarray,
    *,
    k: int,
    weights=None,
    xtx_inv: np.ndarray | None = None,
) -> tuple[np.ndarray, int]:
    """CR1 sandwich with the fixest small-sample factor G/(G-1)·(N-1)/(N-k). Returns (vcov, G)."""
    n = X.shape[0]
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    if xtx_inv is None:
        xtx_inv = np.linalg.inv(X.T @ (X * w[:, None]))
    g = int(cluster_codes.max() + 1)
    scores = X * (w * resid)[:, None]
    s = np.zeros((g, X.shape[1]))
    np.add.at(s, cluster_codes, scores)
    meat = s.T @ s
    factor = g / (g - 1) * (n - 1) / (n - k)
    return factor * xtx_inv @ meat @ xtx_inv, g


@dataclass
class WithinFit:
    """Result of an OLS on two-way demeaned data (what TWFE, event studies and moderation share)."""

    coef: np.ndarray
    vcov: np.ndarray
    resid: np.ndarray
    names: list
    n_obs: int
    n_clusters: int
    df_resid: int
    k: int
    r2_within: float
    extra: dict = field(default_factory=dict)


def codes(s: pd.Series) -> np.ndarray:
    """Dense integer codes 0..G-1 of a column (sorted order)."""
    return pd.factorize(s, sort=True)[0]


def fit_within(
    df: pd.DataFrame, y: str, xvars: list, unit: str, time: str, cluster: str | None = None, weights: str | None = None
) -> WithinFit:
    """OLS of demeaned ``y`` on demeaned ``xvars`` with unit and time fixed effects, clustered by ``cluster``.

    Rows with a missing value in any used column are dropped (listwise), as fixest does.
    """
    cluster = cluster or unit
    used = [y, *xvars, unit, time, cluster] + ([weights] if weights else [])
    require_columns(df, used, "fit_within")
    d = df[list(dict.fromkeys(used))].dropna()
    if d.empty:
        raise NQPInputError(f"no complete rows for outcome {y!r} and regressors {xvars}")
    u, t, c = codes(d[unit]), codes(d[time]), codes(d[cluster])
    w = d[weights].to_numpy(float) if weights else None
    Z = demean_twoway(d[[y, *xvars]].to_numpy(float), u, t, weights=w)
    yd, Xd = Z[:, 0], Z[:, 1:]
    ww = np.ones(len(d)) if w is None else w
    xtx = Xd.T @ (Xd * ww[:, None])
    xtx_inv = np.linalg.pinv(xtx)
    beta = xtx_inv @ (Xd.T @ (ww * yd))
    resid = yd - Xd @ beta
    k = Xd.shape[1] + fe_dof(u, t, c)
    vcov, g = cluster_vcov(Xd, resid, c, k=k, weights=w, xtx_inv=xtx_inv)
    tss = float(ww @ (yd - np.average(yd, weights=ww)) ** 2)
    r2w = 1 - float(ww @ resid**2) / tss if tss > 0 else np.nan
    return WithinFit(
        beta,
        vcov,
        resid,
        list(xvars),
        len(d),
        g,
        g - 1,
        k,
        r2w,
        extra={
            "rows": d.index,
            "y_raw": d[y].to_numpy(float),
            "X_raw": d[list(xvars)].to_numpy(float),
            "Xd": Xd,
            "yd": yd,
            "weights": w,
            "cluster_codes": c,
            "xtx_inv": xtx_inv,
        },
    )


def fe_dof(unit_codes: np.ndarray, time_codes: np.ndarray, cluster_codes: np.ndarray | None = None) -> int:
    """Number of fixed-effect parameters counted in K by fixest ``ssc(fixef.K="nested")`` for unit + time FE.

    This is exactly pyfixest's ``get_ssc`` rule (fixest issue #554):

    * ``k_fe = n_units + n_times - 1`` (one level of the second FE is a redundant reference);
    * every FE whose levels each sit inside a single cluster ("nested", including the FE *being* the cluster) is
      removed from the count and replaced by 1: ``k_fe - size(FE) + 1``.

    So with clustering by unit: ``K_fe = n_times``; with a cluster that nests neither FE (e.g. clustering by a
    variable that varies within unit): ``K_fe = n_units + n_times - 1``; clustering by time: ``K_fe = n_units``.
    Without a cluster variable nothing is nested. (Disconnected unit-time graphs would in principle have more
    redundant levels; fixest/pyfixest ignore this and so do we.)
    """
    n_u = int(unit_codes.max()) + 1
    n_t = int(time_codes.max()) + 1
    k_fe = n_u + n_t - 1
    if cluster_codes is not None:
        for fe, size in ((unit_codes, n_u), (time_codes, n_t)):
            if _nested(fe, cluster_codes):
                k_fe += 1 - size
    return k_fe


def ssc_factor(n: int, k: int, g: int) -> float:
    """fixest CR1 small-sample factor ``G/(G-1) · (N-1)/(N-K)``."""
    return g / (g - 1) * (n - 1) / (n - k)


def wald_test(coef: np.ndarray, vcov: np.ndarray, idx) -> float:
    """Wald statistic ``b_S' V_SS^{-1} b_S`` for H0: coef[idx] = 0 (divide by len(idx) for the F form)."""
    idx = np.atleast_1d(idx)
    b = np.asarray(coef, float)[idx]
    v = np.asarray(vcov, float)[np.ix_(idx, idx)]
    return float(b @ np.linalg.solve(v, b))


def added_back_constant(
    design: np.ndarray,
    resid: np.ndarray,
    cluster_codes: np.ndarray,
    bread: np.ndarray,
    y_raw: np.ndarray,
    X_raw: np.ndarray,
    beta: np.ndarray,
    factor: float,
    weights=None,
) -> tuple[float, float]:
    """reghdfe / ``xtreg, fe`` constant ``ȳ - x̄'β`` and its cluster-robust SE.

    The constant is the intercept of the regression of ``ỹ + ȳ`` on ``[X̃ + x̄, 1]`` (two-way demeaned data with
    the grand means added back). ``design`` is the demeaned regressor matrix used in the sandwich (X̃ for OLS, the
    first-stage fitted X̂ for 2SLS), ``bread`` its inverse (weighted) cross-product; since ``w'design = 0`` the
    bread of ``[design, 1]`` is block-diagonal with ``1/Σw`` for the constant. The variance is
    ``a' V a`` with ``a = (-x̄, 1)`` and ``V`` the CR1 sandwich of ``[design, 1]`` scaled by ``factor`` (the
    same small-sample factor as the slopes).
    """
    n = len(resid)
    w = np.ones(n) if weights is None else np.asarray(weights, float)
    wsum = w.sum()
    ybar = float(w @ y_raw / wsum)
    xbar = (w @ X_raw) / wsum
    const = ybar - float(xbar @ beta)
    p = design.shape[1]
    g = int(cluster_codes.max()) + 1
    scores = np.column_stack([design, np.ones(n)]) * (w * resid)[:, None]
    s = np.zeros((g, p + 1))
    np.add.at(s, cluster_codes, scores)
    full_bread = np.zeros((p + 1, p + 1))
    full_bread[:p, :p] = bread
    full_bread[p, p] = 1.0 / wsum
    v = factor * full_bread @ (s.T @ s) @ full_bread
    a = np.concatenate([-xbar, [1.0]])
    return const, float(np.sqrt(a @ v @ a))


def _nested(inner: np.ndarray, outer: np.ndarray) -> bool:
    """True if every level of ``inner`` sits inside a single level of ``outer``."""
    pairs = pd.DataFrame({"i": inner, "o": outer}).drop_duplicates()
    return pairs["i"].is_unique
