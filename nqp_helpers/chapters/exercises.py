"""Answers to the chapters' exercises, computed in the build (each exercise changes one parameter of its chapter).

What: one function per exercise, named ``ex<chapter>_<parameter>``, returning a dict of numbers that the chapter glues
into the exercise's hidden solution as ``ex<chapter>_<key>``. Each loads what it needs with the chapter's ``data`` and
``seed`` and the changed parameter, so the solution is the answer the reader gets from the ``nqp run`` command the
exercise gives. Why a module: answers that depend on parameters are computed, never typed, and tested here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import audit
from .. import montecarlo as mc
from ..data.attributes import subgroups
from ..data.load import load_panel
from ..errors import NQPInputError
from ..estimators.bacon import bacon_decomposition, bacon_summary
from ..estimators.callaway_santanna import callaway_santanna
from ..estimators.event_study import event_study, pretrend_test
from ..estimators.heterogeneity import group_orderings
from ..estimators.iv import iv_first_stage, iv_twfe
from ..estimators.moderation import moderation
from ..estimators.placebo import placebo_test
from ..estimators.psm_did import psm_did
from ..estimators.twfe import twfe
from ..estimators.wild_bootstrap import wild_bootstrap
from ..reported import reported_results
from ..variables import CONTROLS, INSTRUMENTS, MODERATORS
from . import amplification as amp
from . import heterogeneity as het
from . import index as index_chapter
from .robust_did import PAPER_CONTROLS, available_controls, balanced_sample, truth_att

__all__ = [
    "ex02_rank_year",
    "ex02_weights",
    "ex03_cluster",
    "ex03_pilot_years",
    "ex03_weights",
    "ex04_caliper",
    "ex04_ps_by",
    "ex05_real_first_stage",
    "ex05_seed",
    "ex06_plot_outcome",
    "ex06_scenario",
    "ex06_seed",
    "ex07_alpha",
    "ex07_scenario",
    "ex08_n_clusters",
    "ex08_n_years",
    "ex09_leads",
    "ex09_scenario",
    "ex10_cs_method",
    "ex10_real",
    "ex10_scenario",
    "ex11_n_boot",
    "ex11_n_draws",
    "ex12_n_draws",
    "ex12_n_populations",
    "ex12_outcome",
    "ex14_cluster",
    "ex14_outcome",
    "glue_answers",
    "truth_att",
]


def glue_answers(prefix: str, answers: dict) -> None:
    """Glue every answer as ``<prefix>_<key>`` (myst-nb, not displayed); text as Markdown (use ``{glue:md}``)."""
    from IPython.display import Markdown
    from myst_nb import glue

    for k, v in answers.items():
        glue(f"{prefix}_{k}", Markdown(v) if isinstance(v, str) else v, display=False)


def _coef(r, term="Inn", col="estimate") -> float:
    return float(r.loc[r["term"] == term, col].iloc[0])


def _controls(panel):
    return available_controls(panel, PAPER_CONTROLS)


# --- 02 index -----------------------------------------------------------------------------------------------------
def ex02_weights(data, seed, weights="entropy", base_weights="paper") -> dict:
    """Mean ``Pro`` and its rise over the panel (whole-panel normalisation) under the chapter's and ``weights``."""
    out = {}
    for key, w in (("base", base_weights), ("alt", weights)):
        p = load_panel(data, seed=seed, weights=w)
        b = index_chapter.build_indices(p, w)
        out[f"mean_{key}"] = index_chapter.scale_numbers(p, b)["mean_pro"]
        out[f"rise_{key}"] = index_chapter.contrast_numbers(index_chapter.normalisation_contrast(p, b))["growth_whole"]
    return out


def ex02_rank_year(data, seed, rank_year=2010, base_rank_year=2023, weights="paper") -> dict:
    """Rank agreement of entropy and equal weights with the paper's, in the chapter's ranking year and ``rank_year``."""
    p = load_panel(data, seed=seed, weights=weights)
    b = index_chapter.build_indices(p, weights)
    out = {}
    for key, y in (("base", base_rank_year), ("alt", rank_year)):
        n = index_chapter.rank_comparison(p, b, y).numbers
        out |= {
            f"year_{key}": n["rank_year_used"],
            f"rho_entropy_{key}": n["rho_entropy"],
            f"moved_entropy_{key}": n["moved_entropy"],
            f"rho_equal_{key}": n["rho_equal"],
            f"moved_equal_{key}": n["moved_equal"],
        }
    return out


