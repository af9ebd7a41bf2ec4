"""Specification curve (Simonsohn, Simmons & Nelson 2020): every combination of the choices the paper fixed.

Choice dimensions (``DIMENSIONS``)
    * ``weights``: index weights ``paper`` / ``entropy`` / ``critic`` / ``equal`` (each index built once with
      ``build_index`` on the indicator columns present; entropy/CRITIC weights from the whole panel);
    * ``controls``: ``none`` / ``paper`` (the six controls ``Eco, Gov, Fix, Fin, Tra, Ope``);
    * ``sample``: ``all``; ``no_municipalities`` (drop Beijing, Tianjin, Shanghai, Chongqing); ``no_2022_cohort``
      (drop the cities first treated in 2022); ``pilot_years_earliest`` / ``pilot_years_latest`` (all cities, treatment
      re-coded with the earliest / latest candidate approval year of the pilots whose year is uncertain, from
      ``real_panel(pilot_years=...)``; on the semi-synthetic track the data were generated with the default timing, so
      these two are *misclassification* checks);
    * ``estimator``: ``twfe`` (eq. (1)); ``psm_did`` (year-by-year logit on the six controls, radius 0.05 with common
      support, as ``psm_did`` defaults, then eq. (1) on the matched rows); ``imputation_bjs`` (Borusyak–Jaravel–Spiess,
      heterogeneity-robust, controls in its first stage);
    * ``cluster``: ``city`` / ``province`` (CR1 with the fixest small-sample factor for TWFE and PSM-DID; did2s SE
      for BJS; t(G-1) intervals).

Speed
    Every estimator is linear in the outcome for a fixed design, so for each sample × controls × estimator one
    batched core (``estimators.batched.TWFECore`` / ``BJSCore``) fits all outcome × weighting columns and both cluster
    levels at once; the PSM sample depends only on the sample (the score uses the controls, not the outcome), so it
    is matched once per sample. Columns with different missing-value patterns (real track) are fitted in groups.
    ``tests/test_speccurve.py`` checks specifications against direct ``twfe`` / ``psm_did`` / ``imputation_did`` calls.
"""

from __future__ import annotations

import itertools
import time as _time

import numpy as np
import pandas as pd

from .data.semi_synthetic.truth import true_value
from .errors import NQPInputError
from .estimators.batched import BJSCore, TWFECore
from .index import build_index
from .indicators import INDEX_COLUMNS, INDICATOR_CODES
from .variables import CONTROLS, OUTCOMES

__all__ = [
    "DIMENSIONS",
    "CONTROLS",
    "spec_grid",
    "index_columns",
    "sample_panel",
    "run_speccurve",
    "variance_decomposition",
    "speccurve_plot",
    "run_summary",
    "outcome_specs",
    "true_att",
    "curve_values",
    "decomposition_table",
    "decomposition_values",
    "truth_sentences",
    "mean_by_weighting",
]

DIMENSIONS = {
    "weights": ("paper", "entropy", "critic", "equal"),
    "controls": ("none", "paper"),
    "sample": ("all", "no_municipalities", "no_2022_cohort", "pilot_years_earliest", "pilot_years_latest"),
    "estimator": ("twfe", "psm_did", "imputation_bjs"),
    "cluster": ("city", "province"),
}
CLUSTER_COLUMNS = {"city": "city_code", "province": "province"}
LABELS = {
    "paper": "paper",
    "entropy": "entropy",
    "critic": "CRITIC",
    "equal": "equal",
    "none": "none",
    "all": "all cities",
    "no_municipalities": "w/o municipalities",
    "no_2022_cohort": "w/o 2022 cohort",
    "pilot_years_earliest": "uncertain pilots: earliest year",
    "pilot_years_latest": "uncertain pilots: latest year",
    "twfe": "TWFE",
    "psm_did": "PSM-DID",
    "imputation_bjs": "BJS imputation",
    "city": "city",
    "province": "province",
}


