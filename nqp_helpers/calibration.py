"""Calibration of the default semi-synthetic world: every headline number of Tables 2-7 and Figure 1, for the
paper's estimator and a heterogeneity-robust one, against the known truth across seeds.

What
    :func:`headline_estimates` fits, on one panel, the headline coefficients with their truth:

    * Table 2: ``Inn`` with the six controls, each index: TWFE (paper) and BJS imputation (robust); truth = ATT.
    * Table 3: PSM-DID (nearest neighbour, year-by-year score, matched sample); truth = ATT.
    * Table 4: shift-share 2SLS with each instrument; truth = ATT.
    * Tables 5-7: ``Inn×M`` for each moderator and index (paper's moderation regression); truth = the
      ``interaction`` row of the truth table (what that regression estimates from the true effects; in the default
      world the generator's a3). No robust counterpart is computed (``—``).
    * Figure 1: per group of the four splits, split-sample TWFE (paper) and imputation (robust) for ``Pro``;
      truth = the group's ATT.

    :func:`calibrate` stacks them over seeds; :func:`summarise` gives, per number and estimator, mean bias / mean
    SE, RMSE and the coverage of the 95% interval (|estimate − truth| ≤ 1.96 SE).

    For the calibration chapter: :func:`run_calibration` (its three tables from its parameters),
    :func:`headline_numbers` (the pooled numbers its prose quotes), :func:`pooled_display`, :func:`summary_display`.

Why
    The default world is meant to meet the paper's assumptions for every exhibit; this is the evidence, measured.
    Few seeds fit in a book build; more come through ``nqp sweep`` or ``calibrate(seeds=range(...))``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .data.attributes import subgroups
from .data.semi_synthetic.truth import true_values
from .errors import NQPInputError
from .indicators import INDEX_COLUMNS
from .variables import CONTROLS, INSTRUMENTS, MODERATOR_TABLES

SPLITS = ("innovation", "size", "admin", "industrial")
COLUMNS = ["exhibit", "outcome", "quantity", "estimator", "role", "estimate", "std_error", "truth", "pilot_cities"]


def _row(exhibit, outcome, quantity, estimator, role, est, se, truth, pilots=np.nan):
    return dict(
        zip(COLUMNS, (exhibit, outcome, quantity, estimator, role, float(est), float(se), float(truth), pilots))
    )


def headline_estimates(panel: pd.DataFrame, figure_outcome: str = "Pro", exhibits=None) -> pd.DataFrame:
    """Headline estimates of one semi-synthetic panel with their truth (one row per number and estimator; columns
    ``COLUMNS``; ``role`` is ``"paper"`` or ``"robust"``). ``exhibits``: subset of
    ``{"table2", "table3", "table4", "tables5_7", "figure1"}`` (default all)."""
    from .estimators.heterogeneity import subgroup_robust
    from .estimators.imputation import imputation_did
    from .estimators.iv import iv_twfe
    from .estimators.moderation import moderation
    from .estimators.psm_did import psm_did
    from .estimators.twfe import twfe

    truth = panel.attrs.get("truth")
    if truth is None:
        raise NQPInputError("headline_estimates needs a semi-synthetic panel (attrs['truth'])")
    ex = set(exhibits or ("table2", "table3", "table4", "tables5_7", "figure1"))
    ctrl = list(CONTROLS)
    att = true_values(truth)
    rows = []
    for o in INDEX_COLUMNS:
        if "table2" in ex:
            r = twfe(panel, o, controls=ctrl).set_index("term").loc["Inn"]
            rows.append(_row("Table 2", o, "Inn", "twfe", "paper", r["estimate"], r["std_error"], att[o]))
            r = imputation_did(panel, o, controls=ctrl, horizons=[]).set_index("term").loc["att"]
            rows.append(_row("Table 2", o, "Inn", "imputation_bjs", "robust", r["estimate"], r["std_error"], att[o]))
        if "table3" in ex:
            r = psm_did(
                panel,
                o,
                covariates=ctrl,
                ps_by="year",
                sample="matched",
                first_treat="first_treat",
                method="nearest",
                n_neighbors=1,
            ).iloc[0]
            rows.append(_row("Table 3", o, "Inn", "psm_did", "paper", r["estimate"], r["std_error"], att[o]))
        if "table4" in ex:
            for z in INSTRUMENTS:
                r = iv_twfe(panel, o, instruments=[z], controls=ctrl).iloc[0]
                rows.append(_row("Table 4", o, f"Inn ({z})", "iv_2sls", "paper", r["estimate"], r["std_error"], att[o]))
        if "tables5_7" in ex:
            inter = true_values(truth, "interaction", outcome=o, by="split")
            for m, t in MODERATOR_TABLES.items():
                r = moderation(panel, o, m, controls=ctrl).set_index("term").loc[f"Inn:{m}"]
                rows.append(
                    _row(
                        f"Table {t}", o, f"Inn:{m}", "moderation_twfe", "paper", r["estimate"], r["std_error"], inter[m]
                    )
                )
    if "figure1" in ex:
        d = panel.join(subgroups(panel))
        tg = true_values(truth, "att_by_group", outcome=figure_outcome, by=("split", "group"))
        for split in SPLITS:
            if split not in d:
                continue
            x = d[d[split].notna() & (d[split] != "unknown")]
            var = x.groupby(split)["Inn"].nunique()
            x = x[x[split].isin(var.index[var > 1])]
            if x.empty:
                continue
            res = subgroup_robust(x, figure_outcome, split, controls=ctrl)
            for r in res.itertuples(index=False):
                role = "paper" if r.estimator == "subgroup_twfe" else "robust"
                rows.append(
                    _row(
                        "Figure 1",
                        figure_outcome,
                        f"{split}={r.group_value}",
                        r.estimator,
                        role,
                        r.estimate,
                        r.std_error,
                        tg.get((split, r.group_value), np.nan),
                        r.pilot_cities,
                    )
                )
    return pd.DataFrame(rows, columns=COLUMNS)


def calibrate(seeds=(1, 2, 3, 4), scenario: str = "constant", exhibits=None, loader=None) -> pd.DataFrame:
    """:func:`headline_estimates` for each seed of the semi-synthetic world (``load_panel`` unless ``loader`` is
    given: a callable ``seed -> panel``), stacked with a ``seed`` column and ``z = (estimate − truth) / SE``."""
    seeds = list(seeds)
    if not seeds:
        raise NQPInputError("calibrate: parameter seeds is empty")
    if loader is None:
        from .data.load import load_panel

        def loader(s):
            return load_panel("semi_synthetic", seed=int(s), scenario=scenario)

    out = pd.concat(
        [headline_estimates(loader(s), exhibits=exhibits).assign(seed=int(s)) for s in seeds], ignore_index=True
    )
    out["z"] = (out["estimate"] - out["truth"]) / out["std_error"]
    return out


def summarise(draws: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Per number and estimator over seeds: ``n_seeds``, ``mean_bias``, ``mean_se``, ``bias_over_se`` (mean bias /
    mean SE), ``rmse``, ``coverage`` (share with |estimate − truth| ≤ z_(1+level)/2 · SE) and ``max_abs_z``."""
    from scipy import stats

    crit = float(stats.norm.ppf(0.5 + level / 2))
    keys = ["exhibit", "outcome", "quantity", "estimator", "role"]
    d = draws.assign(_err=draws["estimate"] - draws["truth"])
    d["_cov"] = d["_err"].abs() <= crit * d["std_error"]
    g = d.groupby(keys, sort=False)
    out = g.agg(
        n_seeds=("seed", "nunique"),
        mean_bias=("_err", "mean"),
        mean_se=("std_error", "mean"),
        rmse=("_err", lambda e: float(np.sqrt(np.mean(np.square(e))))),
        coverage=("_cov", "mean"),
        max_abs_z=("z", lambda z: float(np.max(np.abs(z)))),
        pilot_cities=("pilot_cities", "min"),
    )
    out = out.reset_index()
    out["bias_over_se"] = out["mean_bias"] / out["mean_se"]
    return out