# --- 03 baseline ---------------------------------------------------------------------------------------------------
def ex03_weights(data, seed, weights="equal", outcome="Pro") -> dict:
    """TWFE with controls under the paper's weights and under ``weights``, each beside its own truth."""
    out = {}
    for key, w in (("paper", "paper"), ("alt", weights)):
        p = load_panel(data, seed=seed, weights=w)
        out[key] = _coef(twfe(p, outcome, controls=_controls(p)))
        out[f"truth_{key}"] = truth_att(p, outcome)
        out[f"gap_{key}"] = out[key] - out[f"truth_{key}"]
    return out


def ex03_cluster(data, seed, cluster="province", outcome="Pro") -> dict:
    """Standard error of the Table 2 coefficient clustered by city and by ``cluster`` (and the cluster counts)."""
    p = load_panel(data, seed=seed)
    city = twfe(p, outcome, controls=_controls(p))
    alt = twfe(p, outcome, controls=_controls(p), cluster=cluster)
    return {
        "se_city": _coef(city, col="std_error"),
        "se_alt": _coef(alt, col="std_error"),
        "g_city": int(city["n_clusters"].iloc[0]),
        "g_alt": int(alt["n_clusters"].iloc[0]),
        "ratio": _coef(alt, col="std_error") / _coef(city, col="std_error"),
    }


def ex03_pilot_years(data, seed, pilot_years="latest", outcome="Pro") -> dict:
    """The Table 2 coefficient when range-dated pilots get their ``pilot_years`` approval year."""
    base = load_panel(data, seed=seed)
    alt = load_panel(data, seed=seed, pilot_years=pilot_years)
    moved = alt.groupby("city_code")["first_treat"].first() != base.groupby("city_code")["first_treat"].first()
    return {
        "default": _coef(twfe(base, outcome, controls=_controls(base))),
        "alt": _coef(twfe(alt, outcome, controls=_controls(alt))),
        "cities_moved": int(moved.sum()),
        "truth": truth_att(base, outcome),
    }


# --- 04 PSM-DID ----------------------------------------------------------------------------------------------------
def _psm(p, outcome, seed, **kw):
    r = psm_did(p, outcome, covariates=_controls(p), first_treat="first_treat", seed=seed, **kw)
    return {"est": _coef(r), "n_obs": int(r["n_obs"].iloc[0]), "n_treated": int(r["n_treated_matched"].iloc[0])}


def ex04_caliper(data, seed, caliper=0.01, base_caliper=0.05, outcome="Pro") -> dict:
    """Radius-matching PSM-DID with the chapter's caliper and with ``caliper``: estimate and matched sample size."""
    p = load_panel(data, seed=seed)
    a = _psm(p, outcome, seed, method="radius", caliper=base_caliper)
    b = _psm(p, outcome, seed, method="radius", caliper=caliper)
    t = truth_att(p, outcome)
    return {
        "est_base": a["est"],
        "n_base": a["n_obs"],
        "est_alt": b["est"],
        "n_alt": b["n_obs"],
        "truth": t,
        "gap_base": a["est"] - t,
        "gap_alt": b["est"] - t,
    }


def ex04_ps_by(data, seed, ps_by="pooled", caliper=0.05, outcome="Pro") -> dict:
    """Radius-matching PSM-DID with yearly propensity scores and with ``ps_by``."""
    p = load_panel(data, seed=seed)
    a = _psm(p, outcome, seed, method="radius", caliper=caliper, ps_by="year")
    b = _psm(p, outcome, seed, method="radius", caliper=caliper, ps_by=ps_by)
    return {"est_year": a["est"], "n_year": a["n_obs"], "est_alt": b["est"], "n_alt": b["n_obs"]}


