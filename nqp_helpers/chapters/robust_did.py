"""Chapter 11 (robust DiD): every computation of the page, so the notebook is prose, short calls and glue.

What: :func:`balanced_sample` (the one sample every robust estimator shares); :func:`robust_comparison` and
:func:`comparison_pivot`/:func:`comparison_figure` (TWFE beside CS, Sun–Abraham, imputation, dCDH on every outcome);
:func:`dcdh_vs_cs` (dCDH equals CS not-yet-treated here); :func:`untreated_bias_check` (estimators on ``Pro_y0``);
:func:`conditional_comparison` (TWFE with the paper's six controls beside Callaway–Sant'Anna without and with them —
doubly robust, IPW, outcome regression, both comparison groups — and the two-step :func:`adjusted_outcome_cs`, all on
one sample) with :func:`overlap_summary`/:func:`overlap_facts` (propensity-score ranges, trimming, skipped cells);
:func:`honest_sensitivity`, :func:`breakdown_values`, :func:`honest_figure` (HonestDiD through its public API).
Why: the paper's identification is parallel trends *conditional* on its controls, so the like-for-like robust
estimate is the conditional one — and "conditional" has two meanings that this chapter separates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.semi_synthetic.truth import true_value
from ..errors import NQPInputError
from ..estimators.callaway_santanna import callaway_santanna
from ..estimators.twfe import twfe
from ..variables import PAPER_VARIABLES

__all__ = [
    "CS_METHODS",
    "PAPER_CONTROLS",
    "adjusted_outcome_cs",
    "available_controls",
    "balanced_sample",
    "breakdown_values",
    "comparison_display",
    "comparison_numbers",
    "comparison_pivot",
    "conditional_comparison",
    "conditional_headline",
    "conditional_verdict",
    "dcdh_check",
    "honest_figure",
    "honest_sensitivity",
    "overlap_facts",
    "overlap_summary",
    "robust_comparison",
    "truth_att",
    "untreated_bias_check",
]

PAPER_CONTROLS = PAPER_VARIABLES["controls"]
CS_METHODS = {"dr": "doubly robust", "ipw": "IPW", "reg": "outcome regression"}
_CG = {"never_treated": "never treated", "not_yet_treated": "not yet treated"}
# the three estimators whose Pro estimates the prose quotes, glued as cmp_0, cmp_1, cmp_2
HEADLINE_ESTIMATORS = ("TWFE, paper's controls", "Borusyak–Jaravel–Spiess", "Callaway–Sant'Anna (never treated)")


def available_controls(panel: pd.DataFrame, controls=PAPER_CONTROLS) -> list[str]:
    """The controls of ``controls`` present (with some values) on this panel, in their order."""
    return [c for c in controls if c in panel and panel[c].notna().any()]


def balanced_sample(df: pd.DataFrame, y: str, controls=()) -> pd.DataFrame:
    """City-years with ``y`` and every control, restricted to cities observed in all those years.

    Pilots approved after the last such year are recoded never treated within the sample (as did/moderndid do).
    """
    need = [y, *controls]
    missing = [c for c in need if c not in df]
    if missing:
        raise NQPInputError(f"balanced_sample: missing column(s) {missing}")
    d = df.dropna(subset=need)
    if d.empty:
        raise NQPInputError(f"balanced_sample: no city-year has all of {need}")
    d = d[d.groupby("city_code")["year"].transform("size") == d["year"].nunique()].copy()
    d.loc[d["first_treat"] > d["year"].max(), "first_treat"] = 0
    return d


def _row(outcome, estimator, comparison, r, term, truth, **extra):
    x = r[r["term"] == term].iloc[0]
    return dict(
        outcome=outcome,
        estimator=estimator,
        comparison=comparison,
        estimate=float(x["estimate"]),
        std_error=float(x["std_error"]),
        conf_low=float(x["conf_low"]),
        conf_high=float(x["conf_high"]),
        n_cities=int(x["n_clusters"]),
        truth=truth,
        **extra,
    )


def conditional_comparison(
    panel: pd.DataFrame, outcome: str, controls, truth: float = np.nan, methods=tuple(CS_METHODS)
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """TWFE with ``controls`` and Callaway–Sant'Anna (simple ATT) without and with them, on one balanced sample.

    Returns (table, att_gt rows of every conditional CS fit with its method and comparison group). The table has
    one row per estimator: ``estimate``, ``std_error``, interval, ``n_cities``, ``cells_dropped`` (ATT(g,t) cells
    skipped for lack of overlap) and ``truth`` (``NaN`` off the semi-synthetic track).
    """
    controls = list(controls)
    d = balanced_sample(panel, outcome, controls)
    rows = [
        _row(
            outcome,
            "TWFE, paper's controls",
            "all not switching",
            twfe(d, outcome, controls=controls),
            "Inn",
            truth,
            cells_dropped=0,
        )
    ]
    cells = []
    for cg, lab in _CG.items():
        cs = callaway_santanna(d, outcome, control_group=cg, aggregation="simple")
        rows.append(
            _row(
                outcome,
                "Callaway–Sant'Anna, no controls",
                lab,
                cs[cs["aggregation"] == "simple"],
                "ATT",
                truth,
                cells_dropped=0,
            )
        )
        for m in methods:
            cs = callaway_santanna(d, outcome, controls=controls, method=m, control_group=cg, aggregation="simple")
            info = cs.attrs["callaway_santanna"]
            rows.append(
                _row(
                    outcome,
                    f"Callaway–Sant'Anna, controls, {CS_METHODS[m]}",
                    lab,
                    cs[cs["aggregation"] == "simple"],
                    "ATT",
                    truth,
                    cells_dropped=len(info["dropped_cells"]),
                )
            )
            cells.append(cs[cs["aggregation"] == "att_gt"].assign(method=m, comparison=lab, reason=np.nan))
            if info["dropped_cells"]:
                drop = pd.DataFrame(info["dropped_cells"], columns=["cohort", "time", "reason"])
                cells.append(drop.assign(method=m, comparison=lab).astype({"cohort": "Int64", "time": "Int64"}))
    adj = adjusted_outcome_cs(d, outcome, controls)
    rows.append(
        dict(
            outcome=outcome,
            estimator="Callaway–Sant'Anna on the control-adjusted outcome (two-step)",
            comparison="never treated",
            estimate=adj,
            std_error=np.nan,
            conf_low=np.nan,
            conf_high=np.nan,
            n_cities=int(d["city_code"].nunique()),
            truth=truth,
            cells_dropped=0,
        )
    )
    cells = [c.dropna(axis=1, how="all") for c in cells]  # all-NA columns would only warn in pd.concat
    return pd.DataFrame(rows), pd.concat(cells, ignore_index=True).reindex(columns=list(cells[0].columns) + ["reason"])


def adjusted_outcome_cs(d: pd.DataFrame, outcome: str, controls) -> float:
    """Unconditional CS (never treated, simple ATT) on ``outcome - theta'X``, theta = TWFE's control coefficients.

    The paper's model adjusts for the controls *as they change over time* (linearly); CS with covariates instead
    conditions on their base-period *levels*. This two-step estimate uses the paper's adjustment with CS's clean
    comparisons (point estimate only: its SE would have to include the estimation error of theta).
    """
    controls = list(controls)
    theta = twfe(d, outcome, controls=controls).set_index("term").loc[controls, "estimate"].to_numpy()
    adj = d.assign(_adj=d[outcome] - d[controls].to_numpy(float) @ theta)
    r = callaway_santanna(adj, "_adj", aggregation="simple")
    return float(r.loc[(r["aggregation"] == "simple") & (r["term"] == "ATT"), "estimate"].iloc[0])


def conditional_verdict(headline: dict, truth: float, adjusted: float, tol: float = 0.1) -> str:
    """One sentence comparing the doubly robust conditional CS and the two-step estimate with the truth.

    "Close" means within ``tol`` x |truth|. Off the semi-synthetic track (no truth) it says what is compared.
    """
    dr = headline["cs_dr"]
    if not np.isfinite(truth):
        return (
            f"Without a known truth on this track, compare the doubly robust estimate ({dr:.3f}) with the "
            f"two-step estimate on the control-adjusted outcome ({adjusted:.3f}): a gap says the two "
            "assumptions about the controls lead to different answers here."
        )
    close = {k: abs(v - truth) <= tol * abs(truth) for k, v in (("dr", dr), ("adj", adjusted))}
    word = {True: "close to", False: "far from"}
    return (
        f"Against the truth ({truth:.3f}), the doubly robust conditional estimate ({dr:.3f}) is "
        f"{word[close['dr']]} it, and the two-step estimate on the control-adjusted outcome ({adjusted:.3f}) is "
        f"{word[close['adj']]} it."
    )


def overlap_summary(cells: pd.DataFrame, method: str = "dr", comparison: str = "never treated") -> pd.DataFrame:
    """Per cohort: ATT(g,t) cells kept and skipped, propensity-score range and share of comparison units trimmed."""
    c = cells[(cells["method"] == method) & (cells["comparison"] == comparison)]
    kept = c[c["reason"].isna()]
    out = kept.groupby("cohort").agg(
        cells_kept=("term", "size"),
        ps_min=("ps_min", "min"),
        ps_max=("ps_max", "max"),
        share_trimmed_max=("share_trimmed", "max"),
    )
    skipped = c[c["reason"].notna()].groupby("cohort").size().rename("cells_skipped")
    out = out.join(skipped, how="outer").fillna({"cells_kept": 0, "cells_skipped": 0})
    out[["cells_kept", "cells_skipped"]] = out[["cells_kept", "cells_skipped"]].astype(int)
    return out.reset_index()


def comparison_display(table: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """The comparison table for the page: human headers, SE in parentheses, interval in brackets, "—" for missing."""

    def f(x):
        return "—" if pd.isna(x) else f"{x:.{digits}f}"

    return pd.DataFrame(
        {
            "Estimator": table["estimator"],
            "Comparison group": table["comparison"],
            "Estimate": table["estimate"].map(f),
            "(SE)": table["std_error"].map(lambda s: f"({f(s)})"),
            "95% interval": [f"[{f(lo)}, {f(hi)}]" for lo, hi in zip(table["conf_low"], table["conf_high"])],
            "Cities": table["n_cities"],
            "Cells skipped": table["cells_dropped"],
            "Truth": table["truth"].map(f),
        }
    ).reset_index(drop=True)


def overlap_facts(cells: pd.DataFrame, method: str = "dr", comparison: str = "never treated") -> dict:
    """Numbers for the prose: cells kept / skipped, the widest propensity-score range, the largest share trimmed."""
    c = cells[(cells["method"] == method) & (cells["comparison"] == comparison)]
    kept = c[c["reason"].isna()]
    return {
        "cells_kept": len(kept),
        "cells_skipped": int(c["reason"].notna().sum()),
        "ps_min": float(kept["ps_min"].min()),
        "ps_max": float(kept["ps_max"].max()),
        "share_trimmed_max": float(kept["share_trimmed"].max()),
    }


def conditional_headline(table: pd.DataFrame) -> dict:
    """The estimates the prose quotes (never-treated comparisons unless said): TWFE, CS without and with controls."""

    def pick(estimator, comparison="never treated"):
        r = table[(table["estimator"] == estimator) & (table["comparison"] == comparison)]
        return float(r["estimate"].iloc[0]) if len(r) else float("nan")

    out = {
        "twfe": pick("TWFE, paper's controls", "all not switching"),
        "cs_none": pick("Callaway–Sant'Anna, no controls"),
        "n_cities": int(table["n_cities"].iloc[0]),
        "cs_adjusted": pick("Callaway–Sant'Anna on the control-adjusted outcome (two-step)"),
    }
    for m, lab in CS_METHODS.items():
        out[f"cs_{m}"] = pick(f"Callaway–Sant'Anna, controls, {lab}")
    out["cs_dr_nyt"] = pick(f"Callaway–Sant'Anna, controls, {CS_METHODS['dr']}", "not yet treated")
    return out


def truth_att(panel: pd.DataFrame, outcome: str = "Pro", estimand: str = "att") -> float:
    """True effect ``estimand`` of ``outcome`` on a semi-synthetic panel; NaN on the other tracks."""
    return true_value(panel, outcome, estimand)


def robust_comparison(panel: pd.DataFrame, outcomes, horizons: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every estimator of the chapter on every outcome, each on the outcome's balanced sample (no covariates
    except the TWFE-with-controls row). Returns (one row per outcome x estimator, CS overall aggregations).

    dCDH (moderndid ``did_multiplegt``) averages its first ``horizons`` effects: a different target, no truth.
    """
    import warnings

    import moderndid

    from ..estimators.imputation import imputation_did
    from ..estimators.sun_abraham import sun_abraham

    rows, cs_aggs = [], []

    def add(y, name, r, term, controls_used, note=""):
        x = r[r["term"] == term].iloc[0]
        rows.append(
            dict(
                outcome=y,
                estimator=name,
                estimate=x["estimate"],
                std_error=x["std_error"],
                conf_low=x["conf_low"],
                conf_high=x["conf_high"],
                n_obs=int(x["n_obs"]),
                controls_used=controls_used,
                note=note,
                truth=truth_att(panel, y),
            )
        )

    for y in outcomes:
        d = balanced_sample(panel, y)
        ctrl = available_controls(d)
        add(
            y,
            "TWFE, paper's controls",
            twfe(d, y, controls=ctrl),
            "Inn",
            "yes",
            f"controls: {', '.join(ctrl)}; rows with a missing control dropped",
        )
        add(y, "TWFE, no controls", twfe(d, y), "Inn", "no")
        for cg, lab in _CG.items():
            cs = callaway_santanna(d, y, control_group=cg, aggregation=["simple", "dynamic", "group"])
            add(
                y,
                f"Callaway–Sant'Anna ({lab})",
                cs[cs["aggregation"] == "simple"],
                "ATT",
                "no",
                "simple aggregation: treated city-years weighted equally",
            )
            a = cs[cs["term"] == "ATT"].assign(outcome=y, control_group=cg)
            cs_aggs.append(
                a[["outcome", "control_group", "aggregation", "estimate", "std_error", "conf_low", "conf_high"]]
            )
        max_e = int(d["year"].max() - d.loc[d["first_treat"] > 0, "first_treat"].min())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sa = sun_abraham(d, y, leads=1, lags=max_e)
            dcy = moderndid.did_multiplegt(
                d[["city_code", "year", y, "Inn"]],
                yname=y,
                tname="year",
                idname="city_code",
                dname="Inn",
                effects=horizons,
            )
        add(
            y,
            "Sun–Abraham",
            sa[sa["aggregation"] == "att"],
            "att",
            "no",
            "never-treated controls; all post event times",
        )
        add(
            y,
            "Borusyak–Jaravel–Spiess",
            imputation_did(d, y, horizons=[]),
            "att",
            "no",
            "imputation; Gardner two-stage SEs",
        )
        rows.append(
            dict(
                outcome=y,
                estimator=f"de Chaisemartin–D'Haultfœuille (avg of {horizons} horizons)",
                estimate=float(dcy.ate.estimate),
                std_error=float(dcy.ate.std_error),
                conf_low=float(dcy.ate.ci_lower),
                conf_high=float(dcy.ate.ci_upper),
                n_obs=len(d),
                controls_used="no",
                note=f"moderndid {moderndid.__version__}; different target",
                truth=np.nan,
            )
        )
    return pd.DataFrame(rows), pd.concat(cs_aggs, ignore_index=True)


