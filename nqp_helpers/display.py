"""What a reader sees around the numbers: the track banner, saved tables, the re-run command, number formatting.

Every chapter opens with ``track_banner(panel)`` so nobody mistakes simulated indicators for evidence about China,
writes its tables with ``save_table`` (deterministic, atomic CSV in the results folder) and ends with
``rerun_box`` (the exact command that re-makes it with other parameters).
"""

from __future__ import annotations

import html
import json
import math
import os
import re
import shlex
from pathlib import Path

import numpy as np
import pandas as pd
from IPython.display import HTML, Markdown

from . import atomic, paths
from .errors import NQPInputError
from .variables import PAPER_VARIABLES

SEMI_SYNTHETIC_TEXT = (
    "SEMI-SYNTHETIC DATA: real cities, years and pilot timing; indicators simulated with known "
    "true effects. Tests the pipeline and teaches; proves nothing about China."
)
_STYLE = {
    "semi_synthetic": ("warning", "#b35900", "#fff4e5"),
    "real": ("note", "#1f5f99", "#eaf2fb"),
    "user": ("tip", "#2e7d32", "#edf7ee"),
}


def _box(kind: str, title: str, body_html: str) -> HTML:
    cls, border, bg = _STYLE[kind]
    return HTML(
        f'<div class="admonition {cls}" style="border-left: 6px solid {border}; background: {bg}; '
        f'padding: 0.6em 1em; margin: 0.5em 0;"><p class="admonition-title" style="font-weight: bold; '
        f'margin: 0 0 0.3em 0;">{html.escape(title)}</p>{body_html}</div>'
    )


def track_banner(panel_or_track) -> HTML:
    """A visible banner saying which data track a chapter runs on.

    Accepts the panel (reads ``attrs["track"]``; a user panel's file name from ``attrs["source"]``, ``["path"]`` or
    ``["file"]``) or the track name itself. Semi-synthetic: the fixed warning. Real: which of the paper's variables
    are present (real or documented proxies, per ``attrs["proxies"]``) and which exhibits cannot run because their
    columns are absent. User: the file name. It also installs the reader table format
    (:func:`install_table_format`), so every table the chapter displays reads cleanly.
    """
    from .reported import EXHIBITS

    install_table_format()

    panel = panel_or_track if isinstance(panel_or_track, pd.DataFrame) else None
    track = panel.attrs.get("track") if panel is not None else panel_or_track
    if track not in _STYLE:
        raise NQPInputError(f"track_banner: unknown track {track!r}; expected one of {sorted(_STYLE)}")
    if track == "semi_synthetic":
        return _box(track, "Semi-synthetic data", f"<p>{html.escape(SEMI_SYNTHETIC_TEXT)}</p>")
    if track == "user":
        src = next(
            (
                panel.attrs[k]
                for k in ("source", "source_path", "path", "file")
                if panel is not None and k in panel.attrs
            ),
            "a user-supplied file",
        )
        return _box(
            track,
            "User data",
            f"<p>USER DATA: results below are computed from "
            f"<code>{html.escape(Path(str(src)).name)}</code>; they are yours, not the paper's.</p>",
        )
    if panel is None:
        return _box(
            track,
            "Real data",
            "<p>REAL DATA: public sources and documented proxies; see the data chapter "
            "for which variables are real.</p>",
        )
    cols = set(panel.columns)
    proxies = panel.attrs.get("proxies", {}) or {}
    items = []
    for group, names in PAPER_VARIABLES.items():
        have = [n + (" (proxy)" if n in proxies else "") for n in names if n in cols]
        lack = [n for n in names if n not in cols]
        items.append(
            f"<li><b>{group}</b>: {html.escape(', '.join(have) or 'none')}"
            + (f"; <i>absent</i>: {html.escape(', '.join(lack))}" if lack else "")
            + "</li>"
        )
    blocked = [
        f"{e} ({', '.join(c for c in req if c not in cols)})"
        for e, _, _, _, _, req, _ in EXHIBITS
        if any(c not in cols for c in req)
    ]
    body = (
        "<p>REAL DATA: public sources; the paper's own data are not public, so some variables are proxies and "
        "some are missing. Numbers below are estimates on these data, not the paper's.</p><ul>"
        + "".join(items)
        + "</ul><p>"
        + (
            f"Exhibits that cannot run on this track: {html.escape('; '.join(blocked))}."
            if blocked
            else "All exhibits can run on this track."
        )
        + "</p>"
    )
    return _box(track, "Real data", body)