# --- 05 IV ---------------------------------------------------------------------------------------------------------
def ex05_seed(data, seed, other_seed=1, instrument="iv_ntl", outcome="Pro") -> dict:
    """IV and TWFE estimates under two seeds: how much each moves with a new draw of the same world."""
    out = {}
    for key, s in (("a", seed), ("b", other_seed)):
        p = load_panel(data, seed=s)
        out[f"iv_{key}"] = _coef(iv_twfe(p, outcome, instruments=[instrument], controls=_controls(p)))
        out[f"ols_{key}"] = _coef(twfe(p, outcome, controls=_controls(p)))
        out[f"truth_{key}"] = truth_att(p, outcome)
    out["iv_move"] = abs(out["iv_b"] - out["iv_a"])
    out["ols_move"] = abs(out["ols_b"] - out["ols_a"])
    return out


def ex05_real_first_stage(outcome="Pro") -> dict:
    """First-stage F of each instrument on the real track (rule of thumb: weak below 10), as text for the page."""
    p = load_panel("real")
    out = {}
    for z in INSTRUMENTS:
        if z in p and p[z].notna().any():
            f = iv_first_stage(p, instruments=[z], controls=_controls(p), outcome=outcome)
            out[f"F_{z}"] = f"{float(f['first_stage_F'].iloc[0]):.2f}"
        else:
            out[f"F_{z}"] = "not available (the instrument is absent on the real track)"
    return out


# --- 06 amplification (the moderators exist on the semi-synthetic track only) -------------------------------------
def ex06_scenario(seed, scenario="heterogeneous", base="constant", outcome="Pro", data="semi_synthetic") -> dict:
    """Tables 5-7 in the default scenario and in ``scenario``: Inn×Hum and its true slope for ``outcome``, how many
    of the 12 interactions lie within 1.96 SE of their truth, agreement with the paper, and the true ATT."""
    out = {}
    for key, sc in (("base", base), ("alt", scenario)):
        p = load_panel(data, seed=seed, scenario=sc)
        tabs = amp.moderation_tables(amp.fit_all(p), reported_results(), p.attrs["truth"], p.attrs["track"])
        it = pd.concat([tabs[m][tabs[m]["term"] == f"Inn:{m}"] for m in MODERATORS])
        hum = it[(it["term"] == "Inn:Hum") & (it["outcome"] == outcome)].iloc[0]
        out[f"hum_{key}"], out[f"hum_truth_{key}"] = float(hum["estimate"]), float(hum["truth"])
        out[f"cover_{key}"] = int(((it["estimate"] - it["truth"]).abs() <= 1.96 * it["std_error"]).sum())
        out[f"same_{key}"] = int(sum((tabs[m]["status"] == "same sign & significance").sum() for m in MODERATORS))
        out[f"att_{key}"] = truth_att(p, outcome)
    out["n_inter"] = len(it)
    return out


def ex06_plot_outcome(seed, plot_outcome="Lab", moderator="Hum", data="semi_synthetic") -> dict:
    """The centring identity for ``plot_outcome``: Inn with M as measured (effect at M = 0) and centred at its mean,
    the unchanged interaction, the gap in α₁(c) = α₁(0) + α₃ c and the share of city-years with M ≤ 0."""
    p = load_panel(data, seed=seed)
    r0, rc = (
        moderation(p, plot_outcome, moderator, controls=list(CONTROLS), center=c).set_index("term")
        for c in (None, "mean")
    )
    inter, c = f"Inn:{moderator}", float(rc.at["Inn", "center_value"])
    return {
        "inn_0": float(r0.at["Inn", "estimate"]),
        "inn_c": float(rc.at["Inn", "estimate"]),
        "inter_0": float(r0.at[inter, "estimate"]),
        "inter_c": float(rc.at[inter, "estimate"]),
        "mean_m": c,
        "gap": abs(
            float(rc.at["Inn", "estimate"]) - float(r0.at["Inn", "estimate"]) - float(r0.at[inter, "estimate"]) * c
        ),
        "share_le0": float((p[moderator].dropna() <= 0).mean()),
    }