def comparison_pivot(comparison: pd.DataFrame, outcomes) -> pd.DataFrame:
    """Estimators x outcomes (estimates), in the table's order, with a truth row when the panel has one."""
    piv = comparison.pivot(index="estimator", columns="outcome", values="estimate")[list(outcomes)]
    piv = piv.loc[comparison["estimator"].drop_duplicates()]
    tr = comparison.drop_duplicates("outcome").set_index("outcome")["truth"]
    if tr.notna().any():
        piv.loc["truth (average effect on treated city-years)"] = [tr.get(y, np.nan) for y in outcomes]
    piv.columns.name = None
    return piv


def comparison_numbers(piv: pd.DataFrame, outcome: str = "Pro") -> dict:
    """``cmp_0``..``cmp_2``: the ``outcome`` estimates of :data:`HEADLINE_ESTIMATORS` in :func:`comparison_pivot`
    (NaN when the outcome is absent)."""
    return {
        f"cmp_{k}": float(piv.loc[name, outcome]) if outcome in piv.columns else float("nan")
        for k, name in enumerate(HEADLINE_ESTIMATORS)
    }


def untreated_bias_check(
    panel: pd.DataFrame, y0: str = "Pro_y0", outcome: str = "Pro", tol: float = 0.05
) -> tuple[pd.DataFrame, str]:
    """Estimators run on the untreated potential outcome ``y0`` (true effect 0), and a sentence judging the result.

    "Close to parallel" means every estimate within ``tol`` x |true effect on ``outcome``|.
    """
    from ..estimators.imputation import imputation_did

    d = balanced_sample(panel, y0)
    cs = callaway_santanna(d, y0, aggregation="simple")
    bias = pd.DataFrame(
        {
            "estimator": ["TWFE, no controls", "Callaway–Sant'Anna (never treated)", "Borusyak–Jaravel–Spiess"],
            f"estimate_on_{y0}": [
                _coef_of(twfe(d, y0), "Inn"),
                _coef_of(cs[cs["aggregation"] == "simple"], "ATT"),
                _coef_of(imputation_did(d, y0, horizons=[]), "att"),
            ],
        }
    )
    vals = ", ".join(f"{v:.3f}" for v in bias[f"estimate_on_{y0}"])
    worst = float(bias[f"estimate_on_{y0}"].abs().max())
    if worst < tol * abs(truth_att(panel, outcome)):
        msg = (
            f"On `{y0}` the estimators return {vals}: within {tol:.0%} of the true effect on {outcome}, so the "
            "simulated untreated paths of pilot and other cities are (close to) parallel and the gaps to the green "
            "crosses above come from the estimators and from sampling noise."
        )
    else:
        msg = (
            f"On `{y0}` the estimators return {vals} instead of 0: the simulated untreated paths of pilot and "
            "other cities are **not parallel**, so every DiD estimate on this panel, robust or not, carries that "
            "bias; the gaps to the green crosses above are partly this, not TWFE's weighting."
        )
    return bias, msg


