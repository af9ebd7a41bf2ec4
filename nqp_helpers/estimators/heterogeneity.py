"""Subgroup heterogeneity (Figure 1) and formal tests of whether the pilot effect differs across groups.

What
    * :func:`subgroup_effects` — a separate TWFE regression per group (innovation type, size class, administrative
      level, old industrial base), as in the paper's Figure 1.
    * :func:`pooled_interaction_test` — one pooled model with ``treatment × 1[group = g]`` for every group, two-way
      FE and the controls, and a cluster-robust Wald test of H0: all group effects equal, F = W/q with
      F(q, G−1) reference (q = number of groups − 1, G = clusters).
    * :func:`permutation_test_equal_effects` — randomisation test of the same H0: group labels are permuted across
      units (group sizes kept), statistic = the Wald F or the range (max − min) of the group effects.
    * :func:`group_orderings` — every pairwise difference with its CI and Holm-adjusted p-value; says which of the
      paper's rankings survive multiplicity adjustment.

Why
    The paper ranks groups by the size of separately estimated coefficients but never tests the differences;
    overlapping subgroup CIs, different control coefficients and different time effects make such rankings fragile.

Pooled-model specification (documented choice)
    By default the pooled model has **common** time effects and **common** control coefficients (the usual
    "interaction" test: only the pilot effect varies by group). ``interact_controls=True`` lets the control
    coefficients vary by group and ``group_time_fe=True`` replaces the time effects by group × time effects; with
    both the group effects equal the separate subgroup regressions exactly (only their SEs differ slightly through
    the small-sample factor, which uses all clusters). Groups must be constant within unit (rows with a missing
    group are dropped); the permutation therefore permutes unit-level labels.

SE convention: CR1 by ``cluster`` (default unit), fixest small-sample factor, t(G−1) / F(q, G−1).
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats

from .._attrs import safe_attr
from ..errors import NQPInputError
from ._common import fit_within, require_columns, tidy


def _prep(df, outcome, group, treatment, unit, time, controls, cluster, min_groups=2):
    controls = list(controls)
    require_columns(df, [outcome, group, treatment, *controls, unit, time, cluster], "heterogeneity")
    used = list(dict.fromkeys([outcome, group, treatment, *controls, unit, time] + ([cluster] if cluster else [])))
    d = df[used].dropna().copy()
    if d.empty:
        raise NQPInputError(f"heterogeneity: no complete rows for {used}")
    nun = d.groupby(unit)[group].nunique()
    if (nun > 1).any():
        raise NQPInputError(
            f"heterogeneity: column {group!r} varies within unit {nun[nun > 1].index[0]!r}; "
            "groups must be unit-level (time-invariant)"
        )
    levels = sorted(d[group].unique().tolist())
    if len(levels) < min_groups:
        raise NQPInputError(
            f"heterogeneity: column {group!r} has fewer than {min_groups} groups in the estimation sample"
        )
    for g in levels:
        if d.loc[d[group] == g, treatment].nunique() < 2:
            raise NQPInputError(f"heterogeneity: column {treatment!r} does not vary within group {group}={g!r}")
    return d, controls, levels


def subgroup_effects(
    df: pd.DataFrame,
    outcome: str,
    group: str,
    treatment: str = "Inn",
    unit: str = "city_code",
    time: str = "year",
    controls=(),
    cluster: str | None = None,
    alpha: float = 0.05,
    min_groups: int = 2,
) -> pd.DataFrame:
    """Separate TWFE ``outcome ~ treatment + controls | unit + time`` per group (Figure 1).

    One tidy row per group (term = ``treatment``) with the extra columns ``group`` (column name) and ``group_value``.
    ``min_groups=1`` allows a single group (its own TWFE regression).
    """
    d, controls, levels = _prep(df, outcome, group, treatment, unit, time, controls, cluster, min_groups)
    rows = []
    for g in levels:
        fit = fit_within(d[d[group] == g], outcome, [treatment, *controls], unit, time, cluster=cluster)
        rows.append(
            tidy(
                [treatment],
                fit.coef[:1],
                np.sqrt(fit.vcov[:1, 0]),
                df_resid=fit.df_resid,
                n_obs=fit.n_obs,
                n_clusters=fit.n_clusters,
                estimator="subgroup_twfe",
                outcome=outcome,
                alpha=alpha,
                group=group,
                group_value=g,
            )
        )
    return pd.concat(rows, ignore_index=True)


def _pooled_fit(
    d, outcome, group, treatment, unit, time, controls, cluster, levels, interact_controls, group_time_fe, labels=None
):
    lab = d[group].to_numpy() if labels is None else labels
    dd = d.copy()
    names = []
    for i, g in enumerate(levels):
        col = f"__tg{i}"
        dd[col] = dd[treatment].to_numpy(float) * (lab == g)
        names.append(col)
    xcols = list(controls)
    if interact_controls:
        xcols = []
        for i, g in enumerate(levels):
            for c in controls:
                col = f"__c{i}_{c}"
                dd[col] = dd[c].to_numpy(float) * (lab == g)
                xcols.append(col)
    tcol = time
    if group_time_fe:
        tcol = "__gt"
        dd[tcol] = pd.factorize(pd.Series(list(zip(lab, dd[time]))), sort=True)[0]
    fit = fit_within(dd, outcome, names + xcols, unit, tcol, cluster=cluster or unit)
    return fit


def _wald(fit, L):
    b = fit.coef[:L]
    V = fit.vcov[:L, :L]
    R = np.hstack([-np.ones((L - 1, 1)), np.eye(L - 1)])  # β_g − β_1 = 0, g = 2..L
    rb = R @ b
    W = float(rb @ np.linalg.pinv(R @ V @ R.T) @ rb)
    q = L - 1
    F = W / q
    return W, F, q, float(stats.f.sf(F, q, fit.df_resid))


def pooled_interaction_test(
    df: pd.DataFrame,
    outcome: str,
    group: str,
    treatment: str = "Inn",
    unit: str = "city_code",
    time: str = "year",
    controls=(),
    cluster: str | None = None,
    interact_controls: bool = False,
    group_time_fe: bool = False,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Pooled ``treatment × group`` model and cluster-robust Wald test of equal group effects.

    Returns one tidy row per group (term ``"<treatment>:<group>=<value>"``, column ``group_value``) and a last row
    ``term == "wald_equal_effects"`` whose ``statistic`` is F = W/q, ``p_value`` from F(q, G−1), with ``estimate`` =
    range of the group effects and the extra columns ``wald_chi2`` (W), ``df_num`` (q), ``df_den`` (G−1).
    ``attrs["vcov"]`` is the covariance of the group effects.
    """
    d, controls, levels = _prep(df, outcome, group, treatment, unit, time, controls, cluster)
    fit = _pooled_fit(
        d, outcome, group, treatment, unit, time, controls, cluster, levels, interact_controls, group_time_fe
    )
    L = len(levels)
    W, F, q, p = _wald(fit, L)
    terms = [f"{treatment}:{group}={g}" for g in levels]
    common = dict(n_obs=fit.n_obs, n_clusters=fit.n_clusters, estimator="pooled_interaction", outcome=outcome)
    rows = tidy(
        terms,
        fit.coef[:L],
        np.sqrt(np.diag(fit.vcov)[:L]),
        df_resid=fit.df_resid,
        alpha=alpha,
        group=group,
        group_value=levels,
        **common,
    )
    wrow = tidy(
        ["wald_equal_effects"],
        [np.ptp(fit.coef[:L])],
        [np.nan],
        df_resid=fit.df_resid,
        group=group,
        group_value=None,
        **common,
    )
    wrow["statistic"], wrow["p_value"] = F, p
    out = pd.concat([rows, wrow], ignore_index=True)
    out["wald_chi2"] = [np.nan] * L + [W]
    out["df_num"] = [np.nan] * L + [q]
    out["df_den"] = [np.nan] * L + [fit.df_resid]
    out["interact_controls"], out["group_time_fe"] = interact_controls, group_time_fe
    out.attrs["vcov"] = safe_attr(pd.DataFrame(fit.vcov[:L, :L], index=terms, columns=terms))
    return out


