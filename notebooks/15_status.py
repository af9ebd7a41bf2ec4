# ---
# jupyter:
#   mystnb:
#     execution_mode: force
# ---

# %% [markdown]
# # Replication status
#
# This page is generated in every build from the tables the chapters wrote, on two data tracks. For every exhibit of
# the paper it shows the paper's headline number; the same estimate on **public (real) data**, with its sample size
# and what the public data proxy or lack; and the estimate on the **semi-synthetic** track beside the true effect
# built into those data. Each result gets a verdict that fits its track: on real data, whether our estimate has the
# paper's sign and significance; on semi-synthetic data, whether it recovers the known truth (the semi-synthetic world
# is calibrated to the paper, so agreeing with the paper there proves nothing).
#
# ```{admonition} In short
# :class: nqp-summary
# {glue:text}`summary_paragraph`
# ```
#
# ```{admonition} Learning goals
# :class: tip
# After this chapter you can
# 1. read the status table: each exhibit's headline number in the paper, on public data and on the
#    {term}`semi-synthetic track`;
# 2. read the verdict words: on public data, the paper's sign and significance or not; on semi-synthetic data,
#    whether the known truth is recovered;
# 3. say why agreeing with the paper on the semi-synthetic track proves nothing.
# ```

# %% tags=["parameters"]
data = "semi_synthetic"  # data track of the simulated column: "semi_synthetic" (default) or a path to a panel file
seed = 20260101  # seed of the semi-synthetic panel whose truth is shown (must match the chapters' seed)
results = ""  # folder holding <notebook>/<file>.csv from the chapters; "" = this run's results folder

# %% tags=["hide-input"]
from pathlib import Path

from IPython.display import display
from myst_nb import glue

from nqp_helpers import load_panel, paths, realtrack
from nqp_helpers import status as st
from nqp_helpers.display import rerun_box, save_table, show_table, track_banner

NOTEBOOK = "15_status"
panel = load_panel(data, seed=seed)
track = panel.attrs["track"]
real = load_panel("real")
track_banner(panel)

# %% [markdown]
# ## Every exhibit on both tracks
#
# The build runs the exhibit chapters a second time on the real track (`data="real"`, in parallel with the book; their
# tables are in `results/real/<chapter>/`). Headline numbers: the `Inn` coefficient on `Pro` in the main column of
# Tables 2–4, the interaction `Inn×M` on `Pro` in Tables 5–7; Table 1 (index weights) and Figure 1 (a figure) have
# no single tabulated number. Stars: \*\*\* p < 0.01, \*\* p < 0.05, \* p < 0.10; standard errors in parentheses.
# "Recovers truth": the true effect lies inside our 95 % confidence interval.

# %% tags=["hide-input"]
runs = realtrack.wait()
base = Path(results) if results else paths.results_dir()
verdicts = st.exhibit_verdicts(base, realtrack.real_dir(), real.columns, real.attrs, panel.attrs.get("truth"), runs)
save_table(verdicts, "exhibit_verdicts", NOTEBOOK)
glue("summary_paragraph", st.summary_paragraph(verdicts), display=False)
table = show_table(st.verdict_display(verdicts), collapse=False, caption="Paper, real data and semi-synthetic data, "
                   "exhibit by exhibit", missing_note="— : not estimated on that track (see the verdict for why).")
glue("verdict_table", table, display=False)
display(table)

# %% [markdown]
# ## Every output file of this build
#
# The same comparison output by output for the default-track build, with the folder read and a note on each status.
# An exhibit whose chapter has not run, or failed, is "output missing"; one that needs variables the track lacks is
# "not run on this track".

# %% tags=["hide-input"]
status = st.replication_status(base, track=track, available_columns=panel.columns, truth=panel.attrs.get("truth"))
save_table(status, "replication_status", NOTEBOOK)
save_table(st.status_counts(status), "status_counts", NOTEBOOK)
show_table(status.drop(columns=["track"]), caption=f"Output files in {base.name}/ (track: {track})", collapse=True)

# %% [markdown]
# ## List of tables and programs
#
# The same map as the README's "List of tables and programs" (both come from `nqp_helpers.reported.exhibits()`; a test
# checks that the README agrees).

# %% tags=["hide-input"]
show_table(st.readme_table(), caption="Exhibits, programs and output files", collapse=True)

# %% tags=["hide-input"]
rerun_box(NOTEBOOK, {"data": data, "seed": seed, "results": results})
