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
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from IPython.display import HTML, Markdown

from . import paths
from .errors import NQPInputError

SEMI_SYNTHETIC_TEXT = ("SEMI-SYNTHETIC DATA: real cities, years and pilot timing; indicators simulated with known "
                       "true effects. Tests the pipeline and teaches; proves nothing about China.")
# Variables the paper uses, grouped for the banner of the real track.
PAPER_VARIABLES = {
    "index": ("Pro", "Lab", "Mea", "Obj"),
    "treatment": ("first_treat", "Inn"),
    "controls": ("Eco", "Gov", "Fix", "Fin", "Tra", "Ope"),
    "moderators": ("Hum", "Dig", "Ind"),
    "instruments": ("iv_ntl", "iv_lzh"),
    "heterogeneity": ("size_class", "admin_level", "old_industrial_base"),
}
_STYLE = {"semi_synthetic": ("warning", "#b35900", "#fff4e5"), "real": ("note", "#1f5f99", "#eaf2fb"),
          "user": ("tip", "#2e7d32", "#edf7ee")}


def _box(kind: str, title: str, body_html: str) -> HTML:
    cls, border, bg = _STYLE[kind]
    return HTML(f'<div class="admonition {cls}" style="border-left: 6px solid {border}; background: {bg}; '
                f'padding: 0.6em 1em; margin: 0.5em 0;"><p class="admonition-title" style="font-weight: bold; '
                f'margin: 0 0 0.3em 0;">{html.escape(title)}</p>{body_html}</div>')


def track_banner(panel_or_track) -> HTML:
    """A visible banner saying which data track a chapter runs on.

    Accepts the panel (reads ``attrs["track"]``; a user panel's file name from ``attrs["source"]``, ``["path"]`` or
    ``["file"]``) or the track name itself. Semi-synthetic: the fixed warning. Real: which of the paper's variables
    are present (real or documented proxies, per ``attrs["proxies"]``) and which exhibits cannot run because their
    columns are absent. User: the file name.
    """
    from .reported import EXHIBITS

    panel = panel_or_track if isinstance(panel_or_track, pd.DataFrame) else None
    track = panel.attrs.get("track") if panel is not None else panel_or_track
    if track not in _STYLE:
        raise NQPInputError(f"track_banner: unknown track {track!r}; expected one of {sorted(_STYLE)}")
    if track == "semi_synthetic":
        return _box(track, "Semi-synthetic data", f"<p>{html.escape(SEMI_SYNTHETIC_TEXT)}</p>")
    if track == "user":
        src = next((panel.attrs[k] for k in ("source", "source_path", "path", "file") if panel is not None and k in panel.attrs),
                   "a user-supplied file")
        return _box(track, "User data", f"<p>USER DATA: results below are computed from "
                                        f"<code>{html.escape(Path(str(src)).name)}</code>; they are yours, not the paper's.</p>")
    if panel is None:
        return _box(track, "Real data", "<p>REAL DATA: public sources and documented proxies; see the data chapter "
                                        "for which variables are real.</p>")
    cols = set(panel.columns)
    proxies = panel.attrs.get("proxies", {}) or {}
    items = []
    for group, names in PAPER_VARIABLES.items():
        have = [n + (" (proxy)" if n in proxies else "") for n in names if n in cols]
        lack = [n for n in names if n not in cols]
        items.append(f"<li><b>{group}</b>: {html.escape(', '.join(have) or 'none')}"
                     + (f"; <i>absent</i>: {html.escape(', '.join(lack))}" if lack else "") + "</li>")
    blocked = [f"{e} ({', '.join(c for c in req if c not in cols)})" for e, _, _, _, _, req, _ in EXHIBITS
               if any(c not in cols for c in req)]
    body = ("<p>REAL DATA: public sources; the paper's own data are not public, so some variables are proxies and "
            "some are missing. Numbers below are estimates on these data, not the paper's.</p><ul>" + "".join(items)
            + "</ul><p>" + (f"Exhibits that cannot run on this track: {html.escape('; '.join(blocked))}."
                            if blocked else "All exhibits can run on this track.") + "</p>")
    return _box(track, "Real data", body)


def save_table(df: pd.DataFrame, name: str, notebook: str) -> Path:
    """Write ``df`` as ``<results>/<notebook>/<name>.csv`` deterministically and atomically; return the path.

    Floats with ``%.10g``, no index, ``\\n`` line ends; written to a temporary file in the same folder, then renamed,
    so a failed write leaves nothing half-written. ``name`` is a bare file name (".csv" optional).
    """
    if not isinstance(df, pd.DataFrame):
        raise NQPInputError(f"save_table: expected a DataFrame, got {type(df).__name__}")
    name = name[:-4] if name.endswith(".csv") else name
    if not name or not re.fullmatch(r"[A-Za-z0-9_.\-]+", name) or name.startswith("."):
        raise NQPInputError(f"save_table: name {name!r} must be a bare file name (letters, digits, _ . -)")
    nb = _notebook_stem(notebook)
    target = paths.results_dir(nb) / f"{name}.csv"
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            df.to_csv(fh, index=False, float_format="%.10g", lineterminator="\n")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes the file private; a results table is for readers
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _notebook_stem(notebook: str) -> str:
    stem = Path(str(notebook)).name
    for ext in (".ipynb", ".py"):
        if stem.endswith(ext):
            stem = stem[: -len(ext)]
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


def rerun_box(notebook: str, params: dict | None = None) -> Markdown:
    """Markdown box with the command that re-makes this chapter (change the values to explore)."""
    return Markdown("**Re-run this chapter** (change any value):\n\n```bash\n" + rerun_command(notebook, params)
                    + "\n```\n")


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
