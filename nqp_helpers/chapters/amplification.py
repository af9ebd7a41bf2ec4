"""Chapter 06 (Tables 5-7, amplification): every computation of the page, so the notebook is prose, short calls and
glue.

What: :func:`fit_all` (the 12 moderation models of one centring choice), :func:`moderation_tables` (each table beside
the paper's, or the paper's rows only where the moderators are absent), :func:`headline_values` (the glued counts and
sentences about them), :func:`centring_table`/:func:`centring_values` (Inn moves with the centring, Inn×M does not),
:func:`readings_table`/:func:`readings_values` (what the text's "amplification" percentages can mean),
:func:`per_sd_table` (the change per SD of M), :func:`marginal_effects_figure`, and the two-world comparison
(:func:`both_worlds`, :func:`moderation_worlds`, :func:`misleads_sentence`): when does Inn×M recover the moderation
built into the data? The default semi-synthetic world (effects depend on each city-year's own moderator value) against
the opt-in city-level world (effects depend on the city's *mean* moderator), fitted with the paper's regression on one
seed; :func:`panel_options` lets the page's ``moderation`` parameter draw its tables in either world.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..compare import compare_to_paper
from ..data.semi_synthetic.parameters import MODERATION_MODES
from ..data.semi_synthetic.truth import true_value
from ..display import fmt_num
from ..errors import NQPInputError
from ..estimators.moderation import marginal_effects, moderation
from ..estimators.twfe import twfe
from ..plotting import figure_legend
from ..regtable import RegTable, paper_layout
from ..variables import CONTROLS, MODERATOR_TABLES, MODERATORS, OUTCOMES
from .index import unavailable_figure

WORLDS = {"cell_level": "effect depends on M_it (default)", "city_level": "effect depends on the city mean of M"}
NOT_ESTIMABLE = (
    "**Tables 5–7 cannot be estimated on the {track} track**: the panel lacks {missing}. "
    "The moderators are city statistics (knowledge-service employment, internet users, manufacturing "
    "employment by city) that the public sources of this project do not supply for 2004–2023; they are "
    "*not* simulated on this track. The tables below therefore show the paper's numbers only, and no "
    "figure is drawn."
)
NO_FIGURE = "No marginal-effect plot: the moderators are absent on this track"
TRUTH_NOTE = (
    "Truth: the true moderation slope of the semi-synthetic world (see the DGP), for the interaction only: "
    "α₁ and α₂ have no true value to compare."
)
LAYOUT_NOTE = "Moderator as measured (not centred); six controls; standard errors clustered by city (CR1)."
NOT_ESTIMATED_NOTE = "Ours: not estimable on this track (the moderators are absent); the paper's numbers only."
TABLE_SHOW = ["outcome", "term", "estimate", "stars", "std_error", "coef_paper", "stars_paper", "se_paper", "status"]


def missing_columns(panel: pd.DataFrame) -> list[str]:
    """The controls, moderators and outcomes the moderation models need that ``panel`` lacks."""
    return [c for c in (*CONTROLS, *MODERATORS, *OUTCOMES) if c not in panel]


def not_estimable_note(track: str, missing) -> str:
    """Markdown explaining why Tables 5-7 cannot be estimated on this track."""
    return NOT_ESTIMABLE.format(track=track, missing=", ".join(missing))


def fit_all(panel: pd.DataFrame, center=None, standardize: bool = False) -> pd.DataFrame:
    """All 12 moderation models of one centring choice, stacked (spec = the paper's spec name)."""
    parts = []
    for m in MODERATORS:
        for y in OUTCOMES:
            r = moderation(panel, y, m, controls=list(CONTROLS), center=center, standardize=standardize)
            parts.append(r.assign(spec=f"moderation_{m}"))
    return pd.concat(parts, ignore_index=True)


def paper_only(paper: pd.DataFrame, table: int) -> pd.DataFrame:
    """The paper's rows of one table, with empty 'ours' columns (tracks that cannot run the model)."""
    p = paper[(paper["table"] == table) & (paper["term"] != "const")]
    return pd.DataFrame(
        {
            "table": p["table"],
            "column": p["column"],
            "spec": p["spec"],
            "outcome": p["outcome"],
            "term": p["term"],
            "estimate": np.nan,
            "std_error": np.nan,
            "stars": "",
            "p_value": np.nan,
            "coef_paper": p["coef"],
            "se_paper": p["se"],
            "stars_paper": p["stars"],
            "status": "not estimable on this track",
        }
    )


def true_interactions(truth: pd.DataFrame | None) -> pd.DataFrame | None:
    """The truth table's rows of the interaction estimand (``None`` off the semi-synthetic track)."""
    return truth[truth["estimand"] == "interaction"] if truth is not None else None


def moderation_tables(
    ours: pd.DataFrame | None, paper: pd.DataFrame, truth: pd.DataFrame | None, track: str
) -> dict[str, pd.DataFrame]:
    """Tables 5-7, one per moderator: our estimates beside the paper's (``ours`` from :func:`fit_all`), or the
    paper's rows only when ``ours`` is ``None``; the intercept rows dropped, ``track`` first."""
    tables = {}
    for m, t in MODERATOR_TABLES.items():
        if ours is not None:
            tab = compare_to_paper(
                ours[ours["spec"] == f"moderation_{m}"], t, f"moderation_{m}", truth=true_interactions(truth)
            )
            tab = tab[tab["term"] != "const"].reset_index(drop=True)
        else:
            tab = paper_only(paper, t)
        tab.insert(0, "track", track)
        tables[m] = tab
    return tables


def _empty_fit(outcome: str, m: str) -> pd.DataFrame:
    """Tidy rows without estimates (tracks that cannot run the model): the layout shows "—" for ours."""
    return pd.DataFrame(
        {"term": ["Inn", m, f"Inn:{m}"], "estimate": np.nan, "std_error": np.nan, "p_value": np.nan, "outcome": outcome}
    )


def table_layout(ours: pd.DataFrame | None, truth: pd.DataFrame | None, m: str) -> RegTable:
    """Table 5, 6 or 7 (moderator ``m``) in the paper's layout: one numbered column per outcome, Inn, M and Inn×M
    with stars and SE beneath (ours, the paper's and, on the semi-synthetic track, the true interaction), controls,
    city and year FE, N and R² (ours and the paper's). ``ours`` from :func:`fit_all`, ``None`` off the estimable
    tracks (then only the paper's numbers are filled)."""
    t = MODERATOR_TABLES[m]
    fits = {
        y: (
            ours[(ours["spec"] == f"moderation_{m}") & (ours["outcome"] == y)] if ours is not None else _empty_fit(y, m)
        )
        for y in OUTCOMES
    }
    inter = true_interactions(truth)
    true_slope = (
        None if inter is None else dict(zip(inter[inter["split"] == m]["outcome"], inter[inter["split"] == m]["value"]))
    )
    return paper_layout(
        fits,
        ["Inn", m, f"Inn:{m}"],
        table=t,
        column_of={y: i for i, y in enumerate(OUTCOMES, 1)},
        controls=True,
        truth=true_slope,
        truth_term=f"Inn:{m}",
        truth_note=TRUTH_NOTE,
        term_labels={m: f"Moderator ({m})", f"Inn:{m}": f"Inn × {m}"},
        caption=f"Table {t} re-estimated (moderator {m}): ours, the paper's"
        + (" and the true interaction" if true_slope else ""),
        notes=[LAYOUT_NOTE] + ([] if ours is not None else [NOT_ESTIMATED_NOTE]),
    )


def table_display(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Tables 5-7 stacked, one row per coefficient with its ``status`` against the paper (the columns shown)."""
    return pd.concat(
        [
            tab[TABLE_SHOW + (["truth"] if "truth" in tab else [])].assign(table=MODERATOR_TABLES[m])[
                ["table", *TABLE_SHOW] + (["truth"] if "truth" in tab else [])
            ]
            for m, tab in tables.items()
        ],
        ignore_index=True,
    )


def table_cell(tables: dict, m: str, outcome: str, term: str, col: str) -> str:
    """One number of a saved table, formatted for prose ('n/a' when absent)."""
    tab = tables[m]
    r = tab[(tab["outcome"] == outcome) & (tab["term"] == term)]
    v = r[col].iloc[0] if len(r) and col in r else np.nan
    return "n/a" if pd.isna(v) else fmt_num(float(v))


def headline_values(tables: dict, runnable: bool, known_truth: bool) -> dict[str, str]:
    """The glued strings about Tables 5-7: the Hum×Pro headline, counts of agreement with the paper and of positive
    significant interactions, estimate/truth ratios for Pro and the coverage of the truth."""
    na = "not known on this track"
    out = {
        "hum_pro_ours": table_cell(tables, "Hum", "Pro", "Inn:Hum", "estimate"),
        "hum_pro_paper": table_cell(tables, "Hum", "Pro", "Inn:Hum", "coef_paper"),
        "hum_pro_truth": table_cell(tables, "Hum", "Pro", "Inn:Hum", "truth") if known_truth else na,
    }
    n_same = sum(int((tables[m]["status"] == "same sign & significance").sum()) for m in MODERATORS)
    n_pos = (
        sum(
            int(((tables[m]["term"] == f"Inn:{m}") & (tables[m]["estimate"] > 0) & (tables[m]["p_value"] < 0.10)).sum())
            for m in MODERATORS
        )
        if runnable
        else 0
    )
    out["n_same"] = str(n_same)
    out["n_cells"] = str(sum(len(tables[m]) for m in MODERATORS))
    out["n_pos_inter"] = str(n_pos) if runnable else "n/a (not estimable)"
    out["inter_truth_ratio"] = out["inter_cover"] = na
    if runnable and known_truth:
        parts = []
        for m in MODERATORS:
            r = tables[m][(tables[m]["outcome"] == "Pro") & (tables[m]["term"] == f"Inn:{m}")].iloc[0]
            parts.append(f"{m} {r['estimate'] / r['truth']:.1f}")
        out["inter_truth_ratio"] = ", ".join(parts)
        it = pd.concat([tables[m][tables[m]["term"] == f"Inn:{m}"] for m in MODERATORS])
        n_cover = int(((it["estimate"] - it["truth"]).abs() <= 1.96 * it["std_error"]).sum())
        n_wrong = int((np.sign(it["estimate"]) != np.sign(it["truth"])).sum())
        out["inter_cover"] = (
            f"{n_cover} of the {len(it)} estimated interactions lie within 1.96 standard errors "
            f"of the truth, and {n_wrong} have the opposite sign to it"
        )
    return out


def centring_table(panel: pd.DataFrame, fits: dict[str, pd.DataFrame], outcome: str, track: str) -> pd.DataFrame:
    """Inn and Inn×M for ``outcome`` under each centring (``fits``: version label -> :func:`fit_all` result), with the
    centre, the scale and the share of city-years with M ≤ 0."""
    rows = []
    for m in MODERATORS:
        share0 = float((panel[m].dropna() <= 0).mean())
        for label, d in fits.items():
            r = d[(d["spec"] == f"moderation_{m}") & (d["outcome"] == outcome)].set_index("term")
            rows.append(
                dict(
                    moderator=m,
                    version=label,
                    center_value=r.at["Inn", "center_value"],
                    scale_value=r.at["Inn", "scale_value"],
                    Inn=r.at["Inn", "estimate"],
                    Inn_se=r.at["Inn", "std_error"],
                    interaction=r.at[f"Inn:{m}", "estimate"],
                    interaction_se=r.at[f"Inn:{m}", "std_error"],
                    share_M_le_0=share0,
                )
            )
    return pd.DataFrame(rows).assign(outcome=outcome, track=track)


CENTRING_VERSIONS = ("uncentred (paper)", "centred at mean", "centred and standardised")
CENTRING_KEYS = ("centring_identity_gap", "hum_inn_uncentred", "hum_inn_centred", "share_le0")


def centring_values(centring: pd.DataFrame) -> dict[str, str]:
    """Glued strings: the largest gap in α₁(c) = α₁(0) + α₃ c, Hum's Inn uncentred and centred, shares of M ≤ 0."""
    chk = centring.pivot(index="moderator", columns="version", values="Inn")
    inter = centring.pivot(index="moderator", columns="version", values="interaction")
    cval = centring[centring["version"] == "centred at mean"].set_index("moderator")["center_value"]
    gap = float((chk["centred at mean"] - (chk["uncentred (paper)"] + inter["uncentred (paper)"] * cval)).abs().max())
    hum = centring[centring["moderator"] == "Hum"].set_index("version")
    share = ", ".join(
        f"{m} {100 * centring[centring['moderator'] == m]['share_M_le_0'].iloc[0]:.0f}%" for m in MODERATORS
    )
    return {
        "centring_identity_gap": f"{gap:.1e}",
        "hum_inn_uncentred": fmt_num(hum.at["uncentred (paper)", "Inn"]),
        "hum_inn_centred": fmt_num(hum.at["centred at mean", "Inn"]),
        "share_le0": share,
    }


def _baseline(paper: pd.DataFrame) -> pd.Series:
    """The paper's Table 2 Inn coefficient with controls, by outcome."""
    base = paper[(paper["table"] == 2) & (paper["spec"] == "baseline_controls") & (paper["term"] == "Inn")]
    return base.set_index("outcome")["coef"]


def readings_table(paper: pd.DataFrame, claims: pd.DataFrame) -> pd.DataFrame:
    """Each text "amplification" percentage beside two readings that are percentages: the interaction as a share of
    the same column's Inn coefficient (the effect at M = 0) and of the baseline effect (Table 2 with controls)."""
    base = _baseline(paper)
    rows = []
    for c in claims.itertuples(index=False):
        col = paper[(paper["table"] == c.table) & (paper["outcome"] == c.outcome)].set_index("term")["coef"]
        b3, b1 = col[c.term], col["Inn"]
        rows.append(
            dict(
                claim_id=c.claim_id,
                table=c.table,
                outcome=c.outcome,
                term=c.term,
                text_pct=c.claimed_pct,
                interaction=b3,
                pct_of_Inn_at_M0=100 * b3 / b1,
                pct_of_baseline=100 * b3 / base[c.outcome],
            )
        )
    return pd.DataFrame(rows)


def readings_values(readings: pd.DataFrame, paper: pd.DataFrame) -> dict[str, str]:
    """Glued strings of the Lab × Hum reading and the paper's Inn for Pro in Tables 6 and 2."""
    r = readings.set_index("claim_id").loc["amp_hum_lab"]
    inn = paper[(paper["term"] == "Inn") & (paper["outcome"] == "Pro")]
    return {
        "lab_pct_inn": f"{r['pct_of_Inn_at_M0']:.1f}%",
        "lab_pct_base": f"{r['pct_of_baseline']:.1f}%",
        "lab_hum_text_pct": f"{float(r['text_pct']):.1f}%",
        "lab_hum_coef": f"{float(r['interaction']):.3f}",
        "paper_t6_inn_pro": f"{float(inn[inn['table'] == 6]['coef'].iloc[0]):.3f}",
        "paper_t2_inn_pro": f"{float(_baseline(paper)['Pro']):.3f}",
    }


def per_sd_table(panel: pd.DataFrame, std: pd.DataFrame, truth: pd.DataFrame | None, track: str) -> pd.DataFrame:
    """Change of the pilot effect for a one-SD higher M (``std``: :func:`fit_all` centred and standardised), as a
    percentage of our baseline TWFE effect, with the true change per SD on the semi-synthetic track."""
    att = {y: float(twfe(panel, y, controls=list(CONTROLS)).set_index("term").at["Inn", "estimate"]) for y in OUTCOMES}
    rows = []
    for m in MODERATORS:
        for y in OUTCOMES:
            r = std[(std["spec"] == f"moderation_{m}") & (std["outcome"] == y)].set_index("term")
            per_sd = r.at[f"Inn:{m}", "estimate"]
            tv = np.nan
            if truth is not None:
                tv = true_value(truth, y, "interaction", m) * r.at["Inn", "scale_value"]
            rows.append(
                dict(
                    moderator=m,
                    outcome=y,
                    sd_of_M=r.at["Inn", "scale_value"],
                    per_sd=per_sd,
                    baseline_effect=att[y],
                    pct_of_baseline_per_sd=100 * per_sd / att[y],
                    truth_per_sd=tv,
                )
            )
    return pd.DataFrame(rows).assign(track=track)


def marginal_effects_figure(panel: pd.DataFrame, outcome: str, truth: pd.DataFrame | None, track: str):
    """Figure: α₁ + α₃ m with its 95% band over each moderator's 5th-95th percentile, and the truth (dashed) on the
    semi-synthetic track. Returns the figure and the stacked marginal-effect rows."""
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.6), sharey=True)
    me_all = []
    for ax, m in zip(axes, MODERATORS):
        me = marginal_effects(moderation(panel, outcome, m, controls=list(CONTROLS)))
        me_all.append(me.assign(track=track))
        ax.fill_between(me["moderator_value"], me["conf_low"], me["conf_high"], alpha=0.25, color="C0", label="95% CI")
        ax.plot(me["moderator_value"], me["estimate"], color="C0", label="estimated effect")
        if truth is not None:
            tr = panel["Inn"] == 1
            slope = true_value(truth, outcome, "interaction", m)
            att_true = true_value(truth, outcome)
            ax.plot(
                me["moderator_value"],
                att_true + slope * (me["moderator_value"] - panel.loc[tr, m].mean()),
                "--",
                color="green",
                label="truth",
            )
        ax.axhline(0, color="grey", lw=0.8)
        ax.set_xlabel(f"{m} (5th–95th percentile)")
        ax.set_title(f"Moderator {m}")
    axes[0].set_ylabel(f"Effect of the pilot on {outcome}")
    fig.tight_layout()
    figure_legend(fig, axes[0])  # under all panels, never over the curves
    return fig, pd.concat(me_all, ignore_index=True)