def spec_grid(outcomes=INDEX_COLUMNS, **choices) -> pd.DataFrame:
    """Every combination of the choice dimensions (``choices`` may narrow any of ``DIMENSIONS``), per outcome.

    One row per specification: ``spec_id, outcome`` and one column per dimension; size =
    ``len(outcomes) × Π len(levels)`` (4 × 4 × 2 × 5 × 3 × 2 = 960 with the defaults).
    """
    bad = [k for k in choices if k not in DIMENSIONS]
    if bad:
        raise NQPInputError(f"unknown choice dimension(s) {bad}; allowed: {list(DIMENSIONS)}")
    levels = {}
    for dim, allowed in DIMENSIONS.items():
        v = choices.get(dim, allowed)
        v = [v] if isinstance(v, str) else list(v)
        wrong = [x for x in v if x not in allowed]
        if wrong:
            raise NQPInputError(f"parameter {dim}: unknown level(s) {wrong}; allowed: {list(allowed)}")
        levels[dim] = v
    outcomes = [outcomes] if isinstance(outcomes, str) else list(outcomes)
    wrong = [o for o in outcomes if o not in INDEX_COLUMNS]
    if wrong:
        raise NQPInputError(f"parameter outcomes: unknown {wrong}; allowed: {list(INDEX_COLUMNS)}")
    rows = list(itertools.product(outcomes, *levels.values()))
    g = pd.DataFrame(rows, columns=["outcome", *levels])
    g.insert(0, "spec_id", np.arange(len(g)))
    return g


def index_columns(
    panel: pd.DataFrame, weights=DIMENSIONS["weights"], na: str = "propagate"
) -> tuple[pd.DataFrame, dict]:
    """The index under every weighting, built once each: columns ``<outcome>__<weights>`` (e.g. ``Pro__entropy``).

    Returns ``(frame, info)``; ``info[w]`` holds the weight table used (``attrs["weights"]`` of ``build_index``).
    Needs the indicator columns (at least one); the weights are renormalised over those present.
    """
    present = [c for c in INDICATOR_CODES if c in panel.columns]
    if not present:
        raise NQPInputError("the panel has no indicator column; the index cannot be re-weighted")
    out, info = {}, {}
    for w in weights:
        idx = build_index(panel, weights=w, na=na)
        info[w] = idx.attrs["weights"]
        for o in INDEX_COLUMNS:
            out[f"{o}__{w}"] = idx[o].to_numpy()
    return pd.DataFrame(out, index=panel.index), info


def _recoded(pilot_years: str) -> pd.DataFrame:
    from .data.real_panel import real_panel

    return real_panel(pilot_years=pilot_years)[["city_code", "year", "first_treat", "Inn"]]


def sample_panel(panel: pd.DataFrame, sample: str, recode: dict | None = None) -> pd.DataFrame:
    """The rows (and treatment coding) of one ``sample`` level; index preserved. ``recode`` caches the re-coded
    treatment tables of ``pilot_years`` (``{"earliest": frame, "latest": frame}``)."""
    if sample == "all":
        return panel
    if sample == "no_municipalities":
        return panel[panel["admin_level"].astype(str) != "municipality"]
    if sample == "no_2022_cohort":
        return panel[pd.to_numeric(panel["first_treat"], errors="coerce").fillna(0) != 2022]
    if sample.startswith("pilot_years_"):
        py = sample.removeprefix("pilot_years_")
        rc = (recode or {}).get(py)
        if rc is None:
            rc = _recoded(py)
        key = panel[["city_code", "year"]].merge(rc, on=["city_code", "year"], how="left")
        if key["first_treat"].isna().any():
            bad = key[key["first_treat"].isna()].iloc[0]
            raise NQPInputError(
                f"sample {sample!r}: no treatment coding for city {bad['city_code']}, year "
                f"{bad['year']} (the re-coding needs the real roster)"
            )
        d = panel.copy()
        d["first_treat"] = key["first_treat"].astype(int).to_numpy()
        d["Inn"] = key["Inn"].astype(int).to_numpy()
        return d
    raise NQPInputError(f"unknown sample {sample!r}; allowed: {list(DIMENSIONS['sample'])}")


def _groups(Y: np.ndarray):
    """Column groups sharing the same complete-row pattern: list of (row mask, column indices)."""
    ok = ~np.isnan(Y)
    groups = {}
    for j in range(Y.shape[1]):
        if not ok[:, j].any():
            continue
        groups.setdefault(ok[:, j].tobytes(), []).append(j)
    return [(ok[:, cols[0]], cols) for cols in groups.values()]


