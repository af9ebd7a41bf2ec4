"""The new-quality-productive-forces index: normalisation, weighting schemes and ``build_index``.

Normalisation (CONTRIBUTING, "Index scale")
    Each indicator is min-max normalised over the **whole panel** (all cities and years) with its direction::

        positive indicator:  x~ = (x - lo) / (hi - lo)
        negative indicator:  x~ = (hi - x) / (hi - lo)

    ``lo``/``hi`` are the panel minimum and maximum (NaN ignored). ``normalise`` returns them so that the *same* affine
    map can be applied to other data (the semi-synthetic potential outcomes): values outside ``[lo, hi]`` then map
    outside ``[0, 1]``. An indicator that is constant over the panel (``hi == lo``) normalises to 0.

Index
    ``sub_d = scale * sum_k w_k x~_k`` over the indicators ``k`` of dimension ``d`` present in the panel, with the
    within-dimension weights renormalised to sum to 1 over those present; ``Pro = sum_d W_d sub_d`` with the dimension
    weights renormalised to sum to 1 over the dimensions that have at least one indicator. A dimension with no indicator
    gives an all-NaN sub-index and is listed in ``attrs["missing_dimensions"]``.

    Missing cells: with ``na="propagate"`` (default) a row with a NaN in any indicator of a dimension gets a NaN
    sub-index (and a NaN ``Pro``). With ``na="renormalise"`` each row uses the indicators it has, its weights
    renormalised over them (NaN only when the row has none).

Weighting schemes (each returns a table ``code, dimension, indicator_weight, dimension_weight``;
``indicator_weight`` sums to 1 within each dimension, ``dimension_weight`` sums to 1 across dimensions)
    * ``weights_paper()``: the paper's Table 1 (``data/paper/index_weights.csv``).
    * ``weights_equal(codes)``: ``1/n_d`` within dimension, equal dimension weights.
    * ``weights_entropy(normalised)``: the entropy method on the normalised indicators (complete rows, ``n`` of them):
      ``p_ij = (x~_ij + 1e-4) / sum_i (x~_ij + 1e-4)`` (the ``1e-4`` shift avoids ``log 0``),
      ``e_j = -(1/ln n) sum_i p_ij ln p_ij``, ``d_j = 1 - e_j``, global weight ``g_j = d_j / sum_j d_j``.
    * ``weights_critic(normalised)``: CRITIC: ``C_j = s_j * sum_k (1 - r_jk)`` with ``s_j`` the sample standard
      deviation (ddof=1) of ``x~_j`` and ``r`` the Pearson correlation matrix; global weight ``g_j = C_j / sum C``.

    For entropy and CRITIC the global weights are split into ``indicator_weight = g_j / sum_{k in d} g_k`` and
    ``dimension_weight = sum_{k in d} g_k``, so ``Pro = scale * sum_j g_j x~_j`` exactly (the usual one-step composite).
"""

from __future__ import annotations

import functools
import warnings
from typing import Iterable

import numpy as np
import pandas as pd

from ._attrs import safe_attr
from .errors import NQPInputError
from .indicators import DIMENSIONS, INDEX_COLUMNS, INDICATOR_CODES, indicator_catalogue

WEIGHT_SCHEMES = ("paper", "equal", "entropy", "critic")
NA_POLICIES = ("propagate", "renormalise")
ENTROPY_SHIFT = 1e-4


def _catalogue() -> pd.DataFrame:
    return indicator_catalogue().set_index("code")


def _present_codes(panel: pd.DataFrame, codes: Iterable[str] | None) -> list[str]:
    if codes is None:
        return [c for c in INDICATOR_CODES if c in panel.columns]
    codes = list(codes)
    unknown = [c for c in codes if c not in INDICATOR_CODES]
    if unknown:
        raise NQPInputError(f"unknown indicator code(s) {unknown}; allowed: {list(INDICATOR_CODES)}")
    absent = [c for c in codes if c not in panel.columns]
    if absent:
        raise NQPInputError(f"indicator column(s) {absent} requested in `codes` but absent from the panel")
    return codes