def no_moderator_figure():
    """The strip glued in place of the marginal-effect figure where the moderators are absent."""
    return unavailable_figure(NO_FIGURE)


def within_share(panel: pd.DataFrame, column: str, unit: str = "city_code") -> float:
    """Share of the variance of ``column`` that is within units (1 − between-unit variance / total variance)."""
    x = panel[column].astype(float)
    total = float(x.var(ddof=0))
    return float(((x - x.groupby(panel[unit]).transform("mean")) ** 2).mean() / total) if total > 0 else np.nan


def panel_options(data, scenario: str, moderation: str) -> dict:
    """``load_panel`` options of the page's panel: the effect scenario and the moderation world on the semi-synthetic
    track, nothing on the others (they have no simulated moderation). Raises for an unknown ``moderation``."""
    if moderation not in MODERATION_MODES:
        raise NQPInputError(f"parameter moderation={moderation!r}: expected one of {list(MODERATION_MODES)}")
    return {"scenario": scenario, "moderation": moderation} if data == "semi_synthetic" else {}


def both_worlds(panel: pd.DataFrame, moderation: str, load) -> dict[str, pd.DataFrame]:
    """``{world: panel}`` for every moderation world, in :data:`MODERATION_MODES` order: the page's own ``panel`` for
    the world it was drawn in (``moderation``), ``load(world)`` for the others (same seed and scenario)."""
    return {world: panel if world == moderation else load(world) for world in MODERATION_MODES}


