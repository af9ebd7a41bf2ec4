# %% [markdown]
# # Replication status
#
# This page is generated from the tables the chapters wrote in this build: for every exhibit of the paper, the
# notebook that re-makes it, its output file, the paper's headline number, ours, the difference, the truth where it
# is known, and a status word. Of {glue:text}`n_outputs` outputs, {glue:text}`n_reproduced` reproduce the paper's
# headline in sign and significance on this track and {glue:text}`n_missing` are missing.

# %% tags=["parameters"]
data = "semi_synthetic"  # data track the status describes: "semi_synthetic" (default), "real" or a path to a panel file
seed = 20260101  # seed of the semi-synthetic panel whose truth is shown (must match the chapters' seed)
results = ""  # folder holding <notebook>/<file>.csv from the chapters; "" = this run's results folder

# %% tags=["hide-input"]
from pathlib import Path

from IPython.display import Markdown, display
from myst_nb import glue

from nqp_helpers import load_panel, paths
from nqp_helpers.display import rerun_box, save_table, track_banner
from nqp_helpers.status import STATUS_WORDS, readme_table, replication_status, status_counts

NOTEBOOK = "13_status"
panel = load_panel(data, seed=seed)
track = panel.attrs["track"]
track_banner(panel)

# %% [markdown]
# The book executes the chapters in table-of-contents order and this page last, so the folder read below holds the
# outputs of this build (or of the run folder given as `results`). An exhibit whose chapter has not run, or failed,
# is listed as "output missing"; an exhibit that needs variables this track lacks is "not run on this track" (stale
# files from another track are ignored).

# %% tags=["hide-input"]
base = Path(results) if results else paths.results_dir()
status = replication_status(base, track=track, available_columns=panel.columns, truth=panel.attrs.get("truth"))
counts = status_counts(status)
save_table(status, "replication_status", NOTEBOOK)
save_table(counts, "status_counts", NOTEBOOK)
glue("n_outputs", str(len(status)), display=False)
glue("n_reproduced", str(int((status["status"] == STATUS_WORDS[0]).sum())), display=False)
glue("n_missing", str(int((status["status"] == "output missing").sum())), display=False)
display(Markdown(f"Results folder read: `{base.name}/` · track: **{track}**"))
status.round(3)

# %% [markdown]
# *Headline numbers: the Inn coefficient on Pro in the main column of Tables 2–4, the interaction Inn×M on Pro in
# Tables 5–7; Table 1 (index weights) and Figure 1 (a figure) have no single tabulated number. "Reproduced in sign and
# significance" compares signs and whether each is significant at 10%; the `note` column says how a "differs" row
# differs. On the semi-synthetic track "truth" is the true effect built into the simulated data — the paper's number
# is not evidence about it, and ours should be judged against the truth, not against the paper.*

# %% tags=["hide-input"]
counts

# %% [markdown]
# ## List of tables and programs
#
# The same map as the README's "List of tables and programs" (both come from `nqp_helpers.reported.exhibits()`; a test
# checks that the README agrees).

# %% tags=["hide-input"]
readme_table()

# %% tags=["hide-input"]
rerun_box(NOTEBOOK, {"data": data, "seed": seed, "results": results})
