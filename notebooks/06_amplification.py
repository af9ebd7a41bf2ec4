# %% [markdown]
# # Amplification mechanisms: Tables 5–7
#
# The paper adds a moderator M (human capital Hum, digital factors Dig, manufacturing agglomeration Ind) and its
# product with the pilot dummy to the baseline regression and reads a positive Inn×M coefficient as "amplification".
# This page re-estimates that specification beside the paper's numbers, shows how centring the moderator changes the
# Inn coefficient but not the interaction, plots the pilot effect across the moderator's range, and asks what the
# text's "放大效应" percentages can mean. Headline on this track: Inn×Hum for Pro is
# {glue:text}`hum_pro_ours` here against {glue:text}`hum_pro_paper` in the paper (truth: {glue:text}`hum_pro_truth`).

# %% tags=["parameters"]
data = "semi_synthetic"  # data track: "semi_synthetic" (default), "real" or a path to your own panel file
seed = 20260101  # seed of every random step (numpy default_rng)
scenario = "constant"  # semi-synthetic effect scenario: "constant", "dynamic" or "heterogeneous"
plot_outcome = "Pro"  # outcome of the marginal-effect plots: "Pro", "Lab", "Mea" or "Obj"

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown, display
from myst_nb import glue

from nqp_helpers import load_panel
from nqp_helpers.amplification import misleads_sentence, moderation_worlds
from nqp_helpers.audit import amplification_claims
from nqp_helpers.compare import compare_to_paper
from nqp_helpers.display import fmt_num, rerun_box, save_table, track_banner
from nqp_helpers.estimators.moderation import marginal_effects, moderation
from nqp_helpers.estimators.twfe import twfe
from nqp_helpers.plotting import set_style
from nqp_helpers.reported import reported_results

NOTEBOOK = "06_amplification"
CONTROLS = ["Eco", "Gov", "Fix", "Fin", "Tra", "Ope"]
MODERATORS = {"Hum": 5, "Dig": 6, "Ind": 7}          # moderator -> paper table
OUTCOMES = ["Pro", "Lab", "Mea", "Obj"]
set_style()

panel = load_panel(data, seed=seed, **({"scenario": scenario} if data == "semi_synthetic" else {}))
track = panel.attrs["track"]
truth = panel.attrs.get("truth")
track_banner(panel)

# %% tags=["hide-input"]
needed = CONTROLS + list(MODERATORS) + OUTCOMES
missing = [c for c in needed if c not in panel]
runnable = not missing
if missing:
    display(Markdown(
        f"**Tables 5–7 cannot be estimated on the {track} track**: the panel lacks {', '.join(missing)}. "
        "The moderators are city statistics (knowledge-service employment, internet users, manufacturing employment "
        "by city) that the public sources of this project do not supply for 2004–2023; they are *not* simulated on "
        "this track. The tables below therefore show the paper's numbers only, and no figure is drawn."))

# %% [markdown]
# ## The paper's specification
#
# For each moderator M ∈ {Hum, Dig, Ind} and each outcome Y ∈ {Pro, Lab, Mea, Obj}:
#
# $$Y_{it} = \alpha_1 Inn_{it} + \alpha_2 M_{it} + \alpha_3 Inn_{it}\times M_{it} + Con_{it}'\gamma + \mu_i + \lambda_t
# + \varepsilon_{it},$$
#
# with the six controls, city and year fixed effects and the moderator **as measured** (not centred), as in the
# paper's equations (2)–(4). Standard errors are clustered by city (CR1, t(G−1)). Each table puts our estimate beside
# the paper's; on the semi-synthetic track the last column gives the truth for the interaction. In the default
# semi-synthetic world a treated city-year's effect depends on its own moderator value M_it (plus city
# heterogeneity), the moderators do not enter the untreated outcome, and the truth is the coefficient this same
# regression gives when fitted to the true effects alone, which equals the generator's parameter a3 by
# construction (see the DGP). There is no true value of α₁ or α₂ to compare.

# %% tags=["hide-input"]
paper = reported_results()


def fit_all(center=None, standardize=False):
    """All 12 moderation models of one centring choice, stacked (spec = the paper's spec name)."""
    parts = []
    for m in MODERATORS:
        for y in OUTCOMES:
            r = moderation(panel, y, m, controls=CONTROLS, center=center, standardize=standardize)
            parts.append(r.assign(spec=f"moderation_{m}"))
    return pd.concat(parts, ignore_index=True)


