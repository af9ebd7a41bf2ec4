# %% [markdown]
# # Audit of the reported numbers
#
# Before re-estimating anything, the printed tables can be checked against themselves: stars against coefficient and
# standard error, the composite index against its sub-indices, sample sizes against the panel, R² across nested
# models. This page runs every check of `nqp_helpers.audit` on the paper's Tables 2–7 and states each finding with
# its arithmetic; {glue:text}`n_inconsistent` of {glue:text}`n_tested` tested items are inconsistent with the
# model as described.

# %% tags=["parameters"]
data = "semi_synthetic"  # data track (this page audits printed numbers; it reads no panel, so the track does not matter)
seed = 20260101  # seed of every random step (none on this page; kept for a uniform interface)
reported_path = ""  # a table in the reported_results.csv format to audit; "" = the paper's (data/paper/reported_results.csv)
n_clusters = 278  # clusters G used for the t(G-1) reference of the stars check (the paper's 278 cities)
n_years = 20  # years of the balanced panel (N = cities x years)

# %% tags=["hide-input"]
from IPython.display import Markdown, display
from myst_nb import glue
import pandas as pd

from nqp_helpers import audit
from nqp_helpers.display import rerun_box, save_table, track_banner
from nqp_helpers.reported import reported_results

NOTEBOOK = "08_audit"
track = data if data in ("semi_synthetic", "real") else "user"
track_banner(track)

# %% tags=["hide-input"]
table = reported_results(reported_path or None)
is_paper = not reported_path
claims = "paper" if is_paper else None          # the text's percentages belong to the paper's table only
parts = {
    "stars": audit.check_stars(table, n_clusters=n_clusters),
    "linear_aggregation": audit.check_linear_aggregation(table),
    "sample_sizes": audit.check_sample_sizes(table, n_cities=n_clusters, n_years=n_years),
    "r2": audit.check_r2(table),
    "iv_vs_ols": audit.check_iv_vs_ols(table),
    "moderation": audit.check_moderation_main_effects(table, claims=claims),
    "constants": audit.check_constants(table),
    "se": audit.check_se_consistency(table),
}
findings = pd.concat(parts.values(), ignore_index=True)
kind = findings["status"].map({"consistent": "consistent", "boundary": "consistent", "inconsistent": "inconsistent",
                               "info": "informational", "samples differ": "informational"})
summary = (findings.assign(kind=kind).groupby(["check", "kind"]).size().unstack(fill_value=0)
           .reindex(columns=["consistent", "inconsistent", "informational"], fill_value=0).reset_index())
summary["of_which_boundary"] = summary["check"].map(findings[findings["status"] == "boundary"]
                                                    .groupby("check").size()).fillna(0).astype(int)
save_table(findings, "audit_findings", NOTEBOOK)
save_table(summary, "audit_summary", NOTEBOOK)
glue("n_tested", str(int((kind != "informational").sum())), display=False)
glue("n_inconsistent", str(int((kind == "inconsistent").sum())), display=False)
glue("source", "the paper's Tables 2–7" if is_paper else f"`{reported_path}`", display=False)
summary

# %% [markdown]
# *Summary by check: "consistent" includes boundary cases (a star threshold inside the rounding interval);
# "informational" rows state a comparison without a pass/fail rule, or a test that does not apply because the samples
# differ. All findings are saved in `audit_findings.csv` (one row per item, with the arithmetic in `note`).*
#
# Audited table: {glue:text}`source`. The checks are functions with unit tests (`tests/test_audit.py`) that work on
# any table in the `reported_results.csv` format: set the parameter `reported_path` to audit another paper's table.
# Findings are stated neutrally: an inconsistency says the printed numbers cannot all come from the model as
# described, not why (a typo, a different sample or specification than stated, or a different software convention
# are all possible).

# %% tags=["hide-input"]
COLS = ["table", "column", "outcome", "term", "reported", "implied", "difference", "status", "note"]


