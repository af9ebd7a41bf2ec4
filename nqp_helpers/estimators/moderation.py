"""Moderation models of Tables 5–7: ``y ~ Inn + M + Inn×M + controls | unit + time``, and marginal effects.

What
    :func:`moderation` fits the paper's specification for one moderator ``M`` (``Hum``, ``Dig`` or ``Ind``) and
    returns tidy rows for ``Inn``, ``M`` and ``Inn:M`` (term names use the given column names). The paper uses the
    *uncentred* moderator (``center=None``, the default), so its ``Inn`` coefficient is the pilot effect at M = 0,
    which lies outside the data for most moderators. :func:`marginal_effects` reports the pilot effect
    ``β_Inn + β_Inn:M · m`` across the moderator's range with delta-method intervals.

Why
    Centring does not change the interaction coefficient but changes the meaning (and often the sign) of the main
    effect: with M centred at c, ``β_Inn(c) = β_Inn(0) + β_Inn:M · c`` exactly. Reporting the centring used and the
    marginal-effect curve prevents reading the uncentred ``Inn`` coefficient as "the average effect".

Options
    ``center``: ``None`` (paper), ``"mean"`` (mean of M over the estimation sample) or ``"pretreatment_mean"``
    (mean of M over the estimation-sample rows with ``treatment == 0``, i.e. never-treated and not-yet-treated
    city-years). ``standardize=True`` additionally divides (centred) M by its standard deviation over the estimation
    sample (ddof=1), so the interaction is "per SD of M". The columns ``center``, ``center_value`` and
    ``scale_value`` record what was used; ``r2_within`` and ``r2_overall`` (of the full model including the fixed
    effects, as reghdfe's "R-squared" and the paper's R² rows) describe the fit.

SE convention: CR1 clustered by ``cluster`` (default unit) with the fixest small-sample factor, t(G-1)
(:func:`~nqp_helpers.estimators._common.fit_within`). The 3×3 covariance of the reported terms is kept in
``result.attrs["vcov"]`` (a DataFrame) and the full one in ``attrs["vcov_full"]``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._attrs import safe_attr
from ..errors import NQPInputError
from ._common import fit_within, require_columns, tidy

_CENTERS = (None, "mean", "pretreatment_mean")


def moderation(
    df: pd.DataFrame,
    outcome: str,
    moderator: str,
    treatment: str = "Inn",
    unit: str = "city_code",
    time: str = "year",
    controls=(),
    center: str | None = None,
    standardize: bool = False,
    cluster: str | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Fit ``outcome ~ treatment + M + treatment×M + controls | unit + time`` (see module docstring)."""
    controls = list(controls)
    if center not in _CENTERS:
        raise NQPInputError(f"moderation: parameter center must be one of {_CENTERS}, got {center!r}")
    if moderator == treatment:
        raise NQPInputError(f"moderation: parameter moderator equals treatment ({moderator!r})")
    require_columns(df, [outcome, moderator, treatment, *controls, unit, time, cluster], "moderation")
    used = list(dict.fromkeys([outcome, moderator, treatment, *controls, unit, time] + ([cluster] if cluster else [])))
    d = df[used].dropna().copy()
    if d.empty:
        raise NQPInputError(f"moderation: no complete rows for {used}")
    m = d[moderator].to_numpy(float)
    if center is None:
        c = 0.0
    elif center == "mean":
        c = float(m.mean())
    else:
        pre = d[treatment].to_numpy(float) == 0
        if not pre.any():
            raise NQPInputError(f"moderation: center='pretreatment_mean' but column {treatment!r} is never 0")
        c = float(m[pre].mean())
    s = 1.0
    if standardize:
        s = float(np.std(m, ddof=1))
        if not s > 0:
            raise NQPInputError(f"moderation: column {moderator!r} has zero variance; cannot standardize")
    inter = f"{treatment}:{moderator}"
    mod_t = (m - c) / s
    # internal column names that cannot clash with the user's
    cm, ci = "__mod__", "__inter__"
    d[cm] = mod_t
    d[ci] = d[treatment].to_numpy(float) * mod_t
    fit = fit_within(d, outcome, [treatment, cm, ci, *controls], unit, time, cluster=cluster)
    names = [treatment, moderator, inter]
    se = np.sqrt(np.diag(fit.vcov)[:3])
    y_raw = fit.extra["y_raw"]
    tss = float(((y_raw - y_raw.mean()) ** 2).sum())
    r2_overall = 1 - float(fit.resid @ fit.resid) / tss if tss > 0 else np.nan  # of the full model incl. the FE
    label = "none" if center is None else center
    res = tidy(
        names,
        fit.coef[:3],
        se,
        df_resid=fit.df_resid,
        n_obs=fit.n_obs,
        n_clusters=fit.n_clusters,
        estimator="moderation_twfe",
        outcome=outcome,
        alpha=alpha,
        moderator=moderator,
        center=label,
        center_value=c,
        scale_value=s,
        standardized=bool(standardize),
        r2_within=fit.r2_within,
        r2_overall=r2_overall,
    )
    all_names = [*names, *controls]
    res.attrs["vcov"] = safe_attr(pd.DataFrame(fit.vcov[:3, :3], index=names, columns=names))
    res.attrs["vcov_full"] = safe_attr(pd.DataFrame(fit.vcov, index=all_names, columns=all_names))
    res.attrs["coef_full"] = safe_attr(pd.Series(fit.coef, index=all_names))
    res.attrs["df_resid"] = fit.df_resid
    res.attrs["moderator_values"] = safe_attr(m)  # original units, estimation sample
    res.attrs["spec"] = safe_attr(
        dict(
            outcome=outcome,
            moderator=moderator,
            treatment=treatment,
            unit=unit,
            time=time,
            controls=controls,
            center=center,
            standardize=standardize,
            cluster=cluster,
        )
    )
    return res


