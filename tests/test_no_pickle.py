"""No code path of the package or the chapters deserialises user data with pickle (loading a pickle can run code).

Static: the source of ``nqp_helpers/`` and ``notebooks/*.py`` is scanned (AST for calls and imports, text for the
rest) for pickle, ``read_pickle``, ``joblib.load``, ``np.load(..., allow_pickle=True)``, ``yaml.load`` without a safe
loader, ``dill``/``cloudpickle``/``marshal``/``shelve`` and ``read_hdf``/``HDFStore`` (PyTables pickles object
columns). ``ALLOWED`` lists the exceptions with the reason each is not user data. dask.distributed serialises tasks
and results with cloudpickle internally (``nqp sweep``); that is dask's own traffic between processes we start,
never a file a user hands us, and it happens outside this source tree, so it needs no entry here.

Dynamic: while ``load_panel`` reads files of every supported type, every pickle entry point raises.
"""

from __future__ import annotations

import ast
import io
import pickle
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SOURCES = sorted((REPO / "nqp_helpers").rglob("*.py")) + sorted((REPO / "notebooks").glob("*.py"))

BAD_MODULES = {"pickle", "cPickle", "_pickle", "dill", "cloudpickle", "marshal", "shelve", "joblib"}
BAD_ATTRS = {"read_pickle", "to_pickle", "read_hdf", "HDFStore", "Unpickler"}
# (file relative to the repo, line text fragment) -> why it is fine. Keep it short and justified.
ALLOWED: dict[tuple[str, str], str] = {
    ("nqp_helpers/data/load.py", "pickle files are never read"): "the message refusing .pkl files",
    ("nqp_helpers/data/load.py", '".pkl", ".pickle"'): "the extension check that refuses pickle files",
    ("nqp_helpers/data/load.py", "(never pickle)"): "docstring",
    ("nqp_helpers/book.py", "pickled environment"): "comment about Sphinx's own environment cache",
    # nqp sweep: the worker-side helpers are registered to travel by value inside dask's own task traffic between
    # processes we start (see the docstring above); nothing here unpickles a file or bytes a user hands us.
    ("nqp_helpers/sweep.py", "import cloudpickle"): "dask task serialisation of sweep_workers (by value)",
    ("nqp_helpers/sweep.py", "cloudpickle.list_registry_pickle_by_value()"): "same: registration check",
    ("nqp_helpers/sweep.py", "cloudpickle.register_pickle_by_value(sweep_workers)"): "same: registration",
    ("nqp_helpers/sweep_workers.py", "cloudpickle.register_pickle_b"): "docstring describing that registration",
}


def _allowed(rel: str, line: str) -> bool:
    return any(rel == f and frag in line for (f, frag) in ALLOWED)


def _call_name(node: ast.Call) -> str:
    f = node.func
    parts = []
    while isinstance(f, ast.Attribute):
        parts.append(f.attr)
        f = f.value
    if isinstance(f, ast.Name):
        parts.append(f.id)
    return ".".join(reversed(parts))


def _findings(path: Path) -> list[str]:
    rel = path.relative_to(REPO).as_posix()
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    out = []
    tree = ast.parse(text, filename=rel)
    for node in ast.walk(tree):
        where = f"{rel}:{getattr(node, 'lineno', '?')}"
        line = lines[node.lineno - 1] if hasattr(node, "lineno") else ""
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] in BAD_MODULES and not _allowed(rel, line):
                    out.append(f"{where}: import {a.name}")
        elif isinstance(node, ast.ImportFrom):
            if (node.module or "").split(".")[0] in BAD_MODULES and not _allowed(rel, line):
                out.append(f"{where}: from {node.module} import ...")
        elif isinstance(node, ast.Attribute) and node.attr in BAD_ATTRS and not _allowed(rel, line):
            out.append(f"{where}: .{node.attr}")
        elif isinstance(node, ast.Call):
            name = _call_name(node)
            kw = {k.arg: k.value for k in node.keywords}
            if name.endswith("load") and name.split(".")[0] in ("np", "numpy") and "allow_pickle" in kw:
                v = kw["allow_pickle"]
                if not (isinstance(v, ast.Constant) and v.value is False):
                    out.append(f"{where}: {name}(..., allow_pickle=...)")
            if name in ("yaml.load", "yaml.load_all", "yaml.unsafe_load", "yaml.full_load"):
                loader = ast.unparse(kw.get("Loader", ast.Constant(None)))
                if "Safe" not in loader and not _allowed(rel, line):
                    out.append(f"{where}: {name} without SafeLoader (use yaml.safe_load)")
            if name in ("eval", "exec") and not _allowed(rel, line):
                out.append(f"{where}: {name}(...) (never evaluate text from a file)")
    # text scan: catches what the AST walk cannot (getattr tricks, strings handed to importlib)
    for i, line in enumerate(lines, 1):
        if re.search(
            r"\b(pickle|read_pickle|joblib\.load|allow_pickle\s*=\s*True|dill|cloudpickle)\b", line
        ) and not _allowed(rel, line):
            out.append(f"{rel}:{i}: mentions {line.strip()[:80]!r}")
    return out


