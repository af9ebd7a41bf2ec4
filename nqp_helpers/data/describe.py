"""Descriptive helpers for the data chapter (``notebooks/01_data.py``): sample counts, rollout, coverage, summary
statistics, pilot-year sensitivity and what each track can show.

Every function takes the panel in use (any track) and returns a DataFrame, a dict or a Figure; nothing here reads the
semi-synthetic truth.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..errors import NQPInputError
from ..paths import PROCESSED_DIR
from ..reported import reported_results
from ..variables import CONTROLS, INSTRUMENTS, MODERATORS, OUTCOMES
from .treatment import DEFAULT_DISTRICT_PILOTS

YEARS_IN_PANEL = 20  # 2004-2023
# The paper's sample (An, Huang & Li 2026, section on data): 278 cities = 97 pilots + 181 non-pilots, 2004-2023.
PAPER_PILOTS, PAPER_NEVER = 97, 181
VARIABLE_GROUPS = {
    "outcome": list(OUTCOMES),
    "control": list(CONTROLS),
    "moderator": list(MODERATORS),
    "IV": ["ntl_base", "laozihao", "rd_intensity_lag", *INSTRUMENTS],
    "indicator (real)": ["lab_productivity", "obj_co2_intensity", "obj_waste_gas_intensity"],
}
BATCH_YEARS = {2008: 1, 2010: 2, 2011: 3, 2012: 4, 2013: 5, 2018: 6, 2022: 7}


def _need(df: pd.DataFrame, cols, who: str):
    miss = [c for c in cols if c not in df.columns]
    if miss:
        raise NQPInputError(f"{who}: column(s) {miss} missing from the panel")


def city_table(panel: pd.DataFrame) -> pd.DataFrame:
    """One row per city: ``city_code, first_treat`` (0 = never) and ``year_uncertain`` (False if unknown)."""
    _need(panel, ["city_code", "first_treat"], "city_table")
    df = panel.assign(first_treat=pd.to_numeric(panel["first_treat"], errors="coerce").fillna(0).astype(int))
    unc = df["pilot_year_uncertain"] if "pilot_year_uncertain" in df.columns else pd.Series(False, index=df.index)
    df = df.assign(year_uncertain=unc.fillna(False).astype(bool))
    return df.groupby("city_code", as_index=False).agg(
        first_treat=("first_treat", "max"), year_uncertain=("year_uncertain", "max")
    )


def sample_counts(panel: pd.DataFrame) -> dict:
    """N cities, N pilots (``first_treat > 0``), N never treated, N city-years and the year span of ``panel``."""
    c = city_table(panel)
    return {
        "n_cities": int(len(c)),
        "n_pilots": int((c["first_treat"] > 0).sum()),
        "n_never": int((c["first_treat"] == 0).sum()),
        "n_obs": int(len(panel)),
        "year_min": int(panel["year"].min()),
        "year_max": int(panel["year"].max()),
    }


def paper_counts() -> dict:
    """The paper's sample: N obs from ``data/paper/reported_results.csv`` (its modal n), N cities = n / 20."""
    n = int(pd.to_numeric(reported_results()["n"], errors="coerce").mode().iloc[0])
    return {"n_obs": n, "n_cities": n // YEARS_IN_PANEL, "n_pilots": PAPER_PILOTS, "n_never": PAPER_NEVER}


def sample_comparison(panel: pd.DataFrame) -> pd.DataFrame:
    """Ours vs the paper: cities, pilots, never treated, city-years."""
    ours, paper = sample_counts(panel), paper_counts()
    rows = [("cities", "n_cities"), ("pilot cities", "n_pilots"), ("never treated", "n_never"), ("city-years", "n_obs")]
    return pd.DataFrame(
        [{"quantity": q, "ours": ours[k], "paper": paper[k], "difference": ours[k] - paper[k]} for q, k in rows]
    )


def pilots_not_in_sample(panel: pd.DataFrame, processed_dir=PROCESSED_DIR) -> pd.DataFrame:
    """Pilot units of ``facts/pilot_cities.csv`` that are not a treated city of ``panel``, with the reason.

    A district/county pilot whose parent is treated in ``panel`` (``district_pilots="treat_parent"``) is not listed;
    one whose parent is absent from ``panel`` (``"drop_parent"``) says so.
    """
    p = pd.read_csv(processed_dir / "pilots.csv")
    c = city_table(panel).set_index("city_code")["first_treat"]
    code = pd.to_numeric(p["city_code"], errors="coerce")
    treated = code.map(c).fillna(0) > 0
    in_panel = code.isin(c.index)
    reason = p["exclusion_reason"].fillna("")
    dist = p["is_district_or_county"] == 1
    reason = reason.mask(
        dist & ~in_panel & code.notna() & p["in_roster"].astype(bool),
        "district pilot: parent dropped from the sample (district_pilots='drop_parent')",
    )
    reason = reason.mask(
        dist & code.notna() & ~p["in_roster"].astype(bool),
        "county-level pilot whose parent ("
        + p["parent_zh"].astype(str)
        + ") is not a prefecture-level city of the roster",
    )
    reason = reason.mask(
        ~treated & (reason == "") & p["in_roster"].astype(bool),
        "city not in the panel in use (dropped by an option, e.g. drop_uncertain, or a user panel)",
    )
    keep = ~(treated & (p["is_district_or_county"] == 1) | treated & (reason == "")) & (reason != "")
    out = p.assign(exclusion_reason=reason)[keep]
    return (
        out[["pilot_zh", "pilot_en", "parent_zh", "batch", "first_treat_default", "exclusion_reason"]]
        .rename(columns={"first_treat_default": "approval_year"})
        .reset_index(drop=True)
    )


def region_shares(panel: pd.DataFrame) -> pd.DataFrame:
    """Share of pilot and of never-treated cities in each region (columns ``pilots``, ``never_treated``)."""
    _need(panel, ["region"], "region_shares")
    c = city_table(panel).merge(panel.groupby("city_code", as_index=False)["region"].first(), on="city_code")
    grp = np.where(c["first_treat"] > 0, "pilots", "never_treated")
    return pd.crosstab(c["region"], grp, normalize="columns").reindex(columns=["pilots", "never_treated"])


def geography_numbers(panel: pd.DataFrame, map_rate: float) -> dict:
    """What the map paragraph quotes: ``map_rate`` (share of sample cities found in the map's boundary file),
    ``map_found`` (that many cities) and the eastern-region shares ``east_pilots`` and ``east_never``."""
    regions = region_shares(panel)
    return {
        "map_rate": map_rate,
        "map_found": int(round(map_rate * sample_counts(panel)["n_cities"])),
        "east_pilots": float(regions.loc["east", "pilots"]),
        "east_never": float(regions.loc["east", "never_treated"]),
    }


def pilot_geography(panel: pd.DataFrame):
    """The pilot map of ``panel``'s cities (:func:`nqp_helpers.maps.pilot_map`, caption in ``fig.caption``) and its
    :func:`geography_numbers`."""
    from ..maps import match_rate, pilot_map

    rate, _ = match_rate(panel["city_code"].unique())
    return pilot_map(panel), geography_numbers(panel, rate)


def rollout_table(panel: pd.DataFrame) -> pd.DataFrame:
    """Pilot cities by approval year: batch, N cities, of which with an uncertain (range) year."""
    c = city_table(panel)
    c = c[c["first_treat"] > 0]
    t = c.groupby("first_treat").agg(n_cities=("city_code", "size"), n_year_uncertain=("year_uncertain", "sum"))
    t = t.reset_index().rename(columns={"first_treat": "approval_year"})
    t.insert(1, "batch", t["approval_year"].map(BATCH_YEARS).astype("Int64"))
    t["cumulative"] = t["n_cities"].cumsum()
    return t.astype({"n_year_uncertain": int})


def rollout_chart(panel: pd.DataFrame, ax=None):
    """Bar chart of pilot cities by approval year; hatched part = approval year only known as a range."""
    t = rollout_table(panel)
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(7, 3.6))
    sure = t["n_cities"] - t["n_year_uncertain"]
    ax.bar(t["approval_year"], sure, color="#1f4e79", label="year known")
    ax.bar(
        t["approval_year"],
        t["n_year_uncertain"],
        bottom=sure,
        color="white",
        edgecolor="#1f4e79",
        hatch="///",
        label="year uncertain (range; coded by pilot_years)",
    )
    for _, r in t.iterrows():
        lab = f"{r['n_cities']}" + (f"\nbatch {r['batch']}" if pd.notna(r["batch"]) else "")
        ax.text(r["approval_year"], r["n_cities"] + 0.5, lab, ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(2008, 2023, 2))
    ax.set_xlim(2006.5, 2023.5)
    ax.set_ylim(0, t["n_cities"].max() * 1.3 + 1 if len(t) else 1)
    ax.set_xlabel("Approval year (first_treat)")
    ax.set_ylabel("Pilot cities in the sample")
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    return fig


