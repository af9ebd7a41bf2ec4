"""Semi-synthetic panel: the real skeleton, simulated indicators with **both potential outcomes** and a known truth.

Data-generating process (DGP)
=============================

Kept from the skeleton (``real_panel()`` or any frame with ``city_code, year, first_treat``): cities, years, pilot
timing (``first_treat``, ``Inn``), attributes (``admin_level``, ``size_class``, ``old_industrial_base``, ``pop_base``,
...) and the real controls ``Eco, Gov, Fix, Fin, Tra, Ope``. Real indicator columns are replaced by simulated ones.

1. **Gaps in real covariates** are filled city by city: linear interpolation between observed years, linear
   extrapolation of the city's own OLS trend outside them (a city with one value is held constant; a city with none
   takes the year median of the other cities). Filled cells are flagged ``<col>_imputed = True``.
   A control that the skeleton lacks entirely is simulated from the city development factor and listed in
   ``attrs["simulated_columns"]`` (so are simulated attributes).
2. **City development factor** ``dev_i``: the standardised mean of the available z-scores of log ``pop_base``,
   hub status and the city mean of ``Eco``, plus N(0, 0.5²) noise. (Night lights are *not* used: they are an
   instrument here, see 4.)
3. **Moderators** (simulated unless the skeleton has them): ``Hum`` = knowledge-service employment per 100 residents
   (log-normal, rising 2 %/yr), ``Dig`` = ln(internet users per 100) (logistic diffusion over time, so most of its
   variance is within cities), ``Ind`` = manufacturing location quotient (log-normal around 1). By default
   (``moderation="cell_level"``) their city effects are independent draws with the spread they would have had with a
   ``dev`` loading, and they do **not** enter Y(0) (``a2 = 0``): a moderator correlated with ``dev`` would pick up,
   through ``Inn×M``, the faster absolute growth of developed cities' Y(0) (measured before this design: Inn×Dig off
   by about 2 SE in every seed). With ``moderation="city_level"`` (the earlier world, opt-in) ``Hum`` loads on
   ``dev``, ``Dig`` diffuses earlier in developed cities, ``Ind`` loads weakly on ``dev`` and all three enter the
   latent Y(0) of step 5. The **innovation group** (Figure 1a proxy on this track) is the tercile of ``dev``, which
   drives the simulated R&D personnel.
4. **IV ingredients**, simulated on this track (the skeleton's VIIRS ``ntl_base`` is a development measure, so it is
   replaced): ``ntl_base`` ("1997-like" lights) = ``exp(1.0 + 1.2 early_i + 0.5 N(0,1))`` and ``laozihao`` (中华老字号
   firms) = Poisson with log-mean ``0.0 + 1.2 early_i + 0.3 N(0,1)``, where ``early_i = (2023 - first_treat)/15`` for
   pilots and 0 otherwise: cities with more lights / laozihao become pilots earlier, and the instruments depend on
   nothing else (not on ``dev``, the controls or the moderators). ``rd_intensity_lag`` is the skeleton's national
   series when present, otherwise a smooth series interpolated through approximate NBS values (2003 1.13 %,
   2008 1.45 %, 2013 2.00 %, 2018 2.14 %, 2022 2.54 %) lagged one year. ``iv_ntl = ntl_base × rd_intensity_lag``,
   ``iv_lzh = laozihao × rd_intensity_lag``.
5. **Untreated outcomes Y(0)** of each indicator ``k``, in natural units, are the sum of a non-control part ``P``, a
   part ``Q`` linear in the six controls and (only if ``iv_exclusion_violation``) a part ``V`` in the instruments.
   ``P`` starts from a latent (log; logit for the share) index::

       L_kit = mu_k + g_k t + s_k (rho_k dev_i + sqrt(1-rho_k²) a_ki)      city effect
               + gamma_kt                                              year effect
               + 0.05 b_ki (2t/T - 1) + 0.03 c_ki sin(pi t/T)          city-specific smooth component
               + sum_m eta_km z(moderator_m)_it                         moderators (city-level world only)

   (``a, b, c`` independent N(0, 1)), ``N_kit = exp(L)`` (``expit(L)`` for the share). **Parallel trends by
   construction**, also within the Figure-1 groups: every row of adoption cohort ``g`` (never-treated cities are one
   cohort) within stratum hub × megacity × innovation tercile (a cohort-stratum cell ``g`` below) in year ``t`` is
   multiplied
   by one factor ``R_kgt > 0`` such that, with ``pi_k`` the least-squares coefficients of ``R N`` on the controls given
   city and cohort-by-year effects, the cohort-by-year means of ``R N - pi_k'X`` equal ``b_kt + c_kg`` (``b_kt`` the
   all-city mean path, ``c_kg`` the cohort's level offset closest to its own path) - a short fixed-point iteration.
   Cities keep their relative positions within a cohort-year (developed cities stay bigger, moderators still matter),
   but the non-control part moves in parallel across cohorts and is uncorrelated with the controls net of city and
   cohort-by-year effects. Then ``P = R N × exp(nu_k e_kit - nu_k²/2)`` (idiosyncratic noise with mean 1)::

       Q_kit = med_k × sum_c beta_kc (z(control_c)_it - min_s z(control_c)_is)     (a city constant makes Q >= 0)
       V_kit = 0.35 med_k × (sign_k zv_it - min_s sign_k zv_is),  zv = z(iv_ntl) + z(iv_lzh)
       Y0_kit = P_kit + Q_kit [+ V_kit   if iv_exclusion_violation]

   with ``med_k`` the panel median of ``P`` and ``beta_kc`` the latent effect of a 1-sd control by indicator
   direction. The ``-min`` terms are city constants (absorbed by city fixed effects). ``V`` raises the index in
   cities and years with higher instrument values, so the instruments then predict Y(0) directly.
   Natural units: shares are clipped to [1e-4, 0.95] (not binding in practice); counts (postgraduates, AI firms,
   SEI clusters) are ``floor(Y0 + u)`` with one uniform ``u`` per cell shared by Y(0) and Y(1) (randomised
   rounding, unbiased).

   **Guarantee.** Each index is linear in the indicators for given normalisation bounds, so in **every scenario**
   ``Y(0)_it = alpha_i + lambda_t + theta'X_it + r_it`` for every index, where ``X`` are the six controls and the
   systematic part of ``r`` has cohort-by-year means equal to zero and is uncorrelated with the controls (net of city
   and cohort-by-year effects); the rest of ``r`` (noise, rounding) is mean-zero and independent of everything.
   Hence ``E[Y(0)_it - Y(0)_is | cohort, X] - theta'(X_it - X_is)`` does not depend on the cohort (parallel trends
   conditional on the controls, with the linear control adjustment of the paper's model), the six controls are
   exogenous, and - without the violation - ``ntl_base`` and ``laozihao`` are independent of ``r`` given the cohort,
   so both shift-share instruments satisfy the exclusion restriction. TWFE *without* the controls has no such
   guarantee (the real controls trend differently across cohorts; on ``real_panel()`` its bias is small). With ``iv_exclusion_violation=True`` the exclusion restriction fails
   (2SLS bias of the order of the effect) and TWFE is biased too.
6. **Treated outcomes Y(1)** add an effect in **natural units** (so the index effect of a cell does not depend on the
   city's size or the year)::

       delta_kit = tau_d × A_k × h_di × s_it

   ``A_k`` = the Y(0) panel range for positive indicators; for negative-direction indicators (energy, water, CO2,
   waste-gas intensity, energy per capita) the effect is a *fall* of ``tau_d × 2 × q10_k × h × s`` (``q10`` = 10th
   percentile of Y(0) from 2008 on), floored at half of Y(0). Shares are capped at 0.95; counts use the shared ``u``.
   ``h_di`` (city heterogeneity, time-invariant) = innovation-capacity tercile {high 1.35, medium 1, low 0.7} ×
   population class {large 1.3, medium 1.1, small 0.8, megacity 0.6} × admin level {hub 1.25, other 0.9} × old
   industrial base {yes 1.45, no/unknown 1} (city-level world only: × ``(1 + sum_m kappa_dm zbar_mi)``, ``zbar`` =
   standardised city mean of moderator ``m``, floored at 0.2), then **divided by its mean within each adoption
   cohort** (and among never-treated cities), so cohort-average effects are equal. ``kappa_dm = 0.25 × r_dm /
   max_d r_dm`` with ``r_dm`` = paper interaction / paper ATT (Tables 5-7): interactions are positive and ordered
   across dimensions like the paper's.

   **Cell-level moderation (default).** The multiplier of a cell is ``h_dit = h_di + sum_m gamma_dm u_mit`` with
   ``u_m`` = ``M_m,it`` net of its cohort-by-year mean among treated cells and orthogonal (over treated cells) to
   the TWFE weights and to the other moderators' Tables 5-7 regressors (Frisch-Waugh-Lovell residuals ``D_m`` of
   ``Inn×M_m`` on ``Inn, M_m``, the controls and city and year effects). So ATT, cohort-by-year mean effects and
   the TWFE estimand are unchanged, and ``gamma_d`` solves the 3×3 linear system that makes the coefficient of
   ``Inn×M_m`` in the paper's single-moderator regression, fitted to the effect part ``Inn·h_d·s``, equal to
   ``kappa_dm / sd(M_m)`` for every ``m`` - city heterogeneity ``h_di`` and the other moderators included. In
   index units the generator's parameter is ``a3_dm = kappa_dm / sd(M_m) × ATT_d / mean(h_d s | treated)``
   (``Pro``: the paper-weighted sum over dimensions), stored in ``attrs["moderation"]["a3"]``; the multiplier
   is not floored (a few cells have a small negative effect).
   ``s_it`` (scenario): ``constant`` 1; ``dynamic`` ``0.25 + 0.25 min(e, 8)`` with ``e = year - first_treat``
   (0.25 on impact, 2.25 after 8 years); ``heterogeneous`` ``clip(1 + 0.08 (2015 - first_treat), 0.4, 2)`` (earlier
   cohorts larger, constant over event time). For untreated cells Y(1) is the outcome had the pilot started that year
   (``e = 0``; never-treated cities use cohort multiplier 1). Before the scenario profile, ``h_di`` gets one small
   within-cohort correction ``h <- h - lambda (w_i - mean_cohort w)`` that makes it uncorrelated with ``w_i``, the
   weight TWFE with the controls puts on city ``i``'s treated cells (``Inn`` residualised on city and year effects
   and the controls, summed over the city's treated years); so in the ``constant`` scenario the TWFE estimand is the
   ATT, while in ``dynamic`` and ``heterogeneous`` TWFE is biased (forbidden comparisons) - the teaching point.
7. **Observed** = Y(1) where ``Inn == 1`` else Y(0). The index (paper weights, ``nqp_helpers.index.build_index``) is
   built on the observed indicators; the **same normalisation bounds** are applied to Y(0) and Y(1) to give
   ``Pro_y0, Pro_y1, Lab_y0, ...``, so the true ATT of an index is exactly ``mean(y1 - y0 | Inn == 1)``. Because the
   bounds depend on observed data (hence on ``tau``), ``tau_d`` is solved by a fixed-point iteration
   ``tau_d <- tau_d × target_d / ATT_d(tau)`` (≤ 25 steps, tolerance 5e-4) so that the true ATT on Lab, Mea and Obj
   equals the targets - by default the paper's Table 2 columns (4), (6), (8) - in every scenario.
   ``Pro`` is not targeted (the paper's Pro coefficient is not the mean of its sub-index coefficients).

The truth (``true_effects``) is measured on the generated data, never assumed: ATT, ATT by cohort and event time,
ATT by subgroup (innovation tercile, population class, admin level, old industrial base) and, for each moderator,
``interaction_regression`` (the coefficient of ``Inn×M`` in the paper's Tables 5-7 regression, with the six controls
and city and year effects, fitted to ``Inn × (y1 - y0)``: what that regression estimates from the true effects;
equal to ``a3`` up to the caps and floors of the natural-unit effects), ``interaction_slope`` (least-squares slope
of the cell effect on M among treated cells) and ``interaction`` (the truth: ``interaction_regression`` in the
default world, ``interaction_slope`` in the city-level world).
"""
from __future__ import annotations

