# ---
# jupyter:
#   mystnb:
#     execution_mode: force
# ---

# %% [markdown]
# # Reproducibility report
#
# This page is generated at the end of every build, after all the other pages have run (it is re-executed in every
# build, never taken from the execution cache). It records the machine and software that produced the numbers on this
# site, how long each page took to execute, a fingerprint of every result file, the seeds, and whether the paper's
# exhibits agree with the committed reference tables.
#
# Two rules govern what "reproducible" means here (README, *Controlled randomness*):
#
# - **on one machine**, the same seed and parameters give byte-identical result tables, so the sha256 fingerprints
#   below come out the same on every rebuild;
# - **across machines**, the numbers agree within a relative tolerance of {glue:text}`table_rel_tol` (the tables
#   carry 10 significant digits). numpy picks vector instructions (SIMD) and BLAS kernels to suit the CPU, so the
#   last bits of a float, and with them the fingerprints, may differ on another computer. `nqp verify` compares
#   numbers, not bytes.

# %% tags=["parameters"]
data = "semi_synthetic"  # track whose reference the results are checked against: "semi_synthetic" or "real"
seed = 20260101  # unused here (the seeds table lists what each chapter declares); kept for the uniform interface
results = ""  # folder holding <notebook>/<file>.csv from the chapters; "" = this run's results folder

# %% tags=["hide-input"]
from pathlib import Path

from IPython.display import Markdown, display
from myst_nb import glue

from nqp_helpers import paths, repro_report, verify
from nqp_helpers.display import rerun_box, show_table, track_banner

NOTEBOOK = "90_reproducibility"
display(track_banner(data if data in verify.TRACK_RESULTS else "user"))
base = Path(results) if results else paths.results_dir()
glue("table_rel_tol", f"{verify.TABLE_REL_TOL:g}", display=False)
display(Markdown(f"Results folder: `{base.name}/` · track checked: **{data}**"))

# %% [markdown]
# ## Machine and software
#
# The hardware this build ran on, the operating system, Python, the BLAS library numpy calls, and the installed
# version of every package pinned in `pyproject.toml` (the full lock is `requirements-lock.txt`).

# %% tags=["hide-input"]
repro_report.styled(repro_report.environment_table())

# %% [markdown]
# ## Execution time of each page
#
# From the book's execution cache (`_build/.jupyter_cache`): when each page was last executed and how many seconds
# it took. A page whose code and inputs did not change since an earlier build keeps that earlier time. The status page
# and this report run in every build outside the cache, so they are not listed.
# {glue:text}`n_timed` pages, {glue:text}`total_seconds` seconds in all.

# %% tags=["hide-input"]
times = repro_report.execution_times()
glue("n_timed", str(len(times)), display=False)
glue("total_seconds", f"{times['Seconds'].sum():.0f}", display=False)
repro_report.styled(times)

# %% [markdown]
# ## Result files
#
# Every file the chapters wrote to the results folder: its number of data rows (for tables) and its sha256, which
# identifies the exact bytes on this machine. {glue:text}`n_files` files.

# %% tags=["hide-input"]
files = repro_report.output_files(base)
glue("n_files", str(len(files)), display=False)
show_table(files, caption="Result files with their row counts and sha256", collapse=True)

# %% [markdown]
# ## Seeds
#
# Every seed parameter the chapters declare, with the value this build used (their defaults). Re-running a chapter
# with another seed: `nqp run notebooks/NN_topic.py -p seed 7`.

# %% tags=["hide-input"]
repro_report.styled(repro_report.seeds_used())

# %% [markdown]
# ## Agreement with the reference (`nqp verify`)
#
# The tables of the paper's exhibits in this build, compared cell by cell with the reference set committed in
# `data/reference/<track>/`, within the cross-machine tolerance. This is the check a replicator runs on their own
# machine: `nqp verify` (exit status 0 when every exhibit matches). {glue:text}`verify_verdict`

# %% tags=["hide-input"]
checked = verify.verify(data, base) if data in verify.TRACK_RESULTS else []
glue("verify_verdict", verify.verdict(checked), display=False)
repro_report.styled(verify.results_table(checked))

# %% [markdown]
# *"match": every cell equal within the tolerance; "differs": the cells that are not (largest absolute and relative
# difference); "missing": a reference table this build did not write; "not produced": an exhibit this track cannot
# run, absent from the reference too. "—": no difference to report.*

# %% tags=["hide-input"]
rerun_box(NOTEBOOK, {"data": data, "seed": seed, "results": results})
