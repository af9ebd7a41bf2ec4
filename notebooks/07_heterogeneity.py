# %% [markdown]
# # Heterogeneity across cities: Figure 1
#
# The paper splits the cities four ways (innovation type, population size, administrative level, old industrial
# base), estimates the baseline regression in each group and ranks the groups by the size of their coefficients. This
# page redoes the split regressions (Figure 1), then does what the paper did not: tests whether the group effects
# differ at all (pooled interaction model with a cluster-robust Wald test, and a permutation test) and which of the
# paper's orderings survive a multiplicity correction; on this track {glue:text}`n_orderings_survive` of the
# {glue:text}`n_orderings` orderings the paper states survive.

# %% tags=["parameters"]
data = "semi_synthetic"  # data track: "semi_synthetic" (default), "real" or a path to your own panel file
seed = 20260101  # seed of every random step (numpy default_rng): panel and permutations
scenario = "constant"  # semi-synthetic effect scenario: "constant", "dynamic" or "heterogeneous"
outcome = "Pro"  # index whose heterogeneity is shown: "Pro", "Lab", "Mea" or "Obj"
n_perm = 199  # permutations per split in the randomisation test of equal effects (more = slower, finer p-values)
alpha = 0.05  # level of the Holm-adjusted pairwise comparisons

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown, display
from myst_nb import glue

from nqp_helpers import load_panel
from nqp_helpers.data.semi_synthetic import subgroups
from nqp_helpers.display import rerun_box, save_table, track_banner
from nqp_helpers.estimators.twfe import twfe
from nqp_helpers.estimators.heterogeneity import (group_orderings, permutation_test_equal_effects,
                                                  pooled_interaction_test)
from nqp_helpers.figure1 import explain_misses, figure1_rows
from nqp_helpers.plotting import coef_plot, set_style

NOTEBOOK = "07_heterogeneity"
CONTROLS = ["Eco", "Gov", "Fix", "Fin", "Tra", "Ope"]
SPLITS = {  # split -> (panel of the paper, title, group order as in the paper's text)
    "innovation": ("1a", "Innovation capacity (proxy for innovation type)", ["high", "medium", "low"]),
    "size": ("1b", "Population size (2014 standard)", ["megacity", "large", "medium", "small"]),
    "admin": ("1c", "Administrative level", ["hub", "other"]),
    "industrial": ("1d", "Old industrial base", ["old_base", "non_old_base"]),
}
set_style()

panel = load_panel(data, seed=seed, **({"scenario": scenario} if data == "semi_synthetic" else {}))
track = panel.attrs["track"]
truth = panel.attrs.get("truth")
track_banner(panel)

# %% [markdown]
# ## The four splits and how they are built here
#
# * **Innovation type** (paper: 策源地 / 增长极 / 集聚区 from the 2024 national innovative-city evaluation report).
#   That typology is not public, so this page uses a documented **proxy**: terciles of the city's pre-pilot
#   innovation capacity (mean log R&D personnel before the first pilot year, `innovation_tercile`), labelled
#   high / medium / low and read as 策源地 / 增长极 / 集聚区. On a track without the R&D-personnel indicators (and no
#   `innovation_group` column) this split cannot be built and is skipped.
# * **Population size**: the 2014 State Council standard's classes (`size_class`), grouped as megacity (超大 and 特大),
#   large (大城市 I and II), medium and small. The class is assigned from a base-year **population proxy**, not the
#   seventh census the paper cites.
# * **Administrative level**: hub = municipality, sub-provincial city or provincial capital; other = the rest.
# * **Old industrial base**: membership in the 2013 plan. Our list is **partial**; cities of unknown status are
#   excluded from this split (counts below).

# %% tags=["hide-input"]
sg = subgroups(panel)
d = panel.join(sg)
present = [s for s in SPLITS if s in sg.columns]
absent = [s for s in SPLITS if s not in sg.columns]
missing_controls = [c for c in CONTROLS + [outcome] if c not in panel]
if missing_controls:
    raise ValueError(f"the panel lacks {missing_controls}; Figure 1 needs the outcome and the six controls")