import functools
import hashlib
import warnings
from collections import OrderedDict

import numpy as np
import pandas as pd

from .._attrs import safe_attr
from ..errors import NQPInputError
from ..index import build_index
from ..indicators import DIMENSIONS, INDEX_COLUMNS, INDICATOR_CODES, indicator_catalogue

SCENARIOS = ("constant", "dynamic", "heterogeneous")
CONTROLS = ("Eco", "Gov", "Fix", "Fin", "Tra", "Ope")
MODERATORS = ("Hum", "Dig", "Ind")
HUB_LEVELS = ("municipality", "sub_provincial", "provincial_capital")
DEFAULT_SEED = 20260101

# code: (kind, 2004 median (natural units), annual latent growth, city sd, loading on dev, noise sd)
_Y0 = {
    "lab_edu_share": ("share", 0.16, 0.010, 0.25, 0.2, 0.05),
    "lab_postgrad": ("count", 300.0, 0.080, 1.00, 0.8, 0.12),
    "lab_schooling": ("pos", 8.3, 0.011, 0.08, 0.7, 0.01),
    "lab_productivity": ("pos", 3.5, 0.075, 0.45, 0.7, 0.06),
    "lab_rd_applied": ("pos", 150.0, 0.080, 1.00, 0.8, 0.12),
    "lab_rd_experimental": ("pos", 1500.0, 0.090, 1.10, 0.8, 0.12),
    "mea_robots": ("pos", 0.5, 0.220, 0.80, 0.5, 0.15),
    "mea_ai_firms": ("count", 2.0, 0.170, 1.00, 0.85, 0.15),
    "mea_fibre": ("pos", 8000.0, 0.100, 0.60, 0.6, 0.08),
    "mea_broadband": ("pos", 10.0, 0.170, 0.70, 0.75, 0.08),
    "mea_energy_intensity": ("pos", 1.5, -0.055, 0.45, -0.4, 0.06),
    "mea_water_intensity": ("pos", 200.0, -0.085, 0.60, -0.3, 0.08),
    "obj_sei_value_added": ("pos", 20.0, 0.140, 1.00, 0.85, 0.10),
    "obj_sei_clusters": ("count", 0.05, 0.150, 1.20, 0.85, 0.20),
    "obj_power_capacity": ("pos", 150.0, 0.070, 0.90, 0.4, 0.08),
    "obj_energy_pc": ("pos", 2.0, 0.030, 0.50, 0.2, 0.06),
    "obj_co2_intensity": ("pos", 3.0, -0.060, 0.50, -0.4, 0.07),
    "obj_waste_gas_intensity": ("pos", 100.0, -0.150, 0.80, -0.4, 0.12),
}
# effect of a 1-sd control / moderator on the latent Y(0), by indicator direction (+1 / -1)
_BETA = {1: dict(Eco=0.10, Gov=0.03, Fix=0.03, Fin=0.05, Tra=0.03, Ope=0.04, Hum=0.08, Dig=0.05, Ind=0.05),
         -1: dict(Eco=-0.08, Gov=0.02, Fix=0.05, Fin=-0.02, Tra=0.0, Ope=-0.02, Hum=-0.04, Dig=-0.02, Ind=0.06)}
_MULT = {
    "innovation": {"high": 1.35, "medium": 1.0, "low": 0.7},
    "size": {"large": 1.3, "medium": 1.1, "small": 0.8, "megacity": 0.6, "unknown": 1.0},
    "admin": {"hub": 1.25, "other": 0.9},
    "industrial": {"old_base": 1.45, "non_old_base": 1.0, "unknown": 1.0},
}
# IV ingredients (city level): ntl_base = exp(a + b early_i + s N(0,1)); laozihao ~ Poisson(exp(a + b early_i + s N(0,1)))
_NTL = (1.0, 1.2, 0.5)
_LZH = (0.0, 1.2, 0.3)
# natural-unit size of the linear control term (multiple of the median of the non-control part) and of the
# exclusion violation (same units, per 1 sd of z(iv_ntl) + z(iv_lzh))
_CTRL_SCALE = 1.0
_VIOL = 0.35
# city sd of the simulated moderators' latent city effect in the default (cell-level) world: the city-level spread
# of the city-level world's dev loading and own effect combined (sqrt(0.35² + 0.25²), sqrt(0.5² + 0.3²), ...)
_MOD_SD = (float(np.hypot(0.35, 0.25)), float(np.hypot(0.5, 0.3)), float(np.hypot(0.1, 0.3)))
_RD_ANCHORS = ([2003, 2008, 2013, 2018, 2022], [1.13, 1.45, 2.00, 2.14, 2.54])


def _reported_key() -> tuple:
    """Identifies the version of data/paper/reported_results.csv (path, size, mtime) for the per-process caches."""
    from ..paths import PAPER_DIR
    path = PAPER_DIR / "reported_results.csv"
    try:
        st = path.stat()
        return str(path), st.st_size, st.st_mtime_ns
    except OSError:  # missing file: reported_results raises its own error
        return str(path), None, None


@functools.lru_cache(maxsize=4)
def _reported_cached(key: tuple) -> pd.DataFrame:
    from ..reported import reported_results
    return reported_results()


def _reported() -> pd.DataFrame:
    """The paper's reported numbers (data/paper/reported_results.csv); the calibration targets come only from there.
    Read and validated once per process and version of the file; each call returns a copy."""
    return _reported_cached(_reported_key()).copy()


def _paper_coef(r: pd.DataFrame, what: str, **match) -> float:
    mask = np.ones(len(r), dtype=bool)
    for k, v in match.items():
        mask &= (r[k] == v).to_numpy()
    if not mask.any():
        raise NQPInputError(f"reported_results.csv has no row for {what} ({match}); the calibration needs it")
    return float(r.loc[mask, "coef"].iloc[0])


def default_targets() -> dict[str, float]:
    """The paper's Table 2 coefficients on ``Inn`` with controls: Lab col. (4), Mea col. (6), Obj col. (8)."""
    return dict(_targets_and_kappa(_reported_key())[0])


def _kappa() -> dict[tuple[str, str], float]:
    return dict(_targets_and_kappa(_reported_key())[1])


@functools.lru_cache(maxsize=4)
def _targets_and_kappa(key: tuple) -> tuple[dict, dict]:
    """(default targets, kappa) from the reported numbers, once per version of the file (callers copy the dicts)."""
    r = _reported_cached(key)
    att = {}
    for d, col in (("Lab", 4), ("Mea", 6), ("Obj", 8)):
        att[d] = _paper_coef(r, f"Table 2 column {col}", table=2, column=col, term="Inn", outcome=d)
    table = {"Hum": 5, "Dig": 6, "Ind": 7}
    kappa = {}
    for m, tb in table.items():
        ratios = {}
        for d in DIMENSIONS:
            coef = _paper_coef(r, f"Table {tb}", table=tb, outcome=d, term=f"Inn:{m}")
            ratios[d] = max(coef, 0.0) / att[d]
        top = max(ratios.values()) or 1.0
        for d in DIMENSIONS:
            kappa[(m, d)] = 0.25 * ratios[d] / top
    return att, kappa


