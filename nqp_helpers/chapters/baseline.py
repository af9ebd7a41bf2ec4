"""Chapter 03 (Table 2, baseline TWFE): every computation and conditional sentence of the page.

What: :func:`sample_spec` (outcomes and controls present, with :func:`sample_notes`); :func:`fit_table2` (the eight
columns); :func:`table2_layout`, :func:`comparison_table`, :func:`table2_figure`; :func:`bias_decomposition` (trend gap
+ weighting gap, semi-synthetic track) with :func:`decomposition_numbers` and :func:`decomposition_verdict`;
:func:`linearity_numbers` (β_Pro = Σ W_d β_d, ours and the paper's); :func:`track_note`.
Why: the notebook keeps prose, short calls and glue; these functions are tested directly
(tests/test_chapters_baseline.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import index_report as ir
from ..compare import compare_to_paper
from ..data.semi_synthetic.truth import true_values
from ..errors import NQPInputError
from ..estimators.twfe import twfe
from ..indicators import INDEX_COLUMNS
from ..plotting import coef_plot
from ..regtable import paper_layout
from ..variables import CONTROLS
from .glue import num_text

__all__ = [
    "Table2Fits",
    "bias_decomposition",
    "comparison_columns",
    "comparison_table",
    "decomposition_numbers",
    "decomposition_verdict",
    "fit_table2",
    "linearity_note",
    "linearity_numbers",
    "sample_notes",
    "sample_numbers",
    "sample_spec",
    "table2_figure",
    "table2_layout",
    "track_note",
    "truth_by_outcome",
]

_NUM_KEYS = (
    ("gap", "trend_gap", 3),
    ("gapse", "trend_gap_se", 3),
    ("bias", "estimate_minus_truth", 3),
    ("wgap", "weighting_gap", 4),
)


def sample_spec(panel: pd.DataFrame, cluster: str = "city_code") -> tuple[list, list]:
    """The outcomes and controls with values on ``panel`` (in the paper's order); checks ``cluster`` exists."""
    if cluster not in panel.columns:
        raise NQPInputError(f"cluster={cluster!r} is not a column of the panel; e.g. 'city_code' or 'province'")
    outcomes = [y for y in INDEX_COLUMNS if y in panel and panel[y].notna().any()]
    controls = [c for c in CONTROLS if c in panel and panel[c].notna().any()]
    return outcomes, controls


def sample_notes(track: str, outcomes, controls) -> str:
    """Markdown: the outcomes not estimated, the controls absent and (real track) the proxies used."""
    skipped = [y for y in INDEX_COLUMNS if y not in outcomes]
    absent_controls = [c for c in CONTROLS if c not in controls]
    notes = []
    if skipped:
        notes.append(
            f"**Outcome(s) not estimated: {', '.join(skipped)}.** The track has no indicator for "
            + ("this dimension" if len(skipped) == 1 else "these dimensions")
            + " (no public city-level data on robots, AI firms, fibre, broadband, energy or water intensity), "
            "so the sub-index cannot be built; it is not simulated."
        )
    if absent_controls:
        notes.append(
            f"**Controls absent:** {', '.join(absent_controls)}; the 'with controls' columns use "
            f"{', '.join(controls) or 'none'}."
        )
    if track == "real":
        notes.append(
            "**Controls on the real track are partly proxies:** `Gov` = general-budget *revenue* / GDP (the "
            "paper: expenditure / GDP), `Tra` = road area per capita (the paper: road length / land area), "
            "`Fix` = gross fixed-capital formation / GDP (the paper: fixed-asset investment / GDP). `Gov` "
            "ends in 2016 and `Fix` covers 2006–2018, so the 'with controls' sample is smaller; N is stated "
            "per column."
        )
    return "\n\n".join(notes) if notes else "All four outcomes and all six controls are present."


@dataclass
class Table2Fits:
    """The Table 2 regressions: ``fits`` {"(col) y": tidy twfe frame}, their paper column and controls flag."""

    fits: dict
    column_of: dict
    controls_of: dict

    def beta(self, y: str, with_ctrl: bool) -> float:
        """The coefficient of ``Inn`` for outcome ``y`` with or without controls (NaN if not estimated)."""
        lab = next((k for k, v in self.controls_of.items() if v == with_ctrl and k.endswith(f" {y}")), None)
        if lab is None:
            return np.nan
        f = self.fits[lab]
        return float(f.loc[f["term"] == "Inn", "estimate"].iloc[0])


def fit_table2(panel: pd.DataFrame, outcomes, controls, cluster: str = "city_code") -> Table2Fits:
    """TWFE of each outcome on ``Inn`` without and with ``controls``; labels follow the paper's column numbers."""
    fits, column_of, controls_of = {}, {}, {}
    for i, y in enumerate(INDEX_COLUMNS):
        if y not in outcomes:
            continue
        for with_ctrl in (False, True):
            col = 2 * i + 1 + int(with_ctrl)
            label = f"({col}) {y}"
            fits[label] = twfe(panel, y, controls=controls if with_ctrl else (), cluster=cluster).assign(
                controls=with_ctrl
            )
            column_of[label], controls_of[label] = col, with_ctrl
    return Table2Fits(fits, column_of, controls_of)


def truth_by_outcome(panel: pd.DataFrame) -> dict | None:
    """{outcome: true ATT} on the semi-synthetic track, else None."""
    if panel.attrs.get("track", "user") != "semi_synthetic":
        return None
    return true_values(panel)


def table2_layout(t2: Table2Fits, truth, cluster: str):
    """Table 2 in the paper's layout (ours, the paper's and, if known, the truth)."""
    return paper_layout(
        t2.fits,
        ["Inn", "const"],
        table=2,
        column_of=t2.column_of,
        controls=t2.controls_of,
        truth=truth,
        caption="Table 2 re-estimated: ours, the paper's" + (" and the truth" if truth else ""),
        notes=[f"Standard errors clustered by {dict(city_code='city').get(cluster, cluster)}."],
    )


def sample_numbers(t2: Table2Fits, paper2: pd.DataFrame, cluster: str) -> dict:
    """Glue values: the cluster variable and count, and N without and with controls beside the paper's N."""
    first = next(iter(t2.fits.values()))
    lbl_no = next(k for k, v in t2.controls_of.items() if not v)
    lbl_yes = next(k for k, v in t2.controls_of.items() if v)
    return {
        "cluster_name": cluster,
        "n_clusters": int(first["n_clusters"].iloc[0]),
        "paper_n": int(paper2["n"].iloc[0]),
        "n_noctrl": int(t2.fits[lbl_no]["n_obs"].iloc[0]),
        "n_ctrl": int(t2.fits[lbl_yes]["n_obs"].iloc[0]),
    }


def comparison_table(t2: Table2Fits, truth) -> pd.DataFrame:
    """The ``Inn`` rows of ours beside the paper's (and the truth), with a status word each."""
    spec_map = {k: ("baseline_controls" if v else "baseline_no_controls") for k, v in t2.controls_of.items()}
    comparison = compare_to_paper(t2.fits, 2, spec_map, truth=truth)
    return comparison[comparison["term"] == "Inn"].reset_index(drop=True)


def comparison_columns(truth) -> list:
    """The columns of the comparison table shown on the page."""
    return (
        ["column", "outcome", "spec", "coef_paper", "stars_paper", "estimate", "std_error", "stars", "n_obs"]
        + (["truth", "estimate_minus_truth"] if truth else [])
        + ["status"]
    )


def table2_figure(table2: pd.DataFrame, t2: Table2Fits, truth):
    """Coefficient plot of ``Inn``: ours with 95 % CI, the paper's and (if known) the truth."""
    inn = table2[table2["term"] == "Inn"].copy()
    ci = pd.concat([f[f["term"] == "Inn"][["conf_low", "conf_high"]].assign(model=k) for k, f in t2.fits.items()])
    inn = inn.merge(ci, on="model")
    inn["label"] = inn["outcome"] + np.where(inn["controls"], ", with controls", ", no controls")
    fig = coef_plot(
        inn,
        label="label",
        paper="paper_coef",
        truth="truth" if truth else None,
        xlabel="Effect of the pilot (Inn) on the index, 0–10 scale",
    )
    fig.axes[0].set_title(
        "Coefficient of Inn: ours (95% CI), the paper's" + (", the truth" if truth else ""), fontsize=10
    )
    fig.axes[0].legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3)
    fig.tight_layout()
    return fig