def run_speccurve(
    panel: pd.DataFrame,
    outcomes=INDEX_COLUMNS,
    seed: int = 0,
    psm_caliper: float = 0.05,
    progress: bool = False,
    timings: dict | None = None,
    **choices,
) -> pd.DataFrame:
    """Estimate every specification of ``spec_grid(outcomes, **choices)`` on ``panel``.

    Returns the grid with ``estimate, std_error, conf_low, conf_high, n_obs, n_clusters`` and ``note`` (why a
    specification was skipped: outcome all-missing, controls absent, no re-coding on a user panel, ...; skipped rows
    have NaN estimates). On the semi-synthetic track a ``truth`` column gives, for every weighting, the exact true
    ATT of that weighting's index over the sample's truly treated cells (``reweight_index`` rebuilds both potential
    outcomes with the same weights and bounds; re-dated samples keep the DGP's own dates). ``timings`` (dict)
    receives seconds per block.
    """
    from .estimators.psm_did import psm_sample

    grid = spec_grid(outcomes, **choices)
    lv = {d: list(dict.fromkeys(grid[d])) for d in DIMENSIONS}
    track = panel.attrs.get("track", "user")
    panel = panel.sort_values(["city_code", "year"], kind="mergesort").reset_index(drop=True)
    panel.attrs["track"] = track
    t0 = _time.perf_counter()
    idx, _ = index_columns(panel, lv["weights"])
    cols = [f"{o}__{w}" for o in dict.fromkeys(grid["outcome"]) for w in lv["weights"]]
    work = pd.concat([panel, idx], axis=1)
    tm = {"index_s": _time.perf_counter() - t0, "psm_s": 0.0, "twfe_s": 0.0, "psm_did_s": 0.0, "imputation_bjs_s": 0.0}
    missing_ctrl = [c for c in CONTROLS if c not in panel.columns]
    notes_sample, recode = {}, {}
    results = {}
    for sample in lv["sample"]:
        if sample.startswith("pilot_years_") and track == "user":
            notes_sample[sample] = "user panel: no alternative pilot-year coding"
            continue
        if sample.startswith("pilot_years_"):
            recode[sample] = _recoded(sample.removeprefix("pilot_years_"))
        d = sample_panel(work, sample, {sample.removeprefix("pilot_years_"): recode.get(sample)})
        psm_rows = None
        if "psm_did" in lv["estimator"] and not missing_ctrl:
            t1 = _time.perf_counter()
            smp = psm_sample(d, covariates=list(CONTROLS), method="radius", caliper=psm_caliper, seed=seed)
            psm_rows = np.zeros(len(d), bool)
            psm_rows[d.index.get_indexer(smp.index[smp["_weight"] > 0])] = True
            tm["psm_s"] += _time.perf_counter() - t1
        Yall = d[cols].to_numpy(float)
        for ctrl in lv["controls"]:
            if ctrl == "paper" and missing_ctrl:
                continue
            cvars = list(CONTROLS) if ctrl == "paper" else []
            cok = d[cvars].notna().all(axis=1).to_numpy() if cvars else np.ones(len(d), bool)
            for est in lv["estimator"]:
                if est == "psm_did" and psm_rows is None:
                    continue
                t1 = _time.perf_counter()
                for mask, jj in _groups(np.where(cok[:, None], Yall, np.nan)):
                    rows = mask & (psm_rows if est == "psm_did" else True)
                    dd = d[rows]
                    clus = [CLUSTER_COLUMNS[c] for c in lv["cluster"]]
                    if est == "imputation_bjs":
                        core = BJSCore(dd, controls=cvars, clusters=clus)
                        n_obs = int(core.keep.sum())
                    else:
                        core = TWFECore(dd, controls=cvars, clusters=clus)
                        n_obs = len(dd)
                    fits = core.fit_all(dd[[cols[j] for j in jj]].to_numpy(float))
                    for cl in lv["cluster"]:
                        f = fits[CLUSTER_COLUMNS[cl]]
                        g = core.clusters[CLUSTER_COLUMNS[cl]][-1]
                        for k, j in enumerate(jj):
                            o, w = cols[j].split("__")
                            results[(o, w, ctrl, sample, est, cl)] = (
                                f["estimate"][k],
                                f["std_error"][k],
                                f["conf_low"][k],
                                f["conf_high"][k],
                                n_obs,
                                g,
                            )
                tm[f"{est}_s"] += _time.perf_counter() - t1
    vals, notes = [], []
    for r in grid.itertuples(index=False):
        key = (r.outcome, r.weights, r.controls, r.sample, r.estimator, r.cluster)
        v = results.get(key)
        vals.append(v if v is not None else (np.nan,) * 4 + (0, 0))
        if v is not None:
            notes.append("")
        elif r.sample in notes_sample:
            notes.append(notes_sample[r.sample])
        elif r.controls == "paper" and missing_ctrl:
            notes.append(f"controls absent: {', '.join(missing_ctrl)}")
        elif r.estimator == "psm_did" and missing_ctrl:
            notes.append(f"PSM needs the six controls; absent: {', '.join(missing_ctrl)}")
        elif not work[f"{r.outcome}__{r.weights}"].notna().any():
            notes.append(f"{r.outcome} cannot be built: no indicator of that dimension on this track")
        else:
            notes.append("not estimable")
    out = pd.concat(
        [grid, pd.DataFrame(vals, columns=["estimate", "std_error", "conf_low", "conf_high", "n_obs", "n_clusters"])],
        axis=1,
    )
    out["note"] = notes
    if track == "semi_synthetic" and all(f"{o}_y1" in panel.columns for o in set(grid["outcome"])):
        out["truth"] = _truths(panel, out)
    tm["total_s"] = _time.perf_counter() - t0
    if timings is not None:
        timings.update(tm)
    out.attrs["speccurve"] = {"track": track, "psm_caliper": psm_caliper, "seed": seed}
    return out