def _coef_of(r: pd.DataFrame, term: str) -> float:
    return float(r.loc[r["term"] == term, "estimate"].iloc[0])


RM_BOUNDS = (0, 0.5, 1, 1.5)
SMOOTH_BOUNDS = (0, 0.01, 0.02, 0.05, 0.1)


def honest_sensitivity(panel: pd.DataFrame, outcome: str, leads: int, lags: int, grid: int) -> pd.DataFrame:
    """HonestDiD intervals for the e = 0 effect of the TWFE event study of ``outcome``, under the relative-magnitude
    bounds :data:`RM_BOUNDS` (``grid`` scan points per side before bisection) and the smoothness bounds
    :data:`SMOOTH_BOUNDS`; the bound of each row is in column ``bound``. Calls
    :func:`..estimators.honest_did.honest_did` (public API only)."""
    from ..estimators.event_study import event_study
    from ..estimators.honest_did import honest_did

    es = event_study(balanced_sample(panel, outcome), outcome, leads=leads, lags=lags)
    sens = []
    for method, kw in (
        ("relative_magnitude", dict(Mbar=RM_BOUNDS, grid_points=grid)),
        ("smoothness", dict(M=SMOOTH_BOUNDS)),
    ):
        h = honest_did(es, method=method, e=0, **kw)
        h["bound"] = h.get("Mbar", h.get("M"))
        sens.append(h.drop(columns=[c for c in ("Mbar", "M") if c in h]))
    return pd.concat(sens, ignore_index=True).assign(outcome=outcome)