def one(check, **kw):
    """The single finding of ``check`` matching ``kw`` (or None)."""
    f = findings[findings["check"] == check]
    for k, v in kw.items():
        f = f[f[k] == v]
    return f.iloc[0] if len(f) else None


def g(name, value):
    glue(name, value if isinstance(value, str) else f"{value:.3f}", display=False)


st = parts["stars"]
g("stars_n", str(len(st)))
g("stars_bad", str(int((st["status"] == "inconsistent").sum())))
g("stars_boundary", str(int((st["status"] == "boundary").sum())))
bad = st[st["status"] == "inconsistent"]
g("stars_bad_list", "; ".join(f"Table {r.table} col {r.column} {r.term}" for r in bad.itertuples()) or "none")
st[st["status"] != "consistent"][COLS]

# %% [markdown]
# ## 1. Stars against coefficient / standard error
#
# For each of the {glue:text}`stars_n` printed coefficients, z = coef/SE is referred to the normal and to t with
# G − 1 degrees of freedom (cluster-robust inference with G = 278 cities); because coef and SE are rounded to three
# decimals z is only known to an interval. {glue:text}`stars_boundary` items are boundary cases (the normal and t, or
# the rounding interval, straddle a threshold) and {glue:text}`stars_bad` carry stars that no z in the interval gives:
# {glue:text}`stars_bad_list`. The table above lists every item that is not plainly consistent.

# %% tags=["hide-input"]
la = parts["linear_aggregation"]
r = one("linear_aggregation", table=2, column="2", term="Inn")
if r is not None:
    g("agg_pro", r["reported"])
    g("agg_implied", r["implied"])
    g("agg_gap_pct", f"{(r['reported'] / r['implied'] - 1) * 100:+.0f}%")
else:
    for k in ("agg_pro", "agg_implied", "agg_gap_pct"):
        g(k, "n/a")
lg = la[la["check"] == "linear_aggregation"]
g("agg_bad", f"{int((lg['status'] == 'inconsistent').sum())} of {int(lg['consistent'].notna().sum())}")
la[COLS]

# %% [markdown]
# ## 2. Is Pro's coefficient the weighted sum of the sub-indices' coefficients?
#
# The paper builds Pro = Σ W_d · sub_d with dimension weights W_d = 0.333 (Table 1). Regressions of Pro, Lab, Mea
# and Obj on the same regressors, fixed effects and sample are linear in the outcome, so the Inn coefficient of Pro
# must equal Σ W_d b_d — the mean of the three sub-index coefficients. In Table 2 (with controls) Pro's coefficient
# is {glue:text}`agg_pro`, while the mean of Lab, Mea and Obj (0.726, 0.304, 0.666) is {glue:text}`agg_implied`
# (a gap of {glue:text}`agg_gap_pct`). {glue:text}`agg_bad` same-sample groups fail the identity beyond rounding;
# matched samples (PSM, Table 3) are marked "samples differ" since N varies across the four columns. The last row
# asks whether one rescaling of Pro (e.g. a min–max normalisation after aggregation) could reconcile all slopes.

# %% tags=["hide-input"]
ss = parts["sample_sizes"]
full = ss[ss["check"] == "n_full_panel"]
g("n_full", str(n_clusters * n_years))
g("n_full_ok", f"{int((full['status'] == 'consistent').sum())} of {int(full['consistent'].notna().sum())}")
psm = ss[(ss["check"] == "n_same_across_outcomes") & (ss["status"] == "inconsistent")]
g("psm_note", " ".join(psm["note"]) or "none")
ss[ss["check"] != "n_full_panel"][COLS]

# %% [markdown]
# ## 3. Sample sizes
#
# Full-sample columns should have N = 278 × 20 = {glue:text}`n_full`: {glue:text}`n_full_ok` do. Matching chooses
# the sample on the covariates, not the outcome, so one matching should give one N for all four outcomes; the PSM
# columns do not: {glue:text}`psm_note`