def variance_decomposition(specs: pd.DataFrame, dims=tuple(DIMENSIONS)) -> pd.DataFrame:
    """Share of the variance of the estimates explained by each choice dimension, per outcome.

    For each outcome and dimension: ``SS_between(dimension) / SS_total`` of the estimated specifications (the R² of a
    regression of the estimate on that dimension's dummies alone). In a complete factorial grid the main-effect
    shares are orthogonal, so ``interactions = 1 - Σ shares`` is the part due to combinations of choices.
    Dimensions with a single level get share 0.
    """
    rows = []
    for o, d in specs.dropna(subset=["estimate"]).groupby("outcome", sort=False):
        y = d["estimate"].to_numpy(float)
        sst = float(((y - y.mean()) ** 2).sum())
        total = 0.0
        for dim in dims:
            m = d.groupby(dim)["estimate"].transform("mean").to_numpy(float)
            share = float(((m - y.mean()) ** 2).sum() / sst) if sst > 0 else 0.0
            total += share
            rows.append(
                {"outcome": o, "dimension": dim, "share": share, "n_levels": int(d[dim].nunique()), "n_specs": len(d)}
            )
        rows.append(
            {
                "outcome": o,
                "dimension": "interactions",
                "share": max(0.0, 1 - total),
                "n_levels": np.nan,
                "n_specs": len(d),
            }
        )
    return pd.DataFrame(rows)


def _truths(panel: pd.DataFrame, specs: pd.DataFrame) -> list[float]:
    """True ATT of each specification's index (its weighting) over the truly treated cells of its sample."""
    from .data.semi_synthetic import reweight_index

    outcomes = list(dict.fromkeys(specs["outcome"]))
    tv = {}
    for w in dict.fromkeys(specs["weights"]):
        pw = reweight_index(panel, w)
        for smp in dict.fromkeys(specs["sample"]):
            d = sample_panel(pw, "all" if smp.startswith("pilot_years_") else smp)
            te = d[[f"{o}_y1" for o in outcomes]].to_numpy() - d[[f"{o}_y0" for o in outcomes]].to_numpy()
            te = te[d["Inn"].to_numpy() == 1].mean(axis=0)
            tv.update({(o, w, smp): float(v) for o, v in zip(outcomes, te)})
    return [tv[k] for k in zip(specs["outcome"], specs["weights"], specs["sample"])]


