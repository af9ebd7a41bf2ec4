"""The truth, measured on the generated potential outcomes: ATT overall, by cohort, event time and subgroup, and the
moderation estimands (``true_effects``); and the one way to look a true effect up (``true_value``, ``true_values``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...errors import NQPInputError
from ...indicators import INDEX_COLUMNS
from ...variables import HETEROGENEITY, MODERATORS
from ..attributes import subgroups
from .moderation import moderation_projection


def _slope(y: np.ndarray, x: np.ndarray) -> float:
    x = x - x.mean()
    den = float((x * x).sum())
    return float((x * (y - y.mean())).sum() / den) if den > 0 else float("nan")


def _mean(v: np.ndarray) -> float:
    """``Series.mean()`` of ``v`` (NaN skipped; all-NaN or empty -> NaN), with the same summation as pandas."""
    nan = np.isnan(v)
    if not nan.any():
        return float(np.mean(v)) if len(v) else float("nan")
    n_ok = int((~nan).sum())
    return float(np.where(nan, 0.0, v).sum() / n_ok) if n_ok else float("nan")


def _groups(key: np.ndarray) -> list[tuple[object, np.ndarray]]:
    """``[(group, row positions)]`` as ``Series.groupby(key)`` iterates them: groups in sorted order, positions in
    row order, missing keys dropped."""
    codes, uniques = pd.factorize(key, sort=True)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    return [(g, order[bounds[j] : bounds[j + 1]]) for j, g in enumerate(uniques)]


def true_effects(panel: pd.DataFrame) -> pd.DataFrame:
    """Tidy table of the true effects measured from the potential outcomes ``<index>_y0/_y1`` of ``panel``.

    Columns: ``outcome`` (Pro/Lab/Mea/Obj), ``estimand`` (``att``, ``att_by_cohort``, ``att_by_event_time``,
    ``att_by_group``, ``interaction``), ``split`` (innovation/size/admin/industrial for ``att_by_group``; the moderator
    for ``interaction``), ``group``, ``cohort``, ``event_time``, ``value``, ``n_obs``. All averages are over treated
    cells (``Inn == 1``); ``interaction_regression`` is the Tables 5-7 regression fitted to the effect part,
    ``interaction_slope`` the least-squares slope of the cell effect on the moderator among treated cells and
    ``interaction`` the first in the default world, the second with ``moderation="city_level"``.
    """
    need = [f"{c}_y{j}" for c in INDEX_COLUMNS for j in (0, 1)]
    absent = [c for c in need if c not in panel.columns]
    if absent:
        raise NQPInputError(f"true_effects needs the potential-outcome columns {absent} (semi-synthetic track only)")
    mask = (panel["Inn"] == 1).to_numpy()
    keep = [
        c
        for c in (
            "city_code",
            "year",
            "first_treat",
            "innovation_group",
            *HETEROGENEITY,
            "lab_rd_applied",
            "lab_rd_experimental",
        )
        if c in panel.columns
    ]
    # the treated rows of the columns the splits need, as a plain frame (no attrs to deep-copy on every operation)
    tr = pd.DataFrame({c: panel[c].to_numpy()[mask] for c in keep})
    sg = subgroups(tr)
    ft = tr["first_treat"].to_numpy()
    groupings = [("att_by_cohort", "", _groups(ft)), ("att_by_event_time", "", _groups(tr["year"].to_numpy() - ft))]
    groupings += [("att_by_group", split, _groups(sg[split].to_numpy())) for split in sg.columns]
    mods = {m: panel[m].to_numpy(float)[mask] for m in MODERATORS if m in panel.columns}
    city_level = (panel.attrs.get("options") or {}).get("moderation") == "city_level"
    rows = []
    for o in INDEX_COLUMNS:
        te = panel[f"{o}_y1"].to_numpy()[mask] - panel[f"{o}_y0"].to_numpy()[mask]
        rows.append((o, "att", "", "", np.nan, np.nan, _mean(te), len(te)))
        for estimand, split, groups in groupings:
            for g, sel in groups:
                v = te[sel]  # the group's effects in row order, as a pandas group: same mean to the last bit
                if estimand == "att_by_cohort":
                    rows.append((o, estimand, "", "", int(g), np.nan, _mean(v), len(v)))
                elif estimand == "att_by_event_time":
                    rows.append((o, estimand, "", "", np.nan, int(g), _mean(v), len(v)))
                else:
                    rows.append((o, estimand, split, str(g), np.nan, np.nan, _mean(v), len(v)))
        te_all = None
        for m, x in mods.items():
            slope = _slope(te.astype(float), x)
            if te_all is None:
                te_all = panel[f"{o}_y1"].to_numpy(float) - panel[f"{o}_y0"].to_numpy(float)
            proj = moderation_projection(panel, te_all, m)
            rows.append((o, "interaction", m, m, np.nan, np.nan, slope if city_level else proj, len(te)))
            rows.append((o, "interaction_regression", m, m, np.nan, np.nan, proj, len(te)))
            rows.append((o, "interaction_slope", m, m, np.nan, np.nan, slope, len(te)))
    out = pd.DataFrame(
        rows, columns=["outcome", "estimand", "split", "group", "cohort", "event_time", "value", "n_obs"]
    )
    out["cohort"] = out["cohort"].astype("Int64")
    out["event_time"] = out["event_time"].astype("Int64")
    return out


def truth_table(source) -> pd.DataFrame | None:
    """The truth table (:func:`true_effects`) of ``source``: a panel's ``attrs["truth"]`` (``None`` off the
    semi-synthetic track), or ``source`` itself when it is a truth table; ``None`` for ``None``."""
    if source is None:
        return None
    if not isinstance(source, pd.DataFrame):
        raise NQPInputError(f"truth_table: expected a panel or a truth table, got {type(source).__name__}")
    if {"outcome", "estimand", "value"} <= set(source.columns):
        return source
    return source.attrs.get("truth")


def _rows(source, estimand: str, outcome: str | None, split: str | None) -> pd.DataFrame | None:
    t = truth_table(source)
    if t is None or len(t) == 0 or not {"outcome", "estimand", "value"} <= set(t.columns):
        return None
    sel = t["estimand"] == estimand
    if outcome is not None:
        sel &= t["outcome"] == outcome
    if split is not None:
        sel &= t["split"] == split
    return t[sel]


def true_value(source, outcome: str, estimand: str = "att", split: str | None = None) -> float:
    """The true ``estimand`` of ``outcome`` (for ``split``: the moderator of ``interaction``, the split of
    ``att_by_group``) from a panel or its truth table; NaN without a truth table or without such a row."""
    rows = _rows(source, estimand, outcome, split)
    return float(rows["value"].iloc[0]) if rows is not None and len(rows) else float("nan")


def true_values(
    source, estimand: str = "att", outcome: str | None = None, split: str | None = None, by="outcome"
) -> dict:
    """``{key: true value}`` of the rows of ``estimand`` (optionally of one ``outcome`` / ``split``), keyed by the
    column ``by`` (or a tuple of columns, e.g. ``("split", "group")``); ``{}`` without a truth table."""
    rows = _rows(source, estimand, outcome, split)
    if rows is None:
        return {}
    keys = zip(*(rows[c] for c in by)) if isinstance(by, (tuple, list)) else rows[by]
    return dict(zip(keys, rows["value"].astype(float)))
