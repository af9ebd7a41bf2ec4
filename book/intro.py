# %% tags=["parameters", "remove-cell"]
data = "semi_synthetic"  # unused here (the landing page shows every track); kept for the uniform interface
seed = 20260101  # seed of the semi-synthetic panel whose headline estimate and truth are shown (same as the chapters)

# %% [markdown]
# # Innovative cities and new quality productive forces: an executable replication
#
# This book re-runs, page by page, the empirical analysis of {cite:t}`an2026innovative`: *创新型城市建设赋能新质生产力的理论机制与实践进路*
# (Theoretical mechanisms and practical pathways of innovative city construction empowering new quality productive
# forces), *区域经济评论* (Regional Economic Review), 2026, issue 2. Every number on this page is computed when the
# book is built; none is typed in.
#
# ```{admonition} What this replication concludes
# :class: nqp-summary
# {glue:text}`/notebooks/15_status.py::summary_paragraph:s`
# ```
#
# ```{glue:} verdict_table
# :doc: /notebooks/15_status.py
# ```
#
# Verdicts fit their track: on public data, whether our estimate has the paper's sign and significance; on
# semi-synthetic data, whether it recovers the true effect built into those data. Details and every output file:
# {doc}`/notebooks/15_status`.
#
# ## What the paper claims
#
# China has approved national innovative-city pilots in several batches since 2008. The paper treats the pilots as a
# quasi-natural experiment and estimates, with a staggered ("multi-period") difference-in-differences design on a
# panel of prefecture-level cities from 2004 to 2023, how pilot status changes a composite index of *new quality
# productive forces* (`Pro`) and its three sub-indices: new-quality labourers (`Lab`), means of labour (`Mea`) and
# objects of labour (`Obj`). Its abstract states that
#
# - the pilots raise the index through all three components, with the labourer channel the main one, and that this
#   survives a series of robustness checks (propensity-score matched DiD {cite:p}`rosenbaum1983central` and a
#   shift-share instrument {cite:p}`goldsmithpinkham2020bartik`);
# - agglomeration of human capital, of digital factors and of manufacturing *amplifies* the effect (interaction
#   terms), manufacturing agglomeration for all three components;
# - the effect is larger in cities with stronger innovation capacity, medium population size, higher administrative
#   rank and in old industrial bases.
#
# ## The headline estimate on each track
#
# The paper's headline is the coefficient of the pilot dummy `Inn` on `Pro` with the six controls and city and year
# fixed effects (its Table 2, column 2): {glue:text}`paper_est:.3f` (SE {glue:text}`paper_se:.3f`). The same
# regression, run in this build:

# %% tags=["remove-input"]
import html

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import HTML, Markdown, display
from myst_nb import glue

from nqp_helpers.audit.prose import landing_numbers as audit_landing_numbers
from nqp_helpers.display import fmt_num
from nqp_helpers.landing import headline_table
from nqp_helpers.plotting import COLORS, coef_plot, set_style

set_style()
head = headline_table(seed=seed)
row = head.set_index("source")
LABELS = {"paper": "Paper (Table 2, col. 2)", "semi_synthetic": "Ours, semi-synthetic track",
          "real": "Ours, real track"}
for key, src in (("paper", "paper"), ("semi", "semi_synthetic"), ("real", "real")):
    for col in ("estimate", "std_error", "conf_low", "conf_high", "truth"):
        glue(f"{key}_{col.replace('std_error', 'se').replace('estimate', 'est')}", float(row.loc[src, col]),
             display=False)
    glue(f"{key}_n", int(row.loc[src, "n_obs"]), display=False)
glue("real_note", Markdown(row.loc["real", "note"]), display=False)
semi = row.loc["semi_synthetic"]
if semi.conf_low <= semi.truth <= semi.conf_high:
    verdict = ("Its 95 % interval covers the truth: with the same effect in every cohort and year, two-way fixed "
               "effects recovers it on this draw.")