if absent:
    display(Markdown(f"**Not available on the {track} track**: split(s) {', '.join(absent)} — the columns they are "
                     "built from are absent (innovation: R&D-personnel indicators `lab_rd_applied`, "
                     "`lab_rd_experimental` or `innovation_group`). Nothing is simulated in their place."))
counts = (d.assign(treated_city=d["first_treat"].fillna(0) > 0)
          .melt(id_vars=["city_code", "treated_city"], value_vars=present, var_name="split", value_name="group")
          .drop_duplicates(["city_code", "split"])
          .groupby(["split", "group"]).agg(cities=("city_code", "size"), pilot_cities=("treated_city", "sum"))
          .reset_index())
display(counts)
few = counts[(counts["group"] != "unknown") & (counts["pilot_cities"] < 5)]
glue("few_pilot_groups", "; ".join(f"{r.split} = {r.group} ({r.pilot_cities})" for r in few.itertuples()) or "none",
     display=False)
n_unknown = int(counts.query("split == 'industrial' and group == 'unknown'")["cities"].sum()) \
    if "industrial" in present else 0
glue("n_unknown_oib", str(n_unknown), display=False)
glue("n_cities", str(d["city_code"].nunique()), display=False)

# %% [markdown]
# Old-industrial-base status is unknown for {glue:text}`n_unknown_oib` of the {glue:text}`n_cities` cities; they are
# left out of panel (1d). A group with no pilot city (or no variation in the pilot dummy) has no estimable effect and
# is reported as such rather than dropped silently. Groups with fewer than five pilot cities:
# {glue:text}`few_pilot_groups`. With one or two treated clusters a cluster-robust standard error is unreliable
# (typically far too small), so the narrow intervals of such groups in the figure should not be trusted.
#
# ## Figure 1: separate regressions per group
#
# Each group gets the baseline regression (the outcome on Inn, the six controls, city and year fixed effects;
# SEs clustered by city), exactly as the paper's Figure 1 does (`estimator` = `subgroup_twfe`). Beside it, for the
# same rows, a heterogeneity-robust estimate: the imputation estimator of Borusyak, Jaravel and Spiess
# (`imputation_bjs`; untreated city-years of the group, never- and not-yet-treated, fit the counterfactual). On the
# semi-synthetic track each TWFE row also carries the split used for Table 2: `trend_gap` (the same regression on
# the untreated outcome, zero in expectation when untreated paths are parallel within the group) and
# `weighting_gap` (the regression on the effect part minus the group's ATT). `never_treated_cities` counts the
# group's cities that never become pilots.

# %% tags=["hide-input"]
def usable(split):
    """Complete rows of known group whose group has variation in Inn; and the groups set aside with the reason."""
    x = d[d[split].notna() & (d[split] != "unknown")].dropna(subset=[outcome, *CONTROLS])
    var = x.groupby(split)["Inn"].nunique()
    dropped = {g: "no variation in Inn (no pilot city or all pilot)" for g in var.index[var < 2]}
    return x[~x[split].isin(list(dropped))], dropped


rows, dropped_all = [], []
for split in present:
    x, dropped = usable(split)
    dropped_all += [dict(split=split, group=g, reason=r) for g, r in dropped.items()]
    if x[split].nunique() >= 1:   # both estimators per group, truth and the trend/weighting split (figure1.py)
        rows.append(figure1_rows(x, outcome, split, CONTROLS, truth).drop(columns=["pilot_cities"]))
fig1 = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
for dr in dropped_all:
    fig1 = pd.concat([fig1, pd.DataFrame([dict(split=dr["split"], group_value=dr["group"], estimate=np.nan,
                                               note=dr["reason"])])], ignore_index=True)