def moderation_worlds(panels: dict[str, pd.DataFrame], outcome: str = "Pro") -> pd.DataFrame:
    """For each world (``{"cell_level": panel, "city_level": panel}``) and moderator: the paper's Inn×M estimate and
    SE, the world's true moderation (``truth``: the generator's a3 in the default world, the cross-sectional slope of
    the cell effect on M among treated cells in the city-level world), what the regression estimates from the true
    effects (``regression_estimand``), z = (estimate − truth) / SE and the within-city share of M's variance."""
    rows = []
    for world, p in panels.items():
        for m in MODERATORS:
            r = moderation(p, outcome, m, controls=list(CONTROLS)).set_index("term").loc[f"Inn:{m}"]
            truth = true_value(p, outcome, "interaction", m)
            reg = true_value(p, outcome, "interaction_regression", m)
            rows.append(
                dict(
                    world=world,
                    moderator=m,
                    outcome=outcome,
                    estimate=float(r["estimate"]),
                    std_error=float(r["std_error"]),
                    truth=truth,
                    regression_estimand=reg,
                    z=(float(r["estimate"]) - truth) / float(r["std_error"]),
                    within_share=within_share(p, m),
                )
            )
    return pd.DataFrame(rows)


def misleads_sentence(table: pd.DataFrame, moderator: str = "Dig") -> str:
    """One sentence comparing the two worlds for ``moderator`` (numbers from ``moderation_worlds``)."""
    r = table[table["moderator"] == moderator].set_index("world")
    if not {"cell_level", "city_level"} <= set(r.index):
        return "The comparison of the two worlds was not run."
    c, k = r.loc["cell_level"], r.loc["city_level"]
    verdict = "within" if abs(k["z"]) <= 1.96 else "outside"
    return (
        f"For {moderator} ({100 * k['within_share']:.0f}% of its variance within cities), the paper's "
        f"regression gives {c['estimate']:.3f} (SE {c['std_error']:.3f}) against a truth of {c['truth']:.3f} in "
        f"the default world (z = {c['z']:.1f}), but {k['estimate']:.3f} (SE {k['std_error']:.3f}) against a "
        f"truth of {k['truth']:.3f} in the city-level world (z = {k['z']:.1f}, {verdict} 1.96). There the same "
        f"regression fitted to the true effects alone gives {k['regression_estimand']:.3f}, not the truth: "
        f"it mixes the cross-city moderation with the within-city co-movement of the effect and {moderator}'s "
        f"trend; the rest of the gap comes from the untreated outcome, which in that world grows with the "
        f"moderator."
    )


def per_sd_value(per_sd: pd.DataFrame, moderator: str = "Hum", outcome: str = "Lab") -> str:
    """Glued string: the change per SD of ``moderator`` as a percentage of the baseline effect on ``outcome``."""
    x = per_sd.set_index(["moderator", "outcome"])
    return f"{x.at[(moderator, outcome), 'pct_of_baseline_per_sd']:.1f}%"