def paper_only(table):
    """The paper's rows of one table, with empty 'ours' columns (tracks that cannot run the model)."""
    p = paper[(paper["table"] == table) & (paper["term"] != "const")]
    return pd.DataFrame({"table": p["table"], "column": p["column"], "spec": p["spec"], "outcome": p["outcome"],
                         "term": p["term"], "estimate": np.nan, "std_error": np.nan, "stars": "", "p_value": np.nan,
                         "coef_paper": p["coef"], "se_paper": p["se"], "stars_paper": p["stars"],
                         "status": "not estimable on this track"})


true_inter = truth[truth["estimand"] == "interaction"] if truth is not None else None
ours = fit_all() if runnable else None
tables = {}
for m, t in MODERATORS.items():
    if runnable:
        tab = compare_to_paper(ours[ours["spec"] == f"moderation_{m}"], t, f"moderation_{m}", truth=true_inter)
        tab = tab[tab["term"] != "const"].reset_index(drop=True)
    else:
        tab = paper_only(t)
    tab.insert(0, "track", track)
    tables[m] = tab
    save_table(tab, f"table{t}", NOTEBOOK)

show = ["outcome", "term", "estimate", "stars", "std_error", "coef_paper", "stars_paper", "se_paper", "status"]
show += ["truth"] if "truth" in tables["Hum"] else []
for m, t in MODERATORS.items():
    display(Markdown(f"**Table {t} — moderator {m}** (saved as `table{t}.csv`)"))
    display(tables[m][show].round(3))

# %% tags=["hide-input"]
def cell(m, outcome, term, col):
    """One number of a saved table, formatted for prose ('n/a' when absent)."""
    tab = tables[m]
    r = tab[(tab["outcome"] == outcome) & (tab["term"] == term)]
    v = r[col].iloc[0] if len(r) and col in r else np.nan
    return "n/a" if pd.isna(v) else fmt_num(float(v))


glue("hum_pro_ours", cell("Hum", "Pro", "Inn:Hum", "estimate"), display=False)
glue("hum_pro_paper", cell("Hum", "Pro", "Inn:Hum", "coef_paper"), display=False)
glue("hum_pro_truth", cell("Hum", "Pro", "Inn:Hum", "truth") if truth is not None else "not known on this track",
     display=False)
n_same = sum(int((tables[m]["status"] == "same sign & significance").sum()) for m in MODERATORS)
n_pos = sum(int(((tables[m]["term"] == f"Inn:{m}") & (tables[m]["estimate"] > 0)
                 & (tables[m]["p_value"] < 0.10)).sum()) for m in MODERATORS) if runnable else 0
glue("n_same", str(n_same), display=False)
glue("n_cells", str(sum(len(tables[m]) for m in MODERATORS)), display=False)
glue("n_pos_inter", str(n_pos) if runnable else "n/a (not estimable)", display=False)
ratio_txt = "not known on this track"
if runnable and truth is not None:
    parts = []
    for m in MODERATORS:
        r = tables[m][(tables[m]["outcome"] == "Pro") & (tables[m]["term"] == f"Inn:{m}")].iloc[0]
        parts.append(f"{m} {r['estimate'] / r['truth']:.1f}")
    ratio_txt = ", ".join(parts)
glue("inter_truth_ratio", ratio_txt, display=False)
cover_txt = "not known on this track"
if runnable and truth is not None:
    it = pd.concat([tables[m][tables[m]["term"] == f"Inn:{m}"] for m in MODERATORS])
    n_cover = int(((it["estimate"] - it["truth"]).abs() <= 1.96 * it["std_error"]).sum())
    n_wrong = int((np.sign(it["estimate"]) != np.sign(it["truth"])).sum())
    cover_txt = (f"{n_cover} of the {len(it)} estimated interactions lie within 1.96 standard errors of the "
                 f"truth, and {n_wrong} have the opposite sign to it")
glue("inter_cover", cover_txt, display=False)

