"""Exact potential-outcome decomposition of a just-identified 2SLS (or OLS) coefficient with unit and time FE.

Only possible when both potential outcomes are known (the semi-synthetic track: ``Pro_y0``, ``Pro_y1``, ...). With
one instrument ``z`` for the treatment ``d`` and exogenous controls ``W``, FWL gives ``β̂ = Σ z̃·y / Σ z̃·d`` where
``z̃`` is ``z`` after removing unit and time means and projecting out the (demeaned) controls. Writing the observed
outcome as ``y = y0 + d·τ`` with the cell effect ``τ = y1 - y0``:

``β̂ = Σ z̃·y0 / Σ z̃·d`` (**exclusion/selection term**: zero in expectation only if the instrument is unrelated to the
untreated outcome after the FE and controls) ``+ Σ ω·τ`` with ``ω = z̃·d / Σ z̃·d`` (**weighted effect**: a weighted
mean of the treated cells' effects; weights sum to 1 but can be negative).

OLS TWFE is the special case ``z = d`` (then the first term is the selection bias of the TWFE regression and the
weights are the familiar TWFE weights of the treated cells, possibly negative for staggered adoption).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import NQPInputError
from ._common import codes, demean_twoway, require_columns

__all__ = ["po_decomposition"]


def po_decomposition(
    df: pd.DataFrame,
    outcome: str,
    y0: str,
    y1: str,
    endog: str = "Inn",
    instrument: str | None = None,
    unit: str = "city_code",
    time: str = "year",
    controls=(),
) -> dict:
    """Split the 2SLS (``instrument`` given) or OLS (``instrument=None``) coefficient of ``endog`` into an
    exclusion/selection term and a weighted average of cell effects ``y1 - y0`` (see the module docstring).

    The sample is the rows with ``outcome, endog, instrument, controls, unit, time`` all present (as in
    :func:`iv_twfe` / :func:`twfe`); ``y0``/``y1`` must be complete on it. Raises NQPInputError if
    ``outcome`` differs from ``y0 + endog·(y1 - y0)`` there (the decomposition would not be exact) or if the
    instrument has no variation left after the FE and controls.

    Returns a dict: ``estimate`` (equals the estimator's coefficient), ``bias_term``, ``weighted_effect``,
    ``att`` (unweighted mean of ``y1 - y0`` over treated rows of the sample), ``neg_weight_share`` (share of the
    treated rows with a negative weight), ``neg_weight_sum`` (sum of the negative weights), ``n_obs``.
    """
    controls = [controls] if isinstance(controls, str) else list(controls)
    z = endog if instrument is None else instrument
    require_columns(df, [outcome, y0, y1, endog, z, unit, time, *controls], "po_decomposition")
    used = list(dict.fromkeys([outcome, endog, z, *controls, unit, time]))
    d = df.dropna(subset=used)
    if d.empty:
        raise NQPInputError(f"po_decomposition: no complete rows for {used}")
    if d[[y0, y1]].isna().any().any():
        raise NQPInputError(f"po_decomposition: {y0!r}/{y1!r} missing on rows where {outcome!r} is observed")
    y = d[outcome].to_numpy(float)
    dd = d[endog].to_numpy(float)
    p0, p1 = d[y0].to_numpy(float), d[y1].to_numpy(float)
    tau = p1 - p0
    if np.max(np.abs(y - (p0 + dd * tau))) > 1e-8 * max(1.0, np.max(np.abs(y))):
        raise NQPInputError(f"po_decomposition: {outcome!r} is not {y0} + {endog}·({y1} - {y0}); not exact")
    u, t = codes(d[unit]), codes(d[time])
    cols = [z, *controls]
    dm = demean_twoway(d[cols].to_numpy(float), u, t)
    zt = dm[:, 0]
    if controls:
        W = dm[:, 1:]
        zt = zt - W @ np.linalg.lstsq(W, zt, rcond=None)[0]
    den = float(zt @ dd)
    if abs(den) <= 1e-12 * max(1.0, float(np.abs(zt).sum())):
        raise NQPInputError(f"po_decomposition: {z!r} is unrelated to {endog!r} after the fixed effects and controls")
    bias = float(zt @ p0) / den
    w = zt * dd / den
    treated = dd != 0
    wt = w[treated]
    return {
        "estimate": float(zt @ y) / den,
        "bias_term": bias,
        "weighted_effect": float(w @ tau),
        "att": float(tau[treated].mean()),
        "neg_weight_share": float((wt < 0).mean()),
        "neg_weight_sum": float(wt[wt < 0].sum()),
        "n_obs": int(len(d)),
    }