def save_table(df: pd.DataFrame, name: str, notebook: str) -> Path:
    """Write ``df`` as ``<results>/<notebook>/<name>.csv`` deterministically and atomically; return the path.

    Floats with ``%.10g``, no index, ``\\n`` line ends; written to a temporary file in the same folder, then renamed,
    so a failed write leaves nothing half-written. ``name`` is a bare file name (".csv" optional).
    """
    if not isinstance(df, pd.DataFrame):
        raise NQPInputError(f"save_table: expected a DataFrame, got {type(df).__name__}")
    name = name.removesuffix(".csv")
    if not name or not re.fullmatch(r"[A-Za-z0-9_.\-]+", name) or name.startswith("."):
        raise NQPInputError(f"save_table: name {name!r} must be a bare file name (letters, digits, _ . -)")
    nb = _notebook_stem(notebook)
    target = paths.results_dir(nb) / f"{name}.csv"
    return atomic.write_csv(target, df, index=False, float_format="%.10g")


def _notebook_stem(notebook: str) -> str:
    stem = Path(str(notebook)).name
    for ext in (".ipynb", ".py"):
        stem = stem.removesuffix(ext)
    if not stem:
        raise NQPInputError(f"notebook name {notebook!r} is empty")
    return stem


def _param_value(v) -> str:
    if isinstance(v, (list, tuple, dict)):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, float) and v.is_integer():
        return repr(v)
    return str(v)


def rerun_command(notebook: str, params: dict | None = None) -> str:
    """The exact shell command that re-runs ``notebook`` with ``params``: ``nqp run notebooks/NAME.py -p key value``."""
    parts = ["nqp", "run", f"notebooks/{_notebook_stem(notebook)}.py"]
    for k, v in (params or {}).items():
        parts += ["-p", str(k), shlex.quote(_param_value(v))]
    return " ".join(parts)


DOWNLOADS = "_downloads/nqp"  # folder of the built site holding each chapter's .py, .ipynb and CSVs (book.py)


def download_links(notebook: str) -> str:
    """Markdown links to this chapter's source (.py), executed notebook (.ipynb) and the CSVs it wrote so far.

    The files are copied next to the built pages by :func:`nqp_helpers.downloads.publish` after the build; links are
    relative to a chapter page (``notebooks/<name>.html``)."""
    stem = _notebook_stem(notebook)
    base = f"../{DOWNLOADS}/{stem}"
    links = [f"[{stem}.py]({base}/{stem}.py)", f"[{stem}.ipynb]({base}/{stem}.ipynb)"]
    folder = Path(os.environ.get("NQP_RESULTS_DIR", paths.REPO_ROOT / "results")) / stem
    if folder.is_dir():
        links += [f"[{p.name}]({base}/{p.name})" for p in sorted(folder.glob("*.csv"))]
    return "**Downloads:** " + " · ".join(links)


def rerun_box(notebook: str, params: dict | None = None) -> Markdown:
    """Markdown box with the command that re-makes this chapter (change the values to explore), and the chapter's
    downloads (:func:`download_links`)."""
    return Markdown(
        "**Re-run this chapter** (change any value):\n\n```bash\n"
        + rerun_command(notebook, params)
        + "\n```\n\n"
        + download_links(notebook)
        + "\n"
    )