else:
    verdict = (f"Its 95 % interval misses the truth by {fmt_num(abs(semi.estimate - semi.truth))} index points: "
               "even with a known, constant effect, two-way fixed effects is off on this draw.")
glue("semi_verdict", Markdown(verdict), display=False)


def _ci(r):
    return "–" if np.isnan(r.conf_low) else f"[{fmt_num(r.conf_low)}, {fmt_num(r.conf_high)}]"


rows = []
for r in head.itertuples():
    cities = "" if pd.isna(r.n_clusters) else f", {int(r.n_clusters)} cities"
    ci = "" if np.isnan(r.conf_low) else f"<br><small>95 % CI {_ci(r)}</small>"
    rows.append({"": LABELS.get(r.source, r.source),
                 "<code>Inn</code> on <code>Pro</code> (SE)": f"<b>{fmt_num(r.estimate)}</b>{r.stars} "
                                                              f"({fmt_num(r.std_error)}){ci}",
                 "true effect": fmt_num(r.truth) or "— (unknown)", "sample": f"N = {r.n_obs}{cities}, {r.years}",
                 "note": html.escape(r.note)})
display(HTML(pd.DataFrame(rows).to_html(index=False, escape=False, classes="nqp-headline", border=0)))

# %% [markdown]
# Stars: \*\*\* p < 0.01, \*\* p < 0.05, \* p < 0.10; standard errors clustered by city (the paper: "robust").
#
# - **Semi-synthetic track** (the default of every chapter): {glue:text}`semi_est:.3f` against a true effect of
#   {glue:text}`semi_truth:.3f`. The indicators are simulated around real cities, years and pilot dates, with effects
#   set to the paper's sub-index estimates, so the truth is known. {glue:md}`semi_verdict`
#   {doc}`/notebooks/03_t2_baseline` compares estimate and truth for every outcome and splits any gap into a trend part
#   and a weighting part. This row says nothing about Chinese cities.
# - **Real track**: {glue:text}`real_est:.3f` (95 % CI {glue:text}`real_conf_low:.3f` to
#   {glue:text}`real_conf_high:.3f`, N = {glue:text}`real_n`). *Caveat*: {glue:md}`real_note`; several controls end
#   early, so the sample is much smaller than the paper's {glue:text}`paper_n`. It is an estimate on public data
#   that only partly measure the paper's index, not a test of the paper.

# %% tags=["remove-input"]
ours = head[head["source"] != "paper"].assign(label=lambda d: d["source"].map(LABELS)).reset_index(drop=True)
p_est, p_se = float(row.loc["paper", "estimate"]), float(row.loc["paper", "std_error"])
fig = coef_plot(ours, label="label", paper={lab: p_est for lab in ours["label"]}, truth="truth",
                xlabel="Coefficient of Inn on Pro (index points, 0–10 scale)")
fig.set_size_inches(7, 2.4)
ax = fig.axes[0]
ax.axvspan(p_est - 1.96 * p_se, p_est + 1.96 * p_se, color=COLORS["paper"], alpha=0.08, lw=0,
           label="paper's 95% CI")
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.42), ncol=4, fontsize=9)
fig.tight_layout()
glue("fig_headline", fig, display=False)
plt.close(fig)

# %% [markdown]
# ```{glue:figure} fig_headline
# :alt: Two rows (semi-synthetic track, real track), each a blue dot with a horizontal 95 percent confidence interval; a red diamond on each row and a light red band mark the paper's estimate and interval; a green cross marks the true effect on the semi-synthetic row; a dashed line marks zero.
# :name: fig-headline
#
# Our headline coefficient on each track with its 95 % confidence interval (blue), the paper's estimate (red diamond;
# its 95 % interval, estimate ± 1.96 × its reported SE, shaded) and, on the semi-synthetic track, the true effect
# (green cross).
# ```
#
# ## Replication status
#
# {doc}`/notebooks/15_status` lists every exhibit with the paper's number, ours, the truth where known and a status
# word, from the tables the chapters write in this build. Independently of any data, {doc}`/notebooks/09_audit`
# checks the paper's printed numbers against each other (stars against t-ratios, `Pro` against its sub-indices,
# sample sizes, R², constants, standard errors), allowing every number its rounding. Counted as independent problems,
# it has {glue:text}`audit_findings`. Each comes with the premise under which the numbers are inconsistent, its
# evidence and what could explain it innocently.