# %% tags=["hide-input"]
r2 = parts["r2"]
nest = r2[r2["check"] == "r2_nested"]
g("r2_bad", f"{int((nest['status'] == 'inconsistent').sum())} of {len(nest)}")
r = one("r2_nested", table=5, outcome="Obj")
g("r2_example", r["note"] if r is not None else "n/a")
nest[COLS]

# %% [markdown]
# ## 4. R² across nested models
#
# Adding regressors to a model estimated on the same observations cannot lower its R². Tables 5–7 add M and Inn×M to
# the Table 2 model with controls; {glue:text}`r2_bad` such comparisons show a lower R² in the larger model, e.g.
# {glue:text}`r2_example` (This holds for overall and within R² alike, provided both tables use the same definition.)

# %% tags=["hide-input"]
iv = parts["iv_vs_ols"]
r = one("iv_vs_ols", table=4, column="1", outcome="Pro")
g("iv_ratio", f"{r['reported'] / r['implied']:.2f}" if r is not None else "n/a")
g("iv_range", f"{(iv['reported'] / iv['implied']).min():.2f}–{(iv['reported'] / iv['implied']).max():.2f}"
  if len(iv) else "n/a")
iv[COLS]

# %% [markdown]
# ## 5. IV against OLS (informational)
#
# The 2SLS estimates of Table 4 are {glue:text}`iv_range` times the OLS estimates of Table 2 (Pro, night-light
# instrument: {glue:text}`iv_ratio`). IV larger than OLS is possible (attenuation, a local effect for compliers), but
# with a plausibly positive selection of more innovative cities into the pilot one would expect OLS to be biased
# upwards; the notes give the gap in IV standard errors.

# %% tags=["hide-input"]
mo = parts["moderation"]
r = one("moderation_main_effect", table=6, outcome="Pro")
g("mod_inn", r["reported"] if r is not None else "n/a")
g("mod_base", r["implied"] if r is not None else "n/a")
amp = mo[mo["check"] == "amplification_text"]
g("amp_n", str(len(amp)))
g("amp_ok", str(int((amp["status"] == "consistent").sum())))
mo[COLS]

# %% [markdown]
# ## 6. Main effects with uncentred moderators, and the text's "amplification" percentages
#
# With an uncentred moderator the Inn coefficient of Tables 5–7 is the pilot's effect at M = 0 (e.g. Table 6, Pro:
# {glue:text}`mod_inn` against {glue:text}`mod_base` in Table 2), not an average effect; the `moderation_implied_level`
# rows give the M at which α₁ + α₃ M would equal the baseline. The text's {glue:text}`amp_n` "amplification effects"
# (read from `data/paper/text_claims.csv`) are each 100 × an interaction coefficient ({glue:text}`amp_ok` match
# exactly). Such a number is in index points per unit of M, not a percentage of anything; the notes give the
# percentages it would correspond to relative to the Inn coefficient or the baseline effect (see the amplification
# chapter).

# %% tags=["hide-input"]
se = parts["se"]
b = se[se["check"] == "se_aggregation_bound"]
g("se_bad", f"{int((b['status'] == 'inconsistent').sum())} of {int(b['consistent'].notna().sum())}")
pd.concat([b[b["status"] != "consistent"], parts["constants"].head(4)])[COLS]

# %% [markdown]
# ## 7. Standard errors across outcomes, and the intercepts
#
# Pro's residual is the W-weighted sum of the sub-indices' residuals, so its cluster-robust SE cannot exceed the
# weighted sum of theirs (triangle inequality): {glue:text}`se_bad` same-sample terms break this bound (listed
# above). The intercepts of fixed-effects models are a normalisation whose value and stars depend on the software;
# they are reported as information only (first rows above; all in `audit_findings.csv`).

# %% tags=["hide-input"]
rerun_box(NOTEBOOK, {"data": data, "seed": seed, "reported_path": reported_path, "n_clusters": n_clusters,
                     "n_years": n_years})
