# %% [markdown]
# # The data: cities, pilots, sources and coverage
#
# This chapter describes the city-year panel every later chapter uses: which cities and pilots it holds, where each
# variable comes from and under which licence, how complete it is, and how it compares with the paper's sample.
# All numbers in the text are computed from the panel selected by the parameters above, so they change when you
# re-run the page with other parameters.
#
# ```{admonition} Learning goals
# :class: tip
# After this chapter you can
# 1. read the treatment coding: each pilot city's {term}`cohort` (its approval year) and the {term}`never-treated`
#    cities;
# 2. name the judgement calls behind that coding (range-dated approvals, district and county pilots) and the
#    parameters that change them;
# 3. say where each variable comes from, how complete it is, and how this panel differs from the paper's sample.
# ```

# %% tags=["parameters"]
data = "semi_synthetic"  # data track: "real", "semi_synthetic" (default) or a path to your own panel file
seed = 20260101  # seed of every random step (semi-synthetic generator)
pilot_years = "default"  # approval year of range-dated pilots: "default" (midpoint, rounded down), "earliest", "latest"
district_pilots = "ignore"  # district/county pilots: "ignore" (default), "treat_parent" or "drop_parent"

# %% tags=["hide-input"]
from IPython.display import Markdown

from nqp_helpers.chapters.glue import glue_all
from nqp_helpers.data import describe
from nqp_helpers.data.load import load_panel
from nqp_helpers.data.real_panel import provenance_table
from nqp_helpers.display import rerun_box, save_table, track_banner
from nqp_helpers.plotting import glue_figure, set_style

NB = "01_data"
set_style()
panel = load_panel(data, seed=seed, pilot_years=pilot_years, district_pilots=district_pilots)
track = panel.attrs.get("track", "user")
track_banner(panel)

# %% [markdown]
# ## Sources and licences
#
# The real-data track is built from public sources only (`nqp data build`, deterministic; raw copies and their
# provenance notes in `data/raw/`). The semi-synthetic track keeps the real cities, pilot timing and controls of this
# build and simulates everything else. `mean_coverage` is the average share of city-years with a value, over the
# variables built from the source.

# %% tags=["hide-input"]
prov = provenance_table()
save_table(prov, "provenance", NB)
prov[["source", "licence", "years", "mean_coverage", "used_for"]]

# %% [markdown]
# ## The sample
#
# The panel in use holds {glue:text}`n_cities` cities observed {glue:text}`year_min`–{glue:text}`year_max`
# ({glue:text}`n_obs` city-years): {glue:text}`n_pilots` pilot cities and {glue:text}`n_never` never-treated cities.
# The paper reports 278 cities, 97 pilots and 181 non-pilots; its regressions have n = {glue:text}`paper_n_obs`,
# i.e. {glue:text}`paper_n_cities` cities × 20 years. The differences have two sources. First, the pilots: our list
# names the prefecture-level pilots that public documents identify; the paper's 97 include four cities of the 2022
# batch that we could not identify, so they sit among our never-treated cities and slightly contaminate the control
# group. Second, the cities: we keep every city that is a prefecture-level city under one code in all twenty years
# and has GDP and population in at least 14 of them; the paper presumably drops a few more cities for data gaps
# without saying which.

# %% tags=["hide-input"]
counts, paper = describe.sample_counts(panel), describe.paper_counts()
glue_all(counts)
glue_all(paper, prefix="paper_")
comparison = describe.sample_comparison(panel)
save_table(comparison, "sample_vs_paper", NB)
comparison

# %% [markdown]
# Pilot units of the official list that are not treated cities of this panel, and why (district and county pilots
# follow the `district_pilots` option):

# %% tags=["hide-input"]
missing_pilots = describe.pilots_not_in_sample(panel)
glue_all({"n_pilots_out": len(missing_pilots)})
save_table(missing_pilots, "pilots_not_in_sample", NB)
missing_pilots

# %% [markdown]
# ## The rollout
#
# National innovative-city pilots were approved in seven batches between 2008 and 2022. Some approval years are only
# known as a range (for example "2010–2013"); the `pilot_years` option decides which year such a pilot gets
# (hatched in the chart). In this panel {glue:text}`n_uncertain` of the {glue:text}`n_pilots` pilots have an
# uncertain year.

# %% tags=["hide-input"]
rollout = describe.rollout_table(panel)
glue_all({"n_uncertain": int(rollout["n_year_uncertain"].sum())})
save_table(rollout, "rollout", NB)
glue_figure("fig_rollout", describe.rollout_chart(panel))
rollout

