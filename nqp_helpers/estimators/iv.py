"""2SLS with unit and time fixed effects (the paper's Table 4: shift-share instrument = city pre-period variable ×
lagged national R&D intensity), with weak-instrument diagnostics and the Anderson–Rubin confidence set.

Model: ``y = β·endog + γ'W + α_i + λ_t + u``, ``endog = π'Z + δ'W + a_i + l_t + v``. The fixed effects are removed by
two-way demeaning of y, endog, Z and W on the common estimation sample (FWL); 2SLS is then run on the demeaned data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ..errors import NQPInputError
from ._common import added_back_constant, codes, demean_twoway, fe_dof, require_columns, ssc_factor, tidy, wald_test

__all__ = ["iv_twfe", "iv_first_stage", "anderson_rubin"]


def _prepare(df, outcome, endog, instruments, unit, time, controls, cluster):
    if isinstance(instruments, str):
        instruments = [instruments]
    instruments = list(instruments)
    controls = [controls] if isinstance(controls, str) else list(controls)
    if not instruments:
        raise NQPInputError("parameter instruments is empty: 2SLS needs at least one excluded instrument")
    if not isinstance(endog, str):
        raise NQPInputError(f"parameter endog must be one column name (one endogenous regressor), got {endog!r}")
    overlap = set(instruments) & ({endog, outcome} | set(controls))
    if overlap:
        raise NQPInputError(f"instrument(s) {sorted(overlap)} also used as outcome/endogenous/control")
    cluster = cluster or unit
    require_columns(df, [outcome, endog, *instruments, *controls, unit, time, cluster], "iv_twfe")
    used = list(dict.fromkeys([outcome, endog, *instruments, *controls, unit, time, cluster]))
    d = df[used].dropna()
    if d.empty:
        raise NQPInputError(f"iv_twfe: no complete rows for {outcome!r}, {endog!r}, instruments {instruments}")
    for col in [endog, *instruments, *controls]:
        if d[col].nunique() <= 1:
            raise NQPInputError(f"column {col!r} is constant in the estimation sample")
    u, t, c = codes(d[unit]), codes(d[time]), codes(d[cluster])
    g = int(c.max()) + 1
    if g < 2:
        raise NQPInputError(f"cluster variable {cluster!r} has fewer than 2 clusters")
    raw = d[[outcome, endog, *instruments, *controls]].to_numpy(float)
    dm = demean_twoway(raw, u, t)
    for j, col in enumerate([endog, *instruments, *controls]):
        if np.max(np.abs(dm[:, 1 + j])) <= 1e-10 * max(np.max(np.abs(raw[:, 1 + j])), 1e-300):
            raise NQPInputError(f"column {col!r} is absorbed by the unit/time fixed effects")
    L1 = len(instruments)
    yd, dd = dm[:, 0], dm[:, 1]
    Zd = dm[:, 2 : 2 + L1]
    Wd = dm[:, 2 + L1 :]
    Zf = np.column_stack([Zd, Wd])
    if np.linalg.matrix_rank(Zf) < Zf.shape[1]:
        raise NQPInputError(f"instruments {instruments} and controls {controls} are collinear after the fixed effects")
    return dict(
        d=d,
        instruments=instruments,
        controls=controls,
        cluster=cluster,
        u=u,
        t=t,
        c=c,
        g=g,
        raw=raw,
        yd=yd,
        dd=dd,
        Zd=Zd,
        Wd=Wd,
        Zf=Zf,
        L1=L1,
        k_fe=fe_dof(u, t, c),
        n=len(d),
    )


def _cluster_meat(design, resid, c, g):
    s = np.zeros((g, design.shape[1]))
    np.add.at(s, c, design * resid[:, None])
    return s


def _first_stage(P):
    """OLS of demeaned endog on [Z, W]; returns coef, vcov (fixest ssc), residuals, partial R², KP F, K."""
    Zf, dd, c, g, n, L1 = P["Zf"], P["dd"], P["c"], P["g"], P["n"], P["L1"]
    zz_inv = np.linalg.inv(Zf.T @ Zf)
    pi = zz_inv @ (Zf.T @ dd)
    v = dd - Zf @ pi
    k = Zf.shape[1] + P["k_fe"]
    s = _cluster_meat(Zf, v, c, g)
    vc = ssc_factor(n, k, g) * zz_inv @ (s.T @ s) @ zz_inv
    Wd = P["Wd"]
    if Wd.shape[1]:
        r_w = dd - Wd @ np.linalg.lstsq(Wd, dd, rcond=None)[0]
    else:
        r_w = dd
    partial_r2 = 1 - float(v @ v) / float(r_w @ r_w)
    kp_f = wald_test(pi, vc, np.arange(L1)) / L1
    return pi, vc, v, partial_r2, kp_f, k


def _intervals_to_text(iv):
    if not iv:
        return "empty"
    fmt = lambda x: "-inf" if x == -np.inf else ("inf" if x == np.inf else f"{x:.6g}")  # noqa: E731
    return " U ".join(
        ("(" if lo == -np.inf else "[") + f"{fmt(lo)}, {fmt(hi)}" + (")" if hi == np.inf else "]") for lo, hi in iv
    )


def anderson_rubin(P, alpha=0.05, null=0.0, grid_points=4001):
    """Cluster-robust Anderson–Rubin test and confidence set (one endogenous regressor).

    ``AR(b)``: Wald F of the excluded instruments in the regression of ``ỹ - b·d̃`` on ``[Z̃, W̃]`` with the CR1
    fixest-ssc sandwich (K = L1 + #controls + fe_dof), referred to F(L1, G-1). Because the residual is
    ``e_y - b·e_d``, ``AR(b) = g(b)'V(b)⁻¹g(b)/L1`` with ``g(b) = π_y - bπ_d`` linear and ``V(b) = V_yy - 2bV_yd +
    b²V_dd`` quadratic. For L1 = 1 the set ``{b: AR(b) <= F_crit}`` is solved exactly (a quadratic inequality: a
    bounded interval, the real line, the complement of an open interval, or empty). For L1 > 1 it is found by
    evaluating AR on a grid ``b = b̂ + s·tan(θ)`` covering the whole real line (θ uniform on (-π/2, π/2), value at
    ±∞ = its limit ``π_d'V_dd⁻¹π_d/L1``) with Brent refinement of every crossing.

    Returns dict: ``intervals`` (list of (lo, hi)), ``p_value`` (of H0 β = ``null``), ``stat``, ``crit``.
    """
    Zf, c, g, n, L1 = P["Zf"], P["c"], P["g"], P["n"], P["L1"]
    zz_inv = np.linalg.inv(Zf.T @ Zf)
    Y = np.column_stack([P["yd"], P["dd"]])
    coef = zz_inv @ (Zf.T @ Y)
    E = Y - Zf @ coef
    k = Zf.shape[1] + P["k_fe"]
    f = ssc_factor(n, k, g)
    sy = _cluster_meat(Zf, E[:, 0], c, g)
    sd = _cluster_meat(Zf, E[:, 1], c, g)
    idx = np.arange(L1)
    B = zz_inv[idx][:, :]  # rows of the bread for the instruments

    def vmat(a, b):
        return f * B @ (a.T @ b) @ B.T

    Vyy, Vyd, Vdd = vmat(sy, sy), vmat(sy, sd), vmat(sd, sd)
    Vyd = (Vyd + Vyd.T) / 2  # V(b) = Vyy - b(Vyd + Vdy) + b² Vdd; Vdy = Vyd'
    py, pd_ = coef[idx, 0], coef[idx, 1]

    def ar(b):
        gv = py - b * pd_
        V = Vyy - 2 * b * Vyd + b * b * Vdd
        return float(gv @ np.linalg.solve(V, gv)) / L1

    crit = stats.f.ppf(1 - alpha, L1, g - 1)
    stat0 = ar(null)
    pval = float(stats.f.sf(stat0, L1, g - 1))
    if L1 == 1:
        q = crit  # L1 = 1: AR(b) <= crit  <=>  (py - b pd)² - crit·V(b) <= 0
        a2 = pd_[0] ** 2 - q * Vdd[0, 0]
        a1 = -2 * py[0] * pd_[0] + 2 * q * Vyd[0, 0]
        a0 = py[0] ** 2 - q * Vyy[0, 0]
        intervals = _solve_quadratic_le0(a2, a1, a0)
    else:
        bhat_scale = np.sqrt(max(Vyy[0, 0], 1e-300) / max(pd_ @ pd_, 1e-300))
        center = float((pd_ @ py) / (pd_ @ pd_)) if pd_ @ pd_ > 0 else 0.0
        f_inf = float(pd_ @ np.linalg.solve(Vdd, pd_)) / L1
        intervals = _invert_grid(lambda b: ar(b) - crit, center, bhat_scale, f_inf - crit, grid_points)
    return {"intervals": intervals, "p_value": pval, "stat": stat0, "crit": crit}


def _solve_quadratic_le0(a2, a1, a0, eps=1e-14):
    """The set {b: a2 b² + a1 b + a0 <= 0} as a list of closed intervals (inf endpoints allowed)."""
    scale = max(abs(a2), abs(a1), abs(a0), 1e-300)
    if abs(a2) <= eps * scale:
        if abs(a1) <= eps * scale:
            return [(-np.inf, np.inf)] if a0 <= 0 else []
        r = -a0 / a1
        return [(-np.inf, r)] if a1 > 0 else [(r, np.inf)]
    disc = a1 * a1 - 4 * a2 * a0
    if disc < 0:
        return [] if a2 > 0 else [(-np.inf, np.inf)]
    sq = np.sqrt(disc)
    r1, r2 = sorted([(-a1 - sq) / (2 * a2), (-a1 + sq) / (2 * a2)])
    if a2 > 0:
        return [(r1, r2)]
    return [(-np.inf, r1), (r2, np.inf)]


def _invert_grid(h, center, scale, h_inf, n):
    """{b: h(b) <= 0} for continuous h with limit h_inf at ±∞, via a tan grid and brentq at sign changes."""
    theta = np.linspace(-np.pi / 2, np.pi / 2, n)[1:-1]
    b = center + scale * np.tan(theta)
    hv = np.array([h(x) for x in b])
    inside = np.concatenate([[h_inf <= 0], hv <= 0, [h_inf <= 0]])
    pts = np.concatenate([[-np.inf], b, [np.inf]])
    intervals, start = [], (-np.inf if inside[0] else None)
    for i in range(1, len(pts)):
        if inside[i] == inside[i - 1]:
            continue
        lo, hi = pts[i - 1], pts[i]
        if np.isinf(lo) or np.isinf(hi):  # crossing beyond the last grid point: widen geometrically
            finite = hi if np.isinf(lo) else lo
            step = scale * 10
            other = finite - step if np.isinf(lo) else finite + step
            while (h(other) <= 0) == (h(finite) <= 0) and abs(other) < 1e300:
                step *= 10
                other = finite - step if np.isinf(lo) else finite + step
            lo, hi = (other, finite) if np.isinf(lo) else (finite, other)
        root = optimize.brentq(h, lo, hi, xtol=1e-12, rtol=4 * np.finfo(float).eps, maxiter=500)
        if inside[i]:
            start = root
        else:
            intervals.append((start, root))
            start = None
    if start is not None:
        intervals.append((start, np.inf))
    return intervals


def iv_twfe(
    df: pd.DataFrame,
    outcome: str,
    endog: str = "Inn",
    instruments=("iv_ntl",),
    unit: str = "city_code",
    time: str = "year",
    controls=(),
    cluster: str | None = None,
    alpha: float = 0.05,
    ar_null: float = 0.0,
) -> pd.DataFrame:
    """2SLS of ``outcome`` on ``endog`` (instrumented by ``instruments``) and exogenous ``controls``, absorbing unit
    and time fixed effects.

    Standard errors: CR1 by ``cluster`` (default ``unit``) with the fixest small-sample factor
    ``G/(G-1)·(N-1)/(N-K)``, ``K = 1 + #controls + fe_dof`` (fe_dof as :func:`_common.fe_dof`), sandwich
    ``(X̂'X̂)⁻¹ Σ_g X̂_g'e_g e_g'X̂_g (X̂'X̂)⁻¹`` with X̂ the first-stage fitted regressors and ``e = y - Xβ`` the
    structural residuals; t(G-1) inference. Identical to pyfixest ``feols("y ~ W | u + t | d ~ z",
    vcov={"CRV1": cluster})``. linearmodels ``IV2SLS(...).fit(cov_type="clustered")`` on the demeaned data
    (``debiased=False``) applies no small-sample factor at all: ours = linearmodels × ``G/(G-1)·(N-1)/(N-K)``.

    Extra columns: ``first_stage_F`` = Kleibergen–Paap rk Wald F. With one endogenous regressor the KP rk Wald
    statistic is the cluster-robust Wald statistic of the excluded instruments in the first stage; ivreg2 /
    ivreghdfe report ``F = chi2/(N-1)·(N-L-sdofminus)·(G-1)/G / L1`` with chi2 computed from the *unscaled*
    cluster sandwich, which is exactly the Wald F with the CR1 factor ``G/(G-1)·(N-1)/(N-K1)``, ``K1 = L + sdofminus``
    (all first-stage parameters incl. the absorbed FE). We take ``K1 = L1 + #controls + fe_dof`` (fixest nesting
    rule for the absorbed FE; ivreghdfe's count of absorbed dof can differ by one when FE are nested in the
    cluster). For one instrument it equals the squared first-stage t. ``first_stage_partial_r2``; ``ar_*``: the
    cluster-robust Anderson–Rubin test of ``β = ar_null`` and the (1-alpha) AR confidence set (see
    :func:`anderson_rubin`); ``ar_conf_low/high`` are the hull of the set (±inf when unbounded, NaN when empty),
    ``ar_set`` the set as text (possibly a union of intervals). AR columns are filled on the ``endog`` row only.

    A ``const`` row is added as in :func:`twfe` (``ȳ - x̄'β``, reghdfe/ivreghdfe add-back-means convention, with X̂
    in the sandwich).
    """
    P = _prepare(df, outcome, endog, instruments, unit, time, controls, cluster)
    n, g, c, L1 = P["n"], P["g"], P["c"], P["L1"]
    Zf, yd = P["Zf"], P["yd"]
    X = np.column_stack([P["dd"], P["Wd"]])
    zz_inv = np.linalg.inv(Zf.T @ Zf)
    Xhat = Zf @ (zz_inv @ (Zf.T @ X))
    bread = np.linalg.inv(Xhat.T @ X)
    beta = bread @ (Xhat.T @ yd)
    e = yd - X @ beta
    k = X.shape[1] + P["k_fe"]
    fac = ssc_factor(n, k, g)
    s = _cluster_meat(Xhat, e, c, g)
    vc = fac * bread @ (s.T @ s) @ bread.T
    pi, vfs, _, pr2, kp_f, _ = _first_stage(P)
    ar = anderson_rubin(P, alpha=alpha, null=ar_null)
    iv = ar["intervals"]
    lo = iv[0][0] if iv else np.nan
    hi = iv[-1][1] if iv else np.nan
    raw = P["raw"]
    X_raw = np.column_stack([raw[:, 1], raw[:, 2 + L1 :]])
    const, se_const = added_back_constant(Xhat, e, c, np.linalg.inv(Xhat.T @ Xhat), raw[:, 0], X_raw, beta, fac)
    terms = [endog, *P["controls"], "const"]
    out = tidy(
        terms,
        np.concatenate([beta, [const]]),
        np.concatenate([np.sqrt(np.diag(vc)), [se_const]]),
        df_resid=g - 1,
        n_obs=n,
        n_clusters=g,
        estimator="iv_twfe",
        outcome=outcome,
        alpha=alpha,
        first_stage_F=kp_f,
        first_stage_partial_r2=pr2,
    )
    is_endog = out["term"] == endog
    out["ar_conf_low"] = np.where(is_endog, lo, np.nan)
    out["ar_conf_high"] = np.where(is_endog, hi, np.nan)
    out["ar_p_value"] = np.where(is_endog, ar["p_value"], np.nan)
    out["ar_set"] = np.where(is_endog, _intervals_to_text(iv), "")
    out["n_instruments"] = L1
    out["instruments"] = "+".join(P["instruments"])
    out["df_resid"] = g - 1
    out["k_ssc"] = k
    return out


def iv_first_stage(
    df: pd.DataFrame,
    endog: str = "Inn",
    instruments=("iv_ntl",),
    unit: str = "city_code",
    time: str = "year",
    controls=(),
    cluster: str | None = None,
    outcome: str | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """First-stage tidy table: OLS of ``endog`` on ``instruments`` and ``controls`` with unit and time FE.

    Rows for the instruments then the controls. SEs: CR1 by ``cluster`` (default unit), fixest ssc with
    ``K = L1 + #controls + fe_dof``, t(G-1). Extra columns: ``partial_r2`` (R² of the instruments after partialling
    out the FE and controls), ``first_stage_F`` (cluster-robust Wald F of the excluded instruments = Kleibergen–Paap
    rk Wald F for one endogenous regressor, see :func:`iv_twfe`), ``first_stage_F_p`` (F(L1, G-1)). ``outcome``
    only restricts the sample to rows where it is observed (so the first stage matches :func:`iv_twfe`).
    """
    if outcome is None:
        tmp = df.assign(_fs_y=0.0)
        outcome = "_fs_y"
    else:
        tmp = df
    P = _prepare(tmp, outcome, endog, instruments, unit, time, controls, cluster)
    pi, vfs, _, pr2, kp_f, k = _first_stage(P)
    terms = [*P["instruments"], *P["controls"]]
    out = tidy(
        terms,
        pi,
        np.sqrt(np.diag(vfs)),
        df_resid=P["g"] - 1,
        n_obs=P["n"],
        n_clusters=P["g"],
        estimator="iv_first_stage",
        outcome=endog,
        alpha=alpha,
        partial_r2=pr2,
        first_stage_F=kp_f,
        first_stage_F_p=float(stats.f.sf(kp_f, P["L1"], P["g"] - 1)),
    )
    out["k_ssc"] = k
    return out
