"""The simulator's parameters. The book page ``book/semi_synthetic_dgp.md`` quotes them and
``tests/test_semi_synthetic_dgp_page.py`` checks the page against these values."""

from __future__ import annotations

import numpy as np

SCENARIOS = ("constant", "dynamic", "heterogeneous")
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
_BETA = {
    1: dict(Eco=0.10, Gov=0.03, Fix=0.03, Fin=0.05, Tra=0.03, Ope=0.04, Hum=0.08, Dig=0.05, Ind=0.05),
    -1: dict(Eco=-0.08, Gov=0.02, Fix=0.05, Fin=-0.02, Tra=0.0, Ope=-0.02, Hum=-0.04, Dig=-0.02, Ind=0.06),
}
_MULT = {
    "innovation": {"high": 1.35, "medium": 1.0, "low": 0.7},
    "size": {"large": 1.3, "medium": 1.1, "small": 0.8, "megacity": 0.6, "unknown": 1.0},
    "admin": {"hub": 1.25, "other": 0.9},
    "industrial": {"old_base": 1.45, "non_old_base": 1.0, "unknown": 1.0},
}
# IV ingredients (city level): ntl_base = exp(a + b early_i + s N(0,1));
# laozihao ~ Poisson(exp(a + b early_i + s N(0,1)))
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
MODERATION_MODES = ("cell_level", "city_level")

# controls absent from the skeleton: (level, dev loading, trend per year, city sd, noise sd, log-scale?)
_SIM_CTRL = {
    "Eco": (9.6, 0.45, 0.08, 0.15, 0.04, False),
    "Gov": (np.log(0.15), -0.2, 0.02, 0.3, 0.08, True),
    "Fix": (np.log(0.5), -0.05, 0.05, 0.3, 0.10, True),
    "Fin": (np.log(0.9), 0.25, 0.03, 0.3, 0.08, True),
    "Tra": (np.log(0.6), 0.3, 0.03, 0.4, 0.06, True),
    "Ope": (np.log(0.02), 0.5, -0.02, 0.6, 0.25, True),
}
# sd of the noise added to the development factor's inputs (step 2)
_DEV_NOISE_SD = 0.5
# effect profiles s_it (step 6): dynamic a + b min(e, cap); heterogeneous clip(1 + slope (pivot - first_treat), lo, hi)
_DYNAMIC = (0.25, 0.25, 8)
_HETEROGENEOUS = (0.08, 2015, 0.4, 2.0)
# calibration of tau_d (step 7): at most this many steps, stop when every |ATT_d - target_d| < tolerance;
# without calibration tau_d is fixed
_CALIB_STEPS = 25
_CALIB_TOL = 5e-4
_TAU_UNCALIBRATED = 0.08
# city-specific smooth component of the latent Y(0) (step 5): amplitudes of b_ki (2t/T - 1) and c_ki sin(pi t/T)
_SMOOTH = (0.05, 0.03)
# natural-unit range of the share indicators (step 5)
_SHARE_CLIP = (1e-4, 0.95)
# largest moderation strength kappa_dm (step 6): kappa_dm = _KAPPA_MAX r_dm / max_d r_dm
_KAPPA_MAX = 0.25
