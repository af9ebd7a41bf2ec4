"""Chapter 10 (event study, Goodman-Bacon): every computation of the page, so the notebook is prose, short calls and
glue.

What: :func:`event_study_report` (binned event study, its joint pre-trend test and, on the semi-synthetic track, the
true effect by event time from :func:`truth_by_event_time`) with :func:`event_study_figure`; :func:`bacon_sample`,
:func:`bacon_report` (the 2×2 comparisons inside the TWFE coefficient, the weight and estimate of the forbidden ones)
with :func:`bacon_figure`; :func:`truth_note`.
Why: the paper reports one TWFE coefficient; this page shows what it averages and whether the pre-periods agree.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..errors import NQPInputError
from ..estimators.bacon import bacon_decomposition, bacon_summary
from ..estimators.event_study import event_study, pretrend_test
from ..plotting import COLORS, event_study_plot, legend_below
from .robust_did import truth_att

__all__ = [
    "FORBIDDEN",
    "bacon_figure",
    "bacon_report",
    "bacon_sample",
    "event_study_figure",
    "event_study_report",
    "truth_by_event_time",
    "truth_note",
]

FORBIDDEN = "Later vs Earlier Treated"
_TABLE_COLUMNS = [
    "term",
    "event_time",
    "estimate",
    "std_error",
    "conf_low",
    "conf_high",
    "p_value",
    "binned",
    "reference",
]
_PALETTE = {
    "Treated vs Never Treated": COLORS["ours"],
    "Earlier vs Later Treated": COLORS["truth"],
    FORBIDDEN: COLORS["paper"],
    "Later vs Always Treated": "#8e44ad",
}


def truth_by_event_time(truth: pd.DataFrame, outcome: str, event_time: pd.Series, lags: int) -> pd.Series:
    """True effect at each ``event_time``: 0 before approval; the binned end point ``lags`` gets the mean over the
    event times it pools, weighted by their treated city-years."""
    t = truth.query("outcome == @outcome and estimand == 'att_by_event_time'")
    t = t.assign(e=np.minimum(t["event_time"].astype(int), lags))
    tv = t.groupby("e").apply(lambda d: np.average(d["value"], weights=d["n_obs"]), include_groups=False)
    return event_time.map(tv).where(event_time >= 0, 0.0)


def event_study_report(panel: pd.DataFrame, outcome: str, leads: int, lags: int):
    """The event study of ``outcome`` (``leads``/``lags`` binned end points, city-clustered SE) and its pre-trend test.

    Returns ``(es, table, pretrend, numbers)``: the estimates (with ``truth`` when the panel has one), the saved table,
    the joint test that every lead is zero, and the glued numbers ``pt_F``, ``pt_p``, ``pt_q``, ``es_n_obs``."""
    if outcome not in panel or panel[outcome].isna().all():
        raise NQPInputError(f"outcome {outcome!r} is absent on this track (the real track has no Mea); choose another")
    es = event_study(panel, outcome, leads=leads, lags=lags)
    pt = pretrend_test(es)
    numbers = {
        "pt_F": float(pt["statistic"].iloc[0]),
        "pt_p": float(pt["p_value"].iloc[0]),
        "pt_q": int(pt["df_num"].iloc[0]),
        "es_n_obs": int(es["n_obs"].iloc[0]),
    }
    cols = list(_TABLE_COLUMNS)
    truth = panel.attrs.get("truth")
    if truth is not None:
        es["truth"] = truth_by_event_time(truth, outcome, es["event_time"], lags)
        cols.append("truth")
    return es, es[cols + ["n_obs", "n_clusters", "outcome"]], pt, numbers


def _event_label(e: int, binned: bool) -> str:
    return f"≤{e}" if (binned and e < 0) else (f"≥{e}" if binned else str(e))


def event_study_figure(es: pd.DataFrame, outcome: str):
    """Leads and lags with 95% bands, the true effects as crosses when ``es`` has them, bins labelled ≤/≥."""
    fig, ax = plt.subplots(figsize=(7.5, 4))
    event_study_plot(es, ax=ax, ylabel=f"Effect on {outcome} (index points)")
    if "truth" in es:
        ax.plot(es["event_time"], es["truth"], ls="none", marker="X", ms=7, color=COLORS["truth"], label="truth")
        legend_below(ax)
    ax.set_xticks(es["event_time"], [_event_label(e, b) for e, b in zip(es["event_time"], es["binned"])])
    return fig


def bacon_sample(panel: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """City-years with ``outcome``, restricted to the cities observed with it in every year (the decomposition needs a
    balanced panel)."""
    ok = panel.dropna(subset=[outcome])
    return ok[ok.groupby("city_code")["year"].transform("size") == ok["year"].nunique()]


def bacon_report(panel: pd.DataFrame, outcome: str):
    """Goodman-Bacon decomposition of the TWFE coefficient (no controls) of ``outcome`` on :func:`bacon_sample`.

    Returns ``(decomposition, summary, numbers)``; ``numbers``: ``bacon_cities``, ``bacon_years``, ``bacon_twfe``,
    the weight ``w_forbidden`` (0 without forbidden comparisons) and mean estimate ``b_forbidden`` (NaN then) of the
    later-vs-earlier comparisons, and ``b_clean``, the weighted mean estimate of the other comparison types."""
    ok = bacon_sample(panel, outcome)
    numbers = {"bacon_cities": int(ok["city_code"].nunique()), "bacon_years": f"{ok['year'].min()}–{ok['year'].max()}"}
    bd = bacon_decomposition(ok, outcome)
    bs = bacon_summary(bd)
    bsi = bs.set_index("type")
    forb = bsi.loc[FORBIDDEN] if FORBIDDEN in bsi.index else None
    clean = bsi.drop(index=["Total", FORBIDDEN], errors="ignore")
    numbers.update(
        bacon_twfe=float(bd.attrs["twfe_estimate"]),
        w_forbidden=float(forb["weight"]) if forb is not None else 0.0,
        b_forbidden=float(forb["estimate"]) if forb is not None else float("nan"),
        b_clean=float(np.average(clean["estimate"], weights=clean["weight"])),
    )
    return bd, bs, numbers


def bacon_figure(bd: pd.DataFrame, outcome: str):
    """Every 2×2 comparison: estimate against weight, coloured by type, with the TWFE coefficient as a dashed line."""
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    for typ, d in bd.groupby("type"):
        ax.scatter(d["weight"], d["estimate"], s=40, alpha=0.8, color=_PALETTE.get(typ, "grey"), label=typ)
    ax.axhline(bd.attrs["twfe_estimate"], color=COLORS["ref"], ls="--", lw=1, label="TWFE (weighted mean)")
    ax.axhline(0, color=COLORS["ref"], lw=0.6)
    ax.set_xlabel("Weight in the TWFE coefficient")
    ax.set_ylabel(f"2×2 DiD estimate ({outcome})")
    legend_below(ax, ncol=2, fontsize=8)
    return fig


def truth_note(panel: pd.DataFrame, outcome: str) -> str | None:
    """One sentence with the true ATT of ``outcome`` on a semi-synthetic panel; None on tracks without a truth."""
    att = truth_att(panel, outcome)
    if np.isnan(att):
        return None
    return f"Semi-synthetic truth: the average effect on the treated city-years is {att:.3f}."
