"""Skeleton preparation: the part of ``simulate_panel`` that depends only on the skeleton (cleaning, pilot timing,
development-factor inputs, gap-filled covariates, the R&D series), computed once and cached per process."""

from __future__ import annotations

import hashlib
from collections import OrderedDict

import numpy as np
import pandas as pd

from ...errors import NQPInputError
from ...indicators import INDEX_COLUMNS, INDICATOR_CODES
from ...variables import CONTROLS, MODERATORS
from ..attributes import HUB_LEVELS, size_group
from .parallel import _CohortParallel, _twfe_treated_weights


def _z(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    sd = np.nanstd(x)
    return (x - np.nanmean(x)) / (sd if sd > 0 else 1.0)


def _fill_city_trend(values: np.ndarray, ci: np.ndarray, t: np.ndarray, n_c: int) -> tuple[np.ndarray, np.ndarray]:
    """Interpolate inside, extrapolate by the city's OLS trend outside; all-NaN cities take the year median."""
    v = values.astype(float).copy()
    miss = np.isnan(v)
    if not miss.any():
        return v, miss
    order = np.lexsort((t, ci))
    bounds = np.searchsorted(ci[order], np.arange(n_c + 1))
    for c in range(n_c):
        idx = order[bounds[c] : bounds[c + 1]]
        if idx.size == 0:
            continue
        vv, tt = v[idx], t[idx].astype(float)
        ok = ~np.isnan(vv)
        if ok.all() or not ok.any():
            continue
        if ok.sum() == 1:
            vv[~ok] = vv[ok][0]
        else:
            inside = (tt >= tt[ok].min()) & (tt <= tt[ok].max()) & ~ok
            vv[inside] = np.interp(tt[inside], tt[ok], vv[ok])
            slope, icpt = np.polyfit(tt[ok], vv[ok], 1)
            outside = np.isnan(vv)
            vv[outside] = icpt + slope * tt[outside]
        v[idx] = vv
    still = np.isnan(v)
    if still.any():
        med = pd.Series(v).groupby(t).median()
        v[still] = pd.Series(t[still]).map(med).to_numpy(dtype=float)
        v[np.isnan(v)] = np.nanmedian(v)
    return v, miss


class PreparedSkeleton:
    """What ``simulate_panel`` needs that depends only on the skeleton, computed once (see ``prepare_skeleton``).

    Holds the cleaned, sorted skeleton (``frame``), city/year codes, pilot timing, the development-factor inputs, the
    real covariates with their gaps filled (``_fill_city_trend``), the R&D series and, when the six controls all come
    from the skeleton, the control design of ``_CohortParallel`` and the TWFE weights. Pass it to ``simulate_panel``
    in place of the DataFrame: the output is byte-identical. Treat it as read-only."""

    def __init__(self, skeleton: pd.DataFrame):
        if not isinstance(skeleton, pd.DataFrame):
            raise NQPInputError("`skeleton` must be a pandas DataFrame")
        for c in ("city_code", "year"):
            if c not in skeleton.columns:
                raise NQPInputError(f"skeleton lacks required column {c!r}")
        if "first_treat" not in skeleton.columns and "Inn" not in skeleton.columns:
            raise NQPInputError("skeleton needs `first_treat` (or `Inn`)")
        drop = [
            c
            for c in skeleton.columns
            if c in INDICATOR_CODES
            or c in INDEX_COLUMNS
            or c.endswith(("_y0", "_y1"))
            or (c.endswith("_imputed") and c[:-8] in INDICATOR_CODES)
        ]
        df = skeleton.drop(columns=drop).sort_values(["city_code", "year"]).reset_index(drop=True)
        df.attrs = {}  # the output's attrs are rebuilt; empty attrs also spare pandas a deepcopy per operation
        df["city_code"] = df["city_code"].astype(int)
        df["year"] = df["year"].astype(int)
        if "first_treat" not in df.columns:
            first = df[df["Inn"] == 1].groupby("city_code")["year"].min()
            df["first_treat"] = df["city_code"].map(first).fillna(0)
        df["first_treat"] = pd.to_numeric(df["first_treat"], errors="coerce").fillna(0).astype(int)
        df["Inn"] = ((df["first_treat"] > 0) & (df["year"] >= df["first_treat"])).astype(int)
        self.frame = df
        self.n = n = len(df)
        codes_u, ci = np.unique(df["city_code"].to_numpy(), return_inverse=True)
        n_c = len(codes_u)
        self.ci, self.n_c = ci, n_c
        self.year = year = df["year"].to_numpy()
        self.y_min, self.y_max = int(year.min()), int(year.max())
        self.t = t = year - self.y_min
        self.T = max(self.y_max - self.y_min, 1)
        self.ft_c = np.zeros(n_c, dtype=int)
        self.ft_c[ci] = df["first_treat"].to_numpy()
        self.inn = df["Inn"].to_numpy().astype(bool)
        self.early_c = np.where(self.ft_c > 0, (2023 - self.ft_c) / 15.0, 0.0)
        # Figure-1 strata (hub x megacity) from the skeleton's attributes: Y(0) is made parallel across adoption
        # cohorts within each stratum, so parallel trends hold within the admin and size groups too (step 5)
        strat = np.zeros(n)
        if "admin_level" in df.columns:
            strat = strat + 2 * df["admin_level"].isin(HUB_LEVELS).to_numpy()
        if "size_class" in df.columns:
            strat = strat + (size_group(df["size_class"]).to_numpy() == "megacity")
        self.stratum_c = np.zeros(n_c, dtype=int)
        self.stratum_c[ci] = strat.astype(int)

        # development factor inputs: mean of the available z-scores (noise is added per draw)
        zs = []
        if "pop_base" in df.columns:
            pb = pd.to_numeric(df["pop_base"], errors="coerce").groupby(ci).mean().reindex(range(n_c)).to_numpy()
            zs.append(_z(np.log(np.where(pb > 0, pb, np.nan))))
        if "admin_level" in df.columns:
            hub_c = df["admin_level"].isin(HUB_LEVELS).groupby(ci).max().reindex(range(n_c)).to_numpy(float)
            zs.append(_z(hub_c))
        if "Eco" in df.columns:
            zs.append(_z(pd.to_numeric(df["Eco"], errors="coerce").groupby(ci).mean().reindex(range(n_c)).to_numpy()))
        if zs:
            dev = np.nanmean(np.vstack(zs), axis=0)
            self.dev_base = np.where(np.isnan(dev), 0.0, dev)
        else:
            self.dev_base = np.zeros(n_c)

        # real covariates with their gaps filled: {col: (filled, newly imputed cells)}; absent ones are simulated
        self.filled: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for c in CONTROLS + MODERATORS:
            if c in df.columns:
                v = pd.to_numeric(df[c], errors="coerce")
                if v.notna().any():
                    self.filled[c] = _fill_city_trend(v.to_numpy(), ci, t, n_c)
        if "rd_intensity_lag" in df.columns and pd.to_numeric(df["rd_intensity_lag"], errors="coerce").notna().any():
            rd = pd.to_numeric(df["rd_intensity_lag"], errors="coerce")
            by_year = rd.groupby(year).mean()
            by_year = by_year.reindex(range(self.y_min, self.y_max + 1)).interpolate(limit_direction="both")
            self.rd = pd.Series(year).map(by_year).to_numpy()
        else:
            self.rd = None
        self._w_city = None  # TWFE treated weights (skeleton-only when the six controls are real)

    def control_design(
        self, zc: dict[str, np.ndarray], strata_c: np.ndarray | None = None
    ) -> tuple["_CohortParallel", np.ndarray]:
        """``_CohortParallel`` for the controls' z-scores ``zc`` with Y(0) made parallel across adoption cohorts
        within each stratum ``strata_c`` (per city; default the skeleton's hub x megacity strata), and the TWFE
        treated weights (cached when the six controls all come from the skeleton)."""
        real = all(c in self.filled for c in CONTROLS)
        X = np.column_stack([zc[c] for c in CONTROLS])
        strata = self.stratum_c if strata_c is None else np.asarray(strata_c, dtype=int)
        par = _CohortParallel(self.ft_c[self.ci] * 1000 + strata[self.ci], self.t, self.ci, X)
        if real and self._w_city is not None:
            return par, self._w_city
        w_city = _twfe_treated_weights(self.inn, X, self.ci, self.t, self.n_c)
        if real:
            self._w_city = w_city
        return par, w_city


def prepare_skeleton(skeleton: pd.DataFrame) -> PreparedSkeleton:
    """Precompute the skeleton-only part of ``simulate_panel`` (for many draws on one skeleton, e.g. Monte Carlo):
    ``simulate_panel(prepare_skeleton(sk), ...)`` gives byte-identical output to ``simulate_panel(sk, ...)``.
    ``simulate_panel`` also keeps a small per-process cache keyed on the skeleton's content, so passing the same
    DataFrame repeatedly is nearly as fast; the explicit object skips hashing the frame on every call."""
    return skeleton if isinstance(skeleton, PreparedSkeleton) else PreparedSkeleton(skeleton)


_PREPARED: "OrderedDict[tuple, PreparedSkeleton]" = OrderedDict()
_PREPARED_MAX = 4


def _prepared(skeleton) -> PreparedSkeleton:
    """``PreparedSkeleton`` of ``skeleton`` from the per-process cache. The key is the frame's *content* (a hash of
    every value and the index, plus the column names and dtypes), so an edited or different skeleton never hits a
    stale entry; a frame that cannot be hashed is prepared afresh."""
    if isinstance(skeleton, PreparedSkeleton):
        return skeleton
    if not isinstance(skeleton, pd.DataFrame):
        raise NQPInputError("`skeleton` must be a pandas DataFrame")
    try:
        h = pd.util.hash_pandas_object(skeleton, index=True).to_numpy()
        key = (
            tuple(map(str, skeleton.columns)),
            tuple(map(str, skeleton.dtypes)),
            skeleton.shape,
            hashlib.sha1(h.tobytes()).hexdigest(),
        )
    except Exception:  # unhashable cells (lists, ...): no caching
        return PreparedSkeleton(skeleton)
    hit = _PREPARED.get(key)
    if hit is not None:
        _PREPARED.move_to_end(key)
        return hit
    prep = PreparedSkeleton(skeleton)
    _PREPARED[key] = prep
    while len(_PREPARED) > _PREPARED_MAX:
        _PREPARED.popitem(last=False)
    return prep
