"""Replication status: for every paper exhibit, what the notebooks wrote, beside the paper's number and the truth.

What
    :func:`replication_status` reads the tables the chapter notebooks saved (``<results>/<notebook>/<file>.csv``, the
    map in :func:`nqp_helpers.reported.exhibits`) and returns one row per output file: exhibit, notebook, output,
    the paper's headline number, ours, the difference, the truth (semi-synthetic track) and a status word.
    :func:`readme_table` / :func:`readme_markdown` give the README's "List of tables and programs" from the same map,
    so a test can check that the README agrees with the code.

Headline numbers (``HEADLINES``)
    Tables 2-4: the ``Inn`` coefficient for ``Pro`` in the paper's first column of the table's main specification
    (baseline with controls; radius matching; night-light IV). Tables 5-7: the interaction ``Inn:M`` for ``Pro``.
    Table 1 and Figure 1 have no single number in ``reported_results.csv``: their status only says whether the output
    is there.

Reading an output file (formats of other chapters are not fixed, so the reader is tolerant)
    The headline row is the row whose ``outcome`` and ``term`` match (when those columns exist) and whose
    ``spec``/``paper_spec``/``model`` equals the paper spec (when such a column exists and matches anything). Our value
    is the first column found among ``ESTIMATE_COLUMNS``; significance from ``p_value`` (else ``std_error`` with a
    normal reference; else sign only). A ``truth`` column, when present, is used as the truth; a ``track`` column is
    compared with the track of the status run.

Status words (``STATUS_WORDS``), never an exception for a missing or odd file
    "same sign & significance" (same sign; significant at 10% in both or in neither), "differs" (the note
    says how), "not run on this track" (the exhibit needs columns the track lacks, the file says it was written on
    another track, or its estimate is empty), "output missing" (no file), "output unreadable" (a file without the
    headline row or an estimate column), "produced (no paper number)" (Table 1, Figure 1).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats as st

from . import paths
from .data.semi_synthetic.truth import true_value
from .reported import exhibits, reported_results, stars

SAME = "same sign & significance"
DIFFERS = "differs"
NOT_RUN = "not run on this track"
MISSING = "output missing"
UNREADABLE = "output unreadable"
NO_PAPER_NUMBER = "produced (no paper number)"
STATUS_WORDS = (SAME, DIFFERS, NOT_RUN, MISSING, UNREADABLE, NO_PAPER_NUMBER)

# output file -> (table, paper spec, outcome, term) of the paper's headline number
HEADLINES = {
    "03_t2_baseline/table2.csv": (2, "baseline_controls", "Pro", "Inn"),
    "04_t3_psm_did/table3.csv": (3, "psm_radius", "Pro", "Inn"),
    "05_t4_iv/table4.csv": (4, "iv_nightlight_1997", "Pro", "Inn"),
    "06_t5_t7_amplification/table5.csv": (5, "moderation_Hum", "Pro", "Inn:Hum"),
    "06_t5_t7_amplification/table6.csv": (6, "moderation_Dig", "Pro", "Inn:Dig"),
    "06_t5_t7_amplification/table7.csv": (7, "moderation_Ind", "Pro", "Inn:Ind"),
}
ESTIMATE_COLUMNS = ("estimate", "ours", "estimate_ours", "coef_ours", "our_estimate")
SPEC_COLUMNS = ("spec", "paper_spec", "model")
STATUS_COLUMNS = [
    "exhibit",
    "notebook",
    "output",
    "headline",
    "paper",
    "paper_stars",
    "ours",
    "ours_stars",
    "difference",
    "truth",
    "track",
    "status",
    "note",
]
ALPHA = 0.10


# ------------------------------------------------------------------------------------------------ README table
def readme_table() -> pd.DataFrame:
    """The README's "List of tables and programs": one row per exhibit with its paper label, notebook, output
    file(s) (paths under the results folder ``results/``, "; "-joined) and description, from ``exhibits()``."""
    ex = exhibits()
    out = pd.DataFrame(
        {
            "exhibit": ex["exhibit"],
            "paper_label": ex["paper_label"],
            "notebook": ex["notebook"],
            "outputs": ["; ".join(f"results/{o}" for o in outs.split("; ")) for outs in ex["outputs"]],
            "description": ex["description"],
        }
    )
    return out


def readme_markdown() -> str:
    """:func:`readme_table` as a GitHub markdown table (paste under "## List of tables and programs")."""
    t = readme_table()
    lines = ["| Exhibit | Paper | Program | Output file(s) | Content |", "|---|---|---|---|---|"]
    for r in t.itertuples(index=False):
        outs = "<br>".join(f"`{o}`" for o in r.outputs.split("; "))
        lines.append(f"| {r.exhibit} | {r.paper_label} | `{r.notebook}` | {outs} | {r.description} |")
    return "\n".join(lines) + "\n"


def readme_section(text: str, heading: str = "List of tables and programs") -> str:
    """The text of a markdown section (from the heading line to the next heading of the same or higher level)."""
    lines = text.splitlines()
    start, level = None, None
    for i, line in enumerate(lines):
        s = line.lstrip()
        if s.startswith("#") and heading.lower() in s.lower():
            start, level = i, len(s) - len(s.lstrip("#"))
            break
    if start is None:
        return ""
    body = []
    for line in lines[start + 1 :]:
        s = line.lstrip()
        if s.startswith("#") and len(s) - len(s.lstrip("#")) <= level:
            break
        body.append(line)
    return "\n".join(body)


def readme_missing(text: str) -> list[str]:
    """Exhibits, notebooks and output files of ``exhibits()`` absent from the README's list section (empty = agrees)."""
    sec = readme_section(text)
    if not sec.strip():
        return ["section 'List of tables and programs'"]
    want = []
    for r in exhibits().itertuples(index=False):
        want += [r.exhibit, r.notebook, *r.outputs.split("; ")]
    return [w for w in dict.fromkeys(want) if w not in sec]


