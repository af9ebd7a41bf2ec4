"""Reporting helpers for the index chapter (Table 1) and the baseline chapter (Table 2).

Everything here is a thin, tested layer over ``nqp_helpers.index``:

* ``weights_comparison``: the 18 indicators with the paper's weights beside entropy, CRITIC and equal weights (Table 1).
* ``indices_by_scheme``: the index built with each weighting scheme on the same normalisation.
* ``per_year_index``: the index with indicators min-max normalised *within each year* (the alternative we do not use).
* ``paths_by_group``: mean index by year for pilot cities (ever treated) and never-treated cities.
* ``rank_stability``: Spearman rank correlations of city ``Pro`` in one year across schemes, and how many cities move.
* ``dimension_weights`` / ``linear_combination_check``: the dimension weights of an index and whether ``Pro`` is exactly
  their weighted sum of ``Lab, Mea, Obj`` (then OLS gives ``b_Pro = sum_d W_d b_d`` on a common sample).
* ``tidy_table2``: the tidy Table 2 output (ours, paper, truth), one row per model x term.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from .errors import NQPInputError
from .index import WEIGHT_SCHEMES, build_index
from .indicators import DIMENSIONS, INDEX_COLUMNS, INDICATOR_CODES, indicator_catalogue

__all__ = [
    "weights_comparison",
    "indices_by_scheme",
    "per_year_index",
    "paths_by_group",
    "rank_stability",
    "dimension_weights",
    "linear_combination_check",
    "tidy_table2",
]


def _present(panel: pd.DataFrame) -> list[str]:
    """Indicator codes present in ``panel`` with at least one non-missing value."""
    return [c for c in INDICATOR_CODES if c in panel.columns and panel[c].notna().any()]


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    """A copy without ``attrs``: a stacked table should not carry one part's index metadata (weights, bounds).

    (No longer needed to keep ``pd.concat`` from failing: ``build_index`` stores its tables via ``safe_attr``.)"""
    out = df.copy()
    out.attrs = {}
    return out


def indices_by_scheme(
    panel: pd.DataFrame, schemes: Iterable[str] = WEIGHT_SCHEMES, na: str = "propagate", scale: float = 10
) -> dict[str, pd.DataFrame]:
    """``{scheme: build_index(panel, weights=scheme)}`` over the indicators present (same whole-panel normalisation).

    Raises :class:`NQPInputError` if the panel has no indicator column with data.
    """
    codes = _present(panel)
    if not codes:
        raise NQPInputError(f"indices_by_scheme: the panel has none of the indicator columns {list(INDICATOR_CODES)}")
    return {s: build_index(panel, weights=s, codes=codes, na=na, scale=scale) for s in schemes}


def weights_comparison(
    panel: pd.DataFrame, schemes: Iterable[str] = WEIGHT_SCHEMES, indices: Mapping[str, pd.DataFrame] | None = None
) -> pd.DataFrame:
    """Table 1: one row per catalogue indicator, the paper's weights beside the data-driven and equal ones.

    Columns: ``dimension, code, indicator_zh, label_en, direction, present`` (indicator has data in ``panel``), then
    for each scheme ``w_<scheme>`` (within-dimension weight, renormalised over the indicators present) and
    ``g_<scheme>`` (global weight = within-dimension weight x dimension weight; sums to 1 over the present indicators),
    and for the paper also ``w_paper_table1``/``dim_paper_table1`` exactly as printed. Indicators absent from the panel
    have NaN weights for every computed scheme.
    """
    schemes = list(schemes)
    if indices is None:
        indices = indices_by_scheme(panel, schemes)
    cat = indicator_catalogue()
    out = cat[
        ["dimension", "code", "indicator_zh", "label_en", "direction", "indicator_weight", "dimension_weight"]
    ].rename(columns={"indicator_weight": "w_paper_table1", "dimension_weight": "dim_paper_table1"})
    out.insert(5, "present", out["code"].isin(_present(panel)))
    for s in schemes:
        w = indices[s].attrs["weights"].set_index("code")
        out[f"w_{s}"] = out["code"].map(w["indicator_weight"])
        out[f"g_{s}"] = out["code"].map(w["indicator_weight"] * w["dimension_weight"])
    return out.reset_index(drop=True)


def per_year_index(
    panel: pd.DataFrame, weights="paper", year: str = "year", na: str = "propagate", scale: float = 10
) -> pd.DataFrame:
    """The index with every indicator min-max normalised within each year (not the book's choice; for contrast).

    The weights are fixed once: a scheme name is resolved on the whole panel (data-driven schemes from the
    whole-panel normalisation) and the resulting table is reused in every year, so only the normalisation differs.
    Returns a frame indexed like ``panel`` with ``Pro, Lab, Mea, Obj``.
    """
    if year not in panel.columns:
        raise NQPInputError(f"per_year_index: column {year!r} not in the panel")
    codes = _present(panel)
    table = weights
    if isinstance(weights, str):
        table = build_index(panel, weights=weights, codes=codes, na=na).attrs["weights"]
        table = table[["code", "indicator_weight", "dimension_weight"]]
    parts = []
    for _, d in panel.groupby(year, sort=True):
        parts.append(_plain(build_index(d, weights=table, codes=codes, na=na, scale=scale)))
    return pd.concat(parts).reindex(panel.index)


def paths_by_group(
    panel: pd.DataFrame,
    index: pd.DataFrame | None = None,
    columns=INDEX_COLUMNS,
    year: str = "year",
    first_treat: str = "first_treat",
) -> pd.DataFrame:
    """Mean of each index column by year for pilot cities (``first_treat > 0``) and never-treated cities.

    ``index`` (optional) supplies the index columns (e.g. another scheme); default: the panel's own. Returns a tidy
    frame ``year, group ("pilot"/"never treated"), variable, mean, n`` (n = cities with a value). All-NaN columns
    (a dimension the track cannot build) are skipped.
    """
    src = panel if index is None else index
    cols = [c for c in columns if c in src.columns and src[c].notna().any()]
    ft = pd.to_numeric(panel[first_treat], errors="coerce").fillna(0)
    d = pd.DataFrame(
        {"year": panel[year].to_numpy(), "group": np.where(ft.to_numpy() > 0, "pilot", "never treated")},
        index=panel.index,
    )
    for c in cols:
        d[c] = src[c].to_numpy(dtype=float)
    long = d.melt(id_vars=["year", "group"], value_vars=cols, var_name="variable").dropna(subset=["value"])
    out = long.groupby(["variable", "group", "year"], sort=True)["value"].agg(mean="mean", n="count").reset_index()
    return out[["year", "group", "variable", "mean", "n"]]


def rank_stability(
    panel: pd.DataFrame,
    indices: Mapping[str, pd.DataFrame],
    year: int,
    reference: str = "paper",
    threshold: int = 10,
    column: str = "Pro",
    unit: str = "city_code",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """How much the city ranking of ``column`` in ``year`` depends on the weighting scheme.

    Returns ``(corr, moves)``: ``corr`` the Spearman rank-correlation matrix across schemes (cities with a value in
    every scheme); ``moves`` one row per scheme: ``scheme, n_cities, spearman_vs_<reference>,
    share_moved_gt_<threshold>`` (share of cities whose rank, 1 = highest, differs from the reference rank by more
    than ``threshold`` places), ``median_abs_move`` and ``max_abs_move``.
    """
    if reference not in indices:
        raise NQPInputError(f"rank_stability: reference scheme {reference!r} not among {list(indices)}")
    sel = (panel["year"] == year).to_numpy()
    if not sel.any():
        raise NQPInputError(f"rank_stability: year {year} not in the panel")
    vals = pd.DataFrame(
        {s: idx.loc[sel, column].to_numpy(dtype=float) for s, idx in indices.items()},
        index=panel.loc[sel, unit].to_numpy(),
    ).dropna()
    if len(vals) < 3:
        raise NQPInputError(f"rank_stability: fewer than 3 cities with {column} in {year} under every scheme")
    ranks = vals.rank(ascending=False, method="average")
    corr = ranks.corr(method="pearson")  # Pearson on ranks = Spearman
    rows = []
    for s in vals.columns:
        move = (ranks[s] - ranks[reference]).abs()
        rows.append(
            {
                "scheme": s,
                "n_cities": len(vals),
                f"spearman_vs_{reference}": float(corr.loc[s, reference]),
                f"share_moved_gt_{threshold}": float((move > threshold).mean()),
                "median_abs_move": float(move.median()),
                "max_abs_move": float(move.max()),
            }
        )
    return corr, pd.DataFrame(rows)


def dimension_weights(panel: pd.DataFrame, weights="paper") -> pd.Series:
    """Dimension weights ``W_d`` (summing to 1 over the dimensions that can be built) of the index of ``panel``.

    Read from ``build_index(panel, weights)`` on the indicators present; empty Series if the panel has none.
    """
    codes = _present(panel)
    if not codes:
        return pd.Series(dtype=float)
    t = build_index(panel, weights=weights, codes=codes).attrs["weights"]
    return (
        t.groupby("dimension")["dimension_weight"].first().reindex([d for d in DIMENSIONS if d in set(t["dimension"])])
    )


def linear_combination_check(panel: pd.DataFrame, w: pd.Series, tol: float = 1e-8) -> bool:
    """True if ``Pro == sum_d w_d * sub_d`` (to ``tol``) on every row where ``Pro`` and those sub-indices exist."""
    if w.empty or "Pro" not in panel.columns or any(d not in panel.columns for d in w.index):
        return False
    subs = panel[list(w.index)].to_numpy(dtype=float)
    pro = panel["Pro"].to_numpy(dtype=float)
    ok = np.isfinite(pro) & np.isfinite(subs).all(axis=1)
    if not ok.any():
        return False
    return bool(np.max(np.abs(subs[ok] @ w.to_numpy(dtype=float) - pro[ok])) <= tol * max(1.0, np.abs(pro[ok]).max()))


TABLE2_COLUMNS = [
    "model",
    "spec",
    "outcome",
    "controls",
    "term",
    "estimate",
    "std_error",
    "p_value",
    "n_obs",
    "r2_within",
    "r2_overall",
    "paper_coef",
    "paper_se",
    "paper_stars",
    "truth",
]


def tidy_table2(
    results: Mapping[str, pd.DataFrame],
    paper: pd.DataFrame,
    column_of: Mapping[str, int],
    controls_of: Mapping[str, bool],
    truth: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Stack our Table 2 fits into the tidy ``table2.csv`` layout (``TABLE2_COLUMNS``).

    results: {model label: tidy twfe frame}; paper: rows of ``reported_results()`` for table 2; column_of: {model
    label: paper column number}; controls_of: {model label: bool}; truth: {outcome: true ATT} (term ``Inn`` only).
    Paper values are joined on (column, term); terms the paper does not print get NaN / "".
    """
    parts = []
    for model, d in results.items():
        if model not in column_of or model not in controls_of:
            raise NQPInputError(f"tidy_table2: model {model!r} lacks a paper column or a controls flag")
        rep = paper[paper["column"] == column_of[model]].set_index("term")
        t = d[["term", "estimate", "std_error", "p_value", "n_obs", "r2_within", "r2_overall", "outcome"]].copy()
        t.attrs = {}
        t.insert(0, "model", model)
        t["controls"] = bool(controls_of[model])
        # the paper's spec name, so the status page can pick this model's row without guessing
        t["spec"] = "baseline_controls" if controls_of[model] else "baseline_no_controls"
        t["paper_coef"] = t["term"].map(rep["coef"]).astype(float)
        t["paper_se"] = t["term"].map(rep["se"]).astype(float)
        t["paper_stars"] = t["term"].map(rep["stars"]).fillna("")
        tv = (truth or {}).get(str(t["outcome"].iloc[0]), np.nan) if len(t) else np.nan
        t["truth"] = np.where(t["term"] == "Inn", tv, np.nan)
        parts.append(t)
    if not parts:
        raise NQPInputError("tidy_table2: no models")
    return pd.concat(parts, ignore_index=True)[TABLE2_COLUMNS]