def permutation_test_equal_effects(
    df: pd.DataFrame,
    outcome: str,
    group: str,
    treatment: str = "Inn",
    unit: str = "city_code",
    time: str = "year",
    controls=(),
    cluster: str | None = None,
    n_draws: int = 999,
    seed: int = 0,
    statistic: str = "wald",
    interact_controls: bool = False,
    group_time_fe: bool = False,
) -> pd.DataFrame:
    """Randomisation test of equal group effects: permute unit-level group labels (sizes kept), refit the pooled
    model, compare ``statistic`` (``"wald"``: the F of :func:`pooled_interaction_test`; ``"range"``: max − min of
    the group effects). p = (1 + #{stat_b >= stat_obs}) / (1 + n_draws). One tidy-shaped row (term
    ``"permutation_equal_effects"``; ``estimate`` = observed statistic, ``p_value`` = permutation p-value);
    ``attrs["draws"]`` holds the permutation distribution.
    """
    if statistic not in ("wald", "range"):
        raise NQPInputError(
            f"permutation_test_equal_effects: parameter statistic must be 'wald' or 'range', got {statistic!r}"
        )
    if not isinstance(n_draws, (int, np.integer)) or n_draws < 1:
        raise NQPInputError(
            f"permutation_test_equal_effects: parameter n_draws must be a positive integer, got {n_draws!r}"
        )
    d, controls, levels = _prep(df, outcome, group, treatment, unit, time, controls, cluster)
    L = len(levels)
    units = np.sort(d[unit].unique())
    ulab = d.groupby(unit)[group].first().reindex(units).to_numpy()
    pos = pd.Index(units).get_indexer(d[unit])

    def stat(labels):
        fit = _pooled_fit(
            d,
            outcome,
            group,
            treatment,
            unit,
            time,
            controls,
            cluster,
            levels,
            interact_controls,
            group_time_fe,
            labels=labels,
        )
        return _wald(fit, L)[1] if statistic == "wald" else float(np.ptp(fit.coef[:L])), fit

    obs, fit = stat(None)
    rng = np.random.default_rng(seed)
    perms = rng.permuted(np.broadcast_to(ulab, (n_draws, len(ulab))), axis=1)
    draws = np.empty(n_draws)
    for b in range(n_draws):
        lab_b = perms[b][pos]
        ok = all(d[treatment].to_numpy()[lab_b == g].std() > 0 for g in levels)
        draws[b] = stat(lab_b)[0] if ok else np.nan
    valid = draws[~np.isnan(draws)]
    p = (1 + int(np.sum(valid >= obs * (1 - 1e-10)))) / (1 + len(valid))
    out = tidy(
        ["permutation_equal_effects"],
        [obs],
        [np.nan],
        df_resid=None,
        n_obs=fit.n_obs,
        n_clusters=fit.n_clusters,
        estimator="permutation_equal_effects",
        outcome=outcome,
        group=group,
        statistic_type=statistic,
        n_draws=len(valid),
        seed=seed,
    )
    out["statistic"], out["p_value"] = obs, p
    out.attrs["draws"] = safe_attr(draws)
    return out