# %% [markdown]
# Of the {glue:text}`n_cells` coefficients of Tables 5–7 (Inn, M, Inn×M for four outcomes and three moderators),
# {glue:text}`n_same` have the paper's sign and significance class on this track (column `status`;
# "not estimable on this track" where the moderators are absent). {glue:text}`n_pos_inter` of the 12 interaction
# coefficients are positive and significant at 10% here — the paper's criterion for "amplification" (α₃ > 0).
# Against the truth (semi-synthetic track), the estimated interaction for Pro is, as a multiple of the true slope:
# {glue:text}`inter_truth_ratio`. A ratio far from 1 means the TWFE interaction also picks up something other than
# the true dependence of the effect on M (see "Reading the result" below).
#
# ## Why the Inn coefficient changes when M is centred
#
# In the model above the effect of the pilot on a city-year with moderator value m is α₁ + α₃ m. The coefficient
# α₁ alone is that effect **at M = 0**. Whether M = 0 is a meaningful value depends on the moderator's unit: a
# location quotient of 0 (no manufacturing at all) or zero knowledge-service employment lies outside the data.
# Re-centring M at c (using M − c) leaves α₃ unchanged and moves the main effect to α₁ + α₃ c, the effect at M = c;
# dividing by the standard deviation s puts α₃ in units "per SD of M". The table shows all three for Pro.

# %% tags=["hide-input"]
if runnable:
    cen = fit_all(center="mean")
    std = fit_all(center="mean", standardize=True)
    rows = []
    for m in MODERATORS:
        for label, d in (("uncentred (paper)", ours), ("centred at mean", cen), ("centred and standardised", std)):
            r = d[(d["spec"] == f"moderation_{m}") & (d["outcome"] == plot_outcome)].set_index("term")
            share0 = float((panel[m].dropna() <= 0).mean())
            rows.append(dict(moderator=m, version=label, center_value=r.at["Inn", "center_value"],
                             scale_value=r.at["Inn", "scale_value"], Inn=r.at["Inn", "estimate"],
                             Inn_se=r.at["Inn", "std_error"], interaction=r.at[f"Inn:{m}", "estimate"],
                             interaction_se=r.at[f"Inn:{m}", "std_error"], share_M_le_0=share0))
    centring = pd.DataFrame(rows).assign(outcome=plot_outcome, track=track)
    save_table(centring, "centring", NOTEBOOK)
    display(centring.round(3))
    chk = centring.pivot(index="moderator", columns="version", values="Inn")
    inter = centring.pivot(index="moderator", columns="version", values="interaction")
    cval = centring[centring["version"] == "centred at mean"].set_index("moderator")["center_value"]
    gap = float((chk["centred at mean"] - (chk["uncentred (paper)"] + inter["uncentred (paper)"] * cval)).abs().max())
    glue("centring_identity_gap", f"{gap:.1e}", display=False)
    hum_row = centring[(centring["moderator"] == "Hum")].set_index("version")
    glue("hum_inn_uncentred", fmt_num(hum_row.at["uncentred (paper)", "Inn"]), display=False)
    glue("hum_inn_centred", fmt_num(hum_row.at["centred at mean", "Inn"]), display=False)
    glue("share_le0", ", ".join(f"{m} {100 * centring[centring['moderator'] == m]['share_M_le_0'].iloc[0]:.0f}%"
                                for m in MODERATORS), display=False)
else:
    display(Markdown("*Not computed on this track (moderators absent).*"))
    for k in ("centring_identity_gap", "hum_inn_uncentred", "hum_inn_centred", "share_le0"):
        glue(k, "n/a", display=False)

# %% [markdown]
# For Hum and {glue:text}`plot_outcome_name`, the Inn coefficient is {glue:text}`hum_inn_uncentred` with the
# uncentred moderator (the effect at Hum = 0) and {glue:text}`hum_inn_centred` with Hum centred at its mean (the
# effect at the average Hum); the interaction is identical, and α₁(c) = α₁(0) + α₃ c holds to
# {glue:text}`centring_identity_gap`. The share of city-years with M ≤ 0 — i.e. how far M = 0 is from the data — is
# {glue:text}`share_le0`. The paper's Inn coefficients in Tables 5–7 (e.g. {glue:text}`paper_t6_inn_pro` for Pro in
# Table 6 against {glue:text}`paper_t2_inn_pro` in Table 2) are effects at M = 0 and cannot be read as "the effect of the pilot once M is controlled for".
#
# ## What the text's "amplification" percentages can and cannot mean
#
# The text reports eight "amplification effects" in percent (data file `data/paper/text_claims.csv`). Each equals
# 100 × the interaction coefficient of Tables 5–7, e.g. {glue:text}`lab_hum_text_pct` for Inn×Hum on Lab
# (coefficient {glue:text}`lab_hum_coef`). An interaction coefficient is in **index points per unit of M**: one more
# unit of Hum raises the pilot's effect on Lab by {glue:text}`lab_hum_coef` index points. It becomes a percentage only after dividing by something and fixing the unit of M. The table below
# gives, for each claim, the number as printed and two readings that *are* percentages: the interaction as a share of
# the Inn coefficient of the same column (the effect at M = 0) and as a share of the baseline effect (Table 2,
# column with controls). They disagree with each other and with the text. Below it, the same idea on our data with a
# unit fixed: the change in the pilot effect for a **one-standard-deviation** higher M, as a percentage of the
# average pilot effect (our baseline TWFE estimate).

