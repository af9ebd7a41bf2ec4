"""Monte Carlo teaching lab: how TWFE and three heterogeneity-robust DiD estimators behave when the truth is known.

What
    For ``r = 1..n_draws`` and each scenario (``constant``, ``dynamic``, ``heterogeneous``) draw a semi-synthetic panel
    ``simulate_panel(skeleton, seed=base_seed + r, scenario=...)`` on the *same* real skeleton (cities, years, pilot
    timing), estimate the overall ATT on one outcome (default ``Pro``) with

    * ``twfe``: static TWFE, ``y ~ Inn | city + year`` (CR1 by city, t(G-1));
    * ``callaway_santanna``: CS (2021), never-treated controls, ``simple`` aggregation (analytic IF SE, z);
    * ``sun_abraham``: SA (2021) interaction-weighted estimator, average over *all* post cells (``lags`` = the
      longest event time, so its estimand is the same treated-cell average as the truth);
    * ``imputation_bjs``: Borusyak–Jaravel–Spiess imputation, average over all treated cells (did2s SE, t(G-1)),

    and compare each estimate with the truth of that draw (``true_effects``: the mean of ``y1 - y0`` over treated
    cells). ``summarise`` gives bias, RMSE and coverage of the nominal 95 % interval.

Speed
    The design (treatment timing, fixed effects, clusters) is the same in every draw; only the outcome changes. Every
    estimator here is *linear in the outcome* given the design, so the design-dependent algebra (demeaned regressors,
    their inverse cross-product, the imputation projection, the CS weights and their influence function) is done
    once in the batched cores of :mod:`nqp_helpers.estimators.batched` (the home of ``TWFECore``, ``SACore``,
    ``CSCore``, ``BJSCore``, next to their tidy wrappers and tested against them in ``tests/test_batched.py``), and
    each core then fits a whole batch of outcomes ``Y`` (N × R) with a few matrix products.

Determinism
    Draw ``r`` always uses seed ``base_seed + r`` whatever ``n_jobs`` is (common random numbers across scenarios:
    the same seeds in each scenario), so results are identical for any number of workers.
"""
from __future__ import annotations

import time as _time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

from .errors import NQPInputError
from .estimators._common import first_treat_to_int
from .estimators.batched import BJSCore, CSCore, SACore, TWFECore
from .data.semi_synthetic import DEFAULT_SEED, SCENARIOS, prepare_skeleton, simulate_panel

__all__ = ["ESTIMATORS", "ESTIMATOR_LABELS", "make_cores", "fit_cores", "fit_wrappers", "run_montecarlo", "summarise",
           "twfe_cell_weights", "DEFAULT_SEED", "SCENARIOS"]

ESTIMATORS = ("twfe", "callaway_santanna", "sun_abraham", "imputation_bjs")
ESTIMATOR_LABELS = {"twfe": "TWFE", "callaway_santanna": "Callaway–Sant'Anna", "sun_abraham": "Sun–Abraham",
                    "imputation_bjs": "BJS imputation"}
_KEYS = ("city_code", "year")


# ------------------------------------------------------------------------------------------------ cores vs wrappers
def make_cores(panel: pd.DataFrame, estimators=ESTIMATORS, alpha: float = 0.05) -> dict:
    """The batched cores of ``estimators`` for the design of ``panel`` (rows sorted by city and year)."""
    bad = [e for e in estimators if e not in ESTIMATORS]
    if bad:
        raise NQPInputError(f"unknown estimator(s) {bad}; allowed: {list(ESTIMATORS)}")
    make = {"twfe": lambda: TWFECore(panel, alpha=alpha), "callaway_santanna": lambda: CSCore(panel, alpha=alpha),
            "sun_abraham": lambda: SACore(panel, alpha=alpha), "imputation_bjs": lambda: BJSCore(panel, alpha=alpha)}
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
                "aggregation == 'simple' and term == 'ATT'")
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


# ------------------------------------------------------------------------------------------------------- the MC
_SKELETON = None


def _init_worker(skeleton):
    """Set the worker's skeleton: a ``PreparedSkeleton``, so the skeleton-only work (gap filling, control design,
    ...) is done once and not per draw; the draws are byte-identical to ``simulate_panel(DataFrame, ...)``."""
    global _SKELETON
    _SKELETON = prepare_skeleton(skeleton)