def variables_present(panel: pd.DataFrame) -> dict:
    """``VARIABLE_GROUPS`` restricted to the columns of ``panel`` (absent columns are never simulated here)."""
    return {g: [c for c in cols if c in panel.columns] for g, cols in VARIABLE_GROUPS.items()}


def coverage_by_year(panel: pd.DataFrame, cols=None) -> pd.DataFrame:
    """Share of cities with a non-missing value, variable (rows) × year (columns)."""
    if cols is None:
        cols = [c for g in variables_present(panel).values() for c in g]
    cols = [c for c in cols if c in panel.columns]
    if not cols:
        raise NQPInputError("coverage_by_year: none of the requested variables is in the panel")
    cov = panel.groupby("year")[cols].apply(lambda g: g.notna().mean()).T
    cov.columns = [int(c) for c in cov.columns]
    cov.index.name = "variable"
    return cov


def coverage_heatmap(cov: pd.DataFrame, ax=None):
    """Heatmap of ``coverage_by_year`` (0 = white, 1 = dark blue), with the share printed where it is below 1."""
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(9, 0.32 * len(cov) + 1.4))
    im = ax.imshow(cov.to_numpy(dtype=float), aspect="auto", cmap="Blues", vmin=0, vmax=1)
    ax.set_yticks(range(len(cov)), cov.index)
    ax.set_xticks(range(len(cov.columns)), [str(c) for c in cov.columns], rotation=90)
    ax.grid(False)
    for i in range(cov.shape[0]):
        for j in range(cov.shape[1]):
            v = cov.iat[i, j]
            if v < 0.995:
                ax.text(
                    j,
                    i,
                    f"{v:.0%}".replace("%", ""),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if v > 0.6 else "#333333",
                )
    ax.set_xlabel("Year")
    fig.colorbar(im, ax=ax, fraction=0.025, pad=0.01, label="share of cities non-missing")
    fig.tight_layout()
    return fig


