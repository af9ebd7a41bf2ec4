"""Parallel trends by construction (DGP step 5): the fixed-point solver that rescales a city-year variable so it moves
in parallel across adoption cohorts conditional on the controls, and the weights TWFE puts on treated cities."""

from __future__ import annotations

import numpy as np

from ...estimators._common import demean_twoway


class _CohortParallel:
    """Makes a positive city-year variable parallel across adoption cohorts *conditional on the controls*.

    ``fit(x)`` multiplies every row of cohort ``g`` in year ``t`` by one factor ``R_gt > 0`` (so cities keep their
    relative positions within a cohort-year, hence their dependence on ``dev``, the moderators, ...) chosen so that,
    with ``pi`` = the least-squares coefficients of the rescaled variable ``P`` on the controls ``X`` given city and
    cohort-by-year effects,

    * the cohort-by-year means of ``P - pi'X`` are additive: ``mean_gt(P - pi'X) = b_t + c_g``, and
    * ``P - pi'X`` is orthogonal to the controls net of city and cohort-by-year effects (definition of ``pi``).

    Hence ``P = alpha_i + b_t + pi'X + r`` with ``r`` orthogonal to the city and year dummies, to every
    cohort-by-year function (``Inn`` included) and to the controls: TWFE with the controls recovers exactly zero on
    ``P``. ``b_t`` follows the all-city mean path; ``c_g`` is the offset closest in log terms to the cohort's own
    path with ``b_t + pi'Xbar_gt + c_g > 0``. ``R`` and ``pi`` are found by a short fixed-point iteration."""

    def __init__(self, cohort: np.ndarray, t: np.ndarray, ci: np.ndarray, X: np.ndarray):
        years = np.unique(t)
        self.ti = np.searchsorted(years, t)
        cohorts, self.gi = np.unique(cohort, return_inverse=True)
        self.shape = (len(cohorts), len(years))
        self.cell = self.gi * self.shape[1] + self.ti
        self.ncell = self.shape[0] * self.shape[1]
        self.cnt = np.bincount(self.cell, minlength=self.ncell).reshape(self.shape).astype(float)
        self.full = bool((self.cnt > 0).all())  # every cohort observed in every year: vectorised _targets
        self.ci = ci
        X = np.asarray(X, dtype=float).reshape(len(t), -1)
        self.Xbar = np.stack([self._cell_mean(X[:, j]) for j in range(X.shape[1])], axis=-1)  # (G, T, p)
        self.Xbar_t = (self.Xbar * self.cnt[..., None]).sum(0) / np.maximum(self.cnt.sum(0), 1)[:, None]
        # residuals on city and cohort-by-year effects (one pass suffices when the panel is balanced)
        Xd = demean_twoway(X, ci, self.cell) if X.shape[1] else X.copy()
        self.Xd = Xd
        xtx = Xd.T @ Xd
        self.proj = np.linalg.pinv(xtx) @ Xd.T if X.shape[1] else np.zeros((0, len(t)))

    def _cell_mean(self, x: np.ndarray) -> np.ndarray:
        s = np.bincount(self.cell, weights=x, minlength=self.ncell).reshape(self.shape)
        return np.where(self.cnt > 0, s / np.maximum(self.cnt, 1), np.nan)

    _GRID = np.linspace(0.0, 1.0, 401) ** 2  # search grid for the cohort offsets (quadratic spacing)

    def _targets(self, M: np.ndarray, B: np.ndarray, pi: np.ndarray) -> np.ndarray:
        """Target cohort-by-year means: ``path_g = b_t + pi'Xbar_gt`` plus the offset ``c_g`` on a 401-point grid
        that minimises ``sum_t log(path_gt + c / M_gt)²`` (the cohort's own mean path ``M``), with ``path + c > 0``."""
        shift = self.Xbar @ pi  # (G, T)
        base = B - self.Xbar_t @ pi
        if self.full:
            # all cohorts at once; the same element-wise operations and per-(cohort, grid point) sums over years as
            # the loop below, so the result is bit-identical
            path = base + shift  # (G, T)
            lo = -path.min(axis=1) + 0.1 * float(B.min())
            hi = np.maximum((M - path).max(axis=1), lo) + 1e-12
            grid = lo[:, None] + (hi - lo)[:, None] * self._GRID  # (G, 401)
            err = (np.log((path[:, None, :] + grid[:, :, None]) / M[:, None, :]) ** 2).sum(2)  # (G, 401)
            return path + grid[np.arange(self.shape[0]), np.argmin(err, axis=1)][:, None]
        target = np.empty(self.shape)
        for j in range(self.shape[0]):
            ok = self.cnt[j] > 0
            if not ok.any():
                target[j] = B
                continue
            path = base + shift[j]
            lo = -float(path[ok].min()) + 0.1 * float(B.min())
            hi = max(float(np.max(M[j, ok] - path[ok])), lo) + 1e-12
            grid = lo + (hi - lo) * np.linspace(0.0, 1.0, 401) ** 2
            err = (np.log((path[ok][None, :] + grid[:, None]) / M[j, ok][None, :]) ** 2).sum(1)
            target[j] = path + grid[int(np.argmin(err))]
        return target

    def fit(self, x: np.ndarray, iters: int = 30, tol: float = 1e-10) -> tuple[np.ndarray, np.ndarray]:
        """Rescaled ``x`` and ``pi`` (see the class docstring); ``x`` must be positive."""
        M = self._cell_mean(x)
        B = (np.nan_to_num(M) * self.cnt).sum(0) / np.maximum(self.cnt.sum(0), 1)
        pi = np.zeros(self.proj.shape[0])
        for _ in range(iters):
            ratio = np.where(self.cnt > 0, self._targets(M, B, pi) / np.where(self.cnt > 0, M, 1.0), 1.0)
            P = x * ratio.reshape(-1)[self.cell]
            new = self.proj @ P
            done = np.abs(new - pi).max() <= tol * (1 + np.abs(new).max())
            pi = new
            if done:
                break
        ratio = np.where(self.cnt > 0, self._targets(M, B, pi) / np.where(self.cnt > 0, M, 1.0), 1.0)
        return x * ratio.reshape(-1)[self.cell], pi


def _twfe_treated_weights(inn: np.ndarray, X: np.ndarray, ci: np.ndarray, t: np.ndarray, n_c: int) -> np.ndarray:
    """Per city, the sum over its treated cells of ``Inn`` residualised on city and year effects and the controls
    ``X`` (Frisch-Waugh-Lovell): TWFE with controls estimates ``sum(w_it Inn_it delta_it) / sum(w_it Inn_it)``."""
    ti = np.unique(t, return_inverse=True)[1]
    d = demean_twoway(inn.astype(float), ci, ti)
    Xd = demean_twoway(X, ci, ti) if X.shape[1] else X
    gam = np.linalg.lstsq(Xd, d, rcond=None)[0] if X.shape[1] else np.zeros(0)
    r = d - Xd @ gam
    return np.bincount(ci, weights=r * inn, minlength=n_c)


def _within_nonneg(x: np.ndarray, ci: np.ndarray, n_c: int) -> np.ndarray:
    """``x - min over the city's years of x``: linear in ``x`` up to a city constant (absorbed by a city fixed
    effect) and never negative, so it can be added to a positive natural-unit variable."""
    mins = np.full(n_c, np.inf)
    np.minimum.at(mins, ci, x)
    return x - mins[ci]