def ex06_seed(seed, other_seed=7, moderator="Dig", outcome="Pro", data="semi_synthetic") -> dict:
    """Inn×``moderator`` in the city-level world under two seeds: estimate, truth, what the regression estimates from
    the true effects, z = (estimate − truth)/SE and the within-city share of M's variance."""
    out = {}
    for key, s in (("a", seed), ("b", other_seed)):
        w = amp.moderation_worlds(
            {"cell_level": load_panel(data, seed=s), "city_level": load_panel(data, seed=s, moderation="city_level")},
            outcome=outcome,
        )
        for world in ("cell_level", "city_level"):
            r = w[(w["world"] == world) & (w["moderator"] == moderator)].iloc[0]
            tag = "" if world == "city_level" else "cell_"
            out[f"{tag}est_{key}"], out[f"{tag}truth_{key}"] = float(r["estimate"]), float(r["truth"])
            out[f"{tag}z_{key}"] = float(r["z"])
            if world == "city_level":
                out[f"reg_{key}"], out[f"within_{key}"] = float(r["regression_estimand"]), float(r["within_share"])
    return out


# --- 07 heterogeneity ----------------------------------------------------------------------------------------------
def _het_pairs(p, outcome, alpha) -> pd.DataFrame:
    """Chapter 07's pairwise differences of group effects (pooled model, Holm-adjusted) for every split built."""
    sg = subgroups(p)
    d = p.join(sg)
    pairs = []
    for split in [s for s in het.SPLITS if s in sg.columns]:
        x, _ = het.usable(d, split, outcome)
        if x[split].nunique() >= 2:
            pairs.append(group_orderings(x, outcome, split, controls=list(CONTROLS), alpha=alpha).assign(split=split))
    return pd.concat(pairs, ignore_index=True) if pairs else pd.DataFrame(columns=["split", "ordering", "p_holm"])


def _orderings_text(pairs: pd.DataFrame) -> str:
    p = ["< 0.001" if v < 0.001 else f"= {v:.3f}" for v in pairs["p_holm"]]
    return "; ".join(f"{r.split}: {r.ordering} (Holm p {q})" for r, q in zip(pairs.itertuples(), p)) or "none"


def _het_panel(data, seed, scenario):
    return load_panel(data, seed=seed, **({"scenario": scenario} if data == "semi_synthetic" else {}))


def ex07_scenario(data, seed, scenario="heterogeneous", base_scenario="constant", alpha=0.05, outcome="Pro") -> dict:
    """Pairwise group differences surviving Holm at ``alpha`` under the chapter's scenario and under ``scenario``."""
    out = {}
    for key, sc in (("base", base_scenario), ("alt", scenario)):
        pairs = _het_pairs(_het_panel(data, seed, sc), outcome, alpha)
        out[f"n_{key}"] = int((pairs["p_holm"] < alpha).sum())
        out[f"pairs_{key}"] = len(pairs)
        out[f"list_{key}"] = _orderings_text(pairs[pairs["p_holm"] < alpha])
    return out


def ex07_alpha(data, seed, scenario="constant", alpha=0.10, base_alpha=0.05, outcome="Pro") -> dict:
    """Pairwise group differences surviving Holm at the chapter's level and at ``alpha`` (same tests, same p)."""
    pairs = _het_pairs(_het_panel(data, seed, scenario), outcome, base_alpha)
    lo, hi = sorted((alpha, base_alpha))
    between = pairs[(pairs["p_holm"] >= lo) & (pairs["p_holm"] < hi)]
    return {
        "pairs": len(pairs),
        "n_base": int((pairs["p_holm"] < base_alpha).sum()),
        "n_alt": int((pairs["p_holm"] < alpha).sum()),
        "changed": _orderings_text(between),
    }


# --- 08 audit ------------------------------------------------------------------------------------------------------
def _audit(table, claims, n_clusters, n_years):
    f = audit.run_all(table, claims=claims, n_clusters=n_clusters, n_years=n_years)
    return f, audit.headline(audit.independent_findings(f))