fig1 = fig1.merge(counts.rename(columns={"group": "group_value"}), on=["split", "group_value"], how="left")
fig1 = fig1.assign(panel=fig1["split"].map({k: v[0] for k, v in SPLITS.items()}), track=track)
order = {s: {g: i for i, g in enumerate(SPLITS[s][2])} for s in SPLITS}
fig1["_o"] = [order[s].get(g, 99) for s, g in zip(fig1["split"], fig1["group_value"])]
fig1 = fig1.sort_values(["panel", "_o", "estimator"], ascending=[True, True, False]).drop(columns="_o")
keep = ["panel", "split", "group_value", "estimator", "cities", "pilot_cities", "never_treated_cities", "term",
        "estimate", "std_error", "p_value", "conf_low", "conf_high", "n_obs", "n_clusters", "outcome", "truth",
        "trend_gap", "trend_gap_se", "weighting_gap", "note", "track"]
fig1 = fig1[[c for c in keep if c in fig1]].reset_index(drop=True)
save_table(fig1, "figure1", NOTEBOOK)
glue("figure1_misses", explain_misses(fig1), display=False)
fig1.round(3)

# %% tags=["hide-input"] mystnb={"image": {"alt": "Coefficient plot of the pilot's effect estimated separately in each city group (innovation capacity, population size, administrative level, old industrial base): the paper's split-sample TWFE and the heterogeneity-robust imputation estimate with 95 percent confidence intervals and, on the semi-synthetic track, the true group effects."}}
fig, axes = plt.subplots(2, 2, figsize=(11, 9))
for ax, split in zip(axes.ravel(), SPLITS):
    sub = fig1[(fig1["split"] == split) & fig1["estimate"].notna()] if len(fig1) else fig1
    if split not in present or sub.empty:
        ax.text(0.5, 0.5, f"({SPLITS[split][0]}) not estimable on this track", ha="center", va="center",
                transform=ax.transAxes)
        ax.set_axis_off()
        continue
    sub = sub.assign(label=[f"{g}, {'TWFE' if e == 'subgroup_twfe' else 'imputation'}\n({int(n)} pilot cities)"
                            for g, e, n in zip(sub["group_value"], sub["estimator"], sub["pilot_cities"])])
    coef_plot(sub, label="label", truth="truth" if "truth" in sub else None, ax=ax,
              xlabel=f"Effect of the pilot on {outcome}")
    ax.set_title(f"({SPLITS[split][0]}) {SPLITS[split][1]}", fontsize=10)
    handles, labels = ax.get_legend_handles_labels()
    if ax.get_legend():
        ax.get_legend().remove()
fig.legend(handles, labels, loc="lower center", ncol=2, fontsize=9)
fig.tight_layout(rect=(0, 0.05, 1, 1))
plt.show()

# %% [markdown]
# *Figure 1 (re-made): the pilot's effect on the chosen index estimated separately in each group, by split-sample
# TWFE (the paper's estimator) and by imputation, with 95% confidence intervals; green crosses are the true group
# effects on the semi-synthetic track (average effect over the group's treated city-years). Groups with no pilot
# city are not shown. Group labels: innovation high/medium/low ≈ the paper's 策源地/增长极/集聚区 (proxy); size
# megacity/large/medium/small ≈ 特大/大型/中型/小型.*
#
# ### Every TWFE miss beyond 2 standard errors, attributed
#
# {glue:text}`figure1_misses`
#
# Parallel trends hold by construction, in expectation, within the administrative-level, megacity and innovation
# groups of the semi-synthetic world: untreated paths are made parallel across adoption cohorts within each
# hub × megacity × innovation stratum (hence also in the whole sample; on this track the innovation group is the
# tercile of the development factor that drives the simulated R&D personnel). They are **not** guaranteed within
# the large, medium and small size classes taken separately or within the old-industrial-base split; the
# `trend_gap` column measures them on the page. A group with one or two pilot cities compares those few cities'
# paths with the rest, and its cluster-robust SE is unreliable (typically too small).
#
# ## Are the group effects different? (not in the paper)
#
# Separately estimated coefficients with overlapping intervals do not show that the groups differ, and their ranking
# can be noise. Three checks, each on one **pooled** model with Inn × 1[group = g] for every group, common controls and
# year effects, city fixed effects, SEs clustered by city:
#
# 1. a cluster-robust **Wald test** of H0: all group effects equal (F with q = groups − 1 and G − 1 degrees of freedom);
# 2. a **permutation test** of the same H0: city labels are reshuffled across cities (group sizes kept) `n_perm`
#    times and the Wald statistic recomputed;
# 3. every **pairwise difference** with a Holm-adjusted p-value: an ordering "survives" if its adjusted p < `alpha`.
#
# The pooled model (common year effects and control coefficients) and the separate regressions of Figure 1 need not
# rank the groups the same way; with `interact_controls=True, group_time_fe=True` the pooled group effects equal the
# separate ones (see `nqp_helpers.estimators.heterogeneity`).

