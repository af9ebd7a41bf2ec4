"""Two-way fixed-effects event study with relative-time dummies, and a joint pre-trend test.

What: ``y_it = a_i + l_t + sum_{e != ref} b_e 1[t - G_i = e] + X_it'c + u_it`` on a staggered-adoption panel, where
``G_i`` is the first treated year (never-treated units: all dummies 0).  With ``bin_endpoints=True`` the end points are
binned: every relative time ``<= -leads`` loads on the ``-leads`` dummy and every relative time ``>= lags`` on the
``lags`` dummy (so no treated observation is silently pooled with the reference period).  With ``bin_endpoints=False``
the specification is fully dynamic: a dummy for every observed relative time except ``ref`` (all are reported).

Why: the dynamic TWFE specification is the paper's natural extension and the input of the Rambachan–Roth sensitivity
analysis (:mod:`nqp_helpers.estimators.honest_did`).  Under heterogeneous effects across cohorts its coefficients can be
contaminated (Sun & Abraham 2021); compare with :mod:`sun_abraham`, :mod:`callaway_santanna` and :mod:`imputation`.

SE convention: the package default (CONTRIBUTING.md): CR1 clustered by ``cluster`` (default ``unit``) with the fixest
small-sample factor, t(G-1) inference; computed by :func:`_common.fit_within` and checked against pyfixest ``feols``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .._attrs import safe_attr
from ..errors import NQPInputError
from ._common import first_treat_to_int, fit_within, require_columns, tidy

__all__ = ["event_study", "pretrend_test", "relative_time_dummies"]


def _dummy_name(e: int) -> str:
    return f"_es_m{-e}" if e < 0 else f"_es_p{e}"


def relative_time_dummies(
    df: pd.DataFrame,
    first_treat: str,
    time: str,
    leads: int = 5,
    lags: int = 5,
    ref: int = -1,
    bin_endpoints: bool = True,
) -> tuple[pd.DataFrame, list[int], dict]:
    """Return (dummy frame aligned with ``df``, event times with a dummy, {event_time: binned?}).

    Column names are formula-safe (``_es_m3`` for e = -3, ``_es_p0`` for e = 0).
    """
    g = first_treat_to_int(df[first_treat])
    treated = g > 0
    rel = pd.Series(np.where(treated, df[time].to_numpy() - g.to_numpy(), np.nan), index=df.index)
    binned = {}
    if bin_endpoints:
        rel = rel.clip(lower=-leads, upper=lags)
        ets = [e for e in range(-leads, lags + 1) if e != ref]
        binned = {e: e in (-leads, lags) for e in ets}
    else:
        ets = sorted(int(e) for e in rel.dropna().unique() if e != ref)
        binned = {e: False for e in ets}
    data = {_dummy_name(e): (rel == e).astype(float).to_numpy() for e in ets}
    out = pd.DataFrame(data, index=df.index)
    keep = [e for e in ets if out[_dummy_name(e)].any()]
    return out[[_dummy_name(e) for e in keep]], keep, {e: binned[e] for e in keep}


def _validate(df, outcome, first_treat, unit, time, controls, cluster, leads, lags, ref):
    require_columns(df, [outcome, first_treat, unit, time, *controls, cluster], "event_study")
    for name, v in (("leads", leads), ("lags", lags)):
        if not isinstance(v, (int, np.integer)) or v < 0:
            raise NQPInputError(f"parameter {name}={v!r} must be a non-negative integer")
    if not (-leads <= ref <= lags) or ref >= 0:
        raise NQPInputError(f"parameter ref={ref!r} must be a negative event time within [-leads, -1]")
    if df.duplicated([unit, time]).any():
        row = df.loc[df.duplicated([unit, time]), [unit, time]].iloc[0]
        raise NQPInputError(f"duplicate ({unit}, {time}) row: ({row[unit]}, {row[time]})")
    g = first_treat_to_int(df[first_treat])
    if (g.groupby(df[unit]).nunique() > 1).any():
        bad = g.groupby(df[unit]).nunique()
        raise NQPInputError(f"column {first_treat!r} varies within unit {bad[bad > 1].index[0]!r}")


def event_study(
    df: pd.DataFrame,
    outcome: str,
    first_treat: str = "first_treat",
    unit: str = "city_code",
    time: str = "year",
    leads: int = 5,
    lags: int = 5,
    ref: int = -1,
    bin_endpoints: bool = True,
    controls=(),
    cluster: str | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """TWFE event study; one tidy row per event time (the omitted ``ref`` row has estimate 0, ``reference=True``).

    Extra columns: ``event_time``, ``reference`` (omitted period), ``binned`` (end-point bin), ``aggregation``
    (``"event_time"``).  ``result.attrs["event_study"]`` keeps the coefficient vector and cluster-robust vcov of the
    dummies (used by :func:`pretrend_test` and :func:`honest_did`).
    """
    controls = list(controls)
    _validate(df, outcome, first_treat, unit, time, controls, cluster, leads, lags, ref)
    d = df.copy()
    dums, ets, binned = relative_time_dummies(d, first_treat, time, leads, lags, ref, bin_endpoints)
    if not ets:
        raise NQPInputError(f"column {first_treat!r}: no treated unit-year in the event window")
    d = pd.concat([d, dums], axis=1)
    names = list(dums.columns)
    fit = fit_within(d, outcome, names + controls, unit, time, cluster=cluster or unit)
    ne = len(names)
    b, V = fit.coef[:ne], fit.vcov[:ne, :ne]
    se = np.sqrt(np.diag(V))
    all_e = sorted(ets + [ref])
    est = {e: b[i] for i, e in enumerate(ets)}
    ses = {e: se[i] for i, e in enumerate(ets)}
    est[ref], ses[ref] = 0.0, 0.0
    out = tidy(
        [f"rel_{e}" for e in all_e],
        [est[e] for e in all_e],
        [ses[e] for e in all_e],
        df_resid=fit.df_resid,
        n_obs=fit.n_obs,
        n_clusters=fit.n_clusters,
        estimator="event_study_twfe",
        outcome=outcome,
        alpha=alpha,
        event_time=all_e,
        reference=[e == ref for e in all_e],
        binned=[binned.get(e, False) for e in all_e],
        aggregation="event_time",
    )
    ref_mask = out["reference"].to_numpy()
    out.loc[ref_mask, ["statistic", "p_value"]] = np.nan
    out.attrs["event_study"] = safe_attr(
        {
            "event_times": list(map(int, ets)),
            "coef": b.tolist(),
            "vcov": V.tolist(),
            "ref": int(ref),
            "n_clusters": int(fit.n_clusters),
            "df_resid": int(fit.df_resid),
            "outcome": outcome,
            "control_coef": dict(zip(controls, fit.coef[ne:].tolist())),
            "alpha": alpha,
        }
    )
    return out


def pretrend_test(result_or_args, **kwargs) -> pd.DataFrame:
    """Joint cluster-robust Wald test that every lead coefficient (event time < 0, ``ref`` excluded) is zero.

    ``result_or_args``: an :func:`event_study` result, or a DataFrame panel (then ``kwargs`` go to
    :func:`event_study`), or a dict of :func:`event_study` keyword arguments.  Returns one row with the F statistic
    ``W/q`` (W = b' V^-1 b with the CR1 vcov), ``df_num = q``, ``df_den = G - 1`` and the F(q, G-1) p-value.
    """
    if isinstance(result_or_args, dict):
        res = event_study(**result_or_args)
    elif isinstance(result_or_args, pd.DataFrame) and "event_study" in result_or_args.attrs:
        res = result_or_args
    elif isinstance(result_or_args, pd.DataFrame):
        res = event_study(result_or_args, **kwargs)
    else:
        raise NQPInputError("pretrend_test: pass an event_study result, a panel DataFrame or a dict of arguments")
    info = res.attrs["event_study"]
    ets = np.asarray(info["event_times"])
    idx = np.flatnonzero(ets < 0)
    if idx.size == 0:
        raise NQPInputError("pretrend_test: the event study has no lead coefficient (leads must be >= 2)")
    b = np.asarray(info["coef"])[idx]
    V = np.asarray(info["vcov"])[np.ix_(idx, idx)]
    q = idx.size
    wald = float(b @ np.linalg.solve(V, b))
    df_den = info["n_clusters"] - 1
    F = wald / q
    p = float(stats.f.sf(F, q, df_den))
    return pd.DataFrame(
        {
            "term": ["pretrend_joint"],
            "statistic": [F],
            "df_num": [q],
            "df_den": [df_den],
            "p_value": [p],
            "wald_chi2": [wald],
            "leads_tested": [",".join(map(str, ets[idx]))],
            "n_clusters": [info["n_clusters"]],
            "outcome": [info["outcome"]],
        }
    )