def group_orderings(
    df: pd.DataFrame,
    outcome: str,
    group: str,
    treatment: str = "Inn",
    unit: str = "city_code",
    time: str = "year",
    controls=(),
    cluster: str | None = None,
    alpha: float = 0.05,
    interact_controls: bool = False,
    group_time_fe: bool = False,
) -> pd.DataFrame:
    """All pairwise differences of group effects from the pooled model, with Holm-adjusted p-values.

    One row per pair (a, b) with ``estimate`` = β_a − β_b, CR1 SE from the pooled vcov, t(G−1) p-value and CI
    (unadjusted), plus ``p_holm``, Bonferroni-simultaneous ``conf_low_bonf``/``conf_high_bonf``, ``ordering``
    (``"a > b"`` or ``"a < b"`` by the sign of the estimate) and ``survives`` (``p_holm < alpha``).
    """
    pooled = pooled_interaction_test(
        df,
        outcome,
        group,
        treatment,
        unit,
        time,
        controls,
        cluster,
        interact_controls=interact_controls,
        group_time_fe=group_time_fe,
        alpha=alpha,
    )
    g = pooled.iloc[:-1]
    V = pooled.attrs["vcov"].to_numpy()
    b = g["estimate"].to_numpy()
    levels = g["group_value"].tolist()
    dfr = int(pooled["df_den"].iloc[-1])
    pairs = list(combinations(range(len(levels)), 2))
    est = np.array([b[i] - b[j] for i, j in pairs])
    se = np.array([np.sqrt(V[i, i] + V[j, j] - 2 * V[i, j]) for i, j in pairs])
    out = tidy(
        [f"{levels[i]} - {levels[j]}" for i, j in pairs],
        est,
        se,
        df_resid=dfr,
        n_obs=pooled["n_obs"].iloc[0],
        n_clusters=pooled["n_clusters"].iloc[0],
        estimator="pairwise_group_difference",
        outcome=outcome,
        alpha=alpha,
        group=group,
        group_a=[levels[i] for i, _ in pairs],
        group_b=[levels[j] for _, j in pairs],
    )
    m = len(pairs)
    # Holm step-down
    order = np.argsort(out["p_value"].to_numpy())
    ps = out["p_value"].to_numpy()[order]
    adj = np.minimum(1, np.maximum.accumulate((m - np.arange(m)) * ps))
    p_holm = np.empty(m)
    p_holm[order] = adj
    out["p_holm"] = p_holm
    crit = stats.t(dfr).ppf(1 - alpha / (2 * m))
    out["conf_low_bonf"], out["conf_high_bonf"] = est - crit * se, est + crit * se
    out["ordering"] = [
        f"{a} > {b_}" if e > 0 else f"{a} < {b_}" for a, b_, e in zip(out["group_a"], out["group_b"], est)
    ]
    out["survives"] = out["p_holm"] < alpha
    return out