# %% [markdown]
# ```{glue:figure} fig_rollout
# :alt: Bar chart of the number of pilot cities by approval year, 2008 to 2022; most pilots were approved in 2010, 2011, 2018 and 2022; the hatched part of the 2011 bar shows that most 2011 approval years are uncertain.
# :name: fig-rollout
#
# Pilot cities of the sample by approval year (`first_treat`) and batch. Hatched: approval year known only as a
# range and set by the `pilot_years` option.
# ```
#
# ## Where the pilots are
#
# {glue:text}`east_pilots:.0%` of the pilot cities lie in the eastern region, against {glue:text}`east_never:.0%` of
# the never-treated cities. {glue:text}`map_found` of {glue:text}`n_cities` sample cities were found in the map's
# boundary file ({glue:text}`map_rate:.0%`).

# %% tags=["hide-input"]
fig_map, geography = describe.pilot_geography(panel)
glue_all(geography)
glue_figure("fig_map", fig_map, tight=False)  # the map sets its own margins
Markdown(fig_map.caption)

# %% [markdown]
# ```{glue:figure} fig_map
# :alt: Map of China's prefecture-level cities; pilot cities coloured by approval year are concentrated in the east and along the Yangtze; never-treated cities grey; autonomous prefectures and other units outside the sample hatched, mostly in the west.
# :name: fig-map
#
# Sample cities by pilot approval year; grey never treated, hatched outside the sample; province borders in dark
# grey. Boundaries: CTAmap 1.30 (2000–2024), Rui Cheng / 锐多宝, simplified 2024 snapshot; non-commercial use
# only, no warranty of boundary accuracy. South China Sea islands not shown.
# ```
#
# ## Coverage of the variables
#
# Share of cities with a non-missing value, by variable and year (numbers printed where coverage is below 100 %).
# On the real track, WD-GPI variables (`Fix`, `lab_productivity`, `obj_waste_gas_intensity`) exist only for
# 2006–2018, `Gov` only to 2016, and `Ope` thins out after 2020; variables absent from the panel are not shown. The
# semi-synthetic track fills gaps by construction (its heatmap would be one solid block), so on that track the
# heatmap shows the coverage of the **real public data** it is built around, which is what limits every real-data
# estimate.

# %% tags=["hide-input"]
cov_panel = load_panel("real", pilot_years=pilot_years, district_pilots=district_pilots) \
    if track == "semi_synthetic" else panel
coverage = describe.coverage_by_year(cov_panel)
glue_all(describe.coverage_numbers(coverage, track))
save_table(coverage.reset_index(), "coverage_by_year", NB)
glue_figure("fig_coverage", describe.coverage_heatmap(coverage))

# %% [markdown]
# ```{glue:figure} fig_coverage
# :alt: Heatmap of the share of non-missing values for each variable (rows) and year 2004 to 2023 (columns); dark blue means complete coverage, white means missing.
# :name: fig-coverage
#
# Coverage of {glue:text}`coverage_of`, share of cities with a value (`Ope` in 2023: {glue:text}`ope_2023`).
# ```
#
# ## Descriptive statistics
#
# Mean, standard deviation, minimum, maximum and number of non-missing city-years of the outcome indices, the six
# controls, the moderators, the instrument ingredients and the index indicators that public data supply. Columns the
# track cannot supply are absent, not simulated.

# %% tags=["hide-input"]
stats = describe.describe_panel(panel)
save_table(stats, "descriptive_statistics", NB)
stats.round(3)

# %% [markdown]
# ## What this track can and cannot show

# %% tags=["hide-input"]
Markdown(f"**{track.replace('_', '-')} track.** " + describe.track_scope(track))

# %% [markdown]
# ## How the approval-year option changes the treatment
#
# {glue:text}`n_uncertain_real` pilots have an approval year known only as a range. The table counts cities by
# `first_treat` under each `pilot_years` coding (real roster, `district_pilots` as set above; the semi-synthetic track
# uses the same timing). Under `earliest` most range-dated pilots move to 2010; under `latest` they move to 2013,
# which shifts them from the early to the later cohorts and changes both the event-time composition and which
# comparisons a two-way fixed-effects regression makes. Chapters that estimate effects can be re-run with
# `-p pilot_years earliest` or `latest` to see how much the estimates move.

# %% tags=["hide-input"]
py = describe.pilot_years_table(district_pilots)
glue_all({"n_uncertain_real": describe.n_uncertain_pilots(district_pilots)})
save_table(py, "first_treat_by_pilot_years", NB)
py

# %% tags=["hide-input"]
rerun_box(NB, {"data": data, "seed": seed, "pilot_years": pilot_years, "district_pilots": district_pilots})
