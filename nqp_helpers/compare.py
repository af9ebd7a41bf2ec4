"""Our estimates next to the paper's: a row-by-row comparison.

``compare_to_paper`` answers "did we get what the paper printed?" with a status word per coefficient. The tables in
the paper's layout (numbered columns, SE beneath) are built by :mod:`nqp_helpers.regtable`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .errors import NQPInputError
from .reported import reported_results, stars

STATUS_ORDER = (
    "same sign & significance",
    "same sign, significance differs",
    "not significant here",
    "significant here only",
    "sign differs",
    "not estimable on this track",
)
_NEEDED = ("term", "outcome", "estimate", "std_error", "p_value", "n_obs")


def _ours_long(ours, spec_map) -> pd.DataFrame:
    """Stack ``ours`` into one frame with a ``paper_spec`` column, using ``spec_map``."""
    if isinstance(ours, Mapping):
        parts = []
        for label, d in ours.items():
            if label not in spec_map:
                continue
            parts.append(d.assign(paper_spec=spec_map[label]))
        if not parts:
            raise NQPInputError(f"compare_to_paper: none of the models {list(ours)} is in spec_map {dict(spec_map)}")
        out = pd.concat(parts, ignore_index=True)
    else:
        out = ours.copy()
        if isinstance(spec_map, str):
            out["paper_spec"] = spec_map
        else:
            key = next((k for k in ("spec", "model") if k in out.columns), None)
            if key is None:
                raise NQPInputError(
                    "compare_to_paper: ours needs a 'spec' or 'model' column when spec_map is a dict "
                    "(or pass spec_map as one paper spec string)"
                )
            out["paper_spec"] = out[key].map(spec_map)
            out = out[out["paper_spec"].notna()]
    missing = [c for c in _NEEDED if c not in out.columns]
    if missing:
        raise NQPInputError(f"compare_to_paper: our estimates lack column(s) {missing}")
    return out


def _truth_frame(truth) -> pd.DataFrame | None:
    """Normalise ``truth`` to columns (outcome, term, [paper_spec], truth).

    Accepts {outcome: value} (term Inn), the semi-synthetic ``panel.attrs["truth"]`` table (estimand "att" -> Inn,
    "interaction" with split M -> Inn:M; other estimands ignored), or any frame with outcome, [term], [paper_spec]
    and a truth/true_effect/value column.
    """
    if truth is None:
        return None
    if isinstance(truth, Mapping):
        return pd.DataFrame({"outcome": list(truth), "term": "Inn", "truth": [float(v) for v in truth.values()]})
    t = truth.copy()
    if "estimand" in t.columns:
        t = t[t["estimand"].isin(["att", "interaction"])].copy()
        t["term"] = np.where(
            t["estimand"] == "att", "Inn", "Inn:" + t.get("split", pd.Series("", index=t.index)).astype(str)
        )
    val = next((c for c in ("truth", "true_effect", "value", "estimate") if c in t.columns), None)
    if val is None or "outcome" not in t.columns:
        raise NQPInputError(
            "compare_to_paper: truth needs an 'outcome' column and one of truth/true_effect/value/estimate"
        )
    if "term" not in t.columns:
        t["term"] = "Inn"
    t = t.rename(columns={val: "truth"})
    keys = ["outcome", "term"] + (["paper_spec"] if "paper_spec" in t.columns else [])
    return t[keys + ["truth"]].drop_duplicates(keys)


def _status(est, p, coef, paper_stars, alpha=0.10) -> str:
    if not np.isfinite(est):
        return "not estimable on this track"
    if np.sign(est) != np.sign(coef):
        return "sign differs"
    ours_sig = np.isfinite(p) and p < alpha
    paper_sig = paper_stars != ""
    if paper_sig and not ours_sig:
        return "not significant here"
    if ours_sig and not paper_sig:
        return "significant here only"
    if ours_sig and stars(p) != paper_stars:
        return "same sign, significance differs"
    return "same sign & significance"


def compare_to_paper(ours, table: int, spec_map, truth=None, paper: pd.DataFrame | None = None) -> pd.DataFrame:
    """Join our tidy estimates with the paper's table ``table``, one row per paper coefficient.

    ours: a tidy estimate frame (term, outcome, estimate, std_error, p_value, n_obs, plus ``spec`` or ``model``) or a
        dict {model label: tidy frame}.
    spec_map: {our spec/model label: paper spec} (e.g. {"twfe_controls": "baseline_controls"}), or one paper spec
        string when ``ours`` holds a single specification.
    truth: optional true effects (semi-synthetic track): {outcome: value} for Inn, or a frame with outcome,
        [term], [paper_spec] and a truth/true_effect/value column.
    Only the paper specs named in ``spec_map`` are compared. Rows the paper reports but we did not estimate get
    status "not estimable on this track". Status words, from the paper's point of view: "same sign & significance"
    (both significant at 10% with the same stars, or both not), "same sign, significance differs" (both
    significant, different stars), "not significant here", "significant here only", "sign differs".
    """
    rep = reported_results() if paper is None else paper
    rep = rep[rep["table"] == int(table)]
    if rep.empty:
        raise NQPInputError(f"compare_to_paper: the paper has no table {table}")
    o = _ours_long(ours, spec_map)
    wanted = {spec_map} if isinstance(spec_map, str) else set(spec_map.values())
    unknown = wanted - set(rep["spec"])
    if unknown:
        raise NQPInputError(
            f"compare_to_paper: table {table} has no spec {sorted(unknown)}; available: {sorted(rep['spec'].unique())}"
        )
    rep = rep[rep["spec"].isin(wanted)]
    o = o[["paper_spec", "outcome", "term", "estimate", "std_error", "p_value", "n_obs"]]
    o = o.drop_duplicates(["paper_spec", "outcome", "term"])
    rep = rep.rename(
        columns={
            "spec": "paper_spec",
            "coef": "coef_paper",
            "se": "se_paper",
            "stars": "stars_paper",
            "n": "n_paper",
            "r2": "r2_paper",
        }
    )
    out = rep.merge(o, on=["paper_spec", "outcome", "term"], how="left")
    out["stars"] = [stars(p) if np.isfinite(p) else "" for p in out["p_value"].astype(float)]
    out["difference"] = out["estimate"] - out["coef_paper"]
    out["ratio"] = out["estimate"] / out["coef_paper"]
    tf = _truth_frame(truth)
    if tf is not None:
        keys = [k for k in ("paper_spec", "outcome", "term") if k in tf.columns]
        out = out.merge(tf, on=keys, how="left")
        out["estimate_minus_truth"] = out["estimate"] - out["truth"]
        out["paper_minus_truth"] = out["coef_paper"] - out["truth"]
    out["status"] = [
        _status(e, p, c, s)
        for e, p, c, s in zip(
            out["estimate"].astype(float), out["p_value"].astype(float), out["coef_paper"], out["stars_paper"]
        )
    ]
    cols = [
        "table",
        "column",
        "paper_spec",
        "outcome",
        "term",
        "estimate",
        "std_error",
        "stars",
        "p_value",
        "n_obs",
        "coef_paper",
        "se_paper",
        "stars_paper",
        "n_paper",
        "difference",
        "ratio",
    ]
    if tf is not None:
        cols += ["truth", "estimate_minus_truth", "paper_minus_truth"]
    return out[cols + ["status"]].rename(columns={"paper_spec": "spec"}).reset_index(drop=True)