# ------------------------------------------------------------------------------------------------ status
def _num(x) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return math.nan
    return v


def _headline_row(df: pd.DataFrame, spec: str, outcome: str, term: str):
    """(row, note) for the headline in an output table, or (None, why)."""
    d = df
    for col, val in (("outcome", outcome), ("term", term)):
        if col in d.columns:
            d = d[d[col].astype(str) == val]
    for col in SPEC_COLUMNS:
        if col in d.columns and (d[col].astype(str) == spec).any():
            d = d[d[col].astype(str) == spec]
            break
    if d.empty:
        return None, f"no row with outcome {outcome}, term {term}"
    if len(d) > 1:  # never guess which model is the paper's: the output must say (a spec column)
        return None, f"{len(d)} rows match outcome {outcome}, term {term} and no spec column names {spec!r}"
    return d.iloc[0], ""


def _significant(row) -> bool | None:
    p = _num(row.get("p_value")) if "p_value" in row.index else math.nan
    if math.isnan(p) and "std_error" in row.index:
        se = _num(row.get("std_error"))
        est = _num(row.get(_est_col(row.index)))
        if se > 0 and not math.isnan(est):
            p = 2 * st.norm.sf(abs(est / se))
    return None if math.isnan(p) else bool(p < ALPHA)


def _ours_stars(row) -> str:
    p = _num(row.get("p_value")) if "p_value" in row.index else math.nan
    return "" if math.isnan(p) else stars(p)


def _est_col(index) -> str | None:
    return next((c for c in ESTIMATE_COLUMNS if c in index), None)


def _truth_value(truth: pd.DataFrame | None, outcome: str, term: str) -> float:
    if ":" in term:
        return true_value(truth, outcome, "interaction", term.split(":", 1)[1])
    return true_value(truth, outcome)


