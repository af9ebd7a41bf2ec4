"""Rambachan–Roth relative-magnitudes confidence set (C-LF hybrid) with exact end points, by root-finding.

What: the robust CI for ``theta = l' tau_post`` under Delta^RM(Mbar) that HonestDiD reports as method "C-LF": the union,
over every pre-period first difference ``s`` that can be the largest one and its sign (RR 2023, footnote 9), of the
Andrews–Roth–Pakes conditional / least-favourable hybrid confidence sets (size alpha, first stage kappa = alpha/10).
HonestDiD (R) and moderndid invert the test on a grid (R: 1,000 points over a span of ~40 sd, so end points are off
by up to one spacing, ~0.04 sd); here the end points are found as the points where the test's decision flips, to 1e-9.

How (everything is in the moment space ``Y(theta) = A beta_hat - a1 theta`` of one polyhedron ``A delta <= 0``):

* The profiled statistic ``eta(theta) = min_xi max_i (Y_i(theta) - X_i xi) / sd_i`` equals, by LP duality,
  ``max_v v'Y(theta)`` over the finitely many vertices ``v`` of the dual polytope ``{v >= 0, v'sd = 1, v'X = 0}``.
  We enumerate those vertices once (basic feasible solutions; ``X`` has ``n_post - 1`` columns, so there are at most
  ``C(2 n_post, n_post)`` bases), which makes ``eta(theta)`` an explicit convex piecewise-linear function, the least
  favourable critical value an exact function of the same 1,000 normal draws as moderndid's (seed 0), and the ARP
  conditioning interval ``[v_lo, v_up]`` (the values of ``gamma'Y`` for which the maximising vertex ``gamma`` stays
  optimal) a closed form instead of moderndid's LP bisection.
* Bracketing. The test rejects whenever ``eta > c_LF`` (first stage) and accepts whenever ``eta <= 0`` (the
  conditional critical value is ``>= 0``). As ``eta`` is convex in ``theta``, ``{eta <= c_LF} = [L1, U1]`` and ``{eta
  <= 0} = [L0, U0]`` are intervals computed exactly, and the accepted set satisfies ``[L0, U0] ⊂ accepted ⊂ [L1,
  U1]``. Nothing outside ``[L1, U1]`` can be accepted and nothing inside ``[L0, U0]`` rejected, so an accepted piece
  can only be missed in the two shoulders ``[L1, L0]`` and ``[U0, U1]`` (all of ``[L1, U1]`` when ``eta > 0``
  everywhere).
* Root-finding.  Each shoulder is scanned at ``scan_points`` equally spaced points (400 by default from
  :func:`honest_did`: spacing 0.015 sd on the EHEC example, where R's 1,000-point grid over 40 sd has 0.04 sd); from
  the outermost accepted scan point and its rejected neighbour,
  bisection on the test's decision (which keeps the bracket [rejected, accepted]) converges to the flip point to 1e-9.
  Bisection, not brentq on ``maxstat - cv``: that difference jumps where the maximising vertex changes, and bisection
  is guaranteed to converge to a flip either way.  The only piece a run can miss is an accepted island narrower than
  the scan spacing lying entirely in a shoulder beyond the outermost accepted scan point (a 1,000-point grid misses
  it too).  ``info["scan_spacing"]`` reports that spacing.
* The union over components: lower end = min, upper end = max of the components' end points (as R and moderndid
  report ``min``/``max`` of the accepted grid; gaps inside the union are not reported by either).  The search is
  confined to the span R uses for its grid when given (``span``), so a set running past it is clipped at the span.

Components: ``s`` ranges over ALL ``n_pre`` pre-period first differences, as in R's ``computeConditionalCS_DeltaRM``
(``s = -(n_pre - 1), ..., 0``).  moderndid 0.2.0 loops over ``s = -(n_pre - 1), ..., -1`` and so drops the
difference between the two earliest pre-periods (its index arithmetic is 0-based); where that difference matters our
set is the larger, R-consistent one.  Deterministic: the least favourable draws use ``numpy.random.default_rng(seed)``
(R uses its own generator, so the LF critical value differs from R's by Monte Carlo noise, ~1e-2 in ``c_LF``).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from scipy.special import ndtr, ndtri  # = stats.norm.cdf / .ppf without the frozen-distribution overhead

from ..errors import NQPInputError

__all__ = ["ArpLfTest", "component_ci", "dual_vertices", "rm_components", "rm_conditional_ci", "rm_constraints"]

MAX_BASES = 300_000  # C(2 n_post, n_post) bases: n_post <= 10 is enumerated; beyond, use the grid solver


def rm_constraints(n_pre: int, n_post: int, mbar: float, s: int, positive: bool) -> np.ndarray:
    """``A`` with ``Delta^RM_{s,sign}(Mbar) = {delta : A delta <= 0}`` (columns: the n_pre + n_post coefficients).

    Every first difference ``|delta_{t+1} - delta_t|`` is bounded by (Mbar times, for post periods) the signed first
    difference number ``n_pre + s`` (R's 1-based indexing: ``s = 0`` is the difference into the reference period)."""
    T = n_pre + n_post + 1  # periods including the reference period (position n_pre)
    a_tilde = np.zeros((T - 1, T))
    a_tilde[np.arange(T - 1), np.arange(T - 1)] = -1.0
    a_tilde[np.arange(T - 1), np.arange(1, T)] = 1.0
    v = np.zeros(T)
    v[n_pre + s - 1] = -1.0
    v[n_pre + s] = 1.0
    v = v if positive else -v
    ub = np.vstack([np.tile(v, (n_pre, 1)), np.tile(mbar * v, (n_post, 1))])
    A = np.vstack([a_tilde - ub, -a_tilde - ub])
    A = A[(A * A).sum(axis=1) > 1e-10]
    return np.delete(A, n_pre, axis=1)


def dual_vertices(sd: np.ndarray, X: np.ndarray | None, tol: float = 1e-10) -> np.ndarray:
    """Vertices (rows) of ``{v >= 0 : v'sd = 1, v'X = 0}``, by enumerating basic solutions; empty if infeasible."""
    sd = np.asarray(sd, float)
    m = len(sd)
    if X is None or X.size == 0:
        return np.diag(1.0 / sd)
    U, sv, _ = np.linalg.svd(np.asarray(X, float), full_matrices=False)
    U = U[:, sv > sv.max() * 1e-10] if sv.size and sv.max() > 0 else U[:, :0]
    W = np.column_stack([sd / np.linalg.norm(sd), U])  # scaled so both blocks are O(1)
    r = W.shape[1]
    if r > m:
        return np.zeros((0, m))
    if math.comb(m, r) > MAX_BASES:
        raise NQPInputError(
            f"honest_did: {math.comb(m, r)} dual bases to enumerate ({r - 1} nuisance parameters); "
            "use solver='grid' for more than 10 post periods"
        )
    combos = np.array(list(itertools.combinations(range(m), r)), dtype=int)
    WB = W[combos]  # (n_bases, r, r): rows B of W
    ok = np.linalg.cond(WB) < 1e10
    rhs = np.zeros(r)
    rhs[0] = 1.0 / np.linalg.norm(sd)
    lam = np.linalg.solve(np.transpose(WB[ok], (0, 2, 1)), np.broadcast_to(rhs, (int(ok.sum()), r))[..., None])[..., 0]
    feas = (lam >= -tol * np.abs(lam).max(axis=1, keepdims=True)).all(axis=1)
    V = np.zeros((int(feas.sum()), m))
    V[np.arange(len(V))[:, None], combos[ok][feas]] = np.clip(lam[feas], 0.0, None)
    if len(V) == 0:
        return V
    scale = np.abs(V).max()
    _, first = np.unique(np.round(V / scale, 10), axis=0, return_index=True)
    return V[np.sort(first)]


class ArpLfTest:
    """ARP conditional / least-favourable hybrid test of ``H0: theta`` for one polyhedron, vectorised over theta.

    ``Y``, ``a1``, ``X``, ``sigma_y``: moments ``Y(theta) = Y - a1 theta`` with nuisance loadings ``X`` and covariance
    ``sigma_y``.  ``margin(theta) <= 0`` exactly when the test accepts (moderndid's ``lp_conditional_test`` /
    ``test_in_identified_set_lf_hybrid`` decision).  As in R and moderndid, the second stage truncates the
    conditional law at ``min(v_up, c_LF)`` when there are nuisance parameters (``X`` given) and at ``v_up`` without."""

    def __init__(self, Y, a1, X, sigma_y, alpha=0.05, kappa=None, sims=1000, seed=0):
        self.cap_at_lf = X is not None and np.size(X) > 0  # R/moderndid cap v_up at c_LF only with nuisance
        self.Y, self.a1 = np.asarray(Y, float), np.asarray(a1, float)
        self.S = np.asarray(sigma_y, float)
        self.alpha = float(alpha)
        self.kappa = self.alpha / 10 if kappa is None else float(kappa)
        sd = np.sqrt(np.maximum(np.diag(self.S), 1e-20))
        self.V = dual_vertices(sd, X)
        self.P, self.Q = self.V @ self.Y, self.V @ self.a1
        self.G = self.V @ self.S @ self.V.T
        self.lf_cv = self._lf_cv(sims, seed)

    def _lf_cv(self, sims, seed):
        """1 - kappa quantile of max_v v'xi, xi ~ N(0, sigma_y): the same draws as moderndid (seed 0)."""
        if len(self.V) == 0:
            return np.inf
        rng = np.random.default_rng(seed)
        xi = rng.multivariate_normal(np.zeros(self.S.shape[0]), self.S, size=sims)
        return float(np.quantile((xi @ self.V.T).max(axis=1), 1 - self.kappa))

    def eta(self, theta):
        theta = np.atleast_1d(np.asarray(theta, float))
        return (self.P[:, None] - self.Q[:, None] * theta[None, :]).max(axis=0)

    def margin(self, theta):
        """``maxstat - critical value`` (> 0: reject); +(eta - c_LF) on first-stage rejections, -1 on forced accepts."""
        theta = np.atleast_1d(np.asarray(theta, float))
        if len(self.V) == 0:  # dual infeasible: the primal LP is unbounded and the test never rejects
            return -np.ones_like(theta)
        vals = self.P[:, None] - self.Q[:, None] * theta[None, :]
        cols = np.arange(theta.size)
        j = vals.argmax(axis=0)
        eta = vals[j, cols]
        gg = self.G[j, j]
        degenerate = gg <= np.finfo(float).eps
        gg = np.where(degenerate, 1.0, gg)
        lb = self.G[:, j] / gg  # v'b with b = sigma gamma / gamma'sigma gamma
        s_l = vals - lb * eta  # v's, s = (I - b gamma') Y
        den = 1.0 - lb
        tol = 1e-10
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = s_l / den
        vlo = np.where(den > tol, ratio, -np.inf).max(axis=0)
        vup = np.where(den < -tol, ratio, np.inf).min(axis=0)
        sb = np.sqrt(gg)
        maxstat, zlo = eta / sb, vlo / sb
        zup = (np.minimum(vup, self.lf_cv) if self.cap_at_lf else vup) / sb
        size = (self.alpha - self.kappa) / (1 - self.kappa)
        pl, pu = ndtr(zlo), ndtr(zup)
        pt = pl + (1 - size) * (pu - pl)
        with np.errstate(invalid="ignore"):
            q = np.where(pt <= pl, zlo, np.where(pt >= pu, zup, ndtri(pt)))
        out = maxstat - np.maximum(0.0, q)
        out = np.where((zlo <= maxstat) & (maxstat <= zup), out, -1.0)
        out = np.where(eta > self.lf_cv, eta - self.lf_cv, out)
        return np.where(degenerate, eta, out)

    def accept(self, theta):
        return self.margin(theta) <= 0

    def level_interval(self, c):
        """``{theta : eta(theta) <= c}`` as (lo, hi) (eta is convex, so this is an interval); (nan, nan) if empty."""
        if len(self.V) == 0:
            return -np.inf, np.inf
        qtol = 1e-12 * max(np.abs(self.Q).max(), 1e-300)
        pos, neg, zero = self.Q > qtol, self.Q < -qtol, np.abs(self.Q) <= qtol
        if (self.P[zero] > c).any():
            return np.nan, np.nan
        lo = ((self.P[pos] - c) / self.Q[pos]).max() if pos.any() else -np.inf
        hi = ((self.P[neg] - c) / self.Q[neg]).min() if neg.any() else np.inf
        return (lo, hi) if lo <= hi else (np.nan, np.nan)


def _construct_gamma(l_vec):
    """Invertible matrix with ``l'`` as first row (the other rows: unit vectors, dropping the largest |l| entry)."""
    n = len(l_vec)
    drop = int(np.argmax(np.abs(l_vec)))
    rows = [np.asarray(l_vec, float)] + [np.eye(n)[i] for i in range(n) if i != drop]
    return np.vstack(rows)


def rm_components(beta, sigma, n_pre, n_post, l_vec, mbar, alpha=0.05, seed=0):
    """One :class:`ArpLfTest` per (s, sign), as R's ``computeConditionalCS_DeltaRM`` (post-period moments only)."""
    beta, sigma, l_vec = np.asarray(beta, float), np.asarray(sigma, float), np.asarray(l_vec, float)
    tests = {}
    for s in range(-(n_pre - 1), 1):
        for positive in (True, False):
            A = rm_constraints(n_pre, n_post, mbar, s, positive)
            if n_post > 1:
                A = A[np.any(A[:, n_pre:] != 0, axis=1)]
                AG = A[:, n_pre:] @ np.linalg.inv(_construct_gamma(l_vec))
                a1, X = AG[:, 0], AG[:, 1:]
            else:
                a1, X = A[:, n_pre] / l_vec[0], None
            tests[(s, positive)] = ArpLfTest(A @ beta, a1, X, A @ sigma @ A.T, alpha=alpha, seed=seed)
    return tests


def _bisect(test, rejected, accepted, xtol=1e-9):
    """Flip point of ``test.accept`` between a rejected and an accepted theta; returns the accepted end."""
    while abs(accepted - rejected) > xtol:
        mid = 0.5 * (rejected + accepted)
        if test.accept(mid)[0]:
            accepted = mid
        else:
            rejected = mid
    return accepted


def _outer_end(test, a, b, scan_points, lower, xtol):
    """Outermost accepted theta of ``test`` on [a, b] (lowest if ``lower``): scan, then bisect the outermost flip."""
    grid = np.linspace(a, b, scan_points)
    acc = test.accept(grid)
    if not acc.any():
        return None
    if lower:
        i = int(np.argmax(acc))
        return grid[0] if i == 0 else _bisect(test, grid[i - 1], grid[i], xtol)
    i = len(grid) - 1 - int(np.argmax(acc[::-1]))
    return grid[-1] if i == len(grid) - 1 else _bisect(test, grid[i + 1], grid[i], xtol)


def component_ci(test, span=(-np.inf, np.inf), scan_points=400, xtol=1e-9):
    """(lo, hi, scan spacing) of one component's accepted set within ``span``; (nan, nan, nan) if nothing accepted."""
    l1, u1 = test.level_interval(test.lf_cv)
    l0, u0 = test.level_interval(0.0)
    l1, u1 = max(l1, span[0]), min(u1, span[1])
    if not (np.isfinite(l1) and np.isfinite(u1)) or l1 > u1:
        return np.nan, np.nan, np.nan
    inner = not np.isnan(l0) and max(l0, l1) <= min(u0, u1)  # [L0, U0] ∩ span: accepted for sure
    lo_end = min(max(l0, l1), u1) if inner else u1
    hi_start = max(min(u0, u1), l1) if inner else l1
    lo = _outer_end(test, l1, lo_end, scan_points, True, xtol)
    if lo is None:
        return np.nan, np.nan, np.nan
    hi = _outer_end(test, hi_start, u1, scan_points, False, xtol)
    spacing = max(lo_end - l1, u1 - hi_start) / (scan_points - 1)
    return lo, hi, spacing


def rm_conditional_ci(
    beta, sigma, n_pre, n_post, l_vec, mbar, alpha=0.05, span=(-np.inf, np.inf), scan_points=400, xtol=1e-9, seed=0
):
    """(lo, hi, info) of the Delta^RM(Mbar) C-LF confidence set: union over the (s, sign) components."""
    tests = rm_components(beta, sigma, n_pre, n_post, l_vec, mbar, alpha=alpha, seed=seed)
    comps = {k: component_ci(t, span, scan_points, xtol) for k, t in tests.items()}
    los = [c[0] for c in comps.values() if np.isfinite(c[0])]
    his = [c[1] for c in comps.values() if np.isfinite(c[1])]
    lo, hi = (min(los), max(his)) if los else (np.nan, np.nan)
    spacing = max((c[2] for c in comps.values() if np.isfinite(c[2])), default=np.nan)
    return lo, hi, {"components": comps, "scan_spacing": spacing, "tests": tests}
