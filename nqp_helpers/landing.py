"""The numbers on the book's landing page, computed at build time (never typed in).

``headline_table(seed)`` puts the paper's headline estimate (Table 2, column 2: ``Inn`` on ``Pro`` with the six
controls, city and year fixed effects) beside the same regression on the semi-synthetic track (with its known true
effect) and on the real track (with what that track lacks). The root page ``book/intro.py`` calls it.
"""

from __future__ import annotations

import math

import pandas as pd

from .data.semi_synthetic.truth import true_value
from .errors import NQPInputError
from .indicators import INDICATOR_CODES
from .variables import CONTROLS

__all__ = ["CONTROLS", "HEADLINE", "REAL_PROXIES", "headline_ours", "headline_paper", "headline_table"]

# Controls that the real track measures by a documented proxy (nqp_helpers.data.real_panel.PROVENANCE, chapter 03).
REAL_PROXIES = ("Gov", "Fix", "Tra")
# The paper's headline: Table 2, outcome Pro, with controls, coefficient of Inn.
HEADLINE = {"table": 2, "outcome": "Pro", "spec": "baseline_controls", "term": "Inn"}
TABLE_COLUMNS = (
    "source",
    "estimate",
    "std_error",
    "conf_low",
    "conf_high",
    "stars",
    "n_obs",
    "n_clusters",
    "years",
    "truth",
    "note",
)


def headline_paper() -> dict:
    """The paper's headline coefficient as a row of :data:`TABLE_COLUMNS` (read from ``data/paper``)."""
    from .reported import reported

    r = reported(HEADLINE["table"], outcome=HEADLINE["outcome"], spec=HEADLINE["spec"], term=HEADLINE["term"])
    if len(r) != 1:
        raise NQPInputError(f"headline_paper: expected one reported row for {HEADLINE}, found {len(r)}")
    row = r.iloc[0]
    coef, se = float(row["coef"]), float(row["se"])
    return {
        "source": "paper",
        "estimate": coef,
        "std_error": se,
        "conf_low": math.nan,
        "conf_high": math.nan,
        "stars": str(row["stars"]),
        "n_obs": int(row["n"]),
        "n_clusters": math.nan,
        "years": "2004–2023",
        "truth": math.nan,
        "note": f"Table {HEADLINE['table']}, column {int(row['column'])}",
    }


def headline_ours(data: str = "semi_synthetic", seed: int | None = None, panel: pd.DataFrame | None = None) -> dict:
    """Our estimate of the headline regression on a track, as a row of :data:`TABLE_COLUMNS`.

    Same specification as the Table 2 chapter: ``twfe(panel, "Pro", controls=<the six controls present>,
    cluster="city_code")``. On the semi-synthetic track ``truth`` is the true ATT on ``Pro``; on the real track
    ``note`` says how many of the 18 indicators the index is built from, which dimensions and controls are absent.
    ``panel`` (optional) skips loading.
    """
    from .data.load import load_panel
    from .estimators.twfe import twfe
    from .reported import stars

    if panel is None:
        panel = load_panel(data, **({"seed": seed} if seed is not None else {}))
    meta = dict(panel.attrs)
    track = meta.get("track", "user")
    df = panel.copy()
    df.attrs = {}
    if HEADLINE["outcome"] not in df or df[HEADLINE["outcome"]].notna().sum() == 0:
        raise NQPInputError(f"headline_ours: the {track} panel has no values of {HEADLINE['outcome']}")
    controls = [c for c in CONTROLS if c in df and df[c].notna().any()]
    fit = twfe(df, HEADLINE["outcome"], controls=controls, cluster="city_code")
    r = fit.loc[fit["term"] == HEADLINE["term"]].iloc[0]
    used = df.dropna(subset=[HEADLINE["outcome"], "Inn", *controls])
    truth = math.nan
    notes = []
    if track == "semi_synthetic":
        truth = true_value(meta.get("truth"), HEADLINE["outcome"])
        notes.append("simulated indicators, known true effect")
    else:
        missing_ind = [c for c in meta.get("missing_indicators", []) if c in INDICATOR_CODES]
        n_used = len(INDICATOR_CODES) - len(missing_ind)
        notes.append(f"index built from {n_used} of the paper's {len(INDICATOR_CODES)} indicators")
        if meta.get("missing_dimensions"):
            notes.append("dimension(s) absent: " + ", ".join(meta["missing_dimensions"]))
        absent = [c for c in CONTROLS if c not in controls]
        if absent:
            notes.append("controls absent: " + ", ".join(absent))
        if track == "real":
            notes.append(", ".join(REAL_PROXIES) + " are proxies")
    return {
        "source": track,
        "estimate": float(r["estimate"]),
        "std_error": float(r["std_error"]),
        "conf_low": float(r["conf_low"]),
        "conf_high": float(r["conf_high"]),
        "stars": stars(float(r["p_value"])),
        "n_obs": int(r["n_obs"]),
        "n_clusters": int(r["n_clusters"]),
        "years": f"{int(used['year'].min())}–{int(used['year'].max())}",
        "truth": truth,
        "note": "; ".join(notes),
    }


def headline_table(seed: int | None = None, tracks=("semi_synthetic", "real")) -> pd.DataFrame:
    """Paper, then ours on each track: one row each, columns :data:`TABLE_COLUMNS`."""
    rows = [headline_paper()] + [headline_ours(t, seed=seed) for t in tracks]
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