def bias_decomposition(panel: pd.DataFrame, t2: Table2Fits, controls, truth, cluster: str = "city_code"):
    """Split each estimate into the trend gap (TWFE on ``Y(0)``) and the effect part (TWFE on ``Inn·(Y(1)−Y(0))``).

    Needs both potential outcomes (semi-synthetic track); ``weighting_gap`` = effect part − truth."""
    rows = []
    for label, f in t2.fits.items():
        y, wc = f["outcome"].iloc[0], t2.controls_of[label]
        d = panel.assign(_eff=panel["Inn"] * (panel[f"{y}_y1"] - panel[f"{y}_y0"]))
        ctrl = controls if wc else ()
        gap = twfe(d, f"{y}_y0", controls=ctrl, cluster=cluster)
        eff = twfe(d, "_eff", controls=ctrl, cluster=cluster)
        rows.append(
            {
                "model": label,
                "outcome": y,
                "controls": wc,
                "estimate": float(f.loc[f["term"] == "Inn", "estimate"].iloc[0]),
                "truth": truth[y],
                "trend_gap": float(gap["estimate"].iloc[0]),
                "trend_gap_se": float(gap["std_error"].iloc[0]),
                "effect_part": float(eff["estimate"].iloc[0]),
            }
        )
    decomp = pd.DataFrame(rows)
    decomp["estimate_minus_truth"] = decomp["estimate"] - decomp["truth"]
    decomp["weighting_gap"] = decomp["effect_part"] - decomp["truth"]
    return decomp