# %% tags=["remove-input"]
for k, v in audit_landing_numbers().items():
    glue(k, v, display=False)

# %% [markdown]
# ## Three data tracks
#
# Every chapter has a `data` parameter, and each page starts with a banner saying which track produced it:
#
# `semi_synthetic` (the default)
# : a simulated city-year panel calibrated to the paper's setting (pilot timing, panel size, plausible magnitudes) with
#   *known* true effects. It shows whether each estimator recovers the truth under staggered adoption. It proves
#   nothing about Chinese cities.
#
# `real`
# : the panel rebuilt from public sources (city statistics, pilot approval lists, night-time lights
#   {cite:p}`chen2021extended`, and other documented inputs). Several of the paper's eighteen indicators have no public
#   source; those are absent or replaced by documented proxies, never silently simulated.
#
# your own panel
# : a path to a CSV or Parquet file with the columns described in `CONTRIBUTING.md`. It is validated first, and every
#   problem is reported with its column and (city, year).
#
# ## What this book does
#
# Each chapter is a notebook that rebuilds one exhibit: the index (Table 1), the baseline two-way fixed-effects
# regression, PSM-DID, the instrumental-variable estimates, the amplification (moderation) tests and the subgroup
# heterogeneity. It then goes beyond the paper with the estimators and diagnostics of the recent
# difference-in-differences literature {cite:p}`roth2023trending`: decompositions of the two-way fixed-effects
# estimate under staggered adoption {cite:p}`goodmanbacon2021difference,dechaisemartin2020twoway`,
# heterogeneity-robust estimators {cite:p}`callaway2021difference,sun2021estimating,borusyak2024revisiting`,
# sensitivity to violations of parallel trends {cite:p}`rambachan2023more`, few-cluster and weak-instrument inference
# {cite:p}`cameron2008bootstrap,roodman2019fast,kleibergen2006generalized,anderson1949estimation`, and a
# specification curve over the choices the paper fixed {cite:p}`simonsohn2020specification,huntingtonklein2021influence`.
#
# ## A reading path for teachers
#
# ```{include} teaching_path.md
# :start-line: 2
# ```
#
# ## How to build and re-run
#
# ```bash
# make book                                          # creates .venv from requirements-lock.txt, then builds _build/html (warnings are errors)
# make test                                          # the book, then the whole test suite (including a browser check)
# .venv/bin/nqp params notebooks/00_quickstart.py    # the parameters of a page
# .venv/bin/nqp run notebooks/00_quickstart.py -p seed 7   # re-run a page into runs/<timestamp>-00_quickstart/
# ```
#
# A book build executes every notebook (results are cached, so an unchanged page is not re-run) and fails if any cell
# fails or Sphinx warns. {doc}`/notebooks/00_quickstart` explains the parameters cell, the data tracks and the run
# folders. The full list of works cited is on the {doc}`references` page.
#
# ## How to cite
#
# ```{admonition} How to cite
# :class: tip
# Cite this replication as *nqp-replication contributors (2026), "Innovative cities and new quality productive
# forces: an executable replication", version 0.1.0* (machine-readable: `CITATION.cff` in the repository), and cite
# the paper it replicates, {cite:t}`an2026innovative`, for its numbers. Each chapter ends with links to download its
# source (`.py`), the executed notebook (`.ipynb`) and the tables it wrote (CSV, full precision).
# ```
