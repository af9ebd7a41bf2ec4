"""Borusyak–Jaravel–Spiess (2024) imputation estimator (point estimates) with Gardner two-stage (did2s) SEs.

What: (1) fit ``y_it = a_i + l_t + X_it'c`` by OLS on the untreated observations only (never-treated units and
not-yet-treated years ``t < G_i``); (2) impute ``Y_it(0)`` for every treated observation and form
``tau_it = y_it - Y_hat_it(0)``; (3) report the average of ``tau_it`` over all treated observations (``att``) and over
treated observations at each horizon ``e = t - G_i`` (``rel_e``).  Treated observations of a unit without any untreated
year cannot be imputed and are dropped (count in ``attrs``).

Why: efficient under homoskedastic errors and free of the forbidden comparisons of dynamic TWFE; the first stage uses
only untreated cells, so heterogeneous effects never enter the fixed effects.

SE convention (differs from the package default): NOT the BJS conservative variance.  We use the cluster-robust
GMM variance of Gardner's (2022) two-stage estimator (Butts & Gardner's did2s), whose point estimate is numerically
identical to BJS: ``V = (X2'X2)^-1 [sum_g W_g W_g'] (X2'X2)^-1`` with
``W_g = X2_g' e2_g - (X2'X1)(X10'X10)^-1 X10_g' e1_g`` (X1 = stage-1 design incl. unit/year dummies, X10 = X1 with
treated rows zeroed, e1 / e2 = stage-1 / stage-2 residuals), clustered by ``cluster`` (default unit), with NO
small-sample factor (as R ``did2s`` and pyfixest ``did2s``); p-values/intervals from t(G-1).  The overall ``att`` and
the horizon rows come from two separate second stages (a single treated dummy, resp. one dummy per horizon).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._attrs import safe_attr
from ..errors import NQPInputError
from ._common import codes, first_treat_to_int, require_columns, tidy

__all__ = ["imputation_did"]


def _did2s_vcov(X2, e2, X1, X10, e1, cl):
    X2X2_inv = np.linalg.inv(X2.T @ X2)
    Vmap = np.linalg.lstsq(X10.T @ X10, X1.T @ X2, rcond=None)[0].T  # (X2'X1)(X10'X10)^-1
    G = cl.max() + 1
    s2 = np.zeros((G, X2.shape[1]))
    np.add.at(s2, cl, X2 * e2[:, None])
    s1 = np.zeros((G, X1.shape[1]))
    np.add.at(s1, cl, X10 * e1[:, None])
    W = s2 - s1 @ Vmap.T
    return X2X2_inv @ (W.T @ W) @ X2X2_inv


def imputation_did(
    df: pd.DataFrame,
    outcome: str,
    first_treat: str = "first_treat",
    unit: str = "city_code",
    time: str = "year",
    controls=(),
    cluster: str | None = None,
    horizons=None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """BJS imputation ATT; rows ``att`` (aggregation ``"att"``) and ``rel_e`` per horizon (aggregation
    ``"event_time"``, column ``event_time``, ``n_treated_obs``).

    ``horizons``: ``None`` = every observed horizon ``e >= 0``; an int ``H`` = ``0..H``; or an iterable of horizons.
    Treated observations outside the requested horizons still leave the first stage and still count in ``att``.
    """
    controls = list(controls)
    cluster = cluster or unit
    require_columns(df, [outcome, first_treat, unit, time, *controls, cluster], "imputation_did")
    if df.duplicated([unit, time]).any():
        row = df.loc[df.duplicated([unit, time]), [unit, time]].iloc[0]
        raise NQPInputError(f"duplicate ({unit}, {time}) row: ({row[unit]}, {row[time]})")
    d = (
        df[list(dict.fromkeys([outcome, first_treat, unit, time, *controls, cluster]))]
        .dropna(subset=[outcome, *controls])
        .copy()
    )
    d["_g"] = first_treat_to_int(d[first_treat]).to_numpy()
    d["_D"] = (d["_g"] > 0) & (d[time] >= d["_g"])
    has_untreated = (~d["_D"]).groupby(d[unit]).transform("any")
    dropped = int((d["_D"] & ~has_untreated).sum())
    d = d[has_untreated].reset_index(drop=True)
    if not d["_D"].any():
        raise NQPInputError(f"column {first_treat!r}: no treated observation with an imputable counterfactual")
    D = d["_D"].to_numpy()
    yrs_untreated = set(d.loc[~D, time])
    bad = d.loc[D & ~d[time].isin(yrs_untreated), [unit, time]]
    if len(bad):
        raise NQPInputError(
            f"year {bad.iloc[0][time]}: no untreated observation, time effect not identified "
            f"(first row: city {bad.iloc[0][unit]})"
        )
    u, t, cl = codes(d[unit]), codes(d[time]), codes(d[cluster])
    n = len(d)
    X1 = np.zeros((n, u.max() + 1 + t.max() + len(controls)))
    X1[np.arange(n), u] = 1.0
    tt = t > 0
    X1[np.flatnonzero(tt), u.max() + t[tt]] = 1.0
    if controls:
        X1[:, u.max() + 1 + t.max() :] = d[controls].to_numpy(float)
    y = d[outcome].to_numpy(float)
    X10 = X1 * (~D)[:, None]
    gamma = np.linalg.lstsq(X10, y * ~D, rcond=None)[0]
    ytil = y - X1 @ gamma
    e1 = np.where(D, 0.0, ytil)
    rel = np.where(D, d[time].to_numpy() - d["_g"].to_numpy(), -1)
    if horizons is None:
        hs = sorted(set(rel[D].tolist()))
    elif isinstance(horizons, (int, np.integer)):
        hs = list(range(0, int(horizons) + 1))
    else:
        hs = sorted(int(h) for h in horizons)
    if any(h < 0 for h in hs):
        raise NQPInputError(f"parameter horizons={horizons!r}: horizons must be >= 0")
    hs = [h for h in hs if (rel[D] == h).any()]
    common = dict(
        df_resid=int(cl.max()),
        n_obs=n,
        n_clusters=int(cl.max() + 1),
        estimator="imputation_bjs",
        outcome=outcome,
        alpha=alpha,
    )
    # overall
    X2 = D[:, None].astype(float)
    b = np.array([ytil[D].mean()])
    V = _did2s_vcov(X2, ytil - X2 @ b, X1, X10, e1, cl)
    frames = [
        tidy(["att"], b, np.sqrt(np.diag(V)), **common, aggregation="att", event_time=pd.NA, n_treated_obs=int(D.sum()))
    ]
    if hs:
        X2 = np.column_stack([(D & (rel == h)).astype(float) for h in hs])
        b = np.array([ytil[D & (rel == h)].mean() for h in hs])
        V = _did2s_vcov(X2, ytil - X2 @ b, X1, X10, e1, cl)
        frames.append(
            tidy(
                [f"rel_{h}" for h in hs],
                b,
                np.sqrt(np.diag(V)),
                **common,
                aggregation="event_time",
                event_time=hs,
                n_treated_obs=[int((D & (rel == h)).sum()) for h in hs],
            )
        )
    out = pd.concat(frames, ignore_index=True)
    out["event_time"] = out["event_time"].astype("Int64")
    out.attrs["imputation"] = safe_attr(
        {
            "dropped_treated_obs": dropped,
            "se": "did2s_gmm_no_ssc",
            "control_coef": dict(zip(controls, gamma[X1.shape[1] - len(controls) :].tolist())),
        }
    )
    return out