def normalise(
    panel: pd.DataFrame, codes: Iterable[str] | None = None, bounds: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Min-max normalise the indicators over the whole panel, with direction.

    Parameters
    ----------
    panel : DataFrame holding indicator columns (natural units).
    codes : indicators to normalise (default: every catalogue indicator present in ``panel``).
    bounds : optional table indexed by code with columns ``lo``, ``hi`` (and ``sign``); when given, these bounds are
        used instead of the panel's own (the map from another panel, e.g. observed data applied to potential outcomes).

    Returns
    -------
    (normalised, bounds) : normalised values (same index as ``panel``, one column per code) and the bounds table
        (index ``code``; columns ``lo``, ``hi``, ``sign``).
    """
    codes = _present_codes(panel, codes)
    cat = _catalogue()
    if bounds is None:
        rows = []
        for c in codes:
            v = pd.to_numeric(panel[c], errors="coerce")
            rows.append((c, float(v.min()), float(v.max()), int(cat.loc[c, "sign"])))
        bounds = pd.DataFrame(rows, columns=["code", "lo", "hi", "sign"]).set_index("code")
    else:
        bounds = bounds.copy()
        missing = [c for c in codes if c not in bounds.index]
        if missing:
            raise NQPInputError(f"`bounds` has no row for indicator(s) {missing}")
        if "sign" not in bounds.columns:
            bounds["sign"] = [int(cat.loc[c, "sign"]) for c in bounds.index]
        bounds = bounds.loc[codes]
    out = {}
    for c in codes:
        v = pd.to_numeric(panel[c], errors="coerce").to_numpy(dtype=float)
        lo, hi, sign = bounds.loc[c, "lo"], bounds.loc[c, "hi"], bounds.loc[c, "sign"]
        out[c] = _normalise_values(v, lo, hi, sign)
    return pd.DataFrame(out, index=panel.index, columns=codes), bounds


def _normalise_values(v: np.ndarray, lo: float, hi: float, sign: int) -> np.ndarray:
    """The min-max map of one indicator's values with direction ``sign`` (constant indicator -> 0)."""
    rng = hi - lo
    if not np.isfinite(rng) or rng == 0:
        return np.where(np.isnan(v), np.nan, 0.0)
    if sign > 0:
        return (v - lo) / rng
    return (hi - v) / rng


def _split_global(codes: list[str], g: np.ndarray) -> pd.DataFrame:
    cat = _catalogue()
    t = pd.DataFrame({"code": codes, "dimension": [cat.loc[c, "dimension"] for c in codes], "global_weight": g})
    dim_w = t.groupby("dimension")["global_weight"].transform("sum")
    t["indicator_weight"] = np.where(dim_w > 0, t["global_weight"] / dim_w.where(dim_w > 0, 1.0), 0.0)
    t["dimension_weight"] = dim_w
    return t[["code", "dimension", "indicator_weight", "dimension_weight", "global_weight"]]


def weights_paper() -> pd.DataFrame:
    """The paper's Table 1 weights: ``code, dimension, indicator_weight, dimension_weight`` (dimension weights 1/3)."""
    cat = indicator_catalogue()
    t = cat[["code", "dimension", "indicator_weight", "dimension_weight"]].copy()
    dw = t.groupby("dimension")["dimension_weight"].first()
    t["dimension_weight"] = t["dimension"].map(dw / dw.sum())
    return t.reset_index(drop=True)


def weights_equal(codes: Iterable[str] | None = None) -> pd.DataFrame:
    """Equal weights: ``1/n_d`` within each dimension, equal weights across the dimensions represented."""
    codes = list(INDICATOR_CODES if codes is None else codes)
    cat = _catalogue()
    t = pd.DataFrame({"code": codes, "dimension": [cat.loc[c, "dimension"] for c in codes]})
    t["indicator_weight"] = 1.0 / t.groupby("dimension")["code"].transform("count")
    t["dimension_weight"] = 1.0 / t["dimension"].nunique()
    return t


def _complete(normalised: pd.DataFrame) -> np.ndarray:
    x = normalised.dropna(how="any").to_numpy(dtype=float)
    if x.shape[0] < 2:
        raise NQPInputError("data-driven weights need at least 2 rows with every indicator non-missing")
    return x


def weights_entropy(normalised: pd.DataFrame) -> pd.DataFrame:
    """Entropy-method weights from normalised indicators (columns = codes); see the module docstring."""
    codes = list(normalised.columns)
    x = _complete(normalised) + ENTROPY_SHIFT
    n = x.shape[0]
    p = x / x.sum(axis=0)
    e = -(p * np.log(p)).sum(axis=0) / np.log(n)
    d = 1.0 - e
    return _split_global(codes, d / d.sum())


def weights_critic(normalised: pd.DataFrame) -> pd.DataFrame:
    """CRITIC weights from normalised indicators (columns = codes); see the module docstring."""
    codes = list(normalised.columns)
    x = _complete(normalised)
    s = x.std(axis=0, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.corrcoef(x, rowvar=False)
    r = np.nan_to_num(np.atleast_2d(r), nan=0.0)
    c = s * (1.0 - r).sum(axis=0)
    return _split_global(codes, c / c.sum())


def _weight_table(weights, codes: list[str], xn: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    if isinstance(weights, str):
        if weights == "paper":
            return weights_paper(), "paper"
        if weights == "equal":
            return weights_equal(codes), "equal"
        if weights == "entropy":
            return weights_entropy(xn), "entropy"
        if weights == "critic":
            return weights_critic(xn), "critic"
        raise NQPInputError(f"unknown weights {weights!r}; allowed: {list(WEIGHT_SCHEMES)} or a DataFrame")
    if isinstance(weights, pd.DataFrame):
        need = {"code", "indicator_weight"}
        if not need <= set(weights.columns):
            raise NQPInputError(
                f"a weights DataFrame needs columns {sorted(need)} (optional: dimension, "
                f"dimension_weight); got {list(weights.columns)}"
            )
        keep = [c for c in ("code", "indicator_weight", "dimension_weight") if c in weights.columns]
        t = weights[keep].copy()  # a table returned in build_index(...).attrs["weights"] can be passed back in
        unknown = [c for c in t["code"] if c not in INDICATOR_CODES]
        if unknown:
            raise NQPInputError(f"weights table has unknown indicator code(s) {unknown}")
        cat = _catalogue()
        t["dimension"] = [cat.loc[c, "dimension"] for c in t["code"]]
        if "dimension_weight" not in t.columns:
            t["dimension_weight"] = 1.0 / len(DIMENSIONS)
        if (t["indicator_weight"] < 0).any() or (t["dimension_weight"] < 0).any():
            raise NQPInputError("weights must be non-negative")
        return t, "custom"
    raise NQPInputError(f"`weights` must be one of {list(WEIGHT_SCHEMES)} or a DataFrame, got {type(weights).__name__}")


def _weighted_sum(x: np.ndarray, w: np.ndarray, na: str) -> np.ndarray:
    """Row-wise ``x @ w``; with ``na="renormalise"`` missing cells drop out and the weights of the rest are rescaled."""
    if na == "propagate":
        return x @ w
    ok = ~np.isnan(x)
    num = np.where(ok, x, 0.0) @ w
    den = ok.astype(float) @ w
    return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _renormalise(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Indicator weights renormalised within each dimension and dimension weights over the dimensions present (the
    table with ``indicator_weight_raw``/``dimension_weight_raw``); returns (table, dimension weights)."""
    w_sum = table.groupby("dimension")["indicator_weight_raw"].transform("sum")
    table["indicator_weight"] = table["indicator_weight_raw"] / w_sum.where(w_sum > 0, np.nan)
    dims_present = [d for d in DIMENSIONS if d in set(table["dimension"])]
    dw = table.groupby("dimension")["dimension_weight_raw"].first()
    dw = dw.reindex(dims_present)
    dw = dw / dw.sum()
    table["dimension_weight"] = table["dimension"].map(dw)
    return table, dw


@functools.lru_cache(maxsize=1)
def _paper_array_spec() -> tuple:
    """``index_arrays``' view of the paper weighting on all 18 indicators: per dimension the row positions (in
    ``INDICATOR_CODES``) and renormalised indicator weights, the dimension weights and the indicator signs."""
    table = weights_paper().rename(
        columns={"indicator_weight": "indicator_weight_raw", "dimension_weight": "dimension_weight_raw"}
    )
    table, dw = _renormalise(table)
    pos = {c: k for k, c in enumerate(INDICATOR_CODES)}
    dims = []
    for d in DIMENSIONS:
        sub = table[table["dimension"] == d]
        dims.append((d, np.array([pos[c] for c in sub["code"]]), sub["indicator_weight"].to_numpy(dtype=float)))
    cat = _catalogue()
    sign = np.array([int(cat.loc[c, "sign"]) for c in INDICATOR_CODES])
    return tuple(dims), dw.reindex(list(DIMENSIONS)).to_numpy(dtype=float), sign


def paper_dimension_weights() -> dict[str, float]:
    """The paper's dimension weights as ``build_index(weights="paper")`` uses them on all 18 indicators."""
    return dict(zip(DIMENSIONS, _paper_array_spec()[1].tolist()))


def array_bounds(Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Panel min and max of each indicator (rows of ``Y``, K x n), NaN ignored, as ``normalise`` computes them."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows give NaN bounds, as in normalise
        return np.nanmin(Y, axis=1), np.nanmax(Y, axis=1)


def index_arrays(Y: np.ndarray, lo: np.ndarray, hi: np.ndarray, scale: float = 10) -> dict[str, np.ndarray]:
    """numpy entry point of ``build_index(weights="paper", bounds=(lo, hi))``: the 18 indicators are the rows of
    ``Y`` (K x n, in ``INDICATOR_CODES`` order). Same normalisation (``_normalise_values``), weights
    (``_renormalise``) and matrix-vector products as ``build_index``, without building DataFrames (the
    semi-synthetic generator's calibration loop builds three indices per step)."""
    dims, W, sign = _paper_array_spec()
    X = np.empty_like(Y, dtype=float)
    for k in range(Y.shape[0]):
        X[k] = _normalise_values(Y[k], lo[k], hi[k], sign[k])
    out = {}
    subs = np.empty((len(dims), Y.shape[1]))  # (D, n); .T below is the (n, D) Fortran-ordered frame pandas gives
    for j, (d, rows, w) in enumerate(dims):
        subs[j] = scale * _weighted_sum(X[rows].T, w, "propagate")  # (n, k_d) Fortran-ordered, as in build_index
        out[d] = subs[j]
    out["Pro"] = _weighted_sum(subs.T, W, "propagate")
    return {c: out[c] for c in INDEX_COLUMNS}


def build_index(
    panel: pd.DataFrame,
    weights="paper",
    scale: float = 10,
    codes: Iterable[str] | None = None,
    bounds: pd.DataFrame | None = None,
    na: str = "propagate",
) -> pd.DataFrame:
    """Build ``Pro, Lab, Mea, Obj`` from the indicator columns of ``panel``.

    Parameters
    ----------
    panel : DataFrame with (some of) the 18 indicator columns in natural units.
    weights : ``"paper"`` (default), ``"equal"``, ``"entropy"``, ``"critic"`` or a DataFrame with ``code``,
        ``indicator_weight`` (and optionally ``dimension_weight``).
    scale : a sub-index is ``scale * sum w x~`` (10 → [0, 10]).
    codes : indicators to use (default: all present).
    bounds : normalisation bounds to reuse (see ``normalise``).
    na : ``"propagate"`` (a NaN indicator makes the row's sub-index NaN) or ``"renormalise"``.

    Returns
    -------
    DataFrame indexed like ``panel`` with columns ``Pro, Lab, Mea, Obj``. ``attrs``: ``weights`` (the table used,
    with ``indicator_weight_raw``/``dimension_weight_raw`` and the renormalised ``indicator_weight``/
    ``dimension_weight``), ``missing_indicators``, ``missing_dimensions``, ``bounds``, ``scheme``.
    """
    if na not in NA_POLICIES:
        raise NQPInputError(f"unknown na policy {na!r}; allowed: {list(NA_POLICIES)}")
    codes = _present_codes(panel, codes)
    if not codes:
        raise NQPInputError(
            f"the panel has none of the 18 indicator columns {list(INDICATOR_CODES)}; cannot build the index"
        )
    xn, bounds = normalise(panel, codes, bounds)
    table, scheme = _weight_table(weights, codes, xn)
    table = table[table["code"].isin(codes)].copy()
    table = table.rename(
        columns={"indicator_weight": "indicator_weight_raw", "dimension_weight": "dimension_weight_raw"}
    )
    missing_ind = [c for c in INDICATOR_CODES if c not in codes]
    absent_in_table = [c for c in codes if c not in set(table["code"])]
    if absent_in_table:
        raise NQPInputError(f"weights table has no weight for indicator(s) {absent_in_table}")

    table, dw = _renormalise(table)
    dims_present = list(dw.index)
    missing_dims = [d for d in DIMENSIONS if d not in dims_present]

    out = pd.DataFrame(index=panel.index, columns=list(INDEX_COLUMNS), dtype=float)
    for d in DIMENSIONS:
        sub = table[table["dimension"] == d]
        if sub.empty:
            out[d] = np.nan
            continue
        x = xn[sub["code"].tolist()].to_numpy(dtype=float)
        w = sub["indicator_weight"].to_numpy(dtype=float)
        out[d] = scale * _weighted_sum(x, w, na)
    subs = out[dims_present].to_numpy(dtype=float)
    W = dw.to_numpy(dtype=float)
    out["Pro"] = _weighted_sum(subs, W, na)
    cols = [
        "code",
        "dimension",
        "indicator_weight_raw",
        "indicator_weight",
        "dimension_weight_raw",
        "dimension_weight",
    ] + [c for c in table.columns if c == "global_weight"]
    out.attrs["weights"] = safe_attr(table[cols].reset_index(drop=True))
    out.attrs["missing_indicators"] = safe_attr(missing_ind)
    out.attrs["missing_dimensions"] = safe_attr(missing_dims)
    out.attrs["bounds"] = safe_attr(bounds)
    out.attrs["scheme"] = scheme
    out.attrs["na"] = na
    return out