def speccurve_plot(
    specs: pd.DataFrame, outcome: str, truth: float | None = None, paper: float | None = None, dims=tuple(DIMENSIONS)
):
    """Specification-curve figure for one outcome: sorted estimates with 95 % intervals (coloured by estimator)
    over an indicator panel marking each specification's choices. ``truth`` / ``paper`` draw horizontal lines."""
    import matplotlib.pyplot as plt

    from .plotting import COLORS, legend_right

    d = specs[(specs["outcome"] == outcome)].dropna(subset=["estimate"]).sort_values("estimate").reset_index(drop=True)
    if d.empty:
        raise NQPInputError(f"speccurve_plot: no estimated specification for outcome {outcome!r}")
    dims = [x for x in dims if x in d.columns]
    levels = [
        (dim, lvl)
        for dim in dims
        for lvl in dict.fromkeys(DIMENSIONS.get(dim, sorted(d[dim].unique())))
        if (d[dim] == lvl).any()
    ]
    fig, (ax, ax2) = plt.subplots(
        2,
        1,
        figsize=(9, 3.2 + 0.22 * len(levels)),
        sharex=True,
        gridspec_kw={"height_ratios": [3, 0.22 * len(levels) + 0.3]},
    )
    x = np.arange(len(d))
    est_col = {"twfe": COLORS["ours"], "psm_did": "#8e44ad", "imputation_bjs": "#e67e22"}
    for e in [x for x in DIMENSIONS["estimator"] if (d["estimator"] == x).any()]:
        sub = d[d["estimator"] == e]
        c = est_col.get(e, "#333333")
        ax.vlines(sub.index, sub["conf_low"], sub["conf_high"], color=c, alpha=0.25, lw=1)
        ax.scatter(sub.index, sub["estimate"], s=8, color=c, label=LABELS.get(e, e), zorder=3)
    ax.axhline(0, color=COLORS["ref"], lw=0.8)
    if truth is not None and np.isfinite(truth):
        ax.axhline(truth, color=COLORS["truth"], lw=1.5, ls="--", label=f"truth (paper weights) {truth:.3f}")
    if paper is not None and np.isfinite(paper):
        ax.axhline(paper, color=COLORS["paper"], lw=1.5, ls=":", label=f"paper (Table 2) {paper:.3f}")
    ax.set_ylabel(f"Effect of the pilot on {outcome}")
    legend_right(ax, fontsize=8)  # outside the data area
    for i, (dim, lvl) in enumerate(levels):
        on = (d[dim] == lvl).to_numpy()
        ax2.scatter(x[on], np.full(on.sum(), i), s=4, marker="|", color="#333333")
    ax2.set_yticks(range(len(levels)))
    ax2.set_yticklabels([f"{dim}: {LABELS.get(lvl, lvl)}" for dim, lvl in levels], fontsize=7)
    ax2.invert_yaxis()
    ax2.set_xlabel("Specifications, sorted by estimate")
    ax2.grid(False)
    fig.tight_layout()
    return fig


# --- What chapter 14 shows: the run summary, the curve's numbers, the decomposition table, verdicts against the truth.


def run_summary(specs: pd.DataFrame, panel: pd.DataFrame, timings: dict) -> str:
    """Plain text for the page: which specifications were skipped and why, the real track's caveat, the run time."""
    track = panel.attrs["track"]
    skipped = specs[specs["estimate"].isna()]
    lines = []
    if len(skipped):
        lines.append(f"Skipped {len(skipped)} of {len(specs)} specifications on the {track!r} track:")
        lines += [f"  {n:4d}  {note}" for note, n in skipped["note"].value_counts().items()]
    else:
        lines.append(f"All {len(specs)} specifications estimated.")
    if track == "real":
        codes = panel.attrs.get("index_weights", pd.DataFrame({"code": []}))["code"]
        lines.append(
            f"Real track: the index is built only from the real indicators present ({', '.join(codes)}); "
            "weights are renormalised over them, so a dimension with one indicator (Lab) is the same under "
            "every weighting. Controls are the documented proxies listed in the banner."
        )
    lines.append(
        f"Computed in {timings['total_s']:.1f} s (PSM matching {timings['psm_s']:.1f} s, "
        f"TWFE {timings['twfe_s']:.1f} s, PSM-DID {timings['psm_did_s']:.1f} s, "
        f"BJS {timings['imputation_bjs_s']:.1f} s)."
    )
    return "\n".join(lines)