def fmt_num(x, digits: int = 3) -> str:
    """A number for prose and tables: ``digits`` decimals for floats, integers as is, "" for missing; no "-0.000"."""
    if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA:
        return ""
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    x = float(x)
    if math.isnan(x):
        return ""
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    s = f"{x:.{digits}f}"
    return s[1:] if s.startswith("-") and float(s) == 0 else s


# ----------------------------------------------------------------------------------------------- reader tables
# One place for the words a reader sees instead of code names (column headers of every displayed table).
LABELS = {
    "estimate": "Estimate",
    "std_error": "SE",
    "p_value": "p-value",
    "conf_low": "95% CI low",
    "conf_high": "95% CI high",
    "stars": "Stars",
    "n_obs": "N",
    "n_clusters": "Clusters",
    "r2": "R²",
    "r2_within": "R² (within)",
    "r2_overall": "R²",
    "term": "Term",
    "outcome": "Outcome",
    "spec": "Specification",
    "paper_spec": "Paper specification",
    "model": "Model",
    "column": "Column",
    "table": "Table",
    "coef_paper": "Paper",
    "paper_coef": "Paper",
    "se_paper": "Paper SE",
    "stars_paper": "Paper stars",
    "paper_stars": "Paper stars",
    "n_paper": "Paper N",
    "r2_paper": "Paper R²",
    "paper": "Paper",
    "ours": "Ours",
    "ours_stars": "Our stars",
    "truth": "Truth",
    "difference": "Ours − paper",
    "ratio": "Ours / paper",
    "estimate_minus_truth": "Ours − truth",
    "paper_minus_truth": "Paper − truth",
    "status": "Status",
    "verdict": "Verdict",
    "note": "Note",
    "track": "Track",
    "controls": "Controls",
    "exhibit": "Exhibit",
    "notebook": "Notebook",
    "output": "Output file",
    "headline": "Headline number",
    "trend_gap": "Trend gap",
    "trend_gap_se": "Trend gap SE",
    "weighting_gap": "Weighting gap",
    "effect_part": "Effect part",
    "instrument": "Instrument",
    "first_stage_F": "First-stage F",
    "first_stage_partial_r2": "First-stage partial R²",
    "partial_r2": "Partial R²",
    "ar_set": "Anderson–Rubin 95% set",
    "ar_conf_low": "AR set low",
    "ar_conf_high": "AR set high",
    "ar_p_value": "AR p-value",
    "ols_estimate": "Our OLS",
    "ols_paper": "Paper OLS",
    "iv_ols_ratio": "IV / OLS (ours)",
    "iv_ols_ratio_paper": "IV / OLS (paper)",
    "covariate": "Covariate",
    "method": "Method",
    "smd_before": "SMD before",
    "smd_after": "SMD after",
    "var_ratio_after": "Variance ratio after",
    "event_time": "Event time",
    "indicator": "Indicator",
    "indicator_zh": "Indicator (Chinese)",
    "dimension": "Dimension",
    "dimension_weight": "Dimension weight",
    "indicator_weight": "Indicator weight",
    "global_weight": "Global weight",
    "city_code": "City code",
    "year": "Year",
    "province": "Province",
    "first_treat": "Pilot year",
    "n_cities": "Cities",
    "mean_se": "Mean SE",
    "sd_estimate": "SD of estimates",
    "n_draws": "Draws",
    "mean_truth": "Mean truth",
    "spearman_vs_paper": "Spearman vs paper",
    "share_moved_gt_10": "Share moved > 10 ranks",
    "median_abs_move": "Median |move|",
    "max_abs_move": "Max |move|",
    "group_value": "Group",
    "moderator_value": "Moderator",
    "source": "Source",
    "description": "Description",
    "paper_label": "Paper label",
    "label_en": "Label",
    "n": "Count",
    "count": "Count",
    "share": "Share",
    "relative_magnitude": "Relative magnitude",
    "twfe_estimate": "TWFE estimate",
    "p_holm": "p (Holm)",
    "ri_p_value": "Randomisation p-value",
    "real": "Real data",
    "semi_synthetic": "Semi-synthetic",
}
_ABBREV = {
    "se": "SE",
    "sd": "SD",
    "n": "N",
    "r2": "R²",
    "ci": "CI",
    "iv": "IV",
    "ols": "OLS",
    "att": "ATT",
    "psm": "PSM",
    "did": "DiD",
    "twfe": "TWFE",
    "smd": "SMD",
    "ar": "AR",
    "f": "F",
    "p": "p",
}
MISSING = "—"
MISSING_NOTE = "— : not available (not estimable on this track, not reported by the paper, or not applicable)."
MAX_COLUMNS = 9  # wider tables are shown collapsed (a dropdown) so the page stays inside the text column
_MISSING_TEXT = {"nan", "NaN", "NAN", "<NA>", "None", "NaT", "none", "null"}


