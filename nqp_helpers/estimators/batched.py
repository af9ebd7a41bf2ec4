"""Batched linear DiD cores: TWFE, Sun–Abraham, Callaway–Sant'Anna and BJS imputation for many outcomes at once.

What
    For a fixed design (units, years, treatment timing, controls, clusters) each estimator here is *linear in the
    outcome*, so the design-dependent algebra (demeaned regressors and their inverse cross-product, the saturated
    Sun–Abraham contrast, the CS weights and their influence function, the imputation projection) is done once in
    the constructor, and ``fit(Y)`` fits a whole batch of outcomes ``Y`` (N × R) with a few matrix products.

Why here
    One home per estimator: each core is the batched twin of a tidy wrapper in this package (``twfe.twfe``,
    ``sun_abraham.sun_abraham``, ``callaway_santanna.callaway_santanna`` with ``aggregation="simple"``,
    ``imputation.imputation_did``) with the same estimate, SE convention and interval; ``tests/test_batched.py``
    checks each against its wrapper to 1e-10. Used by ``nqp_helpers.montecarlo`` (teaching lab) and
    ``nqp_helpers.speccurve`` (specification curve).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse, stats

from ..errors import NQPInputError
from ._common import codes, demean_twoway, fe_dof, first_treat_to_int, ssc_factor

__all__ = ["BJSCore", "CSCore", "SACore", "TWFECore"]


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
        raise NQPInputError(
            f"design column(s) {[c for c in cols if pd.isna(row[c])]} missing at "
            f"({row[unit]}, {row[time]}); the fast cores need complete design rows"
        )
    return d


class TWFECore:
    """Batched OLS with unit + time fixed effects for a fixed design: ``y ~ X | unit + time`` for many ``y`` at once.

    ``X = [treatment, *controls]`` (or ``regressors``); the reported coefficient is ``r'β`` with ``r`` = the
    unit vector of the first regressor unless ``contrast`` is given. SEs: CR1 with the fixest small-sample factor
    (``K = p + fe_dof``) and t(G-1) intervals, exactly as :func:`nqp_helpers.estimators.twfe.twfe`, for each of
    ``clusters`` (column names). Rows are used in the order of ``panel``; ``fit(Y)`` takes ``Y`` (N × R) in that order.
    """

    def __init__(
        self,
        panel: pd.DataFrame,
        treatment: str = "Inn",
        controls=(),
        unit: str = "city_code",
        time: str = "year",
        clusters=("city_code",),
        regressors: np.ndarray | None = None,
        contrast: np.ndarray | None = None,
        alpha: float = 0.05,
    ):
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
        return _result(est, np.sqrt(factor * (S**2).sum(axis=0)), crit, one_d)

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
            out[cl] = _result(est, np.sqrt(factor * (S**2).sum(axis=0)), crit, one_d)
        return out


class SACore(TWFECore):
    """Sun–Abraham IW average over the post cells ``0 <= e <= lags`` (default: all), never-treated controls: the
    saturated cohort × event-time regression of :func:`~nqp_helpers.estimators.sun_abraham.sun_abraham` as a
    :class:`TWFECore` with the cell-size contrast. CR1 by ``cluster`` (default unit), t(G-1)."""

    def __init__(
        self,
        panel: pd.DataFrame,
        first_treat: str = "first_treat",
        unit: str = "city_code",
        time: str = "year",
        lags: int | None = None,
        cluster: str | None = None,
        alpha: float = 0.05,
    ):
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
        super().__init__(
            panel, unit=unit, time=time, clusters=[cluster], regressors=X, contrast=w / w.sum(), alpha=alpha
        )
        self.cells = cells


class CSCore:
    """Callaway–Sant'Anna ``simple`` ATT with never-treated controls (no covariates, balanced panel), as
    :func:`~nqp_helpers.estimators.callaway_santanna.callaway_santanna` (``aggregation="simple"``): post cells
    ``ATT(g,t)`` against base ``g - 1``, cohort-size weights, influence function incl. the weight-estimation term,
    ``se = sqrt(mean(inf²)/n)``, normal intervals."""

    def __init__(
        self,
        panel: pd.DataFrame,
        first_treat: str = "first_treat",
        unit: str = "city_code",
        time: str = "year",
        alpha: float = 0.05,
    ):
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
        self.wif = ind / s - ind.sum(axis=1, keepdims=True) @ (pg_cell / s**2)[None, :]
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
            wk = self.w[k0 : k0 + len(post)]
            a = np.zeros((n, len(post), R))
            a[treat] = (dy[treat] - mt) / treat.sum()
            a[nv] = -(dy[nv] - mc) / nv.sum()
            inf += n * np.einsum("p,npr->nr", wk, a)
            atts.append(att)
            k0 += len(post)
        att = np.vstack(atts)
        est = self.w @ att
        inf += self.wif @ att
        se = np.sqrt((inf**2).mean(axis=0) / n)
        return _result(est, se, self.crit, one_d)


class BJSCore:
    """Borusyak–Jaravel–Spiess imputation ATT over all treated cells with the did2s GMM SE (no small-sample factor,
    t(G-1)), as :func:`~nqp_helpers.estimators.imputation.imputation_did` (row ``att``), optional ``controls`` in the
    first stage and several ``clusters``. Rows of units with no untreated year are dropped (``self.keep``)."""

    def __init__(
        self,
        panel: pd.DataFrame,
        first_treat: str = "first_treat",
        unit: str = "city_code",
        time: str = "year",
        controls=(),
        clusters=None,
        alpha: float = 0.05,
    ):
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
        X1 = sparse.csr_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols_))), shape=(n, nu + nt + len(controls))
        )
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
        return _result(b, np.sqrt((S**2).sum(axis=0)) / self.nD, crit, one_d)

    def fit_all(self, Y) -> dict:
        b, Wi, one_d = self._stage(Y)
        out = {}
        for cl, (C, crit, _) in self.clusters.items():
            S = C @ Wi
            out[cl] = _result(b, np.sqrt((S**2).sum(axis=0)) / self.nD, crit, one_d)
        return out