def coverage_numbers(coverage: pd.DataFrame, track: str) -> dict:
    """What the coverage paragraph quotes: ``coverage_of`` (whose coverage :func:`coverage_by_year` shows: the real
    public data when the semi-synthetic panel in use is complete) and ``ope_2023``, the 2023 coverage of openness
    (``Ope``) as a percentage, "—" when absent."""
    of = (
        "the real public data (the semi-synthetic panel in use is complete)"
        if track == "semi_synthetic"
        else "the panel in use"
    )
    ope = f"{coverage.loc['Ope', 2023]:.0%}" if "Ope" in coverage.index and 2023 in coverage else "—"
    return {"coverage_of": of, "ope_2023": ope}


def describe_panel(panel: pd.DataFrame) -> pd.DataFrame:
    """Mean, sd, min, max and N (non-missing city-years) of the outcomes, controls, moderators, IV variables and
    real indicators present in ``panel``, with the group each belongs to."""
    rows = []
    for group, cols in variables_present(panel).items():
        for c in cols:
            s = pd.to_numeric(panel[c], errors="coerce")
            rows.append(
                {
                    "group": group,
                    "variable": c,
                    "mean": s.mean(),
                    "sd": s.std(),
                    "min": s.min(),
                    "max": s.max(),
                    "N": int(s.notna().sum()),
                }
            )
    return pd.DataFrame(rows, columns=["group", "variable", "mean", "sd", "min", "max", "N"])


def pilot_years_table(district_pilots: str = DEFAULT_DISTRICT_PILOTS, processed_dir=PROCESSED_DIR) -> pd.DataFrame:
    """Number of cities by ``first_treat`` under ``pilot_years`` = default / earliest / latest (real roster coding;
    the semi-synthetic track keeps the same timing)."""
    from .real_panel import real_panel

    cols = {}
    for opt in ("default", "earliest", "latest"):
        c = city_table(real_panel(opt, district_pilots, processed_dir=processed_dir))
        cols[opt] = c["first_treat"].value_counts()
    t = pd.DataFrame(cols).fillna(0).astype(int).sort_index()
    t.index = ["never treated (0)" if i == 0 else str(i) for i in t.index]
    t.index.name = "first_treat"
    t.loc["pilots total"] = t.drop(index="never treated (0)", errors="ignore").sum()
    return t.reset_index()


def n_uncertain_pilots(district_pilots: str = DEFAULT_DISTRICT_PILOTS, processed_dir=PROCESSED_DIR) -> int:
    """Pilot cities of the real roster whose approval year is only known as a range."""
    from .real_panel import real_panel

    return int(
        rollout_table(real_panel("default", district_pilots, processed_dir=processed_dir))["n_year_uncertain"].sum()
    )


TRACK_SCOPE = {
    "semi_synthetic": (
        "Can show: whether each estimator recovers a **known** true effect on the real city roster and "
        "pilot timing (bias, coverage, what heterogeneous timing does to TWFE). "
        "Cannot show: anything about China; every indicator, moderator and instrument is simulated."
    ),
    "real": (
        "Can show: the paper's designs on public data: pilot timing, the controls (two are proxies), night-light "
        "instrument, and three of the 18 index indicators. Cannot show: the paper's index (15 indicators, the "
        "moderators Hum/Dig/Ind and the laozihao instrument have no public source), so estimates on Pro/Lab/Mea/Obj "
        "are not the paper's quantities."
    ),
    "user": (
        "Can show: the paper's designs on your data, checked against the panel contract. "
        "Cannot show: whether your variables measure what the paper's do; that is your responsibility."
    ),
}


def track_scope(track: str) -> str:
    """Plain text on what a track can and cannot show."""
    if track not in TRACK_SCOPE:
        raise NQPInputError(f"track_scope: unknown track {track!r}; expected one of {sorted(TRACK_SCOPE)}")
    return TRACK_SCOPE[track]
