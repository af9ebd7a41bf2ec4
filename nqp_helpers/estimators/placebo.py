"""Placebo test by randomisation inference: permute pilot assignment across cities, keeping cohort sizes.

What
    :func:`placebo_test` re-estimates the TWFE coefficient of the pilot dummy (``y ~ Inn + controls | unit + time``)
    after randomly permuting the vector of unit-level ``first_treat`` values across units (so each placebo world has
    exactly the same number of pilots in every cohort as the real one), ``n_draws`` times, and compares the observed
    coefficient with that placebo distribution.

Why
    The paper's placebo test (random pilots) is a randomisation-inference check: if the observed coefficient is
    unusually large among placebo coefficients, the effect is unlikely to be an artefact of the design.

Engines
    ``method="fast"`` (and ``"auto"``) — vectorised over draws:

    * Balanced panel: two-way demeaning is exact and linear. Because a permutation keeps the cohort sizes, the time
      means of the placebo dummy are the same in every draw, so the demeaned placebo dummy of a unit in cohort ``g``
      is a fixed profile ``H[g, t] = 1{t >= c_g} - Dbar_g - m_t + m``. ``y`` and the controls are demeaned once;
      ``A = Z @ H.T`` (unit × cohort) is formed once for each demeaned outcome/control ``Z``; the cross products
      ``D~'Z`` of every draw are gathers-and-sums of ``A`` (no n_obs × n_draws matrix is needed), ``D~'D~`` is the
      same in every draw, and controls are partialled out by Frisch–Waugh with one precomputed QR of the demeaned
      controls. This is algebraically identical to demeaning an n_obs × n_draws placebo matrix.
    * Unbalanced panel: the n_obs × n_draws placebo matrix is built in chunks and demeaned by alternating projections
      (sparse group sums, vectorised over draws, tolerance 1e-13), then the same Frisch–Waugh products.

    ``method="loop"`` — reference implementation: :func:`~nqp_helpers.estimators._common.fit_within` per draw.

Output
    One tidy row per outcome (term = ``"Inn"``): the observed coefficient with its conventional CR1 clustered SE,
    t(G-1) ``p_value`` and interval (CONTRIBUTING convention, clustered by ``cluster`` or the unit), plus
    ``ri_p_value`` = (1 + #{|placebo| >= |observed|}) / (1 + n_draws) (ties within 1e-10 relative count),
    ``placebo_mean``, ``placebo_sd``, ``placebo_q025``, ``placebo_q05``, ``placebo_q50``, ``placebo_q95``,
    ``placebo_q975``, ``n_draws``, ``engine``. ``attrs["draws"]`` is a long frame (outcome, draw, estimate).
    ``cluster`` only affects the observed row's SE; permutation is always at the unit level.

Determinism: the permutations are ``default_rng(seed).permuted`` of an (n_draws × n_units) array of the sorted
units' ``first_treat`` values, shared by all outcomes and both engines.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from .._attrs import safe_attr
from ..errors import NQPInputError
from ._common import codes, demean_twoway, first_treat_to_int, fit_within, require_columns, tidy

_QUANTILES = {
    "placebo_q025": 0.025,
    "placebo_q05": 0.05,
    "placebo_q50": 0.5,
    "placebo_q95": 0.95,
    "placebo_q975": 0.975,
}


def permute_first_treat(unit_first_treat: np.ndarray, n_draws: int, seed: int = 0) -> np.ndarray:
    """(n_draws × n_units) permutations of the unit-level ``first_treat`` vector (cohort sizes kept in every row)."""
    rng = np.random.default_rng(seed)
    base = np.broadcast_to(np.asarray(unit_first_treat), (n_draws, len(unit_first_treat)))
    return rng.permuted(base, axis=1)


def _check_params(n_draws, method):
    if not isinstance(n_draws, (int, np.integer)) or n_draws < 1:
        raise NQPInputError(f"placebo_test: parameter n_draws must be a positive integer, got {n_draws!r}")
    if method not in ("auto", "fast", "loop"):
        raise NQPInputError(f"placebo_test: parameter method must be 'auto', 'fast' or 'loop', got {method!r}")


def _is_balanced(u: np.ndarray, t: np.ndarray) -> bool:
    n_u, n_t = u.max() + 1, t.max() + 1
    return len(u) == n_u * n_t and bool(np.all(np.bincount(u, minlength=n_u) == n_t))


def _fwl_pieces(Xd: np.ndarray):
    """Orthonormal basis of the demeaned controls (None if no controls)."""
    if Xd.shape[1] == 0:
        return None
    q, r = np.linalg.qr(Xd)
    keep = np.abs(np.diag(r)) > 1e-10 * max(1.0, np.abs(np.diag(r)).max())
    return q[:, keep]


def _fast_balanced(yd, Xd, u, t, ft_unit_draws, time_values):
    """Coefficients (n_draws × n_outcomes) for a balanced panel; rows sorted by (u, t) are not required."""
    n_u, n_t = u.max() + 1, t.max() + 1
    Q = _fwl_pieces(Xd)
    # unit × time arrays of every demeaned outcome and orthonormalised control
    Z = yd if Q is None else np.column_stack([yd, Q])
    Zw = np.empty((n_u, n_t, Z.shape[1]))
    Zw[u, t, :] = Z
    # cohort profiles
    cvals, gidx = np.unique(ft_unit_draws, return_inverse=True)
    gidx = gidx.reshape(ft_unit_draws.shape)  # draws × units
    dmat = ((cvals[:, None] > 0) & (time_values[None, :] >= cvals[:, None])).astype(float)  # G × T
    n_g = np.bincount(gidx[0], minlength=len(cvals)).astype(float)
    m_t = n_g @ dmat / n_u
    H = dmat - dmat.mean(axis=1, keepdims=True) - m_t[None, :] + m_t.mean()
    dd = float(n_g @ (H**2).sum(axis=1))
    A = np.einsum("utj,gt->ugj", Zw, H)  # units × cohorts × columns
    # S[b, j] = sum_u A[u, gidx[b, u], j]  — via one-hot counts (draws × units·cohorts) @ (units·cohorts × columns)
    n_b = gidx.shape[0]
    flat = (np.arange(n_u)[None, :] * len(cvals) + gidx).ravel()
    rows = np.repeat(np.arange(n_b), n_u)
    onehot = sparse.csr_matrix((np.ones(flat.size), (rows, flat)), shape=(n_b, n_u * len(cvals)))
    S = onehot @ A.reshape(n_u * len(cvals), -1)  # draws × columns
    n_y = yd.shape[1]
    num = S[:, :n_y]
    den = np.full(n_b, dd)
    if Q is not None:
        sq = S[:, n_y:]  # D~'Q per draw
        num = num - sq @ (Q.T @ yd)
        den = den - (sq**2).sum(axis=1)
    return num / den[:, None]


def _demean_matrix(M, u, t, tol=1e-13, maxiter=10_000):
    """Alternating projections on every column of ``M`` at once (sparse group sums)."""
    n = len(u)
    Su = sparse.csr_matrix((np.ones(n), (u, np.arange(n))))
    St = sparse.csr_matrix((np.ones(n), (t, np.arange(n))))
    cu = np.asarray(Su.sum(axis=1)).ravel()
    ct = np.asarray(St.sum(axis=1)).ravel()
    out = np.array(M, dtype=float, copy=True)
    scale = np.maximum(np.abs(out).max(axis=0), 1.0)
    for _ in range(maxiter):
        out -= (Su @ out / cu[:, None])[u]
        tm = St @ out / ct[:, None]
        out -= tm[t]
        if np.max(np.abs(tm) / scale) < tol:
            return out
    raise RuntimeError("two-way demeaning did not converge")  # pragma: no cover


def _fast_general(yd, Xd, u, t, ft_unit_draws, time_row, chunk=250):
    Q = _fwl_pieces(Xd)
    out = np.empty((ft_unit_draws.shape[0], yd.shape[1]))
    for s in range(0, ft_unit_draws.shape[0], chunk):
        F = ft_unit_draws[s : s + chunk][:, u].T  # n_obs × chunk
        D = ((F > 0) & (time_row[:, None] >= F)).astype(float)
        Dd = _demean_matrix(D, u, t)
        if Q is not None:
            Dd -= Q @ (Q.T @ Dd)
        out[s : s + chunk] = (Dd.T @ yd) / (Dd**2).sum(axis=0)[:, None]
    return out


def placebo_test(
    df: pd.DataFrame,
    outcome,
    first_treat: str = "first_treat",
    unit: str = "city_code",
    time: str = "year",
    controls=(),
    n_draws: int = 1000,
    seed: int = 0,
    method: str = "auto",
    cluster: str | None = None,
) -> pd.DataFrame:
    """Randomisation-inference placebo test of the TWFE pilot coefficient (see module docstring).

    ``outcome`` is a column name or a list of them (all share the same permutations). Rows with a missing value in
    the outcome or a control are dropped per outcome (listwise, as fixest). ``first_treat`` must be constant within
    unit (0 or NaN = never treated); the treatment dummy is ``first_treat > 0 and time >= first_treat``.
    SE convention of the observed row: CR1 clustered by ``cluster`` (default ``unit``), t(G-1).
    """
    outcomes = [outcome] if isinstance(outcome, str) else list(outcome)
    controls = list(controls)
    _check_params(n_draws, method)
    if not outcomes:
        raise NQPInputError("placebo_test: parameter outcome is empty")
    require_columns(df, [*outcomes, *controls, first_treat, unit, time, cluster], "placebo_test")
    ftu = first_treat_to_int(df[first_treat])
    nun = ftu.groupby(df[unit]).nunique()
    if (nun > 1).any():
        raise NQPInputError(f"placebo_test: column {first_treat!r} varies within unit {nun[nun > 1].index[0]!r}")
    units_sorted = np.sort(df[unit].unique())
    ft_units = ftu.groupby(df[unit]).first().reindex(units_sorted).to_numpy()
    draws_ft = permute_first_treat(ft_units, n_draws, seed)  # n_draws × n_units (all units of df)
    unit_pos = pd.Index(units_sorted)

    # group outcomes by identical complete-case samples
    samples: dict[bytes, list[str]] = {}
    masks = {}
    for y in outcomes:
        m = df[[y, *controls, unit, time] + ([cluster] if cluster else [])].notna().all(axis=1).to_numpy()
        samples.setdefault(m.tobytes(), []).append(y)
        masks[m.tobytes()] = m

    results, long = [], []
    for key, ys in samples.items():
        d = df.loc[masks[key]]
        if d.empty:
            raise NQPInputError(f"placebo_test: no complete rows for outcome(s) {ys} and controls {controls}")
        u, t = codes(d[unit]), codes(d[time])
        pos = unit_pos.get_indexer(d[unit])
        # placebo first_treat per draw for the units of this sample, in the order of codes(d[unit])
        upos = pd.Series(pos).groupby(u).first().to_numpy()
        ftd = draws_ft[:, upos]
        ft_obs = ft_units[upos][None, :]
        time_row = d[time].to_numpy()
        # the closed-form engine needs every unit of the permutation in the sample (cohort sizes then fixed)
        balanced = _is_balanced(u, t) and len(upos) == len(units_sorted)
        engine = "loop" if method == "loop" else ("fast_balanced" if balanced else "fast_projection")
        if engine == "loop":
            coefs = _loop(d, ys, controls, unit, time, cluster, ftd, u, time_row)
            obs_fast = None
        else:
            Z = demean_twoway(d[[*ys, *controls]].to_numpy(float), u, t)
            yd, Xd = Z[:, : len(ys)], Z[:, len(ys) :]
            if balanced:
                tv = np.sort(d[time].unique())
                both = _fast_balanced(yd, Xd, u, t, np.vstack([ft_obs, ftd]), tv)
            else:
                both = _fast_general(yd, Xd, u, t, np.vstack([ft_obs, ftd]), time_row)
            obs_fast, coefs = both[0], both[1:]
        dd = d.assign(_placebo_D=((ft_units[pos] > 0) & (time_row >= ft_units[pos])).astype(float))
        for j, y in enumerate(ys):
            fit = fit_within(dd, y, ["_placebo_D", *controls], unit, time, cluster=cluster)
            obs = float(fit.coef[0])
            if obs_fast is not None and not np.isclose(obs_fast[j], obs, rtol=1e-6, atol=1e-9):
                raise RuntimeError(f"fast engine disagrees with fit_within for {y!r}: {obs_fast[j]} vs {obs}")
            pl = coefs[:, j]
            exceed = int(np.sum(np.abs(pl) >= np.abs(obs) * (1 - 1e-10)))
            extra = {k: float(np.quantile(pl, q)) for k, q in _QUANTILES.items()}
            row = tidy(
                ["Inn"],
                [obs],
                [np.sqrt(fit.vcov[0, 0])],
                df_resid=fit.df_resid,
                n_obs=fit.n_obs,
                n_clusters=fit.n_clusters,
                estimator="placebo_ri",
                outcome=y,
                ri_p_value=(1 + exceed) / (1 + n_draws),
                placebo_mean=float(pl.mean()),
                placebo_sd=float(pl.std(ddof=1)) if n_draws > 1 else np.nan,
                **extra,
                n_draws=n_draws,
                engine=engine,
                seed=seed,
            )
            results.append(row)
            long.append(pd.DataFrame({"outcome": y, "draw": np.arange(n_draws), "estimate": pl}))
    out = pd.concat(results, ignore_index=True)
    out = out.set_index("outcome", drop=False).loc[outcomes].reset_index(drop=True)
    draws = pd.concat(long, ignore_index=True)
    draws["outcome"] = pd.Categorical(draws["outcome"], categories=outcomes)
    out.attrs["draws"] = safe_attr(
        draws.sort_values(["outcome", "draw"]).reset_index(drop=True).astype({"outcome": str})
    )
    return out


def _loop(d, ys, controls, unit, time, cluster, ftd, u, time_row):
    coefs = np.empty((ftd.shape[0], len(ys)))
    for b in range(ftd.shape[0]):
        f = ftd[b][u]
        dd = d.assign(_placebo_D=((f > 0) & (time_row >= f)).astype(float))
        for j, y in enumerate(ys):
            coefs[b, j] = fit_within(dd, y, ["_placebo_D", *controls], unit, time, cluster=cluster).coef[0]
    return coefs