def subgroup_robust(
    df: pd.DataFrame,
    outcome: str,
    group: str,
    first_treat: str = "first_treat",
    treatment: str = "Inn",
    unit: str = "city_code",
    time: str = "year",
    controls=(),
    cluster: str | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Figure 1 with a heterogeneity-robust estimate: per group, the paper's split-sample TWFE
    (:func:`subgroup_effects`, ``estimator == "subgroup_twfe"``) and the Borusyak–Jaravel–Spiess imputation ATT on
    the same rows (:func:`~nqp_helpers.estimators.imputation.imputation_did`, not-yet- and never-treated cities as
    controls, ``estimator == "imputation_bjs"``; its SE convention is that module's). Extra columns
    ``group_value``, ``pilot_cities`` and ``never_treated_cities`` (cities of the group with ``first_treat`` 0)."""
    from .imputation import imputation_did

    twfe_rows = subgroup_effects(df, outcome, group, treatment, unit, time, controls, cluster, alpha, min_groups=1)
    d, controls, levels = _prep(df, outcome, group, treatment, unit, time, controls, cluster, min_groups=1)
    require_columns(df, [first_treat], "subgroup_robust")
    ft = pd.to_numeric(df.loc[d.index, first_treat], errors="coerce").fillna(0).to_numpy()
    d = d.assign(**{first_treat: ft})
    rows = []
    for g in levels:
        x = d[d[group] == g]
        try:
            r = imputation_did(
                x,
                outcome,
                first_treat=first_treat,
                unit=unit,
                time=time,
                controls=controls,
                cluster=cluster,
                horizons=[],
                alpha=alpha,
            )
        except NQPInputError as err:  # e.g. a year in which every city of the group is treated: say so, no number
            rows.append(
                pd.DataFrame(
                    [
                        dict(
                            term=treatment,
                            estimate=np.nan,
                            std_error=np.nan,
                            outcome=outcome,
                            estimator="imputation_bjs",
                            group=group,
                            group_value=g,
                            note=f"imputation not estimable: {err}",
                        )
                    ]
                )
            )
            continue
        rows.append(r[r["term"] == "att"].assign(term=treatment, group=group, group_value=g))
    out = pd.concat([twfe_rows, *rows], ignore_index=True)
    fc = d.groupby(unit)[first_treat].first()
    gc = d.groupby(unit)[group].first()
    out["pilot_cities"] = out["group_value"].map((fc > 0).groupby(gc).sum()).astype(int)
    out["never_treated_cities"] = out["group_value"].map((fc == 0).groupby(gc).sum()).astype(int)
    return out[[c for c in out.columns if c not in ("aggregation", "event_time", "n_treated_obs")]]


def subgroup_gap_split(
    df: pd.DataFrame,
    outcome: str,
    y0: str,
    y1: str,
    group: str,
    treatment: str = "Inn",
    unit: str = "city_code",
    time: str = "year",
    controls=(),
    cluster: str | None = None,
) -> pd.DataFrame:
    """Per group, the exact split of the split-sample TWFE coefficient used for Table 2 (OLS is linear in the
    outcome, ``y = y0 + Inn·(y1 − y0)``): ``trend_gap`` = the coefficient on the untreated outcome ``y0`` (zero in
    expectation under parallel trends within the group; with its CR1 SE ``trend_gap_se``), ``effect_part`` = the
    coefficient on ``Inn·(y1 − y0)`` and ``weighting_gap`` = effect part − the group's ATT (``att``: mean of
    ``y1 − y0`` over its treated rows). Only with both potential outcomes (semi-synthetic track)."""
    require_columns(df, [y0, y1], "subgroup_gap_split")
    eff = "__effect_part__"
    dd = df.assign(**{eff: df[treatment] * (df[y1] - df[y0])})
    gap = subgroup_effects(dd, y0, group, treatment, unit, time, controls, cluster, min_groups=1)
    part = subgroup_effects(dd, eff, group, treatment, unit, time, controls, cluster, min_groups=1)
    tr = dd[dd[treatment] == 1]
    att = (tr[y1] - tr[y0]).groupby(tr[group]).mean()
    out = pd.DataFrame(
        {
            "group": group,
            "group_value": gap["group_value"],
            "trend_gap": gap["estimate"],
            "trend_gap_se": gap["std_error"],
            "effect_part": part["estimate"].to_numpy(),
        }
    )
    out["att"] = out["group_value"].map(att).to_numpy()
    out["weighting_gap"] = out["effect_part"] - out["att"]
    return out