def _compare(paper_coef: float, paper_stars: str, est: float, sig: bool | None) -> tuple[str, str]:
    if np.sign(est) != np.sign(paper_coef):
        return DIFFERS, "sign differs from the paper"
    paper_sig = paper_stars != ""
    if sig is None:
        return DIFFERS, "same sign; our significance unknown (no p-value or SE in the output)"
    if sig == paper_sig:
        return SAME, ("same sign, significant at 10% in both" if sig else "same sign, not significant in either")
    return DIFFERS, (
        "same sign; significant in the paper, not here"
        if paper_sig
        else "same sign; significant here, not in the paper"
    )


def replication_status(
    results: str | Path | None = None,
    track: str | None = None,
    available_columns=None,
    truth: pd.DataFrame | None = None,
    paper: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per exhibit output: paper beside ours beside truth, with a status word (see module docstring).

    results: the results folder holding ``<notebook>/<file>.csv`` (default ``paths.results_dir()``).
    track: the track this status describes (shown; an output with a different ``track`` column is "not run on this
        track"). available_columns: the panel's columns on this track; an exhibit whose ``requires`` are not all
        there is "not run on this track" whatever files exist. truth: the semi-synthetic ``attrs["truth"]`` table.
    Never raises for a missing or malformed output file.
    """
    base = Path(results) if results is not None else paths.results_dir()
    rep = reported_results() if paper is None else paper
    cols = None if available_columns is None else set(available_columns)
    rows = []
    for ex in exhibits().itertuples(index=False):
        lacking = [] if cols is None else [c for c in ex.requires.split("; ") if c and c not in cols]
        for out in ex.outputs.split("; "):
            row = dict(
                exhibit=ex.exhibit,
                notebook=ex.notebook,
                output=out,
                headline="",
                paper=math.nan,
                paper_stars="",
                ours=math.nan,
                ours_stars="",
                difference=math.nan,
                truth=math.nan,
                track=track or "",
                status="",
                note="",
            )
            head = HEADLINES.get(out)
            if head:
                t, spec, outcome, term = head
                hit = rep[
                    (rep["table"] == t) & (rep["spec"] == spec) & (rep["outcome"] == outcome) & (rep["term"] == term)
                ]
                row["headline"] = f"Table {t}, {spec}: {term} on {outcome}"
                if len(hit):
                    row["paper"], row["paper_stars"] = float(hit["coef"].iloc[0]), str(hit["stars"].iloc[0])
                row["truth"] = _truth_value(truth, outcome, term)
            path = paths.results_file(base, out)
            if lacking:
                row["status"] = NOT_RUN
                row["note"] = f"the track lacks {', '.join(lacking)}"
                rows.append(row)
                continue
            if not path.is_file():
                row["status"], row["note"] = MISSING, f"{out} not found in {base.name}/ (run {ex.notebook})"
                rows.append(row)
                continue
            try:
                df = pd.read_csv(path)
            except Exception as e:  # noqa: BLE001 - a broken file is a finding, not a crash
                row["status"], row["note"] = UNREADABLE, f"cannot read {out}: {type(e).__name__}"
                rows.append(row)
                continue
            if "track" in df.columns and track and df["track"].notna().any():
                written = str(df["track"].dropna().iloc[0])
                if written != track:
                    row["status"], row["note"] = NOT_RUN, f"{out} was written on track {written!r}"
                    rows.append(row)
                    continue
            if not head:
                row["status"] = NO_PAPER_NUMBER
                row["note"] = f"{len(df)} rows; the paper gives no tabulated number for this exhibit"
                rows.append(row)
                continue
            r, why = _headline_row(df, spec, outcome, term)
            ecol = None if r is None else _est_col(r.index)
            if r is None or ecol is None:
                row["status"] = UNREADABLE
                row["note"] = why if r is None else f"no estimate column (looked for {', '.join(ESTIMATE_COLUMNS)})"
                rows.append(row)
                continue
            est = _num(r[ecol])
            if "truth" in r.index and not math.isnan(_num(r["truth"])):
                row["truth"] = _num(r["truth"])
            if math.isnan(est):
                row["status"], row["note"] = NOT_RUN, "the output has no estimate for the headline on this track"
                rows.append(row)
                continue
            row["ours"], row["ours_stars"] = est, _ours_stars(r)
            if math.isnan(row["paper"]):
                row["status"], row["note"] = NO_PAPER_NUMBER, "headline not in reported_results.csv"
            else:
                row["difference"] = est - row["paper"]
                row["status"], row["note"] = _compare(row["paper"], row["paper_stars"], est, _significant(r))
            if why:
                row["note"] = f"{row['note']}; {why}"
            rows.append(row)
    out = pd.DataFrame(rows, columns=STATUS_COLUMNS)
    for c in ("paper", "ours", "difference", "truth"):
        out[c] = out[c].astype(float)
    return out


def status_counts(status: pd.DataFrame) -> pd.DataFrame:
    """Number of outputs per status word (all words listed, zeros included)."""
    n = status["status"].value_counts()
    return pd.DataFrame({"status": list(STATUS_WORDS), "n": [int(n.get(w, 0)) for w in STATUS_WORDS]})


# ------------------------------------------------------------------------------------------- exhibit verdicts
# Verdict words that fit each track. Real data: does our estimate agree with the paper's in sign and significance?
# Semi-synthetic data (the truth is known): does our estimate recover it? Never "reproduced" for simulated data.
REAL_SAME = SAME
REAL_DIFFERS = "differs"
NOT_ESTIMABLE = "not estimable"
SEMI_RECOVERS = "recovers truth"
SEMI_MISSES = "misses truth"
NO_NUMBER = "no single number"
VERDICT_COLUMNS = [
    "exhibit",
    "headline",
    "paper",
    "paper_stars",
    "real",
    "real_stars",
    "real_se",
    "real_n",
    "real_caveat",
    "real_verdict",
    "semi",
    "semi_se",
    "truth",
    "semi_verdict",
]
Z95 = 1.959963984540054


def _read_headline(base: Path, out: str):
    """(row, why-not) for the headline row of ``out`` under ``base``."""
    path = base / out
    if not path.is_file():
        return None, "the chapter wrote no output"
    try:
        df = pd.read_csv(path)
    except Exception as e:  # noqa: BLE001 - a broken file is a finding, not a crash
        return None, f"output unreadable ({type(e).__name__})"
    _, spec, outcome, term = HEADLINES[out]
    r, why = _headline_row(df, spec, outcome, term)
    if r is None or _est_col(r.index) is None or math.isnan(_num(r[_est_col(r.index)])):
        return None, why or "no estimate for the headline"
    return r, ""


def real_caveat(requires: str, columns, attrs: dict) -> str:
    """What the real track proxies or lacks for an exhibit, in a few words (from the panel's columns and attrs)."""
    from .indicators import INDICATOR_CODES
    from .landing import REAL_PROXIES

    cols = set(columns)
    need = [c for c in requires.split("; ") if c]
    parts = []
    missing_ind = [c for c in attrs.get("missing_indicators", []) if c in INDICATOR_CODES]
    if missing_ind:
        parts.append(f"index from {len(INDICATOR_CODES) - len(missing_ind)} of {len(INDICATOR_CODES)} indicators")
    if attrs.get("missing_dimensions"):
        parts.append("no " + ", ".join(attrs["missing_dimensions"]))
    proxied = [c for c in REAL_PROXIES if c in need and c in cols]
    if proxied:
        parts.append("proxies: " + ", ".join(proxied))
    lacking = [c for c in need if c not in cols]
    if lacking:
        parts.append("lacks " + ", ".join(lacking))
    return "; ".join(parts)


def _real_verdict(paper: float, paper_stars: str, r) -> str:
    word, note = _compare(paper, paper_stars, _num(r[_est_col(r.index)]), _significant(r))
    return REAL_SAME if word == SAME else f"{REAL_DIFFERS}: {note}"


def semi_verdict(estimate: float, std_error: float, truth: float) -> str:
    """ "recovers truth" when the truth lies in the estimate's 95% interval (|est − truth| ≤ 1.96 SE), else "misses
    truth"; "—" when the truth or the SE is unknown."""
    if any(math.isnan(_num(x)) for x in (estimate, std_error, truth)):
        return "—"
    return SEMI_RECOVERS if abs(estimate - truth) <= Z95 * std_error else SEMI_MISSES


def exhibit_verdicts(
    semi_results: str | Path,
    real_results: str | Path,
    real_columns=(),
    real_attrs=None,
    truth: pd.DataFrame | None = None,
    real_runs: dict | None = None,
    paper: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per exhibit output (:data:`VERDICT_COLUMNS`): the paper's headline; the real-data estimate with its N,
    what is proxied or missing and a real verdict; the semi-synthetic estimate beside its truth and a semi verdict.

    semi_results / real_results: folders holding ``<notebook>/<file>.csv`` of each track's run; real_columns /
    real_attrs: the real panel's columns and attrs (for the caveat); real_runs: ``realtrack.read_runs()`` (a failed
    chapter's error becomes the "not estimable" reason). Never raises for a missing or odd file.
    """
    rep = reported_results() if paper is None else paper
    attrs = real_attrs or {}
    failed = {r["chapter"]: r["error"] for r in (real_runs or {}).get("runs", []) if r.get("status") != "ok"}
    rows = []
    for ex in exhibits().itertuples(index=False):
        chapter = Path(ex.notebook).stem
        for out in ex.outputs.split("; "):
            row = dict.fromkeys(VERDICT_COLUMNS, math.nan) | {
                "exhibit": ex.exhibit,
                "paper_stars": "",
                "real_stars": "",
            }
            row["real_caveat"] = real_caveat(ex.requires, real_columns, attrs)
            head = HEADLINES.get(out)
            if head is None:
                row["headline"] = re.split(r"[:(]| by ", ex.description)[0].strip()
                real_ok = (Path(real_results) / out).is_file()
                row["real_verdict"] = (
                    NO_NUMBER
                    if real_ok
                    else (f"{NOT_ESTIMABLE}: {failed.get(chapter) or 'the chapter wrote no output on this track'}")
                )
                row["semi_verdict"] = NO_NUMBER
                rows.append(row)
                continue
            t, spec, outcome, term = head
            row["exhibit"] = f"Table {t}"  # "Tables 5-7" has one headline per table
            label = "interaction " + term.replace(":", "×") if ":" in term else term
            row["headline"] = f"{label} on {outcome} (Table {t})"
            hit = rep[(rep["table"] == t) & (rep["spec"] == spec) & (rep["outcome"] == outcome) & (rep["term"] == term)]
            if len(hit):
                row["paper"], row["paper_stars"] = float(hit["coef"].iloc[0]), str(hit["stars"].iloc[0])
            r, why = _read_headline(Path(real_results), out)
            if r is None:
                lacking = [c for c in ex.requires.split("; ") if c and c not in set(real_columns)]
                reason = f"the real panel lacks {', '.join(lacking)}" if lacking else failed.get(chapter) or why
                row["real_verdict"] = f"{NOT_ESTIMABLE}: {reason}"
            else:
                row["real"], row["real_stars"] = _num(r[_est_col(r.index)]), _ours_stars(r)
                row["real_se"], row["real_n"] = _num(r.get("std_error")), _num(r.get("n_obs"))
                row["real_verdict"] = (
                    _real_verdict(row["paper"], row["paper_stars"], r) if not math.isnan(row["paper"]) else NO_NUMBER
                )
            s, why_s = _read_headline(Path(semi_results), out)
            row["truth"] = _truth_value(truth, outcome, term)
            if s is None:
                row["semi_verdict"] = f"{NOT_ESTIMABLE}: {why_s}"
            else:
                row["semi"], row["semi_se"] = _num(s[_est_col(s.index)]), _num(s.get("std_error"))
                if "truth" in s.index and not math.isnan(_num(s["truth"])):
                    row["truth"] = _num(s["truth"])
                row["semi_verdict"] = semi_verdict(row["semi"], row["semi_se"], row["truth"])
            rows.append(row)
    return pd.DataFrame(rows, columns=VERDICT_COLUMNS)


def _est_text(est, stars_, se=math.nan) -> str:
    from .display import MISSING, fmt_num

    if math.isnan(_num(est)):
        return MISSING
    return f"{fmt_num(est)}{stars_}" + (f" ({fmt_num(se)})" if not math.isnan(_num(se)) else "")


def verdict_display(v: pd.DataFrame) -> pd.DataFrame:
    """:func:`exhibit_verdicts` as the reader's table: one row per exhibit output, text cells, no code names."""
    from .display import MISSING

    out = pd.DataFrame(
        {
            "Exhibit": v["exhibit"],
            "Paper's headline": [
                f"{h}: {_est_text(p, s)}" if not math.isnan(_num(p)) else h
                for h, p, s in zip(v["headline"], v["paper"], v["paper_stars"])
            ],
            "Real data: estimate (SE), N": [
                _est_text(e, s, se) + (f", N = {int(n):,}" if not math.isnan(_num(n)) else "")
                for e, s, se, n in zip(v["real"], v["real_stars"], v["real_se"], v["real_n"])
            ],
            "Real data: proxied or missing": [c or MISSING for c in v["real_caveat"]],
            "Real-data verdict": v["real_verdict"],
            "Semi-synthetic: estimate vs truth": [
                MISSING if math.isnan(_num(e)) else f"{_est_text(e, '', se)} vs {_est_text(t, '')}"
                for e, se, t in zip(v["semi"], v["semi_se"], v["truth"])
            ],
            "Semi-synthetic verdict": v["semi_verdict"],
        }
    )
    return out


def summary_paragraph(v: pd.DataFrame) -> str:
    """One paragraph of what the replication concludes, built from :func:`exhibit_verdicts` (no typed numbers)."""
    from .display import fmt_num

    num = v[v["real_verdict"] != NO_NUMBER]
    same = num[num["real_verdict"] == REAL_SAME]
    differs = num[num["real_verdict"].str.startswith(REAL_DIFFERS)]
    noest = num[num["real_verdict"].str.startswith(NOT_ESTIMABLE)]
    semi = v[v["semi_verdict"].isin([SEMI_RECOVERS, SEMI_MISSES])]
    rec = semi[semi["semi_verdict"] == SEMI_RECOVERS]

    def names(d):
        return ", ".join(dict.fromkeys(d["headline"].str.extract(r"\((Table \d)\)")[0].dropna())) or "none"

    def n(d, one, many):
        return f"{len(d)} {one if len(d) == 1 else many}"

    parts = [
        (
            f"Of the paper's {len(num)} headline coefficients, {n(same, 'keeps', 'keep')} the paper's sign and "
            f"significance when re-estimated on public data ({names(same)}), {n(differs, 'differs', 'differ')} "
            f"({names(differs)}) and {len(noest)} cannot be estimated on public data ({names(noest)})."
        )
    ]
    t2 = v[v["headline"].str.contains(r"\(Table 2\)")]
    if len(t2) and not math.isnan(_num(t2["real"].iloc[0])):
        r = t2.iloc[0]
        parts.append(
            f"The headline effect of the pilots on the index, {fmt_num(r['paper'])}{r['paper_stars']} in "
            f"the paper, is {fmt_num(r['real'])}{r['real_stars']} on public data (N = {int(r['real_n']):,}; "
            f"{r['real_caveat']}), so it answers a narrower question than the paper's."
        )
    if len(semi):
        parts.append(
            f"On the semi-synthetic track, where the true effects are known, the paper's estimators recover "
            f"the truth within their 95% intervals for {len(rec)} of {len(semi)} headline coefficients: the "
            f"code works; this says nothing about Chinese cities."
        )
    return " ".join(parts)