# %% tags=["hide-input"]
claims = amplification_claims()
base = paper[(paper["table"] == 2) & (paper["spec"] == "baseline_controls") & (paper["term"] == "Inn")]
base = base.set_index("outcome")["coef"]
rows = []
for c in claims.itertuples(index=False):
    col = paper[(paper["table"] == c.table) & (paper["outcome"] == c.outcome)].set_index("term")["coef"]
    b3, b1 = col[c.term], col["Inn"]
    rows.append(dict(claim_id=c.claim_id, table=c.table, outcome=c.outcome, term=c.term, text_pct=c.claimed_pct,
                     interaction=b3, pct_of_Inn_at_M0=100 * b3 / b1, pct_of_baseline=100 * b3 / base[c.outcome]))
readings = pd.DataFrame(rows)
save_table(readings, "amplification_readings", NOTEBOOK)
display(readings.round({"interaction": 3, "pct_of_Inn_at_M0": 1, "pct_of_baseline": 1}))
glue("lab_pct_inn", f"{readings.set_index('claim_id').at['amp_hum_lab', 'pct_of_Inn_at_M0']:.1f}%", display=False)
glue("lab_pct_base", f"{readings.set_index('claim_id').at['amp_hum_lab', 'pct_of_baseline']:.1f}%", display=False)
r_lab = readings.set_index("claim_id").loc["amp_hum_lab"]
glue("lab_hum_text_pct", f"{float(r_lab['text_pct']):.1f}%", display=False)
glue("lab_hum_coef", f"{float(r_lab['interaction']):.3f}", display=False)
_inn = paper[(paper["term"] == "Inn") & (paper["outcome"] == "Pro")]
glue("paper_t6_inn_pro", f"{float(_inn[_inn['table'] == 6]['coef'].iloc[0]):.3f}", display=False)
glue("paper_t2_inn_pro", f"{float(base['Pro']):.3f}", display=False)

if runnable:
    att = {y: float(twfe(panel, y, controls=CONTROLS).set_index("term").at["Inn", "estimate"]) for y in OUTCOMES}
    sd_rows = []
    for m, t in MODERATORS.items():
        for y in OUTCOMES:
            r = std[(std["spec"] == f"moderation_{m}") & (std["outcome"] == y)].set_index("term")
            per_sd = r.at[f"Inn:{m}", "estimate"]
            tv = np.nan
            if true_inter is not None:
                tv = float(true_inter[(true_inter["outcome"] == y) & (true_inter["split"] == m)]["value"].iloc[0])
                tv = tv * r.at["Inn", "scale_value"]
            sd_rows.append(dict(moderator=m, outcome=y, sd_of_M=r.at["Inn", "scale_value"], per_sd=per_sd,
                                baseline_effect=att[y], pct_of_baseline_per_sd=100 * per_sd / att[y],
                                truth_per_sd=tv))
    per_sd = pd.DataFrame(sd_rows).assign(track=track)
    save_table(per_sd, "amplification_per_sd", NOTEBOOK)
    display(per_sd.round(3))
    x = per_sd.set_index(["moderator", "outcome"])
    glue("lab_hum_sd_pct", f"{x.at[('Hum', 'Lab'), 'pct_of_baseline_per_sd']:.1f}%", display=False)
else:
    glue("lab_hum_sd_pct", "n/a", display=False)

# %% [markdown]
# For Lab and Hum the printed {glue:text}`lab_hum_text_pct` would be {glue:text}`lab_pct_inn` of the Inn coefficient
# at Hum = 0 or {glue:text}`lab_pct_base` of the baseline effect; neither is the printed number. It can only mean
# "{glue:text}`lab_hum_coef` index points per unit of Hum", and the paper does not state Hum's unit or distribution, so its size cannot be judged. On this
# track a one-SD higher Hum changes the pilot effect on Lab by {glue:text}`lab_hum_sd_pct` of the average effect —
# a statement with a unit. The text's comparisons across moderators (which percentages "differ little", which
# moderator "amplifies most") compare coefficients of moderators measured in different units and are not meaningful without such
# standardisation.
#
# ## The pilot effect across the moderator's range
#
# The marginal-effect curves below show α₁ + α₃ m with 95% confidence bands (delta method, clustered SEs) from the
# 5th to the 95th percentile of each moderator, for the outcome chosen in the parameters. On the semi-synthetic
# track the dashed line is the truth: the true average effect plus the true slope × (m − mean of M among treated
# city-years).