def marginal_effects(result_or_args, grid=None, alpha: float = 0.05) -> pd.DataFrame:
    """Effect of the treatment at moderator values ``grid`` (original units of M), with delta-method intervals.

    ``result_or_args`` is a :func:`moderation` result or a dict of :func:`moderation` keyword arguments (then the
    model is fitted first). ``grid`` defaults to the 5th, 10th, …, 95th percentiles of M in the estimation sample.
    effect(m) = β_Inn + β_Inn:M · (m − c)/s, Var = V_11 + z² V_33 + 2 z V_13 (z = (m − c)/s), t(G−1) inference.
    Returns a tidy frame (term ``"d<treatment>|<moderator>=m"``) with the column ``moderator_value``.
    """
    res = moderation(**result_or_args) if isinstance(result_or_args, dict) else result_or_args
    if not isinstance(res, pd.DataFrame) or "vcov" not in res.attrs:
        raise NQPInputError(
            "marginal_effects: pass a moderation() result (with attrs['vcov']) or its keyword arguments as a dict"
        )
    spec = res.attrs["spec"]
    tr, mod = spec["treatment"], spec["moderator"]
    if grid is None:
        grid = np.quantile(res.attrs["moderator_values"], np.arange(0.05, 0.951, 0.05))
    grid = np.atleast_1d(np.asarray(grid, dtype=float))
    c = float(res["center_value"].iloc[0])
    s = float(res["scale_value"].iloc[0])
    b = res.set_index("term")["estimate"]
    V = res.attrs["vcov"].to_numpy()
    z = (grid - c) / s
    eff = b[tr] + b[f"{tr}:{mod}"] * z
    var = V[0, 0] + z**2 * V[2, 2] + 2 * z * V[0, 2]
    return tidy(
        [f"d{tr}|{mod}={g:.6g}" for g in grid],
        eff,
        np.sqrt(var),
        df_resid=res.attrs["df_resid"],
        n_obs=res["n_obs"].iloc[0],
        n_clusters=res["n_clusters"].iloc[0],
        estimator="moderation_marginal_effect",
        outcome=res["outcome"].iloc[0],
        alpha=alpha,
        moderator=mod,
        moderator_value=grid,
        center=res["center"].iloc[0],
    )