def human_label(name) -> str:
    """The reader's header for a code name: :data:`LABELS`, else words from the snake_case name."""
    if isinstance(name, tuple):
        return " · ".join(human_label(n) for n in name if str(n) != "")
    s = str(name)
    if s in LABELS:
        return LABELS[s]
    if not re.fullmatch(r"[A-Za-z0-9_]+", s) or "_" not in s:
        return s
    words = [_ABBREV.get(w.lower(), w) for w in s.split("_") if w]
    out = " ".join(words)
    return out[:1].upper() + out[1:]


def is_missing(x) -> bool:
    """True for None, NaN, pd.NA, NaT and for strings that spell a missing value ("nan", "<NA>", "None")."""
    if x is None or x is pd.NA or x is pd.NaT:
        return True
    if isinstance(x, str):
        return x.strip() in _MISSING_TEXT
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def fmt_cell(x, digits: int = 3) -> str:
    """A table cell for reading: rounded floats, integers as is, :data:`MISSING` for any missing value."""
    if is_missing(x):
        return MISSING
    if isinstance(x, (float, np.floating)):
        if math.isinf(float(x)):
            return "∞" if x > 0 else "−∞"
        if float(x).is_integer() and abs(float(x)) >= 1000:
            return f"{int(x):,}"
        return fmt_num(x, digits)
    if isinstance(x, (int, np.integer, bool, np.bool_)):
        return fmt_num(x, digits)
    return str(x)


def reader_frame(df: pd.DataFrame, digits: int = 3, labels: dict | None = None) -> tuple[pd.DataFrame, bool]:
    """``df`` as strings for reading: a meaningful index becomes a column, headers get human labels, numbers are
    rounded, missing values become "—". Returns (frame, whether any value was missing)."""
    if isinstance(df, pd.Series):
        df = df.to_frame()
    d = df.copy()
    named_index = any(n is not None for n in d.index.names) or not isinstance(d.index, pd.RangeIndex)
    if named_index and not (isinstance(d.index, pd.RangeIndex) or d.index.equals(pd.RangeIndex(len(d)))):
        names = [n if n is not None else "" for n in d.index.names]
        d.index = d.index.set_names([n or f"level_{i}" if len(names) > 1 else (n or " ") for i, n in enumerate(names)])
        d = d.reset_index()
    if isinstance(d.columns, pd.MultiIndex):
        d.columns = [" · ".join(human_label(c) for c in col if str(c) != "") for col in d.columns]
    lab = {**LABELS, **(labels or {})}
    cols = [lab.get(str(c), human_label(c)) if not isinstance(c, tuple) else human_label(c) for c in d.columns]
    missing = bool(d.map(is_missing).to_numpy().any()) if d.size else False
    out = pd.DataFrame({i: [fmt_cell(v, digits) for v in d.iloc[:, i]] for i in range(d.shape[1])}, index=range(len(d)))
    out.columns = cols
    return out, missing