def ex08_n_clusters(table, claims="paper", n_clusters=30, base_n_clusters=278, n_years=20) -> dict:
    """The stars check with G = ``base_n_clusters`` and ``n_clusters`` in the t(G - 1) reference: status counts,
    rows whose status changes, and what the same parameter does to the full-panel N check and the headline."""
    out = {"g_base": base_n_clusters, "g_alt": n_clusters}
    st = {}
    for key, g in (("base", base_n_clusters), ("alt", n_clusters)):
        f, out[f"headline_{key}"] = _audit(table, claims, g, n_years)
        st[key] = f[f["check"] == "stars"].set_index("row_id")["status"]
        for status in ("consistent", "boundary", "inconsistent"):
            out[f"{status}_{key}"] = int((st[key] == status).sum())
        out[f"n_bad_{key}"] = int((f.loc[f["check"] == "n_full_panel", "status"] == "inconsistent").sum())
    out["n_stars"] = len(st["base"])
    out["flips"] = int((st["base"] != st["alt"].reindex(st["base"].index)).sum())
    return out


def ex08_n_years(table, claims="paper", n_years=19, base_n_years=20, n_clusters=278) -> dict:
    """The full-sample N check with ``base_n_years`` and ``n_years`` years: columns tested and columns matching
    N = cities x years, and the printed N of the full-sample columns."""
    out = {}
    for key, y in (("base", base_n_years), ("alt", n_years)):
        f, _ = _audit(table, claims, n_clusters, y)
        full = f[(f["check"] == "n_full_panel") & (f["status"] != "info")]
        out[f"ok_{key}"], out[f"implied_{key}"] = int((full["status"] == "consistent").sum()), n_clusters * y
    out["tested"] = len(full)
    out["printed"] = ", ".join(str(int(v)) for v in sorted(full["reported"].unique()))
    return out


# --- 09 event study ------------------------------------------------------------------------------------------------
def _balanced(p, outcome):
    ok = p.dropna(subset=[outcome])
    return ok[ok.groupby("city_code")["year"].transform("size") == ok["year"].nunique()]


def ex09_scenario(data, seed, scenario="dynamic", outcome="Pro") -> dict:
    """TWFE and its forbidden comparisons (Goodman-Bacon) when effects grow with exposure, beside the truth."""
    p = load_panel(data, seed=seed, scenario=scenario)
    bd = bacon_decomposition(_balanced(p, outcome), outcome)
    bs = bacon_summary(bd).set_index("type")
    forb = bs.loc["Later vs Earlier Treated"] if "Later vs Earlier Treated" in bs.index else None
    t = truth_att(p, outcome)
    return {
        "twfe": float(bd.attrs["twfe_estimate"]),
        "truth": t,
        "gap": float(bd.attrs["twfe_estimate"]) - t,
        "w_forbidden": float(forb["weight"]) if forb is not None else 0.0,
        "b_forbidden": float(forb["estimate"]) if forb is not None else float("nan"),
    }


def ex09_leads(data, seed, leads=2, base_leads=5, lags=10, outcome="Pro") -> dict:
    """Joint pre-trend test with the chapter's number of leads and with ``leads``."""
    p = load_panel(data, seed=seed)
    out = {}
    for key, k in (("base", base_leads), ("alt", leads)):
        t = pretrend_test(event_study(p, outcome, leads=k, lags=lags))
        out[f"p_{key}"] = float(t["p_value"].iloc[0])
        out[f"q_{key}"] = int(t["df_num"].iloc[0])
    return out


# --- 10 robust DiD -------------------------------------------------------------------------------------------------
def _cs_simple(d, outcome, **kw):
    r = callaway_santanna(d, outcome, aggregation="simple", **kw)
    return float(r.loc[(r["aggregation"] == "simple") & (r["term"] == "ATT"), "estimate"].iloc[0]), r


def ex10_scenario(data, seed, scenario="heterogeneous", outcome="Pro") -> dict:
    """TWFE (no controls) and Callaway–Sant'Anna (never treated) when effects differ by cohort, beside the truth."""
    p = load_panel(data, seed=seed, scenario=scenario)
    d = balanced_sample(p, outcome)
    cs, _ = _cs_simple(d, outcome)
    tw, t = _coef(twfe(d, outcome)), truth_att(p, outcome)
    return {"twfe": tw, "cs": cs, "truth": t, "gap_twfe": tw - t, "gap_cs": cs - t}


