"""Monte Carlo teaching lab: how TWFE and three heterogeneity-robust DiD estimators behave when the truth is known,
and whether their 95 % intervals cover it.

What
    For each scenario (``constant``, ``dynamic``, ``heterogeneous``) simulate ``n_populations`` populations
    ``simulate_panel(skeleton, seed=base_seed + p, scenario=...)`` on the real skeleton (cities, years, pilot timing)
    and take ``n_draws`` samples of cities from them: cities drawn with replacement within their adoption cohort
    (``cohort_bootstrap``; ``resample_cities`` gives one such sample as a panel, copies with new ids). That is the
    sampling model of a city-clustered SE, so its coverage can be read off. The lab's first design, the same cities
    in every draw (``designs=("fixed",)``), is kept for comparison: its draws differ only by cell noise. On each draw
    estimate the overall ATT on one outcome (default ``Pro``) with

    * ``twfe``: static TWFE, ``y ~ Inn | city + year`` (CR1 by city, t(G-1));
    * ``callaway_santanna``: CS (2021), never-treated controls, ``simple`` aggregation (analytic IF SE, z);
    * ``sun_abraham``: SA (2021) interaction-weighted estimator, average over *all* post cells (``lags`` = the
      longest event time, so its estimand is the same treated-cell average as the truth);
    * ``imputation_bjs``: Borusyak–Jaravel–Spiess imputation, average over all treated cells (did2s SE, t(G-1)),

    and compare each estimate with two truths: the population ATT (mean of ``y1 - y0`` over the population's treated
    cells, ``true_effects``) and the sample ATT (the same over the draw's treated cells). ``summarise`` gives bias,
    spread, mean SE and coverage of the nominal 95 % interval for both.

Speed
    The design (treatment timing, fixed effects, clusters) is the same in every draw; only the outcome changes
    (resampling within cohort keeps it so: slot ``i`` of a draw is a copy of a city of slot ``i``'s cohort, so a
    draw is a row gather of a population's outcomes into the skeleton's slots, with no new design). Every
    estimator here is *linear in the outcome* given the design, so the design-dependent algebra (demeaned regressors,
    their inverse cross-product, the imputation projection, the CS weights and their influence function) is done
    once in the batched cores of :mod:`nqp_helpers.estimators.batched` (the home of ``TWFECore``, ``SACore``,
    ``CSCore``, ``BJSCore``, next to their tidy wrappers and tested against them in ``tests/test_batched.py``), and
    each core then fits a whole batch of outcomes ``Y`` (N × R) with a few matrix products.

Determinism
    Population ``p`` uses seed ``base_seed + p`` and draw ``d`` resamples with ``default_rng((base_seed, d))``
    whatever ``n_jobs`` is (common random numbers across scenarios: the same seeds and resamples in each scenario),
    so results are identical for any number of workers.
"""

from __future__ import annotations

import time as _time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

from .data.semi_synthetic import (
    DEFAULT_SEED,
    SCENARIOS,
    prepare_skeleton,
    simulate_panel,
    true_value,
)
from .errors import NQPInputError
from .estimators._common import first_treat_to_int
from .estimators.batched import BJSCore, CSCore, SACore, TWFECore

__all__ = [
    "DEFAULT_SEED",
    "DESIGNS",
    "DESIGN_LABELS",
    "ESTIMATORS",
    "ESTIMATOR_LABELS",
    "SCENARIOS",
    "cohort_bootstrap",
    "fit_cores",
    "fit_wrappers",
    "make_cores",
    "resample_cities",
    "run_montecarlo",
    "summarise",
    "twfe_cell_weights",
]

ESTIMATORS = ("twfe", "callaway_santanna", "sun_abraham", "imputation_bjs")
ESTIMATOR_LABELS = {
    "twfe": "TWFE",
    "callaway_santanna": "Callaway–Sant'Anna",
    "sun_abraham": "Sun–Abraham",
    "imputation_bjs": "BJS imputation",
}
_KEYS = ("city_code", "year")