def breakdown_values(sens: pd.DataFrame) -> dict:
    """Per method, the smallest bound whose robust interval includes 0 (text), or "beyond the largest bound tried"."""
    rob = sens[sens["term"] == "robust"]
    out = {}
    for m in ("relative_magnitude", "smoothness"):
        r = rob[(rob["method"] == m) & (rob["conf_low"] <= 0) & (rob["conf_high"] >= 0)]
        out[m] = f"{r['bound'].min():g}" if len(r) else "beyond the largest bound tried"
    return out


def honest_figure(sens: pd.DataFrame, outcome: str):
    """Two panels (relative magnitude, smoothness): the original interval and the robust ones as the bound grows."""
    import matplotlib.pyplot as plt

    from ..plotting import COLORS

    rob = sens[sens["term"] == "robust"]
    orig = sens[sens["term"] == "original"].iloc[0]
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharey=True)
    for ax, m, lab in zip(
        axes, ("relative_magnitude", "smoothness"), ("$\\bar M$ (relative magnitude)", "$M$ (smoothness, index points)")
    ):
        r = rob[rob["method"] == m].reset_index(drop=True)
        x = np.arange(len(r))
        ax.errorbar(
            x,
            (r["conf_low"] + r["conf_high"]) / 2,
            yerr=(r["conf_high"] - r["conf_low"]) / 2,
            fmt="none",
            ecolor=COLORS["ours"],
            capsize=4,
            lw=2,
            label="robust 95% CI",
        )
        ax.errorbar(
            [-1],
            [orig["estimate"]],
            yerr=[[orig["estimate"] - orig["conf_low"]], [orig["conf_high"] - orig["estimate"]]],
            fmt="o",
            color=COLORS["paper"],
            capsize=4,
            label="original (exact parallel trends)",
        )
        ax.set_xticks([-1, *x], ["orig."] + [f"{b:g}" for b in r["bound"]])
        ax.axhline(0, color=COLORS["ref"], lw=0.8)
        ax.set_xlabel(lab)
    axes[0].set_ylabel(f"Effect on {outcome} at e = 0")
    axes[0].legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