def ex10_cs_method(data, seed, method="ipw", outcome="Pro") -> dict:
    """Conditional Callaway–Sant'Anna (never treated) by doubly robust and by ``method``: estimate, cells skipped."""
    p = load_panel(data, seed=seed)
    ctrl = _controls(p)
    d = balanced_sample(p, outcome, ctrl)
    out = {"truth": truth_att(p, outcome)}
    for key, m in (("dr", "dr"), ("alt", method)):
        est, r = _cs_simple(d, outcome, controls=ctrl, method=m)
        out[key] = est
        out[f"skipped_{key}"] = len(r.attrs["callaway_santanna"]["dropped_cells"])
        out[f"gap_{key}"] = est - out["truth"]
    return out


def ex10_real(outcome="Pro") -> dict:
    """Conditional (doubly robust) and unconditional Callaway–Sant'Anna on the real track, with cells skipped."""
    p = load_panel("real")
    ctrl = _controls(p)
    d = balanced_sample(p, outcome, ctrl)
    cond, r = _cs_simple(d, outcome, controls=ctrl, method="dr")
    uncond, _ = _cs_simple(d, outcome)
    n_cells = int((r["aggregation"] == "att_gt").sum())
    skipped = len(r.attrs["callaway_santanna"]["dropped_cells"])
    return {
        "cond": cond,
        "uncond": uncond,
        "skipped": skipped,
        "cells": n_cells + skipped,
        "cities": int(d["city_code"].nunique()),
    }


# --- 11 inference --------------------------------------------------------------------------------------------------
def ex11_n_boot(data, seed, n_boot=999, base_n_boot=9999, outcome="Pro") -> dict:
    """Wild cluster bootstrap (Rademacher) p-values with ``base_n_boot`` and ``n_boot`` draws."""
    p = load_panel(data, seed=seed)
    out = {}
    for key, b in (("base", base_n_boot), ("alt", n_boot)):
        r = wild_bootstrap(p, outcome, controls=_controls(p), n_boot=b, weights="rademacher", seed=seed)
        out[f"p_{key}"] = float(r["p_value"].iloc[0])  # the bootstrap p-value (analytic: p_value_analytic)
        out[f"floor_{key}"] = 1 / (b + 1)
    return out


def ex11_n_draws(data, seed, n_draws=200, outcome="Pro") -> dict:
    """Randomisation-inference p-value with ``n_draws`` permutations and its Monte Carlo standard error."""
    p = load_panel(data, seed=seed)
    r = placebo_test(p, [outcome], controls=_controls(p), n_draws=n_draws, seed=seed)
    pv = float(r["ri_p_value"].iloc[0])
    return {"p": pv, "mc_se": float(np.sqrt(pv * (1 - pv) / n_draws)), "floor": 1 / (n_draws + 1)}


# --- 12 teaching lab -----------------------------------------------------------------------------------------------
def _twfe_row(summary, scenario, design="resample"):
    s = summary[(summary["scenario"] == scenario) & (summary["estimator"] == "twfe")]
    return s[s["design"] == design].iloc[0] if "design" in s else s.iloc[0]


def ex12_n_draws(draws: pd.DataFrame, n_draws=50) -> dict:
    """TWFE coverage (and its Monte Carlo SE) in the constant and dynamic worlds with all resampled draws and with
    the first ``n_draws``, which are the draws a run with ``n_draws`` gets (same populations and resamples)."""
    d = draws[draws["design"] == "resample"]
    n_all = int(d["draw"].max())
    if not 2 <= n_draws <= n_all:
        raise NQPInputError(f"parameter n_draws={n_draws!r} must be between 2 and the {n_all} draws of the page")
    out = {"n_all": n_all, "n_alt": int(n_draws)}
    for key, x in (("all", d), ("alt", d[d["draw"] <= n_draws])):
        s = mc.summarise(x)
        for sc in ("constant", "dynamic"):
            r = _twfe_row(s, sc)
            out[f"cov_{sc}_{key}"], out[f"mcse_{sc}_{key}"] = float(r["coverage"]), float(r["coverage_mcse"])
        out[f"diff_{key}"] = out[f"cov_constant_{key}"] - out[f"cov_dynamic_{key}"]
    return out