def _one_draw(args):
    scenario, seed, outcome = args
    p = simulate_panel(_SKELETON, seed=seed, scenario=scenario)
    tr = p.attrs["truth"]
    truth = float(tr.loc[(tr["outcome"] == outcome) & (tr["estimand"] == "att"), "value"].iloc[0])
    keys = p[list(_KEYS)].to_numpy()
    return scenario, seed, p[outcome].to_numpy(float), truth, keys, p[f"{outcome}_y0"].to_numpy(float)


def _check_outcome(outcome):
    from .indicators import INDEX_COLUMNS
    if outcome not in INDEX_COLUMNS:
        raise NQPInputError(f"parameter outcome={outcome!r} must be one of {list(INDEX_COLUMNS)}")


def run_montecarlo(n_draws: int = 20, scenarios=SCENARIOS, outcome: str = "Pro", base_seed: int = DEFAULT_SEED,
                   estimators=ESTIMATORS, skeleton: pd.DataFrame | None = None, n_jobs: int = 1,
                   progress: bool = True, alpha: float = 0.05, timings: dict | None = None) -> pd.DataFrame:
    """Run the Monte Carlo and return one row per scenario × draw × estimator.

    Parameters
    ----------
    n_draws : draws per scenario (seeds ``base_seed + 1 .. base_seed + n_draws``, the same in every scenario).
    scenarios : subset of ``("constant", "dynamic", "heterogeneous")``.
    outcome : ``Pro``, ``Lab``, ``Mea`` or ``Obj``.
    skeleton : the real skeleton (``real_panel()``, read once when ``None``).
    n_jobs : worker processes for the simulation (the estimation is batched in this process); results do not
        depend on it.
    progress : a tqdm bar over the draws.
    timings : if a dict, filled with ``simulate_s`` (wall time of drawing the panels) and ``estimate_s`` per
        estimator (wall time of the batched fit).

    Returns
    -------
    Columns ``scenario, draw, seed, outcome, estimator, estimate, std_error, conf_low, conf_high, truth, error
    (estimate - truth), covered`` (truth inside the interval), and the exact split of the error (every estimator
    is linear in the outcome, and ``y = y0 + (y1 - y0)·Inn``): ``trend_bias`` = the estimator applied to the
    untreated potential outcome ``<outcome>_y0`` (non-zero when ``y0`` of pilot and other cities do not move in
    parallel), ``weighting_bias`` = ``error - trend_bias`` = the estimator applied to the cell effects minus their
    mean (non-zero when the estimator weights heterogeneous effects other than equally, e.g. TWFE's weights).
    """
    if not isinstance(n_draws, (int, np.integer)) or n_draws < 1:
        raise NQPInputError(f"parameter n_draws={n_draws!r} must be a positive integer")
    scenarios = [scenarios] if isinstance(scenarios, str) else list(scenarios)
    bad = [s for s in scenarios if s not in SCENARIOS]
    if bad:
        raise NQPInputError(f"unknown scenario(s) {bad}; allowed: {list(SCENARIOS)}")
    _check_outcome(outcome)
    if skeleton is None:
        from .data.real import real_panel
        skeleton = real_panel()
    prepared = prepare_skeleton(skeleton)  # once here; forked workers inherit it (see _init_worker)
    tasks = [(s, int(base_seed) + r, outcome) for s in scenarios for r in range(1, n_draws + 1)]
    ys, y0s, truths = {}, {}, {}
    design = skeleton[list(_KEYS)].to_numpy()
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=len(tasks), desc="Monte Carlo draws", unit="panel", mininterval=2.0)
    t0 = _time.perf_counter()

    def collect(res):
        s, seed, y, truth, keys, y0 = res
        if not np.array_equal(keys, design):
            raise NQPInputError("a simulated panel does not keep the skeleton's row order; cannot batch the fits")
        ys[(s, seed)] = y
        y0s[(s, seed)] = y0
        truths[(s, seed)] = truth
        if bar is not None:
            bar.update(1)

    if n_jobs and n_jobs > 1:
        import multiprocessing as mp
        ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else None
        with ProcessPoolExecutor(max_workers=int(n_jobs), mp_context=ctx, initializer=_init_worker,
                                 initargs=(prepared,)) as ex:
            for res in ex.map(_one_draw, tasks, chunksize=max(1, len(tasks) // (8 * n_jobs))):
                collect(res)
    else:
        _init_worker(prepared)
        for task in tasks:
            collect(_one_draw(task))
    if bar is not None:
        bar.close()
    if timings is not None:
        timings["simulate_s"] = _time.perf_counter() - t0
        timings["estimate_s"] = {}
    p0 = skeleton  # the design (timing, cities, years) is the skeleton's, identical in every draw
    cores = {}
    for e in estimators:
        t1 = _time.perf_counter()
        cores[e] = make_cores(p0, [e], alpha=alpha)[e]
        if timings is not None:
            timings["estimate_s"][e] = _time.perf_counter() - t1
    Y = np.column_stack([ys[(s, seed)] for s, seed, _ in tasks])
    Y0 = np.column_stack([y0s[(s, seed)] for s, seed, _ in tasks])
    frames = []
    for e, core in cores.items():
        t1 = _time.perf_counter()
        fit = core.fit(Y)
        if timings is not None:
            timings["estimate_s"][e] += _time.perf_counter() - t1
        frames.append(pd.DataFrame({
            "scenario": [s for s, _, _ in tasks], "draw": [seed - int(base_seed) for _, seed, _ in tasks],
            "seed": [seed for _, seed, _ in tasks], "outcome": outcome, "estimator": e, **fit,
            "truth": [truths[(s, seed)] for s, seed, _ in tasks],
            "trend_bias": core.fit(Y0)["estimate"]}))
    out = pd.concat(frames, ignore_index=True)
    out["error"] = out["estimate"] - out["truth"]
    out["weighting_bias"] = out["error"] - out["trend_bias"]
    out["covered"] = (out["conf_low"] <= out["truth"]) & (out["truth"] <= out["conf_high"])
    out["scenario"] = pd.Categorical(out["scenario"], categories=list(SCENARIOS)).remove_unused_categories()
    out["estimator"] = pd.Categorical(out["estimator"], categories=[e for e in ESTIMATORS if e in estimators])
    out = out.sort_values(["scenario", "estimator", "draw"], kind="mergesort").reset_index(drop=True)
    out["scenario"] = out["scenario"].astype(str)
    out["estimator"] = out["estimator"].astype(str)
    out.attrs["montecarlo"] = {"n_draws": int(n_draws), "base_seed": int(base_seed), "outcome": outcome,
                               "alpha": alpha}
    return out


def summarise(draws: pd.DataFrame) -> pd.DataFrame:
    """Bias, RMSE and coverage per scenario × estimator.

    Columns: ``scenario, estimator, n_draws, mean_truth, mean_estimate, bias, bias_mcse`` (Monte Carlo SE of the
    bias, ``sd(error)/sqrt(R)``), ``rmse, sd_estimate, mean_se`` (mean reported SE; compare with ``sd_estimate``),
    ``coverage`` (share of intervals containing the truth), ``coverage_mcse`` (``sqrt(c(1-c)/R)``) and, when the
    draws have them, the mean ``trend_bias`` and ``weighting_bias`` (they add up to ``bias``).
    """
    need = {"scenario", "estimator", "estimate", "std_error", "truth", "error", "covered"}
    if not need <= set(draws.columns):
        raise NQPInputError(f"summarise needs columns {sorted(need - set(draws.columns))}")
    rows = []
    order_s = [s for s in SCENARIOS if s in set(draws["scenario"])]
    order_e = [e for e in ESTIMATORS if e in set(draws["estimator"])]
    for s in order_s:
        for e in order_e:
            d = draws[(draws["scenario"] == s) & (draws["estimator"] == e)]
            if d.empty:
                continue
            r = len(d)
            err = d["error"].to_numpy(float)
            cov = float(d["covered"].mean())
            rows.append({"scenario": s, "estimator": e, "n_draws": r, "mean_truth": float(d["truth"].mean()),
                         "mean_estimate": float(d["estimate"].mean()), "bias": float(err.mean()),
                         "bias_mcse": float(err.std(ddof=1) / np.sqrt(r)) if r > 1 else np.nan,
                         "rmse": float(np.sqrt((err ** 2).mean())),
                         "sd_estimate": float(d["estimate"].std(ddof=1)) if r > 1 else np.nan,
                         "mean_se": float(d["std_error"].mean()), "coverage": cov,
                         **({"trend_bias": float(d["trend_bias"].mean()),
                             "weighting_bias": float(d["weighting_bias"].mean())} if "trend_bias" in d else {}),
                         "coverage_mcse": float(np.sqrt(cov * (1 - cov) / r))})
    return pd.DataFrame(rows)
