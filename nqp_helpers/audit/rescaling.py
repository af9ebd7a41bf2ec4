"""Can Pro's slopes come from *any* non-negative combination of the sub-indices' slopes? A small linear program.

If Pro = a + sum_d lambda_d sub_d with lambda_d >= 0 (e.g. each sub-index rescaled by its own factor before or after
the weighted sum, plus any shift), then with one sample and one set of regressors every slope obeys
b_Pro,k = sum_d lambda_d b_d,k. With printed numbers rounded by h, term k is reconcilable iff
|P_k - sum_d lambda_d B_d,k| <= h (1 + sum_d lambda_d) (the rounding of Pro plus the rounding of each B_d,k scaled
by lambda_d >= 0; this interval statement is exact). The program finds the lambda that minimises the largest
violation s over all terms; s > 0 means no non-negative rescaling of the sub-indices reconciles the printed slopes.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog

from ..errors import NQPInputError


def min_violation(pro, subs, h: float) -> tuple[float, np.ndarray]:
    """Smallest achievable max_k violation s >= 0 and the minimising lambda (length D), by linear programming.

    ``pro``: K printed Pro slopes; ``subs``: K x D printed sub-index slopes; ``h``: rounding half-unit. Variables
    (lambda_1..lambda_D, s), all >= 0; for each term k two rows: +-(P_k - B_k lambda) - h sum(lambda) - s <= h.
    """
    p = np.asarray(pro, dtype=float)
    b = np.atleast_2d(np.asarray(subs, dtype=float))
    if b.shape[0] != p.size or p.size == 0:
        raise NQPInputError(f"min_violation: subs must be K x D with K = len(pro) = {p.size}, got shape {b.shape}")
    k, d = b.shape
    ones = np.ones((k, d))
    # P - B lam <= h + h sum(lam) + s   ->  -B lam - h 1'lam - s <= h - P
    # B lam - P <= h + h sum(lam) + s   ->   B lam - h 1'lam - s <= h + P
    a_ub = np.vstack([np.hstack([-b - h * ones, -np.ones((k, 1))]), np.hstack([b - h * ones, -np.ones((k, 1))])])
    b_ub = np.concatenate([h - p, h + p])
    c = np.zeros(d + 1)
    c[-1] = 1.0
    res = linprog(c, A_ub=a_ub, b_ub=b_ub, bounds=[(0, None)] * (d + 1), method="highs")
    if res.status != 0:  # pragma: no cover - the program is always feasible (large s) and bounded below (s >= 0)
        raise RuntimeError(f"min_violation: linear program failed: {res.message}")
    return float(res.x[-1]), res.x[:d]


def violation(pro, subs, lam, h: float) -> float:
    """max_k of |P_k - B_k lambda| - h (1 + sum lambda), floored at 0: the violation of a given lambda."""
    p = np.asarray(pro, dtype=float)
    b = np.atleast_2d(np.asarray(subs, dtype=float))
    lam = np.asarray(lam, dtype=float)
    v = np.abs(p - b @ lam) - h * (1 + lam.sum())
    return float(max(v.max(), 0.0))