def decomposition_verdict(row) -> str:
    """Which part of the gap to the truth dominates, chosen from the numbers of one column."""
    gap_small = abs(row["trend_gap"]) < 1.96 * row["trend_gap_se"]
    wgap_small = abs(row["weighting_gap"]) < 0.5 * row["trend_gap_se"]
    if gap_small and wgap_small:
        return (
            "Both parts are small: the trend gap is within 1.96 standard errors of zero and the effect part is "
            "within sampling noise of the truth, so TWFE with the controls recovers the truth here"
        )
    if abs(row["trend_gap"]) >= abs(row["weighting_gap"]):
        return (
            "Most of the distance between our estimate and the truth is the trend gap, a failure of parallel "
            "untreated paths given the controls, not the estimator's weighting"
        )
    return (
        "Most of the distance between our estimate and the truth is the weighting gap: TWFE weights "
        "heterogeneous effects unevenly (comparisons with already-treated cities), while untreated "
        "paths are close to parallel"
    )


def decomposition_numbers(decomp: pd.DataFrame | None) -> tuple[dict, str | None]:
    """Glue texts of the decomposition per outcome (``gap_Pro``, ``bias_noctrl_Lab`` …) and the verdict.

    The verdict reads the headline column (Pro with controls, else the first with controls); None without ``decomp``.
    """
    r = None if decomp is None else decomp.set_index("model")
    out = {}
    for y in INDEX_COLUMNS:
        for tag, wc in (("", True), ("_noctrl", False)):
            lab = f"({2 * INDEX_COLUMNS.index(y) + 1 + int(wc)}) {y}"
            for k, c, digits in _NUM_KEYS:
                value = float(r.loc[lab, c]) if r is not None and lab in r.index else None
                out[f"{k}{tag}_{y}"] = num_text(value, digits)
    if decomp is None:
        out.update(
            {
                "max_abs_bias": num_text(None),
                "max_abs_wgap": num_text(None, 4),
                "decomp_verdict": "On this track the decomposition cannot be computed",
            }
        )
        return out, None
    out["max_abs_bias"] = num_text(float(decomp["estimate_minus_truth"].abs().max()))
    out["max_abs_wgap"] = num_text(float(decomp["weighting_gap"].abs().max()), 4)
    row = r.loc["(2) Pro"] if "(2) Pro" in r.index else decomp[decomp["controls"]].iloc[0]
    verdict = decomposition_verdict(row)
    out["decomp_verdict"] = verdict
    return out, verdict