def ex12_n_populations(draws: pd.DataFrame, skeleton, seed, n_populations=40, n_jobs=1) -> dict:
    """TWFE in the constant world, fixed-city design, with the page's populations and with ``n_populations``:
    coverage, mean SE / SD, and the chance that all draws cover if true coverage were 95%. Populations beyond the
    page's are simulated (population p uses seed + p), so the answer is the run with ``n_populations``."""
    fixed = draws[draws["design"] == "fixed"]
    n0, outcome = int(fixed["population"].max()), str(fixed["outcome"].iloc[0])
    if n_populations > n0:
        more = mc.run_montecarlo(
            n_draws=n_populations - n0,
            n_populations=n_populations - n0,
            outcome=outcome,
            base_seed=int(seed) + n0,
            skeleton=skeleton,
            n_jobs=n_jobs,
            progress=False,
            designs=("fixed",),
            estimators=("twfe",),
            scenarios=("constant",),
        )
        fixed = pd.concat([fixed, more.assign(draw=more["draw"] + n0, population=more["population"] + n0)])
    out = {"n_base": n0, "n_alt": int(n_populations)}
    for key, x in (("base", fixed[fixed["population"] <= n0]), ("alt", fixed[fixed["population"] <= n_populations])):
        r = _twfe_row(mc.summarise(x), "constant", "fixed")
        out[f"cov_{key}"], out[f"se_ratio_{key}"] = float(r["coverage"]), float(r["se_ratio"])
        out[f"p_all_{key}"] = 0.95 ** out[f"n_{key}"]
    r = _twfe_row(mc.summarise(draws[draws["design"] == "resample"]), "constant")
    out["cov_resample"], out["se_ratio_resample"] = float(r["coverage"]), float(r["se_ratio"])
    return out


def ex12_outcome(draws: pd.DataFrame, skeleton, seed, outcome="Obj", n_jobs=1) -> dict:
    """Mean bias of TWFE (with its Monte Carlo SE and mean SE) in each world on ``outcome``, resampled design with
    the page's draws and populations, and the robust estimators' largest absolute bias."""
    info = draws.attrs["montecarlo"]
    d = mc.run_montecarlo(
        n_draws=info["n_draws"],
        n_populations=info["n_populations"],
        outcome=outcome,
        base_seed=int(seed),
        skeleton=skeleton,
        n_jobs=n_jobs,
        progress=False,
    )
    s = mc.summarise(d)
    out = {}
    for sc in mc.SCENARIOS:
        r = _twfe_row(s, sc)
        for k in ("bias", "bias_mcse", "mean_se", "weighting_bias", "mean_truth"):
            out[f"{sc}_{k}"] = float(r[k])
    out["robust_max_bias"] = float(s.loc[s["estimator"] != "twfe", "bias"].abs().max())
    return out


# --- 14 specification curve ----------------------------------------------------------------------------------------
def ex14_outcome(specs: pd.DataFrame, outcome="Obj") -> dict:
    """From the chapter's table of every specification: range and share of positive estimates whose 95% interval
    excludes zero."""
    s = specs[(specs["outcome"] == outcome)].dropna(subset=["estimate"])
    return {
        "n": len(s),
        "min": float(s["estimate"].min()),
        "max": float(s["estimate"].max()),
        "share_sig_pos": float((s["conf_low"] > 0).mean()) if len(s) else float("nan"),
    }


def ex14_cluster(specs: pd.DataFrame, outcome="Pro") -> dict:
    """How many specifications change 5% significance when clustering by province instead of city."""
    s = specs[specs["outcome"] == outcome].dropna(subset=["estimate"])
    dims = [c for c in ("weights", "controls", "sample", "estimator") if c in s]
    sig = s.assign(sig=(s["conf_low"] > 0) | (s["conf_high"] < 0))
    w = sig.pivot_table(index=dims, columns="cluster", values="sig", aggfunc="first").dropna()
    est = s.pivot_table(index=dims, columns="cluster", values="estimate", aggfunc="first").dropna()
    return {
        "pairs": len(w),
        "flips": int((w["city"] != w["province"]).sum()),
        "max_est_diff": float((est["city"] - est["province"]).abs().max()),
    }