# %% tags=["hide-input"]
tests, pairs = [], []
for i, split in enumerate(present):
    x, _ = usable(split)
    if x[split].nunique() < 2:
        tests.append(dict(split=split, note="fewer than 2 estimable groups: no test"))
        continue
    w = pooled_interaction_test(x, outcome, split, controls=CONTROLS)
    pm = permutation_test_equal_effects(x, outcome, split, controls=CONTROLS, n_draws=int(n_perm), seed=seed + i)
    wr = w.iloc[-1]
    tests.append(dict(split=split, groups=int(x[split].nunique()), wald_F=wr["statistic"], df_num=wr["df_num"],
                      df_den=wr["df_den"], p_wald=wr["p_value"], p_permutation=pm["p_value"].iloc[0],
                      n_perm_valid=int(pm["n_draws"].iloc[0]), range_of_effects=wr["estimate"]))
    go = group_orderings(x, outcome, split, controls=CONTROLS, alpha=alpha)
    pairs.append(go.assign(split=split))
tests = pd.DataFrame(tests).assign(outcome=outcome, track=track)
pairs = pd.concat(pairs, ignore_index=True) if pairs else pd.DataFrame(columns=["split", "group_a", "group_b"])
save_table(tests, "equal_effects_tests", NOTEBOOK)
save_table(pairs, "pairwise_orderings", NOTEBOOK)
display(tests.round(4))
pairs[[c for c in ["split", "term", "estimate", "std_error", "p_value", "p_holm", "ordering", "survives"]
       if c in pairs]].round(4)

# %% [markdown]
# ## The paper's claims, one by one
#
# The text states, for Figure 1: effects decrease from 策源地 to 增长极 to 集聚区 cities and are significant in all
# three; among size classes they are significant only in large, medium and small cities and decrease in that order
# (not significant in 特大 cities); hub cities > other cities, both significant; old-industrial-base cities > others,
# both significant. Each claim is checked below on this track: a significance claim against the group's own
# regression (p < 0.10), an ordering claim against the pooled model's Holm-adjusted pairwise test.