# ------------------------------------------------------------------------------------------------ cores vs wrappers
def make_cores(panel: pd.DataFrame, estimators=ESTIMATORS, alpha: float = 0.05) -> dict:
    """The batched cores of ``estimators`` for the design of ``panel`` (rows sorted by city and year)."""
    bad = [e for e in estimators if e not in ESTIMATORS]
    if bad:
        raise NQPInputError(f"unknown estimator(s) {bad}; allowed: {list(ESTIMATORS)}")
    make = {
        "twfe": lambda: TWFECore(panel, alpha=alpha),
        "callaway_santanna": lambda: CSCore(panel, alpha=alpha),
        "sun_abraham": lambda: SACore(panel, alpha=alpha),
        "imputation_bjs": lambda: BJSCore(panel, alpha=alpha),
    }
    return {e: make[e]() for e in estimators}


def fit_cores(cores: dict, Y) -> dict:
    """``{estimator: {"estimate", "std_error", "conf_low", "conf_high"}}`` (arrays over the columns of ``Y``)."""
    return {e: c.fit(Y) for e, c in cores.items()}


def fit_wrappers(panel: pd.DataFrame, outcome: str = "Pro", estimators=ESTIMATORS, alpha: float = 0.05) -> dict:
    """The same four numbers from the tidy wrappers (slow reference; what the tests compare the cores with)."""
    from .estimators.callaway_santanna import callaway_santanna
    from .estimators.imputation import imputation_did
    from .estimators.sun_abraham import sun_abraham
    from .estimators.twfe import twfe

    out = {}
    for e in estimators:
        if e == "twfe":
            row = twfe(panel, outcome, alpha=alpha).query("term == 'Inn'")
        elif e == "callaway_santanna":
            row = callaway_santanna(panel, outcome, aggregation="simple", alpha=alpha).query(
                "aggregation == 'simple' and term == 'ATT'"
            )
        elif e == "sun_abraham":
            g = first_treat_to_int(panel["first_treat"])
            lags = int((panel["year"] - g)[g > 0].max())
            row = sun_abraham(panel, outcome, lags=lags, alpha=alpha).query("aggregation == 'att'")
        elif e == "imputation_bjs":
            row = imputation_did(panel, outcome, horizons=[], alpha=alpha).query("term == 'att'")
        else:
            raise NQPInputError(f"unknown estimator {e!r}; allowed: {list(ESTIMATORS)}")
        r = row.iloc[0]
        out[e] = {k: float(r[k]) for k in ("estimate", "std_error", "conf_low", "conf_high")}
    return out


def twfe_cell_weights(panel: pd.DataFrame, treatment: str = "Inn") -> pd.DataFrame:
    """The weight static TWFE puts on each treated cell's effect (de Chaisemartin & D'Haultfœuille 2020).

    With ``y = α_i + λ_t + τ_it D_it + ε``, the TWFE coefficient is ``Σ_it h_it y_it`` with ``h = D̃ / Σ D̃²``
    (``D̃`` = two-way demeaned treatment), so its estimand is ``Σ_{D=1} h_it τ_it``: weights summing to 1 that can be
    negative (long-treated cells of early cohorts serve as controls for later ones). Returns the treated cells with
    ``city_code, year, first_treat, event_time, weight``.
    """
    core = TWFECore(panel, treatment=treatment)
    D = panel[treatment].to_numpy(float) > 0
    out = panel.loc[D, ["city_code", "year", "first_treat"]].copy()
    out["event_time"] = out["year"] - out["first_treat"]
    out["weight"] = core.h[D]
    return out.reset_index(drop=True)


# ------------------------------------------------------------------------------------------------ resampling cities
def cohort_bootstrap(first_treat_by_city, rng: np.random.Generator) -> np.ndarray:
    """Source positions of a cluster bootstrap *within adoption cohorts*: slot ``i`` gets a city drawn with
    replacement (uniformly) from the cohort of city ``i`` (never-treated cities are one cohort), so every cohort keeps
    its size and the design (timing, cohort shares) is that of the original panel."""
    ft = np.asarray(first_treat_by_city)
    src = np.empty(len(ft), dtype=int)
    for c in np.unique(ft):
        idx = np.flatnonzero(ft == c)
        src[idx] = idx[rng.integers(0, len(idx), size=len(idx))]
    return src