def headline_coverage(draws: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Pooled over seeds and numbers, per exhibit group and role: cases, coverage and max |z|; Figure 1 only over
    groups with at least 5 pilot cities (the issue's criterion)."""
    from scipy import stats

    crit = float(stats.norm.ppf(0.5 + level / 2))
    d = draws.copy()
    d["group"] = np.where(d["exhibit"].isin(["Table 5", "Table 6", "Table 7"]), "Tables 5-7", d["exhibit"])
    d = d[(d["exhibit"] != "Figure 1") | (d["pilot_cities"] >= 5)]
    d["_cov"] = (d["estimate"] - d["truth"]).abs() <= crit * d["std_error"]
    out = d.groupby(["group", "role"], sort=False).agg(
        cases=("_cov", "size"), coverage=("_cov", "mean"), max_abs_z=("z", lambda z: float(np.max(np.abs(z))))
    )
    return out.reset_index()


POOLED_HEADERS = {
    "group": "Exhibit",
    "role": "Estimator",
    "cases": "Cases",
    "coverage": "Coverage of 95% CI",
    "max_abs_z": "Max |z|",
}
SUMMARY_HEADERS = {
    "exhibit": "Exhibit",
    "outcome": "Outcome",
    "quantity": "Number",
    "estimator": "Estimator",
    "n_seeds": "Seeds",
    "mean_bias": "Mean bias",
    "mean_se": "Mean SE",
    "bias_over_se": "Bias / SE",
    "rmse": "RMSE",
    "coverage": "Coverage",
    "max_abs_z": "Max |z|",
}


def run_calibration(data: str, seed: int, n_seeds: int, scenario: str = "constant", loader=None):
    """The calibration chapter's tables for seeds ``seed``, …, ``seed + n_seeds − 1``: ``(draws, summary, pooled)``
    from :func:`calibrate`, :func:`summarise` and :func:`headline_coverage`. Only the semi-synthetic track has a
    truth to calibrate against."""
    if data != "semi_synthetic":
        raise NQPInputError(
            f"data={data!r}: calibration needs the semi-synthetic track, the only one with a known truth"
        )
    seeds = list(range(int(seed), int(seed) + int(n_seeds)))
    draws = calibrate(seeds=seeds, scenario=scenario, loader=loader)
    return draws, summarise(draws), headline_coverage(draws)


def pooled_cell(pooled: pd.DataFrame, group: str, role: str, col: str) -> str:
    """One number of :func:`headline_coverage`'s table formatted for prose (coverage as a whole percentage, else two
    decimals); "—" when the table has no such row."""
    r = pooled[(pooled["group"] == group) & (pooled["role"] == role)]
    if r.empty:
        return "—"
    v = float(r[col].iloc[0])
    return f"{100 * v:.0f}%" if col == "coverage" else f"{v:.2f}"


def headline_numbers(pooled: pd.DataFrame, draws: pd.DataFrame) -> dict:
    """What the chapter's introduction quotes: the number of seeds, the coverage and largest |z| of the paper's
    Tables 5-7 interactions, and the coverage of the robust Figure 1 rows (groups with at least five pilot cities)."""
    return {
        "cal_n_seeds": str(draws["seed"].nunique()),
        "cal_cover_t57": pooled_cell(pooled, "Tables 5-7", "paper", "coverage"),
        "cal_maxz_t57": pooled_cell(pooled, "Tables 5-7", "paper", "max_abs_z"),
        "cal_cover_fig1": pooled_cell(pooled, "Figure 1", "robust", "coverage"),
    }


def pooled_display(pooled: pd.DataFrame) -> pd.DataFrame:
    """:func:`headline_coverage`'s table with human headers, rounded to three decimals."""
    return pooled.rename(columns=POOLED_HEADERS).round(3)


def summary_display(summary: pd.DataFrame) -> pd.DataFrame:
    """:func:`summarise`'s table, the columns a reader needs, with human headers, rounded to three decimals."""
    return summary[list(SUMMARY_HEADERS)].rename(columns=SUMMARY_HEADERS).round(3)