def test_sources_found():
    assert any(p.name == "load.py" for p in SOURCES) and len(SOURCES) > 10


def test_no_pickle_in_package_or_notebooks():
    problems = sorted({f for p in SOURCES for f in _findings(p)})
    assert not problems, "pickle-like deserialisation (add to ALLOWED only with a reason):\n" + "\n".join(problems)


def test_allow_list_is_not_stale():
    """Every ALLOWED entry still matches a line: a removed exception must leave the list too."""
    for (rel, frag), why in ALLOWED.items():
        path = REPO / rel
        assert path.is_file() and frag in path.read_text(encoding="utf-8"), f"stale ALLOWED entry {rel!r} ({why})"


def test_the_scanner_catches_each_pattern(tmp_path, monkeypatch):
    bad = tmp_path / "nqp_helpers" / "bad.py"
    bad.parent.mkdir()
    bad.write_text(
        "import pickle\nimport numpy as np\nimport pandas as pd, yaml\n"
        "a = pd.read_pickle('x')\nb = np.load('x.npy', allow_pickle=True)\n"
        "from joblib import load\nc = yaml.load(open('g.yaml'))\nd = pd.read_hdf('x.h5')\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(__import__(__name__), "REPO", tmp_path)
    found = "\n".join(_findings(bad))
    for needle in ("import pickle", ".read_pickle", "allow_pickle", "from joblib", "yaml.load without", ".read_hdf"):
        assert needle in found, (needle, found)
    ok = tmp_path / "nqp_helpers" / "ok.py"
    ok.write_text(
        "import numpy as np, yaml\nx = np.load('x.npy')\ny = np.load('x.npy', allow_pickle=False)\n"
        "z = yaml.safe_load('a: 1')\n",
        encoding="utf-8",
    )
    assert _findings(ok) == []


@pytest.fixture
def pickle_forbidden(monkeypatch):
    import pandas as pd

    def refuse(*args, **kwargs):
        raise AssertionError("pickle was used to load data")

    for mod, name in ((pickle, "load"), (pickle, "loads"), (pickle, "Unpickler"), (pd, "read_pickle")):
        monkeypatch.setattr(mod, name, refuse)


@pytest.mark.parametrize("ext", [".csv", ".parquet", ".xlsx", ".dta"])
def test_load_panel_reads_every_type_without_pickle(tmp_path, ext, pickle_forbidden):
    from toy_panels import toy_panel

    from nqp_helpers.data.load import load_panel

    df = toy_panel(n_units=4, years=range(2004, 2008), cohorts=(2006,)).drop(columns=["unit", "y", "cluster"])
    df["Pro"] = 1.5
    path = tmp_path / f"panel{ext}"
    {
        ".csv": lambda: df.to_csv(path, index=False),
        ".parquet": lambda: df.to_parquet(path, index=False),
        ".xlsx": lambda: df.to_excel(path, index=False),
        ".dta": lambda: df.to_stata(path, write_index=False),
    }[ext]()
    out = load_panel(path)
    assert out.attrs["track"] == "user" and len(out) == len(df)


def test_pickle_file_is_refused_unread(tmp_path, monkeypatch):
    """A .pkl (even one whose payload would run code) is refused by extension, before a byte is read."""
    from nqp_helpers.data.load import load_panel
    from nqp_helpers.errors import NQPInputError

    path = tmp_path / "panel.pkl"
    buf = io.BytesIO()
    pickle.dump({"x": 1}, buf)
    path.write_bytes(buf.getvalue())
    opened = []
    monkeypatch.setattr(Path, "read_bytes", lambda self: opened.append(self) or b"")
    with pytest.raises(NQPInputError, match="pickle files are never read"):
        load_panel(path)
    assert opened == []