def _balanced_layout(
    panel: pd.DataFrame, unit: str = "city_code", time: str = "year", cohort: str = "first_treat"
) -> tuple[np.ndarray, int, np.ndarray]:
    """``(units, T, first_treat by unit)`` of a balanced panel sorted by unit and year (what the gather needs)."""
    units = pd.unique(panel[unit])
    years = pd.unique(panel[time])
    n_c, T = len(units), len(years)
    u = panel[unit].to_numpy()
    ok = (
        len(panel) == n_c * T
        and (u.reshape(n_c, T) == units[:, None]).all()
        and (panel[time].to_numpy().reshape(n_c, T) == np.sort(years)[None, :]).all()
    )
    if not ok:
        raise NQPInputError(
            f"resampling cities needs a balanced panel sorted by {unit!r} and {time!r} (one row per city and year)"
        )
    ft = first_treat_to_int(panel[cohort]).to_numpy().reshape(n_c, T)
    if (ft != ft[:, :1]).any():
        raise NQPInputError(f"column {cohort!r} varies within a city")
    return units, T, ft[:, 0]


def resample_cities(
    panel: pd.DataFrame, seed=0, unit: str = "city_code", time: str = "year", cohort: str = "first_treat"
) -> pd.DataFrame:
    """One cluster bootstrap of ``panel`` within adoption cohorts (see ``cohort_bootstrap``; ``seed`` is passed to
    ``numpy.random.default_rng``): each new city is a copy of a city of the same cohort with all its years. New ids
    ``1..n_cities`` in ``unit`` (so duplicated cities stay distinct clusters), the original id in ``source_city``.

    On the semi-synthetic track (potential-outcome columns present), ``attrs["truth"]`` is the truth of the *sample*
    (``true_effects`` of the resampled panel: the ATT of its treated cells) and ``attrs["population_truth"]`` the
    truth of ``panel``.
    """
    from .data.semi_synthetic import true_effects

    units, T, ft = _balanced_layout(panel, unit, time, cohort)
    src = cohort_bootstrap(ft, np.random.default_rng(seed))
    rows = (src[:, None] * T + np.arange(T)[None, :]).ravel()
    out = panel.iloc[rows].reset_index(drop=True)
    out.attrs = {}
    out.insert(out.columns.get_loc(unit) + 1, "source_city", out[unit].to_numpy())
    out[unit] = np.repeat(np.arange(1, len(units) + 1), T)
    out.attrs = {k: v for k, v in panel.attrs.items() if k != "truth"}
    if "truth" in panel.attrs:
        out.attrs["population_truth"] = panel.attrs["truth"]
        out.attrs["truth"] = true_effects(out)
    out.attrs["resample"] = {"seed": seed, "scheme": "cities with replacement within adoption cohort"}
    return out


# ------------------------------------------------------------------------------------------------------- the MC
DESIGNS = ("resample", "fixed")
DESIGN_LABELS = {
    "resample": "new cities every draw (resampled within cohort)",
    "fixed": "the same cities every draw (first version)",
}
_SKELETON = None


def _init_worker(skeleton):
    """Set the worker's skeleton: a ``PreparedSkeleton``, so the skeleton-only work (gap filling, control design,
    ...) is done once and not per draw; the draws are byte-identical to ``simulate_panel(DataFrame, ...)``."""
    global _SKELETON
    _SKELETON = prepare_skeleton(skeleton)


def _one_draw(args):
    scenario, seed, outcome = args
    p = simulate_panel(_SKELETON, seed=seed, scenario=scenario)
    truth = true_value(p, outcome)
    keys = p[list(_KEYS)].to_numpy()
    y0 = p[f"{outcome}_y0"].to_numpy(float)
    return scenario, seed, p[outcome].to_numpy(float), truth, keys, y0, p[f"{outcome}_y1"].to_numpy(float) - y0


def _check_outcome(outcome):
    from .indicators import INDEX_COLUMNS

    if outcome not in INDEX_COLUMNS:
        raise NQPInputError(f"parameter outcome={outcome!r} must be one of {list(INDEX_COLUMNS)}")


def _check_args(n_draws, n_populations, scenarios, designs, outcome):
    if not isinstance(n_draws, (int, np.integer)) or n_draws < 1:
        raise NQPInputError(f"parameter n_draws={n_draws!r} must be a positive integer")
    if n_populations is not None and (not isinstance(n_populations, (int, np.integer)) or n_populations < 1):
        raise NQPInputError(f"parameter n_populations={n_populations!r} must be a positive integer or None")
    scenarios = [scenarios] if isinstance(scenarios, str) else list(scenarios)
    bad = [s for s in scenarios if s not in SCENARIOS]
    if bad:
        raise NQPInputError(f"unknown scenario(s) {bad}; allowed: {list(SCENARIOS)}")
    designs = [designs] if isinstance(designs, str) else list(designs)
    bad = [d for d in designs if d not in DESIGNS]
    if bad or not designs:
        raise NQPInputError(f"parameter designs: unknown {bad or designs}; allowed: {list(DESIGNS)}")
    _check_outcome(outcome)
    return scenarios, designs


