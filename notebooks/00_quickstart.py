# %% [markdown]
# # How this book works: parameters, tracks, re-running a page
#
# Every chapter of this book is a notebook stored as a plain Python file (`notebooks/NN_topic.py`, jupytext
# "percent" format). The book build executes each one top to bottom; what you read is the output of that
# execution, not text typed by hand.
#
# ```{admonition} Learning goals
# :class: tip
# After this chapter you can
# 1. run a chapter with other parameters (`nqp run notebooks/00_quickstart.py -p seed 7`) and find its run folder:
#    the tables it wrote, the executed notebook and its manifest;
# 2. tell from a page's banner which data track it uses: the {term}`semi-synthetic track`, public (real) data or your
#    own panel;
# 3. say which numbers on a page depend on the seed and which do not.
# ```
#
# ## The parameters cell
#
# The first code cell of every notebook is tagged `parameters`. It declares every choice the page depends on, one
# per line, each with a comment. Two are always present: `data` (which data track to use) and `seed` (the seed of
# every random step, so a re-run gives byte-identical tables). The cell above is this page's parameters cell; the
# table below is what `nqp params notebooks/00_quickstart.py` prints for it, read from the file itself.

# %% tags=["parameters"]
seed = 20260101  # seed of every random step (numpy default_rng)
data = "semi_synthetic"  # data track: "real", "semi_synthetic" (default) or a path to your own panel file

# %% tags=["hide-input"]
from IPython.display import display

from nqp_helpers.display import rerun_box, track_banner
from nqp_helpers.paths import NOTEBOOKS_DIR, results_dir
from nqp_helpers.runner import declared_parameters, format_parameters

display(track_banner(data if data in ("real", "semi_synthetic") else "user"))  # every page names its track

params = declared_parameters(NOTEBOOKS_DIR / "00_quickstart.py")
print(format_parameters(params))

# %% [markdown]
# ## The three data tracks
#
# `data` selects where the city-year panel comes from:
#
# `semi_synthetic` (default)
# : a simulated panel calibrated to the paper's setting, with known true effects. It lets every estimator be
#   checked against the truth; it proves nothing about Chinese cities.
#
# `real`
# : the panel rebuilt from public sources (`nqp data build`). Indicators that public data cannot supply are absent
#   or replaced by documented proxies, never silently simulated.
#
# a file path
# : your own panel with the columns listed in `CONTRIBUTING.md`; it is validated before anything is estimated.
#
# ## Re-running a page with other parameters
#
# ```bash
# nqp params notebooks/00_quickstart.py            # what can be changed
# nqp run notebooks/00_quickstart.py -p seed 7     # execute into runs/<timestamp>-00_quickstart/
# ```
#
# `nqp run` refuses unknown parameter names and values of the wrong type before anything runs. Each run gets a
# fresh folder holding the executed notebook, its tables (`results/`) and a `manifest.json` with the parameters,
# the git commit and the package versions.
#
# ## Tables
#
# Pages write their tables as CSV files to a results folder: `results/<notebook>/` during a book build, the run
# folder during `nqp run`. This page writes a small table of its own effective parameters and a few draws from the
# seeded random generator, so you can check that the same seed gives the same numbers.

# %% tags=["hide-input"]
import numpy as np
import pandas as pd

rng = np.random.default_rng(seed)
table = pd.DataFrame({
    "parameter": list(params),
    "value": [repr(globals()[name]) for name in params],
    "draw": rng.normal(size=len(params)),
})
out = results_dir("00_quickstart") / "quickstart_parameters.csv"
table.to_csv(out, index=False, float_format="%.10g")
print(f"wrote {out.name} ({len(table)} rows)")
table

# %% [markdown]
# ## How to re-run this page
#
# Every chapter ends with a box like the one below: the exact command that re-runs the page with its parameters.

# %% tags=["hide-input"]
rerun_box("00_quickstart", {"seed": seed, "data": data})