# ----------------------------------------------------------------------------------------------------------- groups
def size_group(size_class) -> pd.Series:
    """Map ``size_class`` labels (Chinese 2014 standard or English) to ``megacity/large/medium/small/unknown``."""
    def one(s):
        s = "" if s is None or (isinstance(s, float) and np.isnan(s)) else str(s).lower()
        if any(k in s for k in ("超大", "特大", "mega", "super")):
            return "megacity"
        if any(k in s for k in ("大", "large", "big")):
            return "large"
        if any(k in s for k in ("中", "medium")):
            return "medium"
        if any(k in s for k in ("小", "small")):
            return "small"
        return "unknown"
    memo: dict = {}  # labels repeat (one per city-year): classify each distinct label once

    def cached(s):
        try:
            return memo[s]
        except KeyError:
            memo[s] = r = one(s)
            return r
        except TypeError:  # unhashable label
            return one(s)
    return pd.Series([cached(s) for s in size_class], index=getattr(size_class, "index", None), dtype=object)


def innovation_tercile(panel: pd.DataFrame, before: int | None = None) -> pd.Series:
    """Innovation-capacity tercile (``high/medium/low``) of each row's city: terciles over cities of the pre-period
    mean of ``log(lab_rd_applied + lab_rd_experimental)`` (R&D personnel), pre-period = years before ``before``
    (default: the first pilot year; if no such year, the first three years)."""
    for c in ("lab_rd_applied", "lab_rd_experimental"):
        if c not in panel.columns:
            raise NQPInputError(f"innovation_tercile needs column {c!r}")
    ft = pd.to_numeric(panel["first_treat"], errors="coerce").fillna(0) if "first_treat" in panel else pd.Series(0)
    if before is None:
        pos = ft[ft > 0]
        before = int(pos.min()) if len(pos) else int(panel["year"].min()) + 3
    pre = panel[panel["year"] < before]
    if pre.empty:
        pre = panel[panel["year"] < panel["year"].min() + 3]
    v = np.log(pre["lab_rd_applied"] + pre["lab_rd_experimental"] + 1.0).groupby(pre["city_code"]).mean()
    rank = v.rank(method="first")
    grp = pd.cut(rank, bins=[0, len(v) / 3, 2 * len(v) / 3, len(v) + 1], labels=["low", "medium", "high"])
    return panel["city_code"].map(grp.astype(str)).fillna("unknown")


def subgroups(panel: pd.DataFrame) -> pd.DataFrame:
    """The four heterogeneity splits of the paper's Figure 1 for every row: ``innovation`` (tercile, see
    ``innovation_tercile``; uses column ``innovation_group`` when present), ``size`` (``size_group``), ``admin``
    (``hub`` = municipality / sub-provincial / provincial capital, else ``other``), ``industrial``
    (``old_base`` / ``non_old_base`` / ``unknown``)."""
    out = pd.DataFrame(index=panel.index)
    if "innovation_group" in panel.columns:
        out["innovation"] = panel["innovation_group"].astype(str)
    elif {"lab_rd_applied", "lab_rd_experimental"} <= set(panel.columns):
        out["innovation"] = innovation_tercile(panel)
    if "size_class" in panel.columns:
        out["size"] = size_group(panel["size_class"]).to_numpy()
    if "admin_level" in panel.columns:
        out["admin"] = np.where(panel["admin_level"].isin(HUB_LEVELS), "hub", "other")
    if "old_industrial_base" in panel.columns:
        o = pd.to_numeric(panel["old_industrial_base"], errors="coerce")
        out["industrial"] = np.where(o == 1, "old_base", np.where(o == 0, "non_old_base", "unknown"))
    return out


