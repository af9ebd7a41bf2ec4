"""2x2 panel DiD with covariates (Sant'Anna & Zhao 2020): doubly robust, IPW and outcome regression.

What: the three ATT estimators that ``did::att_gt`` (and moderndid) run inside every Callaway–Sant'Anna (g,t) cell
when covariates are given, for one treated group ``d = 1`` and one comparison group ``d = 0`` observed in two periods:

* ``"dr"``: the locally efficient doubly robust estimator of Sant'Anna & Zhao (2020, eq. 3.1; ``DRDID::drdid_panel``,
  R ``did``'s ``est_method="dr"``): logit propensity score by maximum likelihood, linear regression of the outcome
  change on the covariates among comparison units by OLS, and the IPW-weighted residual contrast;
* ``"ipw"``: the standardised (Hájek) inverse-probability-weighted estimator (``DRDID::std_ipw_did_panel``);
* ``"reg"``: outcome regression (Heckman, Ichimura & Todd 1997; ``DRDID::reg_did_panel``).

Why: conditional parallel trends (parallel given covariates X) is the assumption of the paper's regressions with
controls; these estimators use it without a linear TWFE model of treatment effects.

Conventions, as in DRDID: ``X`` is the design *including* an intercept column; the propensity score is clipped to
[1e-6, 1 - 1e-6]; comparison units with a score >= ``trim_level`` (0.995) get weight 0 ("trimmed", DR and IPW).
The returned influence function ``inf`` is per unit (mean zero); ``se = sqrt(sum(inf^2)) / n`` (no small-sample
factor, normal inference). It includes the estimation effect of the logit and OLS coefficients.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.special import expit

from ..errors import NQPInputError

__all__ = ["METHODS", "TRIM_LEVEL", "DRDiD", "drdid_2x2", "logit_fit"]

METHODS = ("dr", "ipw", "reg")
TRIM_LEVEL = 0.995
_PS_CLIP = 1e-6


class DRDiD(NamedTuple):
    """One 2x2 estimate: ATT, per-unit influence function and the overlap diagnostics (NaN for ``"reg"``)."""

    att: float
    inf: np.ndarray
    ps_min: float
    ps_max: float
    n_trimmed: int


def logit_fit(X: np.ndarray, d: np.ndarray, tol: float = 1e-12, maxiter: int = 100) -> np.ndarray:
    """Unweighted logit MLE by Newton–Raphson; returns the fitted probabilities (unclipped).

    Raises ``numpy.linalg.LinAlgError`` when the Hessian is singular (perfect separation or collinear columns).
    """
    beta = np.zeros(X.shape[1])
    for _ in range(maxiter):
        p = expit(X @ beta)
        w = p * (1 - p)
        step = np.linalg.solve(X.T @ (X * w[:, None]), X.T @ (d - p))
        beta = beta + step
        if np.max(np.abs(step)) < tol * (1 + np.max(np.abs(beta))):
            break
    return expit(X @ beta)


def _ols_rep(dy, d, X, n):
    """OLS of dy on X among d == 0: fitted values for everyone and the asymptotic linear representation (n x k)."""
    c = d == 0
    gram = X[c].T @ X[c] / n
    beta = np.linalg.solve(X[c].T @ X[c], X[c].T @ dy[c])
    fit = X @ beta
    rep = (((1 - d) * (dy - fit))[:, None] * X) @ np.linalg.inv(gram)
    return fit, rep


def drdid_2x2(
    dy: np.ndarray, d: np.ndarray, X: np.ndarray, method: str = "dr", trim_level: float = TRIM_LEVEL
) -> DRDiD:
    """ATT of the 2x2 panel DiD with outcome change ``dy``, treated indicator ``d`` and design ``X`` (with intercept).

    Returns :class:`DRDiD`; ``inf`` has the DRDID scaling (``se = sqrt(mean(inf^2) / n)``).
    """
    if method not in METHODS:
        raise NQPInputError(f"parameter method={method!r} must be one of {METHODS}")
    dy = np.asarray(dy, float)
    d = np.asarray(d, float)
    X = np.asarray(X, float)
    n = len(d)
    if method == "reg":
        fit, rep = _ols_rep(dy, d, X, n)
        md = d.mean()
        eta_t = np.mean(d * dy) / md
        eta_c = np.mean(d * fit) / md
        inf_t = (d * dy - d * eta_t) / md
        inf_c = (d * fit - d * eta_c + rep @ np.mean(d[:, None] * X, axis=0)) / md
        return DRDiD(float(eta_t - eta_c), inf_t - inf_c, np.nan, np.nan, 0)
    ps = np.clip(logit_fit(X, d), _PS_CLIP, 1 - _PS_CLIP)
    W = ps * (1 - ps)
    keep = np.where(d == 0, ps < trim_level, True)
    w_t = keep * d
    w_c = keep * ps * (1 - d) / (1 - ps)
    mw_t, mw_c = w_t.mean(), w_c.mean()
    rep_ps = ((d - ps)[:, None] * X) @ np.linalg.inv(X.T @ (W[:, None] * X)) * n
    diag = (float(ps.min()), float(ps.max()), int(np.sum((d == 0) & ~keep)))
    if method == "ipw":
        att_t = np.mean(w_t * dy) / mw_t
        att_c = np.mean(w_c * dy) / mw_c
        inf_t = (w_t * dy - w_t * att_t) / mw_t
        inf_c = (w_c * dy - w_c * att_c) / mw_c
        mom = np.mean((w_c * (dy - att_c))[:, None] * X, axis=0) / mw_c
        return DRDiD(float(att_t - att_c), inf_t - (inf_c + rep_ps @ mom), *diag)
    fit, rep = _ols_rep(dy, d, X, n)
    r_t = w_t * (dy - fit)
    r_c = w_c * (dy - fit)
    eta_t = r_t.mean() / mw_t
    eta_c = r_c.mean() / mw_c
    inf_t = (r_t - w_t * eta_t - rep @ np.mean(w_t[:, None] * X, axis=0)) / mw_t
    lead_c = r_c - w_c * eta_c
    inf_c = (lead_c + rep_ps @ np.mean(lead_c[:, None] * X, axis=0) - rep @ np.mean(w_c[:, None] * X, axis=0)) / mw_c
    return DRDiD(float(eta_t - eta_c), inf_t - inf_c, *diag)