def _simulate_all(prepared, tasks, n_jobs, progress, design_keys):
    """Run ``_one_draw`` over ``tasks`` (in worker processes if ``n_jobs > 1``): ``{(scenario, seed): draw}``."""
    out = {}
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(tasks), desc="Monte Carlo populations", unit="panel", mininterval=2.0)

    def collect(res):
        s, seed, y, truth, keys, y0, te = res
        if not np.array_equal(keys, design_keys):
            raise NQPInputError("a simulated panel does not keep the skeleton's row order; cannot batch the fits")
        out[(s, seed)] = (y, truth, y0, te)
        if bar is not None:
            bar.update(1)

    if n_jobs and n_jobs > 1 and len(tasks) > 1:
        import multiprocessing as mp

        ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else None
        with ProcessPoolExecutor(
            max_workers=int(n_jobs), mp_context=ctx, initializer=_init_worker, initargs=(prepared,)
        ) as ex:
            for res in ex.map(_one_draw, tasks, chunksize=max(1, len(tasks) // (8 * n_jobs))):
                collect(res)
    else:
        _init_worker(prepared)
        for task in tasks:
            collect(_one_draw(task))
    if bar is not None:
        bar.close()
    return out


def run_montecarlo(
    n_draws: int = 20,
    scenarios=SCENARIOS,
    outcome: str = "Pro",
    base_seed: int = DEFAULT_SEED,
    estimators=ESTIMATORS,
    skeleton: pd.DataFrame | None = None,
    n_jobs: int = 1,
    progress: bool = True,
    alpha: float = 0.05,
    timings: dict | None = None,
    designs=("resample",),
    n_populations: int | None = None,
) -> pd.DataFrame:
    """Run the Monte Carlo and return one row per design × scenario × draw × estimator.

    Two sampling designs (``designs``):

    * ``"resample"`` (default): a draw is a *new sample of cities*. Population ``p`` is
      ``simulate_panel(skeleton, seed=base_seed + p, scenario)`` on the real skeleton (new city attributes, effect
      heterogeneity and noise in every population); draw ``d`` uses population ``p = (d - 1) % n_populations + 1``
      and resamples its cities with replacement within adoption cohort (``cohort_bootstrap`` with
      ``default_rng((base_seed, d))``, the same resample in every scenario); the copies are distinct clusters. This
      is the sampling model behind a city-clustered SE: cities are independent draws, so their persistent
      deviations and their effects change from draw to draw.
    * ``"fixed"`` (the lab's first version): a draw is population ``p`` itself, ``p = 1..n_populations``: always
      the same 285 cities, and the generator makes the cohort-by-year means of their untreated paths parallel in
      every draw, so the draws differ only by cell noise (and the ATT is the same number each time).

    Parameters
    ----------
    n_draws : resampled draws per scenario (design ``"resample"``).
    n_populations : simulated populations per scenario (default ``min(n_draws, 20)``); they are also the draws of
        design ``"fixed"``. Simulation is the costly part; resampling and the batched fits are cheap.
    scenarios : subset of ``("constant", "dynamic", "heterogeneous")``.
    outcome : ``Pro``, ``Lab``, ``Mea`` or ``Obj``.
    skeleton : the real skeleton (``real_panel()``, read once when ``None``); balanced and sorted by city and year
        for ``"resample"``.
    n_jobs : worker processes for the simulation (the estimation is batched in this process); results do not
        depend on it.
    progress : a tqdm bar over the simulated populations.
    timings : if a dict, filled with ``simulate_s`` (wall time of simulating the populations) and ``estimate_s``
        per estimator (wall time of the batched fits, both designs).

    Returns
    -------
    Columns ``design, scenario, draw, population, seed`` (the simulation seed), ``outcome, estimator, estimate,
    std_error, conf_low, conf_high``, two truths: ``truth`` = the **population ATT** (mean of ``y1 - y0`` over the
    population's treated cells; the estimand of sampling-based inference) and ``truth_sample`` = the ATT of the
    draw's own treated cells (the estimand that conditions on the cities drawn, as in design-based inference; equal
    to ``truth`` in design ``"fixed"``), ``error = estimate - truth``, ``covered`` / ``covered_sample`` (each truth
    inside the interval) and the exact split ``error = trend_bias + weighting_bias + sample_gap``: every estimator
    is linear in the outcome and ``y = y0 + (y1 - y0)·Inn``, so ``trend_bias`` = the estimator applied to the
    untreated potential outcome ``<outcome>_y0`` of the draw, ``weighting_bias`` = the estimator applied to the
    cell effects minus their mean (``truth_sample``), ``sample_gap = truth_sample - truth``.
    """
    scenarios, designs = _check_args(n_draws, n_populations, scenarios, designs, outcome)
    n_pop = int(n_populations) if n_populations is not None else min(int(n_draws), 20)
    if skeleton is None:
        from .data.real_panel import real_panel

        skeleton = real_panel()
    prepared = prepare_skeleton(skeleton)  # once here; forked workers inherit it (see _init_worker)
    design_keys = skeleton[list(_KEYS)].to_numpy()
    if "resample" in designs:
        _, T, ft_c = _balanced_layout(skeleton)
    tasks = [(s, int(base_seed) + p, outcome) for s in scenarios for p in range(1, n_pop + 1)]
    t0 = _time.perf_counter()
    sims = _simulate_all(prepared, tasks, n_jobs, progress, design_keys)
    if timings is not None:
        timings["simulate_s"] = _time.perf_counter() - t0
        timings["estimate_s"] = {e: 0.0 for e in estimators}

    # one column per (design, scenario, draw): outcome, Y(0) and the effect of every row, and the two truths
    meta, Y, Y0, TE = [], [], [], []
    for design in designs:
        for s in scenarios:
            if design == "fixed":
                for p in range(1, n_pop + 1):
                    y, truth, y0, te = sims[(s, int(base_seed) + p)]
                    meta.append((design, s, p, p, truth))
                    Y.append(y), Y0.append(y0), TE.append(te)
            else:
                for d in range(1, int(n_draws) + 1):
                    p = (d - 1) % n_pop + 1
                    y, truth, y0, te = sims[(s, int(base_seed) + p)]
                    src = cohort_bootstrap(ft_c, np.random.default_rng((int(base_seed), d)))
                    rows = (src[:, None] * T + np.arange(T)[None, :]).ravel()
                    meta.append((design, s, d, p, truth))
                    Y.append(y[rows]), Y0.append(y0[rows]), TE.append(te[rows])
    Y, Y0, TE = np.column_stack(Y), np.column_stack(Y0), np.column_stack(TE)
    truth_sample = TE[prepared.inn].mean(axis=0)  # the generator's treated cells (same rows as the skeleton's)
    frames = []
    for e in estimators if not isinstance(estimators, str) else [estimators]:
        t1 = _time.perf_counter()
        core = make_cores(skeleton, [e], alpha=alpha)[e]
        fit, trend = core.fit(Y), core.fit(Y0)["estimate"]
        if timings is not None:
            timings["estimate_s"][e] += _time.perf_counter() - t1
        frames.append(
            pd.DataFrame(
                {
                    "design": [m[0] for m in meta],
                    "scenario": [m[1] for m in meta],
                    "draw": [m[2] for m in meta],
                    "population": [m[3] for m in meta],
                    "seed": [int(base_seed) + m[3] for m in meta],
                    "outcome": outcome,
                    "estimator": e,
                    **fit,
                    "truth": [m[4] for m in meta],
                    "truth_sample": truth_sample,
                    "trend_bias": trend,
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    out["error"] = out["estimate"] - out["truth"]
    out["sample_gap"] = out["truth_sample"] - out["truth"]
    out["weighting_bias"] = out["error"] - out["sample_gap"] - out["trend_bias"]
    out["covered"] = (out["conf_low"] <= out["truth"]) & (out["truth"] <= out["conf_high"])
    out["covered_sample"] = (out["conf_low"] <= out["truth_sample"]) & (out["truth_sample"] <= out["conf_high"])
    for col, levels in (("design", DESIGNS), ("scenario", SCENARIOS), ("estimator", ESTIMATORS)):
        out[col] = pd.Categorical(out[col], categories=[v for v in levels if v in set(out[col])])
    out = out.sort_values(["design", "scenario", "estimator", "draw"], kind="mergesort").reset_index(drop=True)
    for col in ("design", "scenario", "estimator"):
        out[col] = out[col].astype(str)
    out.attrs["montecarlo"] = {
        "n_draws": int(n_draws),
        "n_populations": n_pop,
        "base_seed": int(base_seed),
        "outcome": outcome,
        "alpha": alpha,
        "designs": list(designs),
    }
    return out


def _cluster_mcse(x: np.ndarray, groups: np.ndarray) -> float:
    """Monte Carlo SE of ``mean(x)`` when draws sharing a population (``groups``) are not independent."""
    r = len(x)
    if r < 2:
        return np.nan
    s = pd.Series(x - x.mean()).groupby(groups).sum().to_numpy()
    g = len(s)
    return float(np.sqrt((s**2).sum() * g / max(g - 1, 1)) / r) if g > 1 else np.nan


def summarise(draws: pd.DataFrame) -> pd.DataFrame:
    """Bias, spread, SE and coverage per (design ×) scenario × estimator.

    Columns: ``design`` (when the draws have it), ``scenario, estimator, n_draws, mean_truth`` (population ATT),
    ``mean_estimate, bias`` (against the population ATT), ``bias_mcse``, ``rmse``, ``sd_estimate`` (spread of the
    estimates across draws), ``mean_se`` (mean reported SE), ``se_ratio`` (``mean_se / sd_estimate``: 1 when the
    SE measures the spread it claims to), ``coverage`` (share of intervals containing the population ATT),
    ``coverage_sample`` (containing the draw's own ATT), ``sd_truth_sample`` (how much the draw's ATT moves),
    ``sd_error_sample`` (spread of ``estimate - truth_sample``), the mean ``trend_bias``, ``weighting_bias`` and
    ``sample_gap`` (they add up to ``bias``), and ``coverage_mcse`` (Monte Carlo SE of ``coverage``, clustered by
    population when draws share one).
    """
    need = {"scenario", "estimator", "estimate", "std_error", "truth", "error", "covered"}
    if not need <= set(draws.columns):
        raise NQPInputError(f"summarise needs columns {sorted(need - set(draws.columns))}")
    d = draws.copy()
    if "design" not in d:
        d["design"] = ""
    for col, default in (
        ("truth_sample", d["truth"]),
        ("covered_sample", d["covered"]),
        ("population", np.arange(len(d))),
    ):
        if col not in d:
            d[col] = default
    rows = []
    order = [(g, s, e) for g in [*DESIGNS, ""] for s in SCENARIOS for e in ESTIMATORS]
    keys = set(map(tuple, d[["design", "scenario", "estimator"]].drop_duplicates().to_numpy()))
    for g, s, e in (k for k in order if k in keys):
        x = d[(d["design"] == g) & (d["scenario"] == s) & (d["estimator"] == e)]
        r = len(x)
        err = x["error"].to_numpy(float)
        cov = x["covered"].to_numpy(float)
        sd_est = float(x["estimate"].std(ddof=1)) if r > 1 else np.nan
        row = {
            "design": g,
            "scenario": s,
            "estimator": e,
            "n_draws": r,
            "mean_truth": float(x["truth"].mean()),
            "mean_estimate": float(x["estimate"].mean()),
            "bias": float(err.mean()),
            "bias_mcse": _cluster_mcse(err, x["population"].to_numpy()),
            "rmse": float(np.sqrt((err**2).mean())),
            "sd_estimate": sd_est,
            "mean_se": float(x["std_error"].mean()),
            "se_ratio": float(x["std_error"].mean()) / sd_est if r > 1 and sd_est > 0 else np.nan,
            "coverage": float(cov.mean()),
            "coverage_sample": float(x["covered_sample"].mean()),
            "sd_truth_sample": float(x["truth_sample"].std(ddof=1)) if r > 1 else np.nan,
            "sd_error_sample": float((x["estimate"] - x["truth_sample"]).std(ddof=1)) if r > 1 else np.nan,
        }
        for k in ("trend_bias", "weighting_bias", "sample_gap"):
            if k in x:
                row[k] = float(x[k].mean())
        row["coverage_mcse"] = _cluster_mcse(cov, x["population"].to_numpy())
        rows.append(row)
    out = pd.DataFrame(rows)
    return out.drop(columns="design") if "design" not in draws else out