def overlap_display(summary: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """:func:`overlap_summary` for the page: human headers, "—" where a cohort has no estimated cell."""

    def f(x, fmt):
        return "—" if pd.isna(x) else format(x, fmt)

    return pd.DataFrame(
        {
            "Cohort": summary["cohort"].astype(int),
            "Cells estimated": summary["cells_kept"],
            "Cells skipped": summary["cells_skipped"],
            "Lowest score": summary["ps_min"].map(lambda x: f(x, f".{digits}f")),
            "Highest score": summary["ps_max"].map(lambda x: f(x, f".{digits}f")),
            "Largest share trimmed": summary["share_trimmed_max"].map(lambda x: f(x, ".1%")),
        }
    )


def dcdh_horizons(d: pd.DataFrame) -> int:
    """Number of dCDH horizons: up to 8, and no more than the years after the first cohort's approval."""
    return int(min(8, d["year"].max() - d.loc[d["first_treat"] > 0, "first_treat"].min()))


def dcdh_vs_cs(d: pd.DataFrame, outcome: str, horizons: int) -> pd.DataFrame:
    """dCDH horizon effects (moderndid ``did_multiplegt``) beside CS not-yet-treated event-time effects at l - 1.

    For a binary, permanent treatment the two are the same numbers (computed by independent code).
    """
    import warnings

    import moderndid

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dc = moderndid.did_multiplegt(
            d[["city_code", "year", outcome, "Inn"]],
            yname=outcome,
            tname="year",
            idname="city_code",
            dname="Inn",
            effects=horizons,
        )
    cs = callaway_santanna(d, outcome, control_group="not_yet_treated", aggregation="dynamic")
    cs_e = cs.query("aggregation == 'dynamic' and term != 'ATT'").set_index("event_time")["estimate"]
    check = pd.DataFrame(
        {
            "horizon_l": dc.effects.horizons.astype(int),
            "dCDH": dc.effects.estimates,
            "CS_not_yet_treated_e=l-1": [cs_e.get(int(h) - 1, np.nan) for h in dc.effects.horizons],
        }
    )
    check["difference"] = check["dCDH"] - check["CS_not_yet_treated_e=l-1"]
    return check


def dcdh_check(panel: pd.DataFrame, outcome: str) -> tuple[pd.DataFrame, int, dict]:
    """:func:`dcdh_vs_cs` on the :func:`balanced_sample` of ``outcome`` with :func:`dcdh_horizons` horizons.

    Returns ``(check, horizons, numbers)``; ``horizons`` is the ``L`` every dCDH estimate of the page uses, ``numbers``
    the glued ``moderndid_version`` and ``dcdh_maxdiff`` (largest absolute dCDH − CS difference)."""
    import moderndid

    d = balanced_sample(panel, outcome)
    horizons = dcdh_horizons(d)
    check = dcdh_vs_cs(d, outcome, horizons)
    return (
        check,
        horizons,
        {"moderndid_version": moderndid.__version__, "dcdh_maxdiff": float(check["difference"].abs().max())},
    )


def comparison_figure(comparison: pd.DataFrame, outcomes, with_truth: bool):
    """One coefficient panel per outcome: every estimator's estimate and 95% interval (truth crosses if known)."""
    import matplotlib.pyplot as plt

    from ..plotting import coef_plot

    fig, axes = plt.subplots(len(outcomes), 1, figsize=(7.5, 2.6 * len(outcomes)), sharex=False)
    axes = np.atleast_1d(axes)
    for ax, y in zip(axes, outcomes):
        sub = comparison[comparison["outcome"] == y].reset_index(drop=True)
        coef_plot(
            sub, label="estimator", truth="truth" if with_truth else None, ax=ax, xlabel=f"Effect on {y} (index points)"
        )
        ax.set_title(y, loc="left")
        ax.tick_params(axis="y", labelsize=8)
        if ax.get_legend() is not None and ax is not axes[0]:
            ax.get_legend().remove()
    if axes[0].get_legend() is not None:
        axes[0].legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    return fig
