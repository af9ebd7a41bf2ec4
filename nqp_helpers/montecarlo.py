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
    once in the ``*Core`` classes, and each core then fits a whole batch of outcomes ``Y`` (N × R) with a few matrix
    products. ``tests/test_montecarlo.py`` checks that every core reproduces its tidy wrapper (``twfe``,
    ``callaway_santanna``, ``sun_abraham``, ``imputation_did``) to 1e-8: same estimate, SE and interval. The cores
    are also what ``nqp_helpers.speccurve`` uses (``TWFECore`` with controls and several cluster levels,
    ``BJSCore``).

Determinism
    Draw ``r`` always uses seed ``base_seed + r`` whatever ``n_jobs`` is (common random numbers across scenarios:
    the same seeds in each scenario), so results are identical for any number of workers.
"""
from __future__ import annotations

import time as _time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd
from scipy import sparse, stats

from .errors import NQPInputError
from .estimators._common import codes, demean_twoway, fe_dof, first_treat_to_int, ssc_factor
from .data.semi_synthetic import DEFAULT_SEED, SCENARIOS, prepare_skeleton, simulate_panel

__all__ = ["ESTIMATORS", "ESTIMATOR_LABELS", "TWFECore", "SACore", "CSCore", "BJSCore", "make_cores", "fit_cores",
           "fit_wrappers", "run_montecarlo", "summarise", "twfe_cell_weights", "DEFAULT_SEED", "SCENARIOS"]

ESTIMATORS = ("twfe", "callaway_santanna", "sun_abraham", "imputation_bjs")
ESTIMATOR_LABELS = {"twfe": "TWFE", "callaway_santanna": "Callaway–Sant'Anna", "sun_abraham": "Sun–Abraham",
                    "imputation_bjs": "BJS imputation"}
_KEYS = ("city_code", "year")


# ---------------------------------------------------------------------------------------------------------- helpers
def _cluster_matrix(c: np.ndarray) -> sparse.csr_matrix:
    g = int(c.max()) + 1
    return sparse.csr_matrix((np.ones(len(c)), (c, np.arange(len(c)))), shape=(g, len(c)))


def _as_2d(Y) -> tuple[np.ndarray, bool]:
    Y = np.asarray(Y, dtype=float)
    return (Y[:, None], True) if Y.ndim == 1 else (Y, False)


def _result(est, se, crit, one_d):
    est, se = np.asarray(est, float), np.asarray(se, float)
    out = {"estimate": est, "std_error": se, "conf_low": est - crit * se, "conf_high": est + crit * se}
    return {k: float(v[0]) for k, v in out.items()} if one_d else out


def _sorted_design(panel: pd.DataFrame, unit: str, time: str, cols) -> pd.DataFrame:
    d = panel[list(dict.fromkeys([unit, time, *cols]))]
    if d[cols].isna().any().any():
        bad = d[cols].isna().any(axis=1)
        row = d.loc[bad].iloc[0]
        raise NQPInputError(f"design column(s) {[c for c in cols if pd.isna(row[c])]} missing at "
                            f"({row[unit]}, {row[time]}); the fast cores need complete design rows")
    return d


class TWFECore:
    """Batched OLS with unit + time fixed effects for a fixed design: ``y ~ X | unit + time`` for many ``y`` at once.

    ``X = [treatment, *controls]`` (or ``regressors``); the reported coefficient is ``r'β`` with ``r`` = the
    unit vector of the first regressor unless ``contrast`` is given. SEs: CR1 with the fixest small-sample factor
    (``K = p + fe_dof``) and t(G-1) intervals, exactly as :func:`nqp_helpers.estimators.twfe.twfe`, for each of
    ``clusters`` (column names). Rows are used in the order of ``panel``; ``fit(Y)`` takes ``Y`` (N × R) in that order.
    """

    def __init__(self, panel: pd.DataFrame, treatment: str = "Inn", controls=(), unit: str = "city_code",
                 time: str = "year", clusters=("city_code",), regressors: np.ndarray | None = None,
                 contrast: np.ndarray | None = None, alpha: float = 0.05):
        controls = list(controls)
        clusters = [clusters] if isinstance(clusters, str) else list(clusters)
        d = _sorted_design(panel, unit, time, [treatment, *controls, *clusters] if regressors is None else clusters)
        self.u, self.t = codes(d[unit]), codes(d[time])
        X = d[[treatment, *controls]].to_numpy(float) if regressors is None else np.asarray(regressors, float)
        self.n, self.p = X.shape
        self.Xd = demean_twoway(X, self.u, self.t)
        xtx_inv = np.linalg.pinv(self.Xd.T @ self.Xd)
        r = np.zeros(self.p) if contrast is None else np.asarray(contrast, float)
        if contrast is None:
            r[0] = 1.0
        self.r = r
        self.xtx_inv = xtx_inv
        self.h = self.Xd @ (xtx_inv @ r)  # r'β = h'y (h lies in the demeaned space)
        self.clusters = {}
        for cl in clusters:
            c = codes(d[cl])
            g = int(c.max()) + 1
            k = self.p + fe_dof(self.u, self.t, c)
            self.clusters[cl] = (_cluster_matrix(c), ssc_factor(self.n, k, g), stats.t.ppf(1 - alpha / 2, g - 1), g)
        self.balanced = self.n == (self.u.max() + 1) * (self.t.max() + 1)

    def fit(self, Y, cluster: str | None = None):
        Y, one_d = _as_2d(Y)
        if Y.shape[0] != self.n:
            raise NQPInputError(f"TWFECore.fit: Y has {Y.shape[0]} rows, the design {self.n}")
        Yd = demean_twoway(Y, self.u, self.t)
        B = self.xtx_inv @ (self.Xd.T @ Yd)
        E = Yd - self.Xd @ B
        est = self.r @ B
        C, factor, crit, _ = self.clusters[cluster or next(iter(self.clusters))]
        S = C @ (self.h[:, None] * E)
        return _result(est, np.sqrt(factor * (S ** 2).sum(axis=0)), crit, one_d)

    def fit_all(self, Y) -> dict:
        """``{cluster: fit(Y, cluster)}`` for every cluster level (one demeaning and one residual pass)."""
        Y, one_d = _as_2d(Y)
        Yd = demean_twoway(Y, self.u, self.t)
        B = self.xtx_inv @ (self.Xd.T @ Yd)
        HE = self.h[:, None] * (Yd - self.Xd @ B)
        est = self.r @ B
        out = {}
        for cl, (C, factor, crit, _) in self.clusters.items():
            S = C @ HE
            out[cl] = _result(est, np.sqrt(factor * (S ** 2).sum(axis=0)), crit, one_d)
        return out


class SACore(TWFECore):
    """Sun–Abraham IW average over the post cells ``0 <= e <= lags`` (default: all), never-treated controls: the
    saturated cohort × event-time regression of :func:`~nqp_helpers.estimators.sun_abraham.sun_abraham` as a
    :class:`TWFECore` with the cell-size contrast. CR1 by ``cluster`` (default unit), t(G-1)."""

    def __init__(self, panel: pd.DataFrame, first_treat: str = "first_treat", unit: str = "city_code",
                 time: str = "year", lags: int | None = None, cluster: str | None = None, alpha: float = 0.05):
        cluster = cluster or unit
        g = first_treat_to_int(panel[first_treat]).to_numpy()
        if not (g == 0).any():
            raise NQPInputError(f"column {first_treat!r}: no never-treated unit (SACore uses never-treated controls)")
        yr = panel[time].to_numpy()
        rel = np.where(g > 0, yr - g, -10_000)
        cells = pd.DataFrame({"g": g, "rel": rel})[g > 0].value_counts().rename("n").reset_index()
        cells = cells[cells["rel"] != -1].sort_values(["g", "rel"]).reset_index(drop=True)
        X = np.column_stack([((g == c) & (rel == e)).astype(float) for c, e in cells[["g", "rel"]].to_numpy()])
        lags = int(rel[g > 0].max()) if lags is None else int(lags)
        post = ((cells["rel"] >= 0) & (cells["rel"] <= lags)).to_numpy()
        w = np.where(post, cells["n"].to_numpy(float), 0.0)
        super().__init__(panel, unit=unit, time=time, clusters=[cluster], regressors=X, contrast=w / w.sum(),
                         alpha=alpha)
        self.cells = cells


class CSCore:
    """Callaway–Sant'Anna ``simple`` ATT with never-treated controls (no covariates, balanced panel), as
    :func:`~nqp_helpers.estimators.callaway_santanna.callaway_santanna` (``aggregation="simple"``): post cells
    ``ATT(g,t)`` against base ``g - 1``, cohort-size weights, influence function incl. the weight-estimation term,
    ``se = sqrt(mean(inf²)/n)``, normal intervals."""

    def __init__(self, panel: pd.DataFrame, first_treat: str = "first_treat", unit: str = "city_code",
                 time: str = "year", alpha: float = 0.05):
        d = panel[[unit, time, first_treat]]
        units, ui = np.unique(d[unit].to_numpy(), return_inverse=True)
        years, ti = np.unique(d[time].to_numpy(), return_inverse=True)
        n, T = len(units), len(years)
        if len(d) != n * T or pd.Series(ui * T + ti).duplicated().any():
            raise NQPInputError("CSCore needs a balanced panel (one row per unit and year)")
        self.pos = ui * T + ti  # row -> flat (unit, year) position
        g = np.zeros(n, int)
        g[ui] = first_treat_to_int(d[first_treat]).to_numpy()
        never = g == 0
        if not never.any():
            raise NQPInputError(f"column {first_treat!r}: no never-treated unit")
        cohorts = sorted(c for c in np.unique(g) if c > 0 and c > years.min())
        ypos = {y: j for j, y in enumerate(years)}
        blocks, coh, tt = [], [], []
        for c in cohorts:
            if c - 1 not in ypos:
                continue
            post = [j for j, y in enumerate(years) if y >= c]
            if not post:
                continue
            blocks.append((g == c, ypos[c - 1], np.array(post)))
            coh += [c] * len(post)
            tt += [years[j] for j in post]
        coh = np.array(coh)
        # cohort shares over the cohorts that have cells (did::aggte: pg among all units)
        glist = np.array(sorted(np.unique(coh)))
        pgg = np.array([np.mean(g == c) for c in glist])
        pg_cell = pgg[np.searchsorted(glist, coh)]
        s = pg_cell.sum()
        self.w = pg_cell / s
        ind = np.column_stack([(g == c).astype(float) - p for c, p in zip(coh, pg_cell)])
        self.wif = ind / s - ind.sum(axis=1, keepdims=True) @ (pg_cell / s ** 2)[None, :]
        self.blocks, self.never, self.n, self.T = blocks, never, n, T
        self.crit = stats.norm.ppf(1 - alpha / 2)
        self.cells = pd.DataFrame({"cohort": coh, "time": tt})

    def fit(self, Y):
        Y, one_d = _as_2d(Y)
        R = Y.shape[1]
        W = np.empty((self.n * self.T, R))
        W[self.pos] = Y
        W = W.reshape(self.n, self.T, R)
        n = self.n
        inf = np.zeros((n, R))
        atts = []
        k0 = 0
        nv = self.never
        for treat, b, post in self.blocks:
            dy = W[:, post, :] - W[:, b, None, :]  # n × P × R
            mt = dy[treat].mean(axis=0)
            mc = dy[nv].mean(axis=0)
            att = mt - mc  # P × R
            wk = self.w[k0:k0 + len(post)]
            a = np.zeros((n, len(post), R))
            a[treat] = (dy[treat] - mt) / treat.sum()
            a[nv] = -(dy[nv] - mc) / nv.sum()
            inf += n * np.einsum("p,npr->nr", wk, a)
            atts.append(att)
            k0 += len(post)
        att = np.vstack(atts)
        est = self.w @ att
        inf += self.wif @ att
        se = np.sqrt((inf ** 2).mean(axis=0) / n)
        return _result(est, se, self.crit, one_d)


class BJSCore:
    """Borusyak–Jaravel–Spiess imputation ATT over all treated cells with the did2s GMM SE (no small-sample factor,
    t(G-1)), as :func:`~nqp_helpers.estimators.imputation.imputation_did` (row ``att``), optional ``controls`` in the
    first stage and several ``clusters``. Rows of units with no untreated year are dropped (``self.keep``)."""

    def __init__(self, panel: pd.DataFrame, first_treat: str = "first_treat", unit: str = "city_code",
                 time: str = "year", controls=(), clusters=None, alpha: float = 0.05):
        controls = list(controls)
        clusters = [unit] if clusters is None else ([clusters] if isinstance(clusters, str) else list(clusters))
        d = _sorted_design(panel, unit, time, [first_treat, *controls, *clusters])
        g = first_treat_to_int(d[first_treat]).to_numpy()
        yr = d[time].to_numpy()
        D = (g > 0) & (yr >= g)
        has_untreated = pd.Series(~D).groupby(d[unit].to_numpy()).transform("any").to_numpy()
        self.keep = has_untreated
        d, D = d[has_untreated], D[has_untreated]
        if not D.any():
            raise NQPInputError(f"column {first_treat!r}: no treated observation with an imputable counterfactual")
        u, t = codes(d[unit]), codes(d[time])
        n = len(d)
        nu, nt = int(u.max()) + 1, int(t.max())
        # stage-1 design [unit dummies, year dummies (first year dropped), controls] as a sparse matrix
        tt = np.flatnonzero(t > 0)
        rows = [np.arange(n), tt]
        cols_ = [u, nu - 1 + t[tt]]
        vals = [np.ones(n), np.ones(len(tt))]
        for j, c in enumerate(controls):
            rows.append(np.arange(n))
            cols_.append(np.full(n, nu + nt + j))
            vals.append(d[c].to_numpy(float))
        X1 = sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols_))),
                               shape=(n, nu + nt + len(controls)))
        X10 = sparse.diags((~D).astype(float)) @ X1
        gram = (X10.T @ X10).toarray()
        self.M = np.linalg.pinv(gram, rcond=1e-13)  # (X10'X10)^+ : the untreated-only first stage
        self.X10T = X10.T.tocsr()
        vmap = self.M @ (X1.T @ D.astype(float))
        self.v = X10 @ vmap
        self.X1, self.D, self.nD = X1, D, int(D.sum())
        self.clusters = {}
        for cl in clusters:
            c = codes(d[cl])
            g_ = int(c.max()) + 1
            self.clusters[cl] = (_cluster_matrix(c), stats.t.ppf(1 - alpha / 2, g_ - 1), g_)

    def _stage(self, Y):
        Y, one_d = _as_2d(Y)
        Y = Y[self.keep]
        nd = ~self.D
        Ytil = Y - self.X1 @ (self.M @ (self.X10T @ Y))
        b = Ytil[self.D].mean(axis=0)
        Wi = np.where(self.D[:, None], Ytil - b, 0.0) - self.v[:, None] * np.where(nd[:, None], Ytil, 0.0)
        return b, Wi, one_d

    def fit(self, Y, cluster: str | None = None):
        b, Wi, one_d = self._stage(Y)
        C, crit, _ = self.clusters[cluster or next(iter(self.clusters))]
        S = C @ Wi
        return _result(b, np.sqrt((S ** 2).sum(axis=0)) / self.nD, crit, one_d)

    def fit_all(self, Y) -> dict:
        b, Wi, one_d = self._stage(Y)
        out = {}
        for cl, (C, crit, _) in self.clusters.items():
            S = C @ Wi
            out[cl] = _result(b, np.sqrt((S ** 2).sum(axis=0)) / self.nD, crit, one_d)
        return out


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