def table_html(
    df,
    caption: str | None = None,
    digits: int = 3,
    notes=(),
    missing_note: str | None = None,
    labels: dict | None = None,
    collapse: bool | None = None,
    download: str | None = None,
) -> str:
    """The HTML of a reader table (see :func:`show_table`)."""
    if hasattr(df, "data") and hasattr(df, "hide") and not isinstance(df, pd.DataFrame):  # a pandas Styler
        df = df.data
    shown, missing = reader_frame(df, digits, labels)
    body = shown.to_html(index=False, escape=True, border=0, classes="nqp-table-grid", na_rep=MISSING)
    foot = [html.escape(n) for n in notes if n]
    if missing:
        foot.append(html.escape(missing_note or MISSING_NOTE))
    cap = f'<p class="nqp-caption">{html.escape(caption)}</p>' if caption else ""
    foot_html = "".join(f'<p class="nqp-note">{n}</p>' for n in foot)
    dl = (
        f'<p class="nqp-note"><a href="{html.escape(download)}">Download this table (CSV, full precision)</a></p>'
        if download
        else ""
    )
    block = f'<div class="nqp-table">{cap}{body}{foot_html}{dl}</div>'
    if collapse is None:
        collapse = shown.shape[1] > MAX_COLUMNS
    if collapse:
        summary = html.escape(caption or "Table") + f" ({shown.shape[0]} rows × {shown.shape[1]} columns): show"
        block = f'<details class="nqp-wide"><summary>{summary}</summary>{block}</details>'
    return block


def show_table(
    df,
    caption: str | None = None,
    digits: int = 3,
    notes=(),
    missing_note: str | None = None,
    labels: dict | None = None,
    collapse: bool | None = None,
    download: str | None = None,
) -> HTML:
    """A table as a reader sees it: human headers (:data:`LABELS`), no index column, numbers rounded to ``digits``
    (the CSV keeps full precision), "—" for missing values with a footnote (``missing_note`` says why), in a box
    that scrolls by itself on a phone; wider than :data:`MAX_COLUMNS` columns it is collapsed into a dropdown."""
    return HTML(table_html(df, caption, digits, notes, missing_note, labels, collapse, download))


def install_table_format(ip=None) -> bool:
    """Make every DataFrame (and Styler) a cell displays render through :func:`table_html`; True if installed.

    Called by :func:`track_banner`, so every chapter's bare ``display(df)`` reads cleanly without touching it."""
    if ip is None:
        try:
            from IPython import get_ipython
        except ImportError:  # pragma: no cover - IPython is a dependency
            return False
        ip = get_ipython()
    if ip is None:
        return False
    from pandas.io.formats.style import Styler

    fmt = ip.display_formatter.formatters["text/html"]
    fmt.for_type(pd.DataFrame, lambda d: table_html(d))
    fmt.for_type(pd.Series, lambda s: table_html(s.to_frame()))
    fmt.for_type(Styler, lambda s: table_html(s.data, caption=getattr(s, "caption", None)))
    plain = ip.display_formatter.formatters["text/plain"]
    plain.for_type(pd.DataFrame, lambda d, p, cycle: p.text(reader_frame(d)[0].to_string(index=False)))
    return True


def num_text(value, digits: int = 3) -> str:
    """``value`` as prose text rounded to ``digits``, "—" when missing (what :func:`glue_num` glues)."""
    return MISSING if is_missing(value) else fmt_num(value, digits)


def glue_num(key: str, value, digits: int = 3) -> str:
    """Glue ``value`` for prose as text rounded to ``digits`` ("—" when missing), so no "nan" reaches a page.

    Reference it without a format spec: ``{glue:text}`key```. Returns the glued text."""
    from myst_nb import glue

    text = num_text(value, digits)
    glue(key, text, display=False)
    return text