# ----------------------------------------------------------------------------------------------------------- helpers
def _z(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    sd = np.nanstd(x)
    return (x - np.nanmean(x)) / (sd if sd > 0 else 1.0)


def _fill_city_trend(values: np.ndarray, ci: np.ndarray, t: np.ndarray, n_c: int) -> tuple[np.ndarray, np.ndarray]:
    """Interpolate inside, extrapolate by the city's OLS trend outside; all-NaN cities take the year median."""
    v = values.astype(float).copy()
    miss = np.isnan(v)
    if not miss.any():
        return v, miss
    order = np.lexsort((t, ci))
    bounds = np.searchsorted(ci[order], np.arange(n_c + 1))
    for c in range(n_c):
        idx = order[bounds[c]:bounds[c + 1]]
        if idx.size == 0:
            continue
        vv, tt = v[idx], t[idx].astype(float)
        ok = ~np.isnan(vv)
        if ok.all() or not ok.any():
            continue
        if ok.sum() == 1:
            vv[~ok] = vv[ok][0]
        else:
            inside = (tt >= tt[ok].min()) & (tt <= tt[ok].max()) & ~ok
            vv[inside] = np.interp(tt[inside], tt[ok], vv[ok])
            slope, icpt = np.polyfit(tt[ok], vv[ok], 1)
            outside = np.isnan(vv)
            vv[outside] = icpt + slope * tt[outside]
        v[idx] = vv
    still = np.isnan(v)
    if still.any():
        med = pd.Series(v).groupby(t).median()
        v[still] = pd.Series(t[still]).map(med).to_numpy(dtype=float)
        v[np.isnan(v)] = np.nanmedian(v)
    return v, miss


class _CohortParallel:
    """Makes a positive city-year variable parallel across adoption cohorts *conditional on the controls*.

    ``fit(x)`` multiplies every row of cohort ``g`` in year ``t`` by one factor ``R_gt > 0`` (so cities keep their
    relative positions within a cohort-year, hence their dependence on ``dev``, the moderators, ...) chosen so that,
    with ``pi`` = the least-squares coefficients of the rescaled variable ``P`` on the controls ``X`` given city and
    cohort-by-year effects,

    * the cohort-by-year means of ``P - pi'X`` are additive: ``mean_gt(P - pi'X) = b_t + c_g``, and
    * ``P - pi'X`` is orthogonal to the controls net of city and cohort-by-year effects (definition of ``pi``).

    Hence ``P = alpha_i + b_t + pi'X + r`` with ``r`` orthogonal to the city and year dummies, to every
    cohort-by-year function (``Inn`` included) and to the controls: TWFE with the controls recovers exactly zero on
    ``P``. ``b_t`` follows the all-city mean path; ``c_g`` is the offset closest in log terms to the cohort's own
    path with ``b_t + pi'Xbar_gt + c_g > 0``. ``R`` and ``pi`` are found by a short fixed-point iteration."""

    def __init__(self, cohort: np.ndarray, t: np.ndarray, ci: np.ndarray, X: np.ndarray):
        years = np.unique(t)
        self.ti = np.searchsorted(years, t)
        cohorts, self.gi = np.unique(cohort, return_inverse=True)
        self.shape = (len(cohorts), len(years))
        self.cell = self.gi * self.shape[1] + self.ti
        self.ncell = self.shape[0] * self.shape[1]
        self.cnt = np.bincount(self.cell, minlength=self.ncell).reshape(self.shape).astype(float)
        self.full = bool((self.cnt > 0).all())  # every cohort observed in every year: vectorised _targets
        self.ci = ci
        X = np.asarray(X, dtype=float).reshape(len(t), -1)
        self.Xbar = np.stack([self._cell_mean(X[:, j]) for j in range(X.shape[1])], axis=-1)  # (G, T, p)
        self.Xbar_t = (self.Xbar * self.cnt[..., None]).sum(0) / np.maximum(self.cnt.sum(0), 1)[:, None]
        Xd = X.copy()
        for _ in range(100):  # city and cohort-by-year effects (one pass suffices when the panel is balanced)
            prev = Xd.copy()
            Xd = Xd - self._mean_by(Xd, ci)
            Xd = Xd - self._mean_by(Xd, self.cell)
            if np.abs(Xd - prev).max() < 1e-12:
                break
        self.Xd = Xd
        xtx = Xd.T @ Xd
        self.proj = np.linalg.pinv(xtx) @ Xd.T if X.shape[1] else np.zeros((0, len(t)))

    @staticmethod
    def _mean_by(v: np.ndarray, key: np.ndarray) -> np.ndarray:
        n = np.bincount(key).astype(float)
        if v.ndim == 1:
            return (np.bincount(key, weights=v) / np.maximum(n, 1))[key]
        return np.stack([(np.bincount(key, weights=v[:, j]) / np.maximum(n, 1))[key] for j in range(v.shape[1])], 1)

    def _cell_mean(self, x: np.ndarray) -> np.ndarray:
        s = np.bincount(self.cell, weights=x, minlength=self.ncell).reshape(self.shape)
        return np.where(self.cnt > 0, s / np.maximum(self.cnt, 1), np.nan)

    _GRID = np.linspace(0.0, 1.0, 401) ** 2  # search grid for the cohort offsets (quadratic spacing)

    def _targets(self, M: np.ndarray, B: np.ndarray, pi: np.ndarray) -> np.ndarray:
        """Target cohort-by-year means: ``path_g = b_t + pi'Xbar_gt`` plus the offset ``c_g`` on a 401-point grid
        that minimises ``sum_t log(path_gt + c / M_gt)²`` (the cohort's own mean path ``M``), with ``path + c > 0``."""
        shift = self.Xbar @ pi  # (G, T)
        base = B - self.Xbar_t @ pi
        if self.full:
            # all cohorts at once; the same element-wise operations and per-(cohort, grid point) sums over years as
            # the loop below, so the result is bit-identical
            path = base + shift  # (G, T)
            lo = -path.min(axis=1) + 0.1 * float(B.min())
            hi = np.maximum((M - path).max(axis=1), lo) + 1e-12
            grid = lo[:, None] + (hi - lo)[:, None] * self._GRID  # (G, 401)
            err = (np.log((path[:, None, :] + grid[:, :, None]) / M[:, None, :]) ** 2).sum(2)  # (G, 401)
            return path + grid[np.arange(self.shape[0]), np.argmin(err, axis=1)][:, None]
        target = np.empty(self.shape)
        for j in range(self.shape[0]):
            ok = self.cnt[j] > 0
            if not ok.any():
                target[j] = B
                continue
            path = base + shift[j]
            lo = -float(path[ok].min()) + 0.1 * float(B.min())
            hi = max(float(np.max(M[j, ok] - path[ok])), lo) + 1e-12
            grid = lo + (hi - lo) * np.linspace(0.0, 1.0, 401) ** 2
            err = (np.log((path[ok][None, :] + grid[:, None]) / M[j, ok][None, :]) ** 2).sum(1)
            target[j] = path + grid[int(np.argmin(err))]
        return target

    def fit(self, x: np.ndarray, iters: int = 30, tol: float = 1e-10) -> tuple[np.ndarray, np.ndarray]:
        """Rescaled ``x`` and ``pi`` (see the class docstring); ``x`` must be positive."""
        M = self._cell_mean(x)
        B = (np.nan_to_num(M) * self.cnt).sum(0) / np.maximum(self.cnt.sum(0), 1)
        pi = np.zeros(self.proj.shape[0])
        for _ in range(iters):
            ratio = np.where(self.cnt > 0, self._targets(M, B, pi) / np.where(self.cnt > 0, M, 1.0), 1.0)
            P = x * ratio.reshape(-1)[self.cell]
            new = self.proj @ P
            done = np.abs(new - pi).max() <= tol * (1 + np.abs(new).max())
            pi = new
            if done:
                break
        ratio = np.where(self.cnt > 0, self._targets(M, B, pi) / np.where(self.cnt > 0, M, 1.0), 1.0)
        return x * ratio.reshape(-1)[self.cell], pi


def _demean(v: np.ndarray, keys: list[np.ndarray], tol: float = 1e-12, max_iter: int = 500) -> np.ndarray:
    """Residuals of ``v`` (n or n x p) on the dummies of every key (alternating projections; exact in one pass for
    a balanced two-way panel)."""
    v = np.asarray(v, dtype=float).copy()
    two_d = v.ndim == 2
    v = v if two_d else v[:, None]
    for _ in range(max_iter):
        prev = v.copy()
        for key in keys:
            cnt = np.maximum(np.bincount(key), 1).astype(float)
            for j in range(v.shape[1]):
                v[:, j] -= (np.bincount(key, weights=v[:, j]) / cnt)[key]
        if np.abs(v - prev).max() < tol:
            break
    return v if two_d else v[:, 0]


def _twfe_treated_weights(inn: np.ndarray, X: np.ndarray, ci: np.ndarray, t: np.ndarray, n_c: int) -> np.ndarray:
    """Per city, the sum over its treated cells of ``Inn`` residualised on city and year effects and the controls
    ``X`` (Frisch-Waugh-Lovell): TWFE with controls estimates ``sum(w_it Inn_it delta_it) / sum(w_it Inn_it)``."""
    keys = [ci, np.unique(t, return_inverse=True)[1]]
    d = _demean(inn.astype(float), keys)
    Xd = _demean(X, keys)
    gam = np.linalg.lstsq(Xd, d, rcond=None)[0] if X.shape[1] else np.zeros(0)
    r = d - Xd @ gam
    return np.bincount(ci, weights=r * inn, minlength=n_c)


def _within_nonneg(x: np.ndarray, ci: np.ndarray, n_c: int) -> np.ndarray:
    """``x - min over the city's years of x``: linear in ``x`` up to a city constant (absorbed by a city fixed
    effect) and never negative, so it can be added to a positive natural-unit variable."""
    mins = np.full(n_c, np.inf)
    np.minimum.at(mins, ci, x)
    return x - mins[ci]


def _rd_default(years: np.ndarray) -> np.ndarray:
    return np.interp(years - 1, *_RD_ANCHORS)


# ------------------------------------------------------------------------------------------------------- moderation
MODERATION_MODES = ("cell_level", "city_level")


def _fwl_moderation(inn: np.ndarray, M: np.ndarray, X: np.ndarray, keys: list[np.ndarray]) -> np.ndarray:
    """``Inn×M`` residualised on ``Inn``, ``M``, the controls ``X`` and the dummies of ``keys`` (Frisch-Waugh-Lovell):
    the Tables 5-7 regression ``y ~ Inn + M + Inn×M + X | city + year`` estimates ``sum(D y) / sum(D Inn M)``."""
    v = _demean(inn * M, keys)
    Z = np.column_stack([_demean(inn.astype(float), keys), _demean(M, keys)]
                        + ([_demean(X, keys)] if X.shape[1] else []))
    return v - Z @ np.linalg.lstsq(Z, v, rcond=None)[0]


def moderation_projection(panel: pd.DataFrame, effect: np.ndarray, moderator: str,
                          controls=CONTROLS) -> float:
    """Coefficient of ``Inn×M`` in the paper's moderation regression (``y ~ Inn + M + Inn×M + controls | city +
    year``) fitted to ``Inn × effect`` (the effect part of the outcome): what that regression estimates from the true
    cell effects. NaN if a column is missing."""
    need = ["Inn", "city_code", "year", moderator, *controls]
    if any(c not in panel.columns for c in need):
        return float("nan")
    keys = [pd.factorize(panel["city_code"])[0], pd.factorize(panel["year"])[0]]
    inn = panel["Inn"].to_numpy(float)
    M = panel[moderator].to_numpy(float)
    X = panel[list(controls)].to_numpy(float)
    D = _fwl_moderation(inn, M, X, keys)
    return float((D * inn * effect).sum() / (D * inn * M).sum())


def _cell_moderation(inn: np.ndarray, mods: dict[str, np.ndarray], X: np.ndarray, ci: np.ndarray, t: np.ndarray,
                     cohort: np.ndarray, hbase: dict[str, np.ndarray], s: np.ndarray,
                     target: dict[tuple[str, str], float]) -> tuple[dict[str, np.ndarray], dict]:
    """Cell-level moderation (the default): the effect multiplier of a cell is ``h_dit = hbase_di + sum_m gamma_dm
    u_mit``, with ``u_m`` = the cell's moderator ``M_mit`` net of its cohort-by-year mean among treated cells and
    orthogonal (over treated cells) to the TWFE weights and to the other moderators' Tables 5-7 residuals. So the
    ATT, every cohort-by-year mean effect and the TWFE estimand are unchanged, and ``gamma`` solves, for each
    dimension, the 3x3 system making the Tables 5-7 estimand of the effect part (in multiplier units) equal to
    ``target[(m, d)]`` (per unit of M). Returns ``({d: h_dit}, info)``."""
    tr = inn.astype(bool)
    keys = [ci, t]
    names = list(mods)
    D = {m: _fwl_moderation(inn.astype(float), mods[m], X, keys) for m in names}
    den = {m: float((D[m] * inn * mods[m]).sum()) for m in names}
    # TWFE-with-controls weight of each cell (Inn residualised on city, year and the controls)
    dd = _demean(inn.astype(float), keys)
    Xd = _demean(X, keys) if X.shape[1] else X
    w = dd - (Xd @ np.linalg.lstsq(Xd, dd, rcond=None)[0] if X.shape[1] else 0.0)
    cell = pd.factorize(pd.Series(cohort[tr]).astype(str) + "_" + pd.Series(t[tr]).astype(str))[0]

    def within(v):  # v net of its treated cohort-by-year mean
        return v - (np.bincount(cell, weights=v) / np.bincount(cell))[cell]

    u = {}
    for m in names:
        Z = np.column_stack([within(w[tr])] + [within(D[o][tr]) for o in names if o != m])
        x = within(mods[m][tr])
        um = np.zeros(len(inn))
        um[tr] = x - Z @ np.linalg.lstsq(Z, x, rcond=None)[0]
        # untreated cells (their Y(1) is never observed): the moderator net of its year mean among treated cells
        yr_mean = pd.Series(mods[m][tr]).groupby(t[tr]).mean()
        um[~tr] = mods[m][~tr] - pd.Series(t[~tr]).map(yr_mean).fillna(float(mods[m][tr].mean())).to_numpy()
        u[m] = um
    Pi = np.array([[float((D[m] * inn * s * u[o]).sum()) / den[m] for o in names] for m in names])
    h, gamma, b0 = {}, {}, {}
    for d, hb in hbase.items():
        b0[d] = np.array([float((D[m] * inn * s * hb).sum()) / den[m] for m in names])
        g = np.linalg.solve(Pi, np.array([target[(m, d)] for m in names]) - b0[d])
        gamma[d] = dict(zip(names, g.tolist()))
        h[d] = hb + sum(gi * u[m] for gi, m in zip(g, names))  # linear in M: no floor (a few cells < 0)
    info = {"gamma": gamma, "base_projection": {d: dict(zip(names, v.tolist())) for d, v in b0.items()},
            "negative_share": {d: float((h[d][tr] < 0).mean()) for d in h}}
    return h, info


# ----------------------------------------------------------------------------------------------------------- index
@functools.lru_cache(maxsize=1)
def _paper_index_spec() -> tuple:
    """The paper weighting exactly as ``build_index(weights="paper")`` uses it on all 18 indicators: per dimension
    the row positions (in ``INDICATOR_CODES``) and renormalised indicator weights, the dimension weights, signs."""
    probe = pd.DataFrame({c: [0.0, 1.0] for c in INDICATOR_CODES})
    table = build_index(probe, weights="paper").attrs["weights"]
    pos = {c: k for k, c in enumerate(INDICATOR_CODES)}
    dims = []
    for d in DIMENSIONS:
        sub = table[table["dimension"] == d]
        dims.append((d, np.array([pos[c] for c in sub["code"]]), sub["indicator_weight"].to_numpy(dtype=float)))
    dw = table.groupby("dimension")["dimension_weight_raw"].first().reindex(list(DIMENSIONS))
    W = (dw / dw.sum()).to_numpy(dtype=float)
    cat = indicator_catalogue().set_index("code")
    sign = np.array([int(cat.loc[c, "sign"]) for c in INDICATOR_CODES])
    return tuple(dims), W, sign


def _bounds(Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Panel min and max of each indicator (rows of ``Y``, K x n), NaN ignored (as ``index.normalise``)."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows give NaN bounds, as in normalise
        return np.nanmin(Y, axis=1), np.nanmax(Y, axis=1)


def _paper_index(Y: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> dict[str, np.ndarray]:
    """``build_index(weights="paper", bounds=(lo, hi))`` on the 18 indicators held as the rows of ``Y`` (K x n), in
    numpy: the same normalisation and the same matrix-vector products (same operand layout) as ``index.py``, hence
    bit-identical, without building DataFrames. Used in the calibration loop, which builds 3 indices per step."""
    dims, W, sign = _paper_index_spec()
    X = np.empty_like(Y, dtype=float)
    for k in range(Y.shape[0]):  # index.normalise, row by row
        rng = hi[k] - lo[k]
        if not np.isfinite(rng) or rng == 0:
            X[k] = np.where(np.isnan(Y[k]), np.nan, 0.0)
        elif sign[k] > 0:
            X[k] = (Y[k] - lo[k]) / rng
        else:
            X[k] = (hi[k] - Y[k]) / rng
    out = {}
    subs = np.empty((len(dims), Y.shape[1]))  # (D, n); .T below is the (n, D) Fortran-ordered frame pandas gives
    for j, (d, rows, w) in enumerate(dims):
        subs[j] = 10 * (X[rows].T @ w)  # X[rows].T: (n, k_d) Fortran-ordered, as DataFrame.to_numpy() returns it
        out[d] = subs[j]
    out["Pro"] = subs.T @ W
    return {c: out[c] for c in INDEX_COLUMNS}


# -------------------------------------------------------------------------------------------------------- skeleton
class PreparedSkeleton:
    """What ``simulate_panel`` needs that depends only on the skeleton, computed once (see ``prepare_skeleton``).

    Holds the cleaned, sorted skeleton (``frame``), city/year codes, pilot timing, the development-factor inputs, the
    real covariates with their gaps filled (``_fill_city_trend``), the R&D series and, when the six controls all come
    from the skeleton, the control design of ``_CohortParallel`` and the TWFE weights. Pass it to ``simulate_panel``
    in place of the DataFrame: the output is byte-identical. Treat it as read-only."""

    def __init__(self, skeleton: pd.DataFrame):
        if not isinstance(skeleton, pd.DataFrame):
            raise NQPInputError("`skeleton` must be a pandas DataFrame")
        for c in ("city_code", "year"):
            if c not in skeleton.columns:
                raise NQPInputError(f"skeleton lacks required column {c!r}")
        if "first_treat" not in skeleton.columns and "Inn" not in skeleton.columns:
            raise NQPInputError("skeleton needs `first_treat` (or `Inn`)")
        drop = [c for c in skeleton.columns if c in INDICATOR_CODES or c in INDEX_COLUMNS
                or c.endswith(("_y0", "_y1")) or (c.endswith("_imputed") and c[:-8] in INDICATOR_CODES)]
        df = skeleton.drop(columns=drop).sort_values(["city_code", "year"]).reset_index(drop=True)
        df.attrs = {}  # the output's attrs are rebuilt; empty attrs also spare pandas a deepcopy per operation
        df["city_code"] = df["city_code"].astype(int)
        df["year"] = df["year"].astype(int)
        if "first_treat" not in df.columns:
            first = df[df["Inn"] == 1].groupby("city_code")["year"].min()
            df["first_treat"] = df["city_code"].map(first).fillna(0)
        df["first_treat"] = pd.to_numeric(df["first_treat"], errors="coerce").fillna(0).astype(int)
        df["Inn"] = ((df["first_treat"] > 0) & (df["year"] >= df["first_treat"])).astype(int)
        self.frame = df
        self.n = n = len(df)
        codes_u, ci = np.unique(df["city_code"].to_numpy(), return_inverse=True)
        n_c = len(codes_u)
        self.ci, self.n_c = ci, n_c
        self.year = year = df["year"].to_numpy()
        self.y_min, self.y_max = int(year.min()), int(year.max())
        self.t = t = year - self.y_min
        self.T = max(self.y_max - self.y_min, 1)
        self.ft_c = np.zeros(n_c, dtype=int)
        self.ft_c[ci] = df["first_treat"].to_numpy()
        self.inn = df["Inn"].to_numpy().astype(bool)
        self.early_c = np.where(self.ft_c > 0, (2023 - self.ft_c) / 15.0, 0.0)
        # Figure-1 strata (hub x megacity) from the skeleton's attributes: Y(0) is made parallel across adoption
        # cohorts within each stratum, so parallel trends hold within the admin and size groups too (step 5)
        strat = np.zeros(n)
        if "admin_level" in df.columns:
            strat = strat + 2 * df["admin_level"].isin(HUB_LEVELS).to_numpy()
        if "size_class" in df.columns:
            strat = strat + (size_group(df["size_class"]).to_numpy() == "megacity")
        self.stratum_c = np.zeros(n_c, dtype=int)
        self.stratum_c[ci] = strat.astype(int)

        # development factor inputs: mean of the available z-scores (noise is added per draw)
        zs = []
        if "pop_base" in df.columns:
            pb = pd.to_numeric(df["pop_base"], errors="coerce").groupby(ci).mean().reindex(range(n_c)).to_numpy()
            zs.append(_z(np.log(np.where(pb > 0, pb, np.nan))))
        if "admin_level" in df.columns:
            hub_c = df["admin_level"].isin(HUB_LEVELS).groupby(ci).max().reindex(range(n_c)).to_numpy(float)
            zs.append(_z(hub_c))
        if "Eco" in df.columns:
            zs.append(_z(pd.to_numeric(df["Eco"], errors="coerce").groupby(ci).mean().reindex(range(n_c))
                         .to_numpy()))
        if zs:
            dev = np.nanmean(np.vstack(zs), axis=0)
            self.dev_base = np.where(np.isnan(dev), 0.0, dev)
        else:
            self.dev_base = np.zeros(n_c)

        # real covariates with their gaps filled: {col: (filled, newly imputed cells)}; absent ones are simulated
        self.filled: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for c in CONTROLS + MODERATORS:
            if c in df.columns:
                v = pd.to_numeric(df[c], errors="coerce")
                if v.notna().any():
                    self.filled[c] = _fill_city_trend(v.to_numpy(), ci, t, n_c)
        if "rd_intensity_lag" in df.columns and pd.to_numeric(df["rd_intensity_lag"], errors="coerce").notna().any():
            rd = pd.to_numeric(df["rd_intensity_lag"], errors="coerce")
            by_year = rd.groupby(year).mean()
            by_year = by_year.reindex(range(self.y_min, self.y_max + 1)).interpolate(limit_direction="both")
            self.rd = pd.Series(year).map(by_year).to_numpy()
        else:
            self.rd = None
        self._w_city = None  # TWFE treated weights (skeleton-only when the six controls are real)

    def control_design(self, zc: dict[str, np.ndarray], strata_c: np.ndarray | None = None
                       ) -> tuple["_CohortParallel", np.ndarray]:
        """``_CohortParallel`` for the controls' z-scores ``zc`` with Y(0) made parallel across adoption cohorts
        within each stratum ``strata_c`` (per city; default the skeleton's hub x megacity strata), and the TWFE
        treated weights (cached when the six controls all come from the skeleton)."""
        real = all(c in self.filled for c in CONTROLS)
        X = np.column_stack([zc[c] for c in CONTROLS])
        strata = self.stratum_c if strata_c is None else np.asarray(strata_c, dtype=int)
        par = _CohortParallel(self.ft_c[self.ci] * 1000 + strata[self.ci], self.t, self.ci, X)
        if real and self._w_city is not None:
            return par, self._w_city
        w_city = _twfe_treated_weights(self.inn, X, self.ci, self.t, self.n_c)
        if real:
            self._w_city = w_city
        return par, w_city


def prepare_skeleton(skeleton: pd.DataFrame) -> PreparedSkeleton:
    """Precompute the skeleton-only part of ``simulate_panel`` (for many draws on one skeleton, e.g. Monte Carlo):
    ``simulate_panel(prepare_skeleton(sk), ...)`` gives byte-identical output to ``simulate_panel(sk, ...)``.
    ``simulate_panel`` also keeps a small per-process cache keyed on the skeleton's content, so passing the same
    DataFrame repeatedly is nearly as fast; the explicit object skips hashing the frame on every call."""
    return skeleton if isinstance(skeleton, PreparedSkeleton) else PreparedSkeleton(skeleton)


_PREPARED: "OrderedDict[tuple, PreparedSkeleton]" = OrderedDict()
_PREPARED_MAX = 4


def _prepared(skeleton) -> PreparedSkeleton:
    """``PreparedSkeleton`` of ``skeleton`` from the per-process cache. The key is the frame's *content* (a hash of
    every value and the index, plus the column names and dtypes), so an edited or different skeleton never hits a
    stale entry; a frame that cannot be hashed is prepared afresh."""
    if isinstance(skeleton, PreparedSkeleton):
        return skeleton
    if not isinstance(skeleton, pd.DataFrame):
        raise NQPInputError("`skeleton` must be a pandas DataFrame")
    try:
        h = pd.util.hash_pandas_object(skeleton, index=True).to_numpy()
        key = (tuple(map(str, skeleton.columns)), tuple(map(str, skeleton.dtypes)), skeleton.shape,
               hashlib.sha1(h.tobytes()).hexdigest())
    except Exception:  # unhashable cells (lists, ...): no caching
        return PreparedSkeleton(skeleton)
    hit = _PREPARED.get(key)
    if hit is not None:
        _PREPARED.move_to_end(key)
        return hit
    prep = PreparedSkeleton(skeleton)
    _PREPARED[key] = prep
    while len(_PREPARED) > _PREPARED_MAX:
        _PREPARED.popitem(last=False)
    return prep


# ----------------------------------------------------------------------------------------------------------- main
def simulate_panel(skeleton: pd.DataFrame | PreparedSkeleton, seed: int = DEFAULT_SEED, scenario: str = "constant",
                   iv_exclusion_violation: bool = False, calibration: dict | None = None,
                   moderation: str = "cell_level") -> pd.DataFrame:
    """Simulate the semi-synthetic panel on ``skeleton`` (see the module docstring for the DGP).

    Parameters
    ----------
    skeleton : city-year frame with at least ``city_code``, ``year`` and ``first_treat`` (or ``Inn``); normally
        ``real_panel()``. Or a ``PreparedSkeleton`` (``prepare_skeleton(skeleton)``): same output, less work per call.
    seed : seed of ``numpy.random.default_rng``; same inputs → byte-identical output.
    scenario : ``"constant"``, ``"dynamic"`` or ``"heterogeneous"`` (time/cohort profile of the effect).
    iv_exclusion_violation : if True, ``iv_ntl`` and ``iv_lzh`` also enter Y(0) directly.
    calibration : ``None`` (targets = paper Table 2 cols 4/6/8), a dict ``{"Lab": .., "Mea": .., "Obj": ..}`` of
        target ATTs (index units; missing keys keep the default), or ``False`` (no calibration, ``tau_d = 0.08``).
    moderation : ``"cell_level"`` (default: effects depend on each cell's moderators, Tables 5-7 correctly
        specified) or ``"city_level"`` (effects depend on the city means of the moderators; see the module doc).

    Returns
    -------
    DataFrame with the skeleton columns, filled controls (+ ``_imputed`` flags), moderators, IV columns, the 18
    indicators (observed), ``Pro, Lab, Mea, Obj``, their ``_y0``/``_y1`` potential outcomes and ``innovation_group``.
    ``attrs``: ``track="semi_synthetic"``, ``truth`` (``true_effects``), ``calibration``, ``simulated_columns``,
    ``options``.

    Speed: what depends only on the skeleton is computed once (``PreparedSkeleton``, cached per process by content)
    and the paper's numbers are read once per process; the calibration loop builds the indices in numpy.
    """
    if scenario not in SCENARIOS:
        raise NQPInputError(f"unknown scenario {scenario!r}; allowed: {list(SCENARIOS)}")
    if moderation not in MODERATION_MODES:
        raise NQPInputError(f"unknown moderation {moderation!r}; allowed: {list(MODERATION_MODES)}")
    sk = _prepared(skeleton)
    targets = default_targets()
    if isinstance(calibration, dict):
        bad = [k for k in calibration if k not in DIMENSIONS]
        if bad:
            raise NQPInputError(f"calibration keys {bad} unknown; allowed: {list(DIMENSIONS)}")
        targets.update({k: float(v) for k, v in calibration.items()})
    elif calibration not in (None, False):
        raise NQPInputError("`calibration` must be None, False or a dict of target ATTs by dimension")
    rng = np.random.default_rng(seed)
    _, _, sign_arr = _paper_index_spec()
    sign_of = dict(zip(INDICATOR_CODES, sign_arr.tolist()))
    dim_of = dict(zip(INDICATOR_CODES, indicator_catalogue().set_index("code").loc[list(INDICATOR_CODES),
                                                                                     "dimension"]))

    df = sk.frame.copy()
    n, ci, n_c, year, t, T = sk.n, sk.ci, sk.n_c, sk.year, sk.t, sk.T
    y_min, y_max = sk.y_min, sk.y_max
    ft_c, inn, early_c = sk.ft_c, sk.inn, sk.early_c
    simulated: list[str] = []

    # --- development factor from real attributes
    noise_dev = rng.normal(0, 0.5, n_c)
    dev = _z(sk.dev_base + noise_dev)

    # --- attributes absent from the skeleton
    attr_noise = rng.normal(0, 1, (3, n_c))
    if "pop_base" not in df.columns:
        df["pop_base"] = np.exp(5.5 + 0.6 * dev + 0.3 * attr_noise[0])[ci]
        simulated.append("pop_base")
    if "admin_level" not in df.columns:
        rank = np.argsort(np.argsort(-(dev + 0.3 * attr_noise[1])))
        lvl = np.where(rank < 0.015 * n_c, "municipality", np.where(rank < 0.05 * n_c, "sub_provincial",
                       np.where(rank < 0.12 * n_c, "provincial_capital", "other")))
        df["admin_level"] = lvl[ci]
        simulated.append("admin_level")
    if "size_class" not in df.columns or df["size_class"].astype(str).str.strip().eq("").all():
        pb = pd.to_numeric(df["pop_base"], errors="coerce").to_numpy()
        df["size_class"] = np.select([pb >= 1000, pb >= 500, pb >= 100, pb >= 50],
                                     ["超大城市", "特大城市", "大城市", "中等城市"], "小城市")
        simulated.append("size_class")
    if "old_industrial_base" not in df.columns:
        df["old_industrial_base"] = (attr_noise[2] > 0.5).astype(float)[ci]
        simulated.append("old_industrial_base")

    # --- controls: fill real gaps (precomputed in the PreparedSkeleton), simulate absent ones
    ctrl_noise = rng.normal(0, 1, (len(CONTROLS), n))
    ctrl_city = rng.normal(0, 1, (len(CONTROLS), n_c))
    sim_ctrl = {  # (level, dev loading, trend per year, city sd, noise sd, log-scale?)
        "Eco": (9.6, 0.45, 0.08, 0.15, 0.04, False), "Gov": (np.log(0.15), -0.2, 0.02, 0.3, 0.08, True),
        "Fix": (np.log(0.5), -0.05, 0.05, 0.3, 0.10, True), "Fin": (np.log(0.9), 0.25, 0.03, 0.3, 0.08, True),
        "Tra": (np.log(0.6), 0.3, 0.03, 0.4, 0.06, True), "Ope": (np.log(0.02), 0.5, -0.02, 0.6, 0.25, True),
    }
    for j, c in enumerate(CONTROLS):
        flag = f"{c}_imputed"
        if c in sk.filled:
            filled, miss = sk.filled[c]
            df[c] = filled.copy()
            prev = df[flag].astype(bool).to_numpy() if flag in df.columns else np.zeros(n, bool)
            df[flag] = prev | miss
        else:
            lv, ld, tr, csd, nsd, logsc = sim_ctrl[c]
            v = lv + ld * dev[ci] + tr * t + csd * ctrl_city[j][ci] + nsd * ctrl_noise[j]
            df[c] = np.exp(v) if logsc else v
            df[flag] = False
            simulated.append(c)

    # --- moderators
    mod_city = rng.normal(0, 1, (3, n_c))
    mod_noise = rng.normal(0, 1, (3, n))
    if moderation == "city_level":  # moderators load on the development factor (the pre-issue-13 world)
        sim_mod = {
            "Hum": np.exp(np.log(1.5) + 0.35 * dev[ci] + 0.02 * t + 0.25 * mod_city[0][ci] + 0.05 * mod_noise[0]),
            "Dig": np.log(100 / (1 + np.exp(-(-2.5 + 0.25 * t + 0.5 * dev[ci] + 0.3 * mod_city[1][ci]
                                                  + 0.05 * mod_noise[1])))),
            "Ind": np.exp(0.3 * mod_city[2][ci] + 0.1 * dev[ci] + 0.005 * t + 0.05 * mod_noise[2]),
        }
    else:  # same shapes and spreads, but independent of dev (hence of Y(0)'s proportional growth): see step 3
        sim_mod = {
            "Hum": np.exp(np.log(1.5) + 0.02 * t + _MOD_SD[0] * mod_city[0][ci] + 0.05 * mod_noise[0]),
            "Dig": np.log(100 / (1 + np.exp(-(-2.5 + 0.25 * t + _MOD_SD[1] * mod_city[1][ci]
                                                  + 0.05 * mod_noise[1])))),
            "Ind": np.exp(_MOD_SD[2] * mod_city[2][ci] + 0.005 * t + 0.05 * mod_noise[2]),
        }
    for m in MODERATORS:
        if m in sk.filled:
            filled, miss = sk.filled[m]
            df[m], df[f"{m}_imputed"] = filled.copy(), miss.copy()
        else:
            df[m] = sim_mod[m]
            simulated.append(m)

    # --- IV ingredients: simulated "1997-like" lights and laozihao counts, driven by pilot timing only (early_i)
    # plus independent noise - never by dev, the moderators or anything else that enters Y(0)
    iv_noise = rng.normal(0, 1, (2, n_c))
    nb = np.exp(_NTL[0] + _NTL[1] * early_c + _NTL[2] * iv_noise[0])
    df["ntl_base"] = nb[ci]
    simulated.append("ntl_base")
    lzh = rng.poisson(np.exp(_LZH[0] + _LZH[1] * early_c + _LZH[2] * iv_noise[1])).astype(float)
    df["laozihao"] = lzh[ci]
    simulated.append("laozihao")
    if sk.rd is not None:
        df["rd_intensity_lag"] = sk.rd.copy()
    else:
        df["rd_intensity_lag"] = _rd_default(year)
        simulated.append("rd_intensity_lag")
    iv_ntl = nb[ci] * df["rd_intensity_lag"].to_numpy()
    iv_lzh = lzh[ci] * df["rd_intensity_lag"].to_numpy()
    df["iv_ntl"] = iv_ntl
    df["iv_lzh"] = iv_lzh

    # --- Y(0) = P (non-control part, parallel across cohorts) + Q (linear in the controls) [+ V (violation)]
    zc = {c: _z(df[c].to_numpy(float)) for c in CONTROLS}
    zm = {m: _z(df[m].to_numpy(float)) for m in MODERATORS}
    zv = (_z(iv_ntl) + _z(iv_lzh)) if iv_exclusion_violation else None
    n_years = y_max - y_min + 1
    K = len(INDICATOR_CODES)
    a_city = rng.normal(0, 1, (K, n_c))
    b_city = rng.normal(0, 1, (K, n_c))
    c_city = rng.normal(0, 1, (K, n_c))
    g_year = rng.normal(0, 0.03, (K, n_years))
    eps = rng.normal(0, 1, (K, n))
    u_round = rng.random((K, n))
    y0: dict[str, np.ndarray] = {}
    y0c: dict[str, np.ndarray] = {}  # continuous Y(0) before the randomised rounding of counts
    # innovation capacity group (Figure 1a proxy on this track): tercile of the development factor, which drives the
    # simulated R&D personnel; Y(0) is made parallel within hub x megacity x innovation strata
    rank_c = pd.Series(dev).rank(method="first").to_numpy()
    innov_c = np.digitize(rank_c, [n_c / 3, 2 * n_c / 3], right=True)  # 0 low, 1 medium, 2 high
    par, w_city = sk.control_design(zc, sk.stratum_c * 3 + innov_c)
    q_within = {c: {s_: _within_nonneg(_BETA[s_][c] * zc[c], ci, n_c) for s_ in (1, -1)} for c in CONTROLS}
    viol_within = {s_: _within_nonneg(s_ * zv, ci, n_c) for s_ in (1, -1)} if iv_exclusion_violation else None
    for k, code in enumerate(INDICATOR_CODES):
        kind, med, g, sd, rho, nu = _Y0[code]
        sign = sign_of[code]
        mu = np.log(med / (1 - med)) if kind == "share" else np.log(med)
        beta = _BETA[sign]
        L = (mu + g * t + sd * (rho * dev[ci] + np.sqrt(1 - rho ** 2) * a_city[k][ci]) + g_year[k][t]
             + 0.05 * b_city[k][ci] * (t / T - 0.5) * 2 + 0.03 * c_city[k][ci] * np.sin(np.pi * t / T))
        if moderation == "city_level":  # default: Y(0) does not depend on the moderators (a2 = 0)
            for m in MODERATORS:
                L = L + beta[m] * zm[m]
        sys_part = 1 / (1 + np.exp(-L)) if kind == "share" else np.exp(L)
        P, _ = par.fit(sys_part)
        P = P * np.exp(nu * eps[k] - nu ** 2 / 2)  # idiosyncratic noise, mean 1 and independent of everything
        q_raw = sum(q_within[c][sign] for c in CONTROLS)  # same terms, same order as sum(_within_nonneg(...))
        scale = _CTRL_SCALE * float(np.median(P))
        Q = scale * q_raw
        x = P + Q
        if iv_exclusion_violation:
            x = x + scale * _VIOL * viol_within[sign]  # raises the index (sign-aware)
        if kind == "share":
            x = np.clip(x, 1e-4, 0.95)
        y0c[code] = x
        y0[code] = np.floor(x + u_round[k]) if kind == "count" else x

    # --- heterogeneity multipliers h_{d,i}
    df["innovation_group"] = np.array(["low", "medium", "high"])[innov_c][ci]
    sg = subgroups(df)
    base = np.ones(n)
    for split, mult in _MULT.items():
        base = base * sg[split].map(mult).fillna(1.0).to_numpy(float)
    base_c = pd.Series(base).groupby(ci).mean().to_numpy()
    kappa = _kappa()
    zbar = {m: _z(pd.Series(df[m].to_numpy(float)).groupby(ci).mean().to_numpy()) for m in MODERATORS}
    cohort_key = ft_c  # 0 = never treated
    treated_c = ft_c > 0
    w_dev = w_city - pd.Series(w_city).groupby(cohort_key).transform("mean").to_numpy()
    w_ss = float((w_dev * w_dev)[treated_c].sum())
    tw_ok = w_ss > 1e-12
    h = {}
    for d in DIMENSIONS:
        if moderation == "city_level":  # effect depends on the city's mean moderators (time-invariant)
            hd = base_c * np.maximum(1 + sum(kappa[(m, d)] * zbar[m] for m in MODERATORS), 0.2)
            hd = np.maximum(hd, 0.05)
        else:  # cell level: the moderators enter below, cell by cell
            hd = np.maximum(base_c, 0.05)
        means = pd.Series(hd).groupby(cohort_key).transform("mean").to_numpy()
        hd = hd / means
        # remove the (small) within-cohort correlation between h and the weights TWFE-with-controls puts on the
        # treated cities, so that in the constant scenario the TWFE estimand is the ATT (cohort means stay 1)
        if tw_ok:
            lam = float(((hd - 1) * w_dev)[treated_c].sum() / w_ss)
            hd = np.maximum(hd - lam * w_dev, 0.05)
        h[d] = hd
    ftr = df["first_treat"].to_numpy()
    e_time = np.where(ftr > 0, year - ftr, 0)
    if scenario == "constant":
        s = np.ones(n)
    elif scenario == "dynamic":
        s = 0.25 + 0.25 * np.minimum(np.where(inn, e_time, 0), 8)
    else:
        s = np.where(ftr > 0, np.clip(1 + 0.08 * (2015 - ftr), 0.4, 2.0), 1.0)

    # --- effect scales A_k
    post = year >= 2008 if (year >= 2008).any() else np.ones(n, bool)
    A = {}
    for code in INDICATOR_CODES:
        if sign_of[code] > 0:
            A[code] = float(np.nanmax(y0[code]) - np.nanmin(y0[code]))
        else:
            A[code] = 2.0 * float(np.nanpercentile(y0[code][post], 10))
    kind_of = {c: _Y0[c][0] for c in INDICATOR_CODES}
    hcell = {d: h[d][ci] for d in DIMENSIONS}
    mod_info = {"mode": moderation}
    if moderation == "cell_level":
        sd_m = {m: float(np.std(df[m].to_numpy(float))) for m in MODERATORS}
        target_h = {(m, d): kappa[(m, d)] / sd_m[m] for m in MODERATORS for d in DIMENSIONS}
        hcell, extra = _cell_moderation(inn, {m: df[m].to_numpy(float) for m in MODERATORS},
                                        np.column_stack([zc[c] for c in CONTROLS]), ci, t, ftr, hcell, s, target_h)
        mod_info.update(extra, target_per_unit=target_h, moderator_sd=sd_m)
    Y0 = np.vstack([y0[c] for c in INDICATOR_CODES]).astype(float)  # (K, n)

    def make_y1(tau: dict[str, float]) -> np.ndarray:
        """Y(1) of every indicator as the rows of a (K, n) array."""
        out = np.empty((K, n))
        for k, code in enumerate(INDICATOR_CODES):
            d = dim_of[code]
            delta = tau[d] * A[code] * hcell[d] * s
            x0 = y0[code]
            if sign_of[code] < 0:
                out[k] = np.maximum(x0 - delta, 0.5 * x0)
            elif kind_of[code] == "share":
                out[k] = np.minimum(x0 + delta, np.maximum(0.95, x0))
            elif kind_of[code] == "count":
                out[k] = np.maximum(np.floor(y0c[code] + delta + u_round[k]), 0.0)  # binds only if delta < 0
            else:
                out[k] = x0 + delta
        return out

    def indices(tau):
        """Observed indicators and the three indices (observed, Y(0), Y(1)) with the observed data's bounds."""
        Y1 = make_y1(tau)
        obs = np.where(inn, Y1, Y0)
        lo, hi = _bounds(obs)
        return Y1, obs, _paper_index(obs, lo, hi), _paper_index(Y0, lo, hi), _paper_index(Y1, lo, hi)

    tau = {d: (targets[d] / 10.0 if calibration is not False else 0.08) for d in DIMENSIONS}
    history = []
    Y1, obs, idx, i0, i1 = indices(tau)
    if calibration is not False and inn.any():
        for _ in range(25):
            att = {d: float(np.mean((i1[d] - i0[d])[inn])) for d in DIMENSIONS}
            history.append({**{f"tau_{d}": tau[d] for d in DIMENSIONS}, **{f"att_{d}": att[d] for d in DIMENSIONS}})
            if max(abs(att[d] - targets[d]) for d in DIMENSIONS) < 5e-4:
                break
            tau = {d: tau[d] * targets[d] / att[d] if att[d] > 0 else tau[d] * 2 for d in DIMENSIONS}
            Y1, obs, idx, i0, i1 = indices(tau)

    # the output columns, appended in one step (same order as assigning them one by one)
    new = {}
    for k, c in enumerate(INDICATOR_CODES):
        new[c] = obs[k]
    for col in INDEX_COLUMNS:
        new[col] = idx[col]
    for col in INDEX_COLUMNS:
        new[f"{col}_y0"] = i0[col]
        new[f"{col}_y1"] = i1[col]
    # indicator-level potential outcomes, so the truth can be recomputed for any other weighting (reweight_index)
    for k, c in enumerate(INDICATOR_CODES):
        new[f"{c}_y0"] = Y0[k]
        new[f"{c}_y1"] = Y1[k]
    df = pd.concat([df, pd.DataFrame(new, index=df.index)], axis=1)
    df.attrs = {}
    df.attrs["track"] = "semi_synthetic"
    df.attrs["options"] = {"seed": seed, "scenario": scenario, "iv_exclusion_violation": bool(iv_exclusion_violation),
                           "calibration": calibration if isinstance(calibration, (dict, bool)) else None,
                           "moderation": moderation}
    if moderation == "cell_level" and inn.any():
        # the generator's a3 in index units: per unit of M, the multiplier-unit target times the index value of one
        # multiplier unit in dimension d (ATT_d / mean treated multiplier); Pro is the paper-weighted sum
        _, W, _ = _paper_index_spec()
        a3 = {}
        for d in DIMENSIONS:
            unit = float(np.mean((i1[d] - i0[d])[inn])) / float(np.mean((hcell[d] * s)[inn]))
            for m in MODERATORS:
                a3[(m, d)] = mod_info["target_per_unit"][(m, d)] * unit
        for m in MODERATORS:
            a3[(m, "Pro")] = float(sum(W[j] * a3[(m, d)] for j, d in enumerate(DIMENSIONS)))
        mod_info["a3"] = {f"{m}|{o}": v for (m, o), v in a3.items()}
        mod_info["target_per_unit"] = {f"{m}|{d}": v for (m, d), v in mod_info["target_per_unit"].items()}
    df.attrs["moderation"] = mod_info
    df.attrs["calibration"] = {"targets": targets if calibration is not False else None, "tau": dict(tau),
                               "iterations": len(history), "history": history}
    df.attrs["simulated_columns"] = simulated
    df.attrs["truth"] = safe_attr(true_effects(df))
    return df


def reweight_index(panel: pd.DataFrame, weights) -> pd.DataFrame:
    """Rebuild the observed index with another weighting and, with the *same* weights and bounds, both potential
    outcomes of every index, so that ``attrs["truth"]`` stays the exact truth for the index actually analysed."""
    df = panel.copy()
    idx = build_index(df, weights=weights)
    table, bounds = idx.attrs["weights"], idx.attrs["bounds"]
    for col in INDEX_COLUMNS:
        df[col] = idx[col].to_numpy()
    for s in ("y0", "y1"):
        po = pd.DataFrame({c: df[f"{c}_{s}"].to_numpy() for c in INDICATOR_CODES}, index=df.index)
        ip = build_index(po, weights=table, bounds=bounds)
        for col in INDEX_COLUMNS:
            df[f"{col}_{s}"] = ip[col].to_numpy()
    df.attrs = dict(panel.attrs)
    df.attrs["index_weights"] = safe_attr(table)
    df.attrs["truth"] = safe_attr(true_effects(df))
    return df


def _slope(y: np.ndarray, x: np.ndarray) -> float:
    x = x - x.mean()
    den = float((x * x).sum())
    return float((x * (y - y.mean())).sum() / den) if den > 0 else float("nan")


def _mean(v: np.ndarray) -> float:
    """``Series.mean()`` of ``v`` (NaN skipped; all-NaN or empty -> NaN), with the same summation as pandas."""
    nan = np.isnan(v)
    if not nan.any():
        return float(np.mean(v)) if len(v) else float("nan")
    n_ok = int((~nan).sum())
    return float(np.where(nan, 0.0, v).sum() / n_ok) if n_ok else float("nan")


def _groups(key: np.ndarray) -> list[tuple[object, np.ndarray]]:
    """``[(group, row positions)]`` as ``Series.groupby(key)`` iterates them: groups in sorted order, positions in
    row order, missing keys dropped."""
    codes, uniques = pd.factorize(key, sort=True)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    return [(g, order[bounds[j]:bounds[j + 1]]) for j, g in enumerate(uniques)]


def true_effects(panel: pd.DataFrame) -> pd.DataFrame:
    """Tidy table of the true effects measured from the potential outcomes ``<index>_y0/_y1`` of ``panel``.

    Columns: ``outcome`` (Pro/Lab/Mea/Obj), ``estimand`` (``att``, ``att_by_cohort``, ``att_by_event_time``,
    ``att_by_group``, ``interaction``), ``split`` (innovation/size/admin/industrial for ``att_by_group``; the moderator
    for ``interaction``), ``group``, ``cohort``, ``event_time``, ``value``, ``n_obs``. All averages are over treated
    cells (``Inn == 1``); ``interaction_regression`` is the Tables 5-7 regression fitted to the effect part,
    ``interaction_slope`` the least-squares slope of the cell effect on the moderator among treated cells and
    ``interaction`` the first in the default world, the second with ``moderation="city_level"``.
    """
    need = [f"{c}_y{j}" for c in INDEX_COLUMNS for j in (0, 1)]
    absent = [c for c in need if c not in panel.columns]
    if absent:
        raise NQPInputError(f"true_effects needs the potential-outcome columns {absent} (semi-synthetic track only)")
    mask = (panel["Inn"] == 1).to_numpy()
    keep = [c for c in ("city_code", "year", "first_treat", "innovation_group", "size_class", "admin_level",
                        "old_industrial_base", "lab_rd_applied", "lab_rd_experimental") if c in panel.columns]
    # the treated rows of the columns the splits need, as a plain frame (no attrs to deep-copy on every operation)
    tr = pd.DataFrame({c: panel[c].to_numpy()[mask] for c in keep})
    sg = subgroups(tr)
    ft = tr["first_treat"].to_numpy()
    groupings = [("att_by_cohort", "", _groups(ft)), ("att_by_event_time", "", _groups(tr["year"].to_numpy() - ft))]
    groupings += [("att_by_group", split, _groups(sg[split].to_numpy())) for split in sg.columns]
    mods = {m: panel[m].to_numpy(float)[mask] for m in MODERATORS if m in panel.columns}
    city_level = (panel.attrs.get("options") or {}).get("moderation") == "city_level"
    rows = []
    for o in INDEX_COLUMNS:
        te = panel[f"{o}_y1"].to_numpy()[mask] - panel[f"{o}_y0"].to_numpy()[mask]
        rows.append((o, "att", "", "", np.nan, np.nan, _mean(te), len(te)))
        for estimand, split, groups in groupings:
            for g, sel in groups:
                v = te[sel]  # the group's effects in row order, as a pandas group: same mean to the last bit
                if estimand == "att_by_cohort":
                    rows.append((o, estimand, "", "", int(g), np.nan, _mean(v), len(v)))
                elif estimand == "att_by_event_time":
                    rows.append((o, estimand, "", "", np.nan, int(g), _mean(v), len(v)))
                else:
                    rows.append((o, estimand, split, str(g), np.nan, np.nan, _mean(v), len(v)))
        te_all = None
        for m, x in mods.items():
            slope = _slope(te.astype(float), x)
            if te_all is None:
                te_all = panel[f"{o}_y1"].to_numpy(float) - panel[f"{o}_y0"].to_numpy(float)
            proj = moderation_projection(panel, te_all, m)
            rows.append((o, "interaction", m, m, np.nan, np.nan, slope if city_level else proj, len(te)))
            rows.append((o, "interaction_regression", m, m, np.nan, np.nan, proj, len(te)))
            rows.append((o, "interaction_slope", m, m, np.nan, np.nan, slope, len(te)))
    out = pd.DataFrame(rows, columns=["outcome", "estimand", "split", "group", "cohort", "event_time", "value",
                                      "n_obs"])
    out["cohort"] = out["cohort"].astype("Int64")
    out["event_time"] = out["event_time"].astype("Int64")
    return out


def dgp_description() -> str:
    """The DGP as markdown (for the book)."""
    doc = __doc__.split("Data-generating process (DGP)\n=============================\n", 1)[1]
    t = default_targets()
    head = ("## The semi-synthetic data-generating process\n\n"
            f"Default calibration targets (true ATT, index units): Lab {t['Lab']}, Mea {t['Mea']}, Obj {t['Obj']} "
            "(the paper's Table 2, columns 4, 6 and 8).\n\n")
    lines, out, in_code = doc.splitlines(), [], False
    for i, line in enumerate(lines):
        if in_code and line.strip() and not line.startswith("       "):
            out.append("```")
            in_code = False
        if line.rstrip().endswith("::"):
            out.append(line.rstrip()[:-1])
            out.append("")
            out.append("```text")
            in_code = True
            continue
        if in_code and not line.strip() and (not out or out[-1] == "```text"):
            continue
        out.append(line[7:] if in_code else line)
    if in_code:
        out.append("```")
    return head + "\n".join(out) + "\n"