# %% tags=["hide-input"] mystnb={"image": {"alt": "Line chart of the pilot's estimated effect on the index against the value of the moderator, with a shaded 95 percent band and, on the semi-synthetic track, the true relation as a dashed line."}}
if runnable:
    glue("plot_outcome_name", plot_outcome, display=False)
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.6), sharey=True)
    me_all = []
    for ax, m in zip(axes, MODERATORS):
        res = moderation(panel, plot_outcome, m, controls=CONTROLS)          # refit: attrs (vcov) kept
        me = marginal_effects(res)
        me_all.append(me.assign(track=track))
        ax.fill_between(me["moderator_value"], me["conf_low"], me["conf_high"], alpha=0.25, color="C0",
                        label="95% CI")
        ax.plot(me["moderator_value"], me["estimate"], color="C0", label="estimated effect")
        if truth is not None:
            tr = panel["Inn"] == 1
            slope = float(true_inter[(true_inter["outcome"] == plot_outcome) & (true_inter["split"] == m)]["value"]
                          .iloc[0])
            att_true = float(truth[(truth["estimand"] == "att") & (truth["outcome"] == plot_outcome)]["value"].iloc[0])
            ax.plot(me["moderator_value"], att_true + slope * (me["moderator_value"] - panel.loc[tr, m].mean()),
                    "--", color="green", label="truth")
        ax.axhline(0, color="grey", lw=0.8)
        ax.set_xlabel(f"{m} (5th–95th percentile)")
        ax.set_title(f"Moderator {m}")
    axes[0].set_ylabel(f"Effect of the pilot on {plot_outcome}")
    axes[0].legend(loc="best", fontsize=8)
    fig.tight_layout()
    save_table(pd.concat(me_all, ignore_index=True), "marginal_effects", NOTEBOOK)
    plt.show()
else:
    glue("plot_outcome_name", plot_outcome, display=False)
    display(Markdown("*No marginal-effect plot: the moderators are absent on this track.*"))

# %% [markdown]
# *Figure: effect of the innovative-city pilot on the chosen index as a function of the moderator (solid line,
# shaded 95% band), with the true relation on the semi-synthetic track (dashed). The x-axis spans the data, so the
# value at M = 0 — the paper's Inn coefficient — is usually off the left edge.*
#
# ## When Inn×M misleads: a trending moderator
#
# The same regression on a second world of the same seed (`moderation="city_level"`): there the pilot effect
# depends on each city's *average* moderator (a cross-city relation, constant over time), the moderators load on the
# city's development level and enter the untreated outcome. The table shows, per moderator, the estimate, the
# world's truth, what the regression gives when fitted to the true effects alone, and the share of M's variance
# that is within cities.

# %% tags=["hide-input"]
if runnable and track == "semi_synthetic" and data == "semi_synthetic":
    worlds = moderation_worlds({"cell_level": panel, "city_level": load_panel(
        data, seed=seed, scenario=scenario, moderation="city_level")}, outcome=plot_outcome)
    save_table(worlds, "moderation_worlds", NOTEBOOK)
    glue("worlds_sentence", misleads_sentence(worlds), display=False)
    display(worlds.round(3).style.hide(axis="index"))
else:
    glue("worlds_sentence", "The comparison needs the semi-synthetic track.", display=False)

# %% [markdown]
# {glue:text}`worlds_sentence`
#
# ## Reading the result
#
# * The interaction coefficients are unchanged by centring; only the "main effect" of Inn moves, because it is the
#   effect at whatever value of M is called zero.
# * On the semi-synthetic track the interactions are compared with a known truth: {glue:text}`inter_cover`.
# * The regression recovers the moderation only if the effect moves with M_it itself. When it depends on the city's
#   average M instead, the interaction is also identified from within-city changes of M over time, large for a
#   trending moderator such as `Dig`, and can be far from the truth (previous section).
# * Percentages need a unit of M: report effects per SD (or at named percentiles) of the moderator.

# %% tags=["hide-input"]
rerun_box(NOTEBOOK, {"data": data, "seed": seed, "scenario": scenario, "plot_outcome": plot_outcome})