# %% tags=["hide-input"]
CLAIMS = [  # (split, kind, a, b): kind "signif"/"not_signif" for group a, "greater" for a > b
    ("innovation", "signif", "high", None), ("innovation", "signif", "medium", None),
    ("innovation", "signif", "low", None),
    ("innovation", "greater", "high", "medium"), ("innovation", "greater", "medium", "low"),
    ("size", "not_signif", "megacity", None), ("size", "signif", "large", None), ("size", "signif", "medium", None),
    ("size", "signif", "small", None), ("size", "greater", "large", "medium"), ("size", "greater", "medium", "small"),
    ("admin", "signif", "hub", None), ("admin", "signif", "other", None), ("admin", "greater", "hub", "other"),
    ("industrial", "signif", "old_base", None), ("industrial", "signif", "non_old_base", None),
    ("industrial", "greater", "old_base", "non_old_base"),
]
out = []
for split, kind, a, b in CLAIMS:
    claim = f"{a} > {b}" if kind == "greater" else f"{a} {'significant' if kind == 'signif' else 'not significant'}"
    row = dict(split=split, claim=claim, kind=kind, estimate=np.nan, p=np.nan, holds="not testable on this track")
    if kind == "greater":
        hit = pairs[(pairs["split"] == split) & (((pairs["group_a"] == a) & (pairs["group_b"] == b))
                                                 | ((pairs["group_a"] == b) & (pairs["group_b"] == a)))]
        if len(hit):
            h = hit.iloc[0]
            diff = h["estimate"] if h["group_a"] == a else -h["estimate"]
            row.update(estimate=diff, p=h["p_holm"],
                       holds="yes" if diff > 0 and h["p_holm"] < alpha else
                       ("same sign, not significant after Holm" if diff > 0 else "no (opposite sign)"))
    else:
        hit = fig1[(fig1["split"] == split) & (fig1["group_value"] == a) & fig1["estimate"].notna()
                   & (fig1["estimator"] == "subgroup_twfe")] \
            if len(fig1) else fig1
        if len(hit):
            h = hit.iloc[0]
            sig = h["p_value"] < 0.10 and h["estimate"] > 0
            row.update(estimate=h["estimate"], p=h["p_value"],
                       holds="yes" if sig == (kind == "signif") else "no")
    out.append(row)
claims = pd.DataFrame(out).assign(outcome=outcome, track=track)
if truth is not None:  # does the ordering hold in the true group effects?
    tv = truth[(truth["estimand"] == "att_by_group") & (truth["outcome"] == outcome)].set_index(["split", "group"])["value"]
    claims["true_difference"] = [float(tv[(sp, a)] - tv[(sp, b)]) if k == "greater" and (sp, a) in tv and (sp, b) in tv
                                 else np.nan for sp, k, a, b in CLAIMS]
    g = claims[(claims["kind"] == "greater") & claims["true_difference"].notna()]
    reversed_ = [f"{sp}: {c}" for sp, c, v in zip(g["split"], g["claim"], g["true_difference"]) if v <= 0]
    truth_txt = (f"the true group effects follow {int((g['true_difference'] > 0).sum())} of the {len(g)} stated "
                 f"orderings that can be evaluated" + (f" (not: {'; '.join(reversed_)})" if reversed_ else ""))
else:
    truth_txt = "the true group effects are not known on this track"
glue("truth_orderings", truth_txt, display=False)
save_table(claims, "paper_claims", NOTEBOOK)
n_ord = int((claims["kind"] == "greater").sum())
n_ord_ok = int(((claims["kind"] == "greater") & (claims["holds"] == "yes")).sum())
glue("n_orderings", str(n_ord), display=False)
glue("n_orderings_survive", str(n_ord_ok), display=False)
glue("n_claims_hold", f"{int((claims['holds'] == 'yes').sum())} of {len(claims)}", display=False)
glue("n_claims_untestable", str(int((claims["holds"] == "not testable on this track").sum())), display=False)
claims.round(4)

# %% [markdown]
# On this track {glue:text}`n_claims_hold` of the paper's heterogeneity statements hold in the sense above
# ({glue:text}`n_claims_untestable` cannot be tested: the split is missing, or a group has no pilot city).
# {glue:text}`n_orderings_survive` of the {glue:text}`n_orderings` orderings the paper states are supported by
# a test of the difference. Small groups (few pilot cities, e.g. medium and small cities under the 2014 standard)
# give wide intervals: a ranking of their point estimates says little.
#
# On the semi-synthetic track the true group effects are known (green crosses in Figure 1, the `truth` column and
# `true_difference` in the claims table). The simulator builds city multipliers in the direction of the paper's
# claims, but the realised group averages also depend on which cities in each group are pilots and when; here
# {glue:text}`truth_orderings`. Where the truth follows an ordering, a failure to detect it shows the power of the
# design, not the absence of the difference.

# %% tags=["hide-input"]
rerun_box(NOTEBOOK, {"data": data, "seed": seed, "scenario": scenario, "outcome": outcome, "n_perm": n_perm,
                     "alpha": alpha})