def linearity_numbers(panel: pd.DataFrame, weights: str, t2: Table2Fits, paper2: pd.DataFrame, truth) -> dict:
    """Glue values: β_Pro and Σ W_d β_d (ours, with and without controls), the paper's Pro and sub-index mean."""
    rep_inn = paper2[paper2["term"] == "Inn"].set_index("column")["coef"]
    W = ir.dimension_weights(panel, weights)
    out = {
        "paper_pro_ctrl": float(rep_inn[2]),
        "paper_pro_noctrl": float(rep_inn[1]),
        "paper_mean_ctrl": float(rep_inn[[4, 6, 8]].mean()),
        "paper_mean_noctrl": float(rep_inn[[3, 5, 7]].mean()),
        "truth_pro": num_text(float(truth["Pro"]) if truth else None),
        "dim_weights": ", ".join(f"{d} {w:.3f}" for d, w in W.items()) if len(W) else "unknown",
    }
    for tag, wc in (("ctrl", True), ("noctrl", False)):
        out[f"ours_pro_{tag}"] = t2.beta("Pro", wc)
        comb = sum(W[d] * t2.beta(d, wc) for d in W.index) if len(W) else np.nan
        out[f"ours_comb_{tag}"] = float(comb)
    return out


def linearity_note(panel: pd.DataFrame, weights: str, track: str) -> str | None:
    """Markdown caveat when ``Pro`` is not exactly the weighted sum of the sub-indices (or on the real track)."""
    if not ir.linear_combination_check(panel, ir.dimension_weights(panel, weights)):
        return (
            "**Note:** in this panel `Pro` is *not* exactly the weighted sum of the sub-indices with the "
            "weights above (e.g. a user file with its own `Pro`), so the identity need not hold here."
        )
    if track == "real":
        return (
            "On the real track `Mea` cannot be built, so `Pro` combines `Lab` and `Obj` only "
            "(weights renormalised); the identity holds with those two weights."
        )
    return None


def track_note(track: str, verdict: str | None) -> str:
    """Markdown: what this track's Table 2 can and cannot show."""
    if track == "semi_synthetic" and verdict is None:
        msg = "Simulated indicators. None of this says whether the pilots raised productive forces in China."
    elif track == "semi_synthetic":
        msg = (
            "The true effects were calibrated to the paper's sub-index coefficients (paper weights). "
            f"{verdict}. The simulator makes untreated paths parallel given the controls by construction, so this "
            "checks the estimator and the code, not the paper's identifying assumption. None of this says whether "
            "the pilots raised productive forces in China."
        )
    elif track == "real":
        msg = (
            "The outcome here is a narrow public-data index (3 of 18 indicators, no `Mea`), and several controls "
            "are proxies with gaps. The coefficients answer a different, much smaller question than the paper's; "
            "read them as an illustration of the method on public data, not as a replication."
        )
    else:
        msg = "User panel: the estimates are computed from your file; compare them with the paper at your own risk."
    return f"**{track.replace('_', '-')} track.** " + msg