def outcome_specs(specs: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """The estimated specifications of one outcome."""
    return specs[(specs["outcome"] == outcome)].dropna(subset=["estimate"])


def true_att(panel: pd.DataFrame, outcome: str) -> float | None:
    """The true ATT of ``outcome`` on the paper-weighted index (semi-synthetic track), else ``None``."""
    if panel.attrs.get("track") != "semi_synthetic":
        return None
    return true_value(panel, outcome)


def curve_values(one: pd.DataFrame) -> dict[str, float]:
    """Glued numbers of one outcome's curve: range, median, share of intervals above zero."""
    return {
        "o_min": float(one["estimate"].min()),
        "o_max": float(one["estimate"].max()),
        "o_median": float(one["estimate"].median()),
        "o_share_sig": float((one["conf_low"] > 0).mean()),
    }


def decomposition_table(vd: pd.DataFrame) -> pd.DataFrame:
    """:func:`variance_decomposition` wide: dimensions (then "interactions") by outcome."""
    wide = vd.pivot(index="dimension", columns="outcome", values="share")
    return wide.reindex([*DIMENSIONS, "interactions"])[[o for o in OUTCOMES if o in wide.columns]]


def decomposition_values(wide: pd.DataFrame, outcome: str) -> dict:
    """Glued numbers: every share (``vd_<outcome>_<dimension>``), the clustering share and the largest dimension of
    ``outcome``."""
    out = {f"vd_{o}_{dim}": float(v) for o in wide.columns for dim, v in wide[o].items()}
    has = outcome in wide.columns
    out["cluster_share"] = float(wide.loc["cluster", outcome]) if has else float("nan")
    out["top_dim"] = str(wide[outcome].drop("interactions").idxmax() if has else "")
    out["top_share"] = float(wide[outcome].max()) if has else float("nan")
    return out


def truth_sentences(specs: pd.DataFrame, outcome: str) -> dict[str, str]:
    """Glued sentences against the truth (semi-synthetic track): the range of the true ATT across weightings, and how
    far the correctly dated specifications are from their truths and the misdated ones move."""
    one = outcome_specs(specs, outcome)
    if "truth" not in specs or one.empty:
        return {"truth_range": "not known on this track", "truth_verdict": "not known on this track."}
    tw = one.groupby("weights")["truth"].first()
    rng = (
        f"the true ATT on {outcome} is {tw.min():.3f} with {tw.idxmin()} weights and {tw.max():.3f} "
        f"with {tw.idxmax()} weights (paper weights: {tw.get('paper', float('nan')):.3f})"
    )
    dated = one[~one["sample"].str.startswith("pilot_years_")]
    misd = one[one["sample"].str.startswith("pilot_years_")]
    err, z = dated["estimate"] - dated["truth"], (dated["estimate"] - dated["truth"]).abs() / dated["std_error"]
    cover = float(((dated["conf_low"] <= dated["truth"]) & (dated["truth"] <= dated["conf_high"])).mean())
    txt = (
        f"with the correct pilot dates, estimate minus truth ranges from {err.min():.3f} to {err.max():.3f} "
        f"(median {err.median():.3f}; at most {z.max():.1f} standard errors) and a share {cover:.2f} of the 95 % "
        "intervals contains the truth, so "
        + (
            "every weighting, estimator, control set and sample recovers its own truth up to sampling noise."
            if z.max() < 1.96
            else "some specifications miss their truth by more than sampling noise; the table below shows which "
            "weighting and estimator."
        )
    )
    if len(misd):
        me = (misd["estimate"] - misd["truth"]).groupby(misd["sample"]).mean()
        txt += (
            " The deliberately misdated samples move the estimates by "
            + " and ".join(f"{v:+.3f} on average ({k.removeprefix('pilot_years_')} dates)" for k, v in me.items())
            + "."
        )
    return {"truth_range": rng, "truth_verdict": txt}


def mean_by_weighting(one: pd.DataFrame) -> pd.DataFrame:
    """Mean estimate of one outcome by weighting (rows) and estimator (columns), with the exact truth of each
    weighting's index over all cities when known."""
    if one.empty:
        return pd.DataFrame()
    mean_by = one.groupby(["weights", "estimator"])["estimate"].mean().unstack("estimator")
    if "truth" in one:
        mean_by["truth (all cities)"] = one[one["sample"] == "all"].groupby("weights")["truth"].first()
    return mean_by
