"""Chapter 05 (Table 4, instrumental variables): every computation and conditional sentence of the page.

What: :func:`availability` (outcomes and instruments present, with the track's notes); :func:`first_stage` and
:func:`first_stage_numbers` (F and its verdict); :func:`table4` (2SLS beside the paper, OLS and the truth) with
:func:`table4_layout`, :func:`iv_figure`, :func:`ratio_numbers`; :func:`decompose` and :func:`split_text` (exact
split of each estimate into bias and weighted effect); :func:`violation` and :func:`violation_text` (a panel whose
instruments break exclusion). Why: the notebook keeps prose, short calls and glue; these functions are tested directly
(tests/test_chapters_iv.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..compare import compare_to_paper
from ..data.load import load_panel
from ..data.semi_synthetic.truth import true_values
from ..display import fmt_num
from ..estimators.iv import iv_first_stage, iv_twfe
from ..estimators.po_decomposition import po_decomposition
from ..estimators.twfe import twfe
from ..plotting import COLORS, coef_plot, legend_below
from ..regtable import paper_layout
from ..reported import reported
from ..variables import CONTROLS, INSTRUMENTS, OUTCOMES

__all__ = [
    "GLUED",
    "IVAvailability",
    "SPECS",
    "Table4",
    "availability",
    "decompose",
    "first_stage",
    "first_stage_numbers",
    "glued_missing",
    "iv_figure",
    "ratio_numbers",
    "split_text",
    "table4",
    "table4_layout",
    "true_att",
    "unavailable_figure",
    "violation",
    "violation_numbers",
    "violation_text",
]

_CONTROLS = list(CONTROLS)
SPECS = dict(zip(INSTRUMENTS, (("iv_nightlight_1997", "night lights"), ("iv_laozihao", "laozihao"))))
"""{instrument column: (the paper's spec name in Table 4, its label on the page)}."""
GLUED = [
    "F_iv_ntl",
    "F_iv_lzh",
    "F_verdict",
    "ols_Pro",
    "iv_ntl_Pro",
    "iv_lzh_Pro",
    "ratio_min",
    "ratio_max",
    "paper_ratio_min",
    "paper_ratio_max",
]
INN_SHOWN = [
    "instrument",
    "outcome",
    "coef_paper",
    "stars_paper",
    "estimate",
    "stars",
    "std_error",
    "ar_set",
    "first_stage_F",
    "ols_estimate",
    "truth",
    "status",
]
FIRST_STAGE_SHOWN = [
    "instrument",
    "outcome",
    "estimate",
    "std_error",
    "p_value",
    "partial_r2",
    "first_stage_F",
    "n_obs",
]


def glued_missing(keys=GLUED) -> dict:
    """ "n/a" for numbers of the prose that cannot be computed on this panel."""
    return {k: "n/a" for k in keys}


def true_att(panel: pd.DataFrame) -> dict:
    """{outcome: true ATT} from the simulator's truth table ({} on other tracks)."""
    return true_values(panel)


@dataclass
class IVAvailability:
    """What the chapter can estimate on a panel, and the notes that say why not."""

    outcomes: list
    instruments: list
    missing_ctrl: list
    notes: list

    @property
    def run(self) -> bool:
        return bool(self.outcomes) and bool(self.instruments) and not self.missing_ctrl

    def note(self) -> str:
        """The notes as one Markdown block (or what will be estimated, if nothing is missing)."""
        return (
            "\n\n".join(self.notes)
            if self.notes
            else f"Instruments estimated: {', '.join(self.instruments)}; outcomes: {', '.join(self.outcomes)}."
        )


def availability(panel: pd.DataFrame) -> IVAvailability:
    """Outcomes, instruments and controls present on ``panel``, with a note per limitation of its track."""
    track = panel.attrs.get("track", "user")
    missing_ctrl = [c for c in _CONTROLS if c not in panel or panel[c].notna().sum() == 0]
    outcomes = [o for o in OUTCOMES if o in panel and panel[o].notna().any()]
    instruments = [z for z in SPECS if z in panel and panel[z].notna().any()]
    notes = []
    if [o for o in OUTCOMES if o not in outcomes]:
        notes.append(
            f"Outcome(s) absent on this track: {', '.join(o for o in OUTCOMES if o not in outcomes)} (no "
            "public source for these indicators; the columns are skipped, not simulated)."
        )
    if "iv_lzh" not in instruments:
        notes.append(
            "**The 老字号 column (`iv_lzh`) cannot be run**: there is no public city-level count of "
            "中华老字号 firms in this build, so `laozihao` and `iv_lzh` are absent. Only the night-light "
            "instrument is estimated."
        )
    if track == "real" and "iv_ntl" in instruments:
        notes.append(
            "**Night-light instrument on the real track is a proxy**: `ntl_base` is the 2001 mean of the "
            "NPP-VIIRS-like harmonised series (Chen et al. 2021), not the 1997 DMSP-OLS image the paper "
            "uses; 2001 is the first year of that series. `iv_ntl = ntl_base × rd_intensity_lag`."
        )
    if track == "semi_synthetic":
        notes.append(
            '**Instruments on the semi-synthetic track are simulated**: `ntl_base` ("1997-like" lights) '
            "and `laozihao` are drawn per city so that cities with larger values become pilots earlier, and "
            "depend on nothing else (not on city development, the controls or the moderators); `iv_ntl` and "
            "`iv_lzh` multiply them by the national R&D-intensity series. Unless "
            "`iv_exclusion_violation=True`, both satisfy the exclusion restriction by construction (see the "
            "data-generating-process appendix)."
        )
    if missing_ctrl:
        notes.append(
            f"**Cannot run**: the control(s) {', '.join(missing_ctrl)} are absent; the paper's IV includes all six."
        )
    if not instruments:
        notes.append("**Cannot run**: neither instrument (`iv_ntl`, `iv_lzh`) is in this panel.")
    return IVAvailability(outcomes, instruments, missing_ctrl, notes)


def shift_year_correlation(panel: pd.DataFrame):
    """Correlation of the national shift (lagged R&D intensity) with the calendar year ("n/a" if not computable)."""
    if "rd_intensity_lag" in panel and panel["rd_intensity_lag"].notna().sum() > 2:
        return float(np.corrcoef(panel["rd_intensity_lag"], panel["year"])[0, 1])
    return "n/a"


def first_stage(panel: pd.DataFrame, instruments, outcomes) -> pd.DataFrame:
    """The first stage of each instrument on each outcome's sample (the instrument's row of each regression)."""
    rows = []
    for z in instruments:
        for o in outcomes:
            f = iv_first_stage(panel, instruments=[z], controls=_CONTROLS, outcome=o)
            rows.append(f[f.term == z].assign(outcome=o, instrument=z))
    return pd.concat(rows, ignore_index=True).assign(track=panel.attrs.get("track", "user"))


def first_stage_numbers(fs: pd.DataFrame) -> dict:
    """Glue values: the F of each instrument (first outcome's sample) and a verdict against 10 and 23."""
    out = {}
    for z in SPECS:
        hit = fs[(fs.instrument == z)]
        out[f"F_{z}"] = float(hit["first_stage_F"].iloc[0]) if len(hit) else "n/a"
    fmin = float(fs.groupby("instrument")["first_stage_F"].first().min())
    out["F_verdict"] = (
        "every instrument estimated here clears both thresholds"
        if fmin > 23
        else "every instrument estimated here clears the rule of thumb of 10 but not the stricter threshold"
        if fmin > 10
        else "at least one instrument estimated here is weak by the rule of thumb"
    )
    return out


@dataclass
class Table4:
    """Table 4: the tidy ``table`` (table4.csv), the 2SLS fits by spec and the OLS fits by outcome."""

    table: pd.DataFrame
    fits: dict
    ols: dict


def table4(panel: pd.DataFrame, instruments, outcomes, seed: int) -> Table4:
    """2SLS of each outcome with each instrument beside the paper, our OLS, the IV/OLS ratios and the truth."""
    truth = panel.attrs.get("truth")
    att = true_att(panel)
    ols = {o: twfe(panel, o, controls=_CONTROLS) for o in outcomes}
    fits = {
        SPECS[z][0]: pd.concat(
            [iv_twfe(panel, o, instruments=[z], controls=_CONTROLS) for o in outcomes], ignore_index=True
        )
        for z in instruments
    }
    t4 = compare_to_paper(fits, 4, {s: s for s in fits}, truth=truth)
    if "truth" not in t4:
        t4["truth"] = np.nan
    inn = t4.term == "Inn"
    t4.loc[inn, "truth"] = t4.loc[inn, "outcome"].map(att)
    t4.loc[~inn, "truth"] = np.nan
    extra = pd.concat([f.assign(spec=s) for s, f in fits.items()])
    extra = extra[extra.term == "Inn"][
        [
            "spec",
            "outcome",
            "first_stage_F",
            "first_stage_partial_r2",
            "ar_conf_low",
            "ar_conf_high",
            "ar_set",
            "ar_p_value",
            "conf_low",
            "conf_high",
        ]
    ]
    t4 = t4.merge(extra, on=["spec", "outcome"], how="left")
    t4.loc[
        t4.term != "Inn", ["first_stage_F", "first_stage_partial_r2", "ar_conf_low", "ar_conf_high", "ar_p_value"]
    ] = np.nan
    t4["instrument"] = t4["spec"].map({v[0]: k for k, v in SPECS.items()})
    t4["ols_estimate"] = np.where(
        t4.term == "Inn", t4.outcome.map({o: r.estimate.iloc[0] for o, r in ols.items()}), np.nan
    )
    paper_ols = {o: float(reported(2, o, "baseline_controls")["coef"].iloc[0]) for o in OUTCOMES}
    t4["ols_paper"] = np.where(t4.term == "Inn", t4.outcome.map(paper_ols), np.nan)
    t4["iv_ols_ratio"] = t4["estimate"] / t4["ols_estimate"]
    t4["iv_ols_ratio_paper"] = t4["coef_paper"] / t4["ols_paper"]
    t4 = t4.assign(track=panel.attrs.get("track", "user"), seed=seed)
    return Table4(t4, fits, ols)


def table4_layout(t4: Table4, instruments, outcomes, att: dict):
    """Table 4 in the paper's layout, columns in the paper's order, with the first-stage F."""
    titles = {
        f"{o} {SPECS[z][1]}": t4.fits[SPECS[z][0]][t4.fits[SPECS[z][0]].outcome == o]
        for o in outcomes
        for z in instruments
    }
    col_of = {
        f"{o} {SPECS[z][1]}": int(reported(4, o, SPECS[z][0])["column"].iloc[0]) for o in outcomes for z in instruments
    }
    titles = dict(sorted(titles.items(), key=lambda kv: col_of[kv[0]]))
    return paper_layout(
        titles,
        ["Inn", "const"],
        table=4,
        column_of=col_of,
        controls=True,
        truth=att or None,
        stats=("n_obs", "first_stage_F"),
        extra_rows={"Instrument": {t: t.split(" ", 1)[1] for t in titles}},
        caption="Table 4 rebuilt: 2SLS, ours beside the paper's" + (" and the truth" if att else ""),
    )


def unavailable_figure(text: str = "Table 4 cannot be estimated on this track"):
    """A blank strip carrying ``text``, glued where the figure cannot be drawn."""
    fig, ax = plt.subplots(figsize=(7, 1))
    ax.axis("off")
    ax.text(0.5, 0.5, text, ha="center", va="center")
    return fig


def iv_figure(inn: pd.DataFrame, with_truth: bool):
    """2SLS estimates with 95 % CIs, the paper's coefficients, our OLS and (if known) the truth, per column."""
    fig = coef_plot(
        inn.assign(label=inn.outcome + " · " + inn.instrument.map(lambda z: SPECS[z][1])),
        label="label",
        paper="coef_paper",
        truth="truth" if with_truth else None,
        xlabel="effect of the pilot on the index (2SLS, 95% CI)",
    )
    ax = fig.axes[0]
    ax.scatter(
        inn["ols_estimate"],
        np.arange(len(inn))[::-1],
        marker="|",
        s=160,
        color=COLORS["ref"],
        zorder=4,
        label="our OLS (TWFE)",
    )
    legend_below(ax)
    return fig


def ratio_numbers(t4: Table4) -> dict:
    """Glue values: the IV/OLS ratio range (ours and the paper's) and the Pro estimates by OLS and each IV."""
    r = t4.table[t4.table.term == "Inn"]
    ratios = r["iv_ols_ratio"].dropna()
    out = {
        "ratio_min": float(ratios.min()),
        "ratio_max": float(ratios.max()),
        "paper_ratio_min": float(r["iv_ols_ratio_paper"].min()),
        "paper_ratio_max": float(r["iv_ols_ratio_paper"].max()),
        "ols_Pro": float(t4.ols["Pro"].estimate.iloc[0]) if "Pro" in t4.ols else "n/a",
    }
    for z in SPECS:
        hit = r[(r.instrument == z) & (r.outcome == "Pro")]
        out[f"{z}_Pro"] = float(hit["estimate"].iloc[0]) if len(hit) else "n/a"
    return out


def decompose(panel: pd.DataFrame, outcomes, instruments, label: str) -> pd.DataFrame:
    """Exact split of OLS and each IV estimate into bias and weighted effect (needs Y(0), Y(1))."""
    rows = []
    for o in outcomes:
        for z in [None, *instruments]:
            d = po_decomposition(panel, o, f"{o}_y0", f"{o}_y1", instrument=z, controls=_CONTROLS)
            rows.append({"panel": label, "outcome": o, "estimator": "OLS (TWFE)" if z is None else f"2SLS {z}", **d})
    return pd.DataFrame(rows)


def split_text(panel: pd.DataFrame, decomp: pd.DataFrame, t4: Table4, fs: pd.DataFrame, instruments) -> str:
    """Markdown: what the split of the Pro estimates shows (bias term against weighted effect, per estimator)."""
    pro = decomp[decomp.outcome == "Pro"].set_index("estimator")
    tab = t4.table
    violated = bool(panel.attrs.get("options", {}).get("iv_exclusion_violation", False))
    iv_se = {
        z: float(tab.loc[(tab.instrument == z) & (tab.outcome == "Pro") & (tab.term == "Inn"), "std_error"].iloc[0])
        for z in instruments
    }
    fs_F = fs.groupby("instrument")["first_stage_F"].first()
    weak, strong = fs_F.idxmin(), fs_F.idxmax()
    rf_p = {z: float(twfe(panel, "Pro_y0", treatment=z, controls=_CONTROLS)["p_value"].iloc[0]) for z in instruments}

    def split_sentence(z):
        b, w, att = (pro.at[f"2SLS {z}", k] for k in ("bias_term", "weighted_effect", "att"))
        main = "the bias term" if abs(b) >= abs(w - att) else "the re-weighting of effects (LATE-type)"
        return (
            f"With {z} the gap to the truth, {fmt_num(b + w - att)}, is mostly {main}; the bias term is "
            f"{fmt_num(abs(b) / iv_se[z], 1)} standard errors of the 2SLS estimate, and a reduced-form regression "
            f"of the untreated index `Pro_y0` on {z} (same fixed effects and controls) gives p = "
            f"{fmt_num(rf_p[z])}."
        )

    weaker_noisier = len(instruments) == 2 and abs(pro.at[f"2SLS {weak}", "bias_term"]) > abs(
        pro.at[f"2SLS {strong}", "bias_term"]
    )
    return (
        f"**What the split shows (Pro).** True ATT {fmt_num(pro['att'].iloc[0])}. OLS: bias term "
        f"{fmt_num(pro.at['OLS (TWFE)', 'bias_term'])}, weighted effect "
        f"{fmt_num(pro.at['OLS (TWFE)', 'weighted_effect'])}. "
        + " ".join(
            f"2SLS with {z}: estimate {fmt_num(pro.at[f'2SLS {z}', 'estimate'])} = exclusion bias "
            f"{fmt_num(pro.at[f'2SLS {z}', 'bias_term'])} + weighted effect "
            f"{fmt_num(pro.at[f'2SLS {z}', 'weighted_effect'])} "
            f"({fmt_num(100 * pro.at[f'2SLS {z}', 'neg_weight_share'], 0)} % "
            f"of treated city-years get a negative weight)."
            for z in instruments
        )
        + " "
        + " ".join(split_sentence(z) for z in instruments)
        + (
            " The simulator was *not* told to violate exclusion here: given the adoption cohort the instruments are "
            "independent of the untreated outcome, so the bias term is finite-sample noise with mean zero across "
            "seeds."
            + (
                " It is larger for the instrument with the weaker first stage: noise in Σ z̃ Y(0) is divided by "
                "Σ z̃ D, which is smaller when the first stage is weaker."
                if weaker_noisier
                else ""
            )
            if not violated
            else " This panel was simulated with `iv_exclusion_violation=True`, so the bias term is the direct effect "
            "of the instruments on the untreated outcome."
        )
    )


def violation(seed: int, t4: Table4, instruments, outcomes) -> pd.DataFrame:
    """2SLS on the same world with instruments that also raise the untreated outcome (exclusion fails)."""
    bad = load_panel("semi_synthetic", seed=seed, iv_exclusion_violation=True)
    vt = true_values(bad)
    tab = t4.table
    rows = []
    for z in instruments:
        for o in outcomes:
            est = iv_twfe(bad, o, instruments=[z], controls=_CONTROLS).iloc[0]
            clean = tab[(tab.instrument == z) & (tab.outcome == o) & (tab.term == "Inn")].iloc[0]
            rows.append(
                {
                    "instrument": z,
                    "outcome": o,
                    "truth": float(vt[o]),
                    "estimate_default": clean["estimate"],
                    "estimate_violation": est["estimate"],
                    "std_error_violation": est["std_error"],
                    "ar_set_violation": est["ar_set"],
                    "first_stage_F": est["first_stage_F"],
                }
            )
    return pd.DataFrame(rows)


def violation_numbers(v: pd.DataFrame | None, instruments=(), outcomes=()) -> dict:
    """Glue values: mean absolute error of 2SLS on the default and the violating panel, and one headline estimate."""
    if v is None:
        return glued_missing(("viol_err0", "viol_err1", "viol_Pro_ntl"))
    first = (v.instrument == instruments[0]) & (v.outcome == outcomes[0])
    return {
        "viol_err0": float((v.estimate_default - v.truth).abs().mean()),
        "viol_err1": float((v.estimate_violation - v.truth).abs().mean()),
        "viol_Pro_ntl": float(v.loc[first, "estimate_violation"].iloc[0]),
    }


def violation_text(numbers: dict) -> str:
    """Markdown: the errors with and without the direct effect, and why no diagnostic warns."""
    return (
        f"Mean absolute error against the truth: {fmt_num(numbers['viol_err0'])} on the default panel, "
        f"{fmt_num(numbers['viol_err1'])} with the "
        "direct effect. The estimates move while the first stage, the standard errors' size and the "
        "Anderson–Rubin set give no warning: AR protects against *weak* instruments, not *invalid* ones. No "
        "statistic computed from (Y, D, Z) can test exclusion with one instrument per equation; it has to be "
        "argued — for instance by showing that the instrument does not predict the outcome in years before any "
        "pilot, or by controlling for city-specific trends in historical development (base × year)."
    )
