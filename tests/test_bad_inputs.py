"""Bad inputs fail early, clearly and cleanly.

Every case below feeds one bad data file, option or parameter to a public entry point and checks three things:

1. the right exception class: :class:`PanelValidationError` for a panel that fails validation,
   :class:`NQPInputError` otherwise (both are ``ValueError``), never a raw ``UnicodeDecodeError``, parser error or
   ``KeyError`` from deep inside pandas;
2. the message names what is wrong and where: the column, the (city_code, year) rows, the parameter, the file;
3. nothing is left behind: the folder the call works in holds exactly the files it held before (no run folder
   for a rejected parameter set, no half-written table).

The command-line cases run ``nqp`` in-process (``nqp_helpers.cli.main``): exit status 2 and the message on stderr.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd
import pytest
from toy_panels import toy_panel

from nqp_helpers.errors import NQPInputError, PanelValidationError

REPO = Path(__file__).resolve().parent.parent
QUICKSTART = REPO / "notebooks" / "00_quickstart.py"
TINY = REPO / "tests" / "fixtures" / "tiny_ok.py"
CITY_NAMES = ["北京市", "天津市", "石家庄市", "太原市", "沈阳市", "长春市"]
TREATED = 110300  # first treated city of the good panel (first_treat 2006); 110100 and 110200 never treated


def good_panel() -> pd.DataFrame:
    """6 cities x 2004-2009, 4 of them treated in 2006; city names in Chinese; one outcome (Pro), one log column."""
    df = toy_panel(n_units=6, years=range(2004, 2010), cohorts=(2006,), seed=1)
    df = df.drop(columns=["unit", "y", "x1", "x2", "cluster"])
    df.insert(1, "city", df["city_code"].map(dict(zip(sorted(df["city_code"].unique()), CITY_NAMES))))
    df["Pro"] = 2.0 + 0.01 * df.index
    df["gdp_pc"] = 30000.0 + df.index
    return df


def at(df: pd.DataFrame, code: int, year: int):
    """Index label of the row (code, year)."""
    return df.index[(df["city_code"] == code) & (df["year"] == year)][0]


def write(tmp: Path, df: pd.DataFrame, name: str = "panel.csv", **kw) -> Path:
    path = tmp / name
    df.to_csv(path, index=False, **kw)
    return path


def snapshot(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")} if root.exists() else set()


# ------------------------------------------------------------------------------------------------- the cases
@dataclass(frozen=True)
class Bad:
    id: str
    make: Callable[[Path], Callable[[], object]]  # tmp folder -> the call that must fail
    exc: type
    needles: tuple[str, ...]  # all must appear in the message
    absent: tuple[str, ...] = ()  # none may appear (e.g. a misleading suggestion)


def _load(tmp_path_fn, **kw):
    """make(): write a file with tmp_path_fn(tmp) and return a call that loads it."""

    def make(tmp):
        path = tmp_path_fn(tmp)
        from nqp_helpers.data.load import load_panel

        return lambda: load_panel(path, **kw)

    return make


def _edited(edit, name="panel.csv", **kw):
    def build(tmp):
        df = good_panel()
        df = edit(df)
        return write(tmp, df, name)

    return _load(build, **kw)


def _set(code, year, col, value):
    def edit(df):
        if df[col].dtype != object and isinstance(value, str):
            df[col] = df[col].astype(object)
        df.loc[at(df, code, year), col] = value
        return df

    return edit


def _api(fn, prepare=None):
    """make(): prepare(tmp) writes the inputs (before the snapshot); the call is fn(tmp)."""

    def make(tmp):
        if prepare is not None:
            prepare(tmp)
        return lambda: fn(tmp)

    return make


def _load_source(source, **kw):
    def call(tmp):
        from nqp_helpers.data.load import load_panel

        return load_panel(source, **kw)

    return _api(call)


def _gbk(tmp):
    path = tmp / "panel_gbk.csv"
    path.write_bytes(good_panel().to_csv(index=False).encode("gbk"))
    return path


def _header_only(tmp):
    return write(tmp, good_panel().head(0))


def _empty(tmp):
    path = tmp / "panel.csv"
    path.write_bytes(b"")
    return path


def _named(name, content=b"x"):
    def build(tmp):
        path = tmp / name
        path.write_bytes(content)
        return path

    return build


def _first_treat_varies(df):
    df.loc[at(df, TREATED, 2004), "first_treat"] = 2007
    return df


def _switch_off(df):
    df = df.drop(columns=["first_treat"])
    df.loc[at(df, TREATED, 2008), "Inn"] = 0
    return df


def _outside(df):
    df.loc[df["city_code"] == TREATED, "first_treat"] = 2030
    df.loc[df["city_code"] == TREATED, "Inn"] = 0
    return df


def _cannot_log(df):
    df.loc[at(df, TREATED, 2005), "gdp_pc"] = 0
    df.loc[at(df, 110100, 2009), "gdp_pc"] = -3
    return df


def _reported(tmp):
    from nqp_helpers.reported import reported_results

    return reported_results(tmp / "reported_results.csv")


def _reported_file(tmp):
    (tmp / "reported_results.csv").write_text(
        "table,column,outcome,spec,term,coef,se,stars,n,r2\n"
        "2,1,Pro,baseline,Inn,0.484,0.186,***,5560,0.872\n"
        "2,1,Pro,baseline,const,abc,1.090,***,5560,0.872\n",
        encoding="utf-8",
    )


def _grid(tmp):
    from nqp_helpers.sweep import load_grid

    return load_grid(tmp / "grid.yaml")


def _grid_file(tmp):
    (tmp / "grid.yaml").write_text(f"notebook: {QUICKSTART}\nparamters:\n  seed: [1, 2]\n", encoding="utf-8")


def _run(params, notebook=QUICKSTART):
    def call(tmp):
        from nqp_helpers.runner import run_notebook

        return run_notebook(notebook, params, runs_dir=tmp / "runs")

    return _api(call)


def _save_table_bad_name(tmp):
    from nqp_helpers.display import save_table

    return save_table(good_panel(), "../escape", "03_t2_baseline")


CASES = [
    # --- columns
    Bad(
        "missing_required_column",
        _edited(lambda d: d.drop(columns=["city_code"])),
        PanelValidationError,
        ("missing required column 'city_code'",),
        absent=("did you mean",),
    ),  # 'city' is a column of its own
    Bad(
        "misspelt_column_suggests",
        _edited(lambda d: d.rename(columns={"city_code": "city_cod"})),
        PanelValidationError,
        ("missing required column 'city_code'", "did you mean 'city_cod'"),
    ),
    Bad(
        "misspelt_outcome_suggests",
        _edited(lambda d: d.rename(columns={"Pro": "pro"})),
        PanelValidationError,
        ("missing outcome columns", "'Pro'", "did you mean 'pro'"),
    ),
    Bad(
        "year_renamed_Year",
        _edited(lambda d: d.rename(columns={"year": "Year"})),
        PanelValidationError,
        ("missing required column 'year'", "did you mean 'Year'"),
    ),
    Bad(
        "year_renamed_chinese",
        _edited(lambda d: d.rename(columns={"year": "年份"})),
        PanelValidationError,
        ("missing required column 'year'",),
    ),
    Bad(
        "no_treatment_column",
        _edited(lambda d: d.drop(columns=["first_treat", "Inn"])),
        PanelValidationError,
        ("need 'first_treat' or 'Inn'",),
    ),
    # --- rows
    Bad(
        "duplicate_city_years",
        _edited(lambda d: pd.concat([d, d.iloc[[7]]], ignore_index=True)),
        PanelValidationError,
        ("duplicate city-years", "(110200, 2005)"),
    ),
    Bad(
        "unbalanced_rejected",
        _edited(lambda d: d.drop(index=at(d, TREATED, 2007))),
        PanelValidationError,
        ("unbalanced panel", f"({TREATED}, 2007)", "balanced='warn'"),
    ),
    Bad(
        "text_in_numeric_column",
        _edited(_set(TREATED, 2005, "Pro", "2,5")),
        PanelValidationError,
        ("column 'Pro'", "non-numeric", "'2,5'", f"({TREATED}, 2005)"),
    ),
    Bad(
        "text_in_city_code",
        _edited(_set(TREATED, 2005, "city_code", "太原")),
        PanelValidationError,
        ("column 'city_code'", "'太原'"),
    ),
    Bad(
        "cannot_be_logged",
        _edited(_cannot_log),
        PanelValidationError,
        ("column 'gdp_pc'", "<= 0", "cannot be logged", f"({TREATED}, 2005)", "(110100, 2009)"),
    ),
    # --- treatment
    Bad(
        "treatment_year_outside_sample",
        _edited(_outside),
        PanelValidationError,
        ("column 'first_treat'", "[2030]", "outside the sample 2004-2009", f"({TREATED}, 2004)"),
    ),
    Bad(
        "treatment_switches_off",
        _edited(_switch_off),
        PanelValidationError,
        ("column 'Inn'", "switches off (1 -> 0)", f"({TREATED}, 2008)"),
    ),
    Bad(
        "inn_inconsistent_with_first_treat",
        _edited(_set(TREATED, 2005, "Inn", 1)),
        PanelValidationError,
        ("column 'Inn'", "inconsistent with first_treat", f"({TREATED}, 2005)"),
    ),
    Bad(
        "inn_not_binary",
        _edited(lambda d: d.drop(columns=["first_treat"]).assign(Inn=lambda x: x["Inn"] * 2)),
        PanelValidationError,
        ("column 'Inn'", "other than 0/1"),
    ),
    Bad(
        "first_treat_varies_within_city",
        _edited(_first_treat_varies),
        PanelValidationError,
        ("column 'first_treat'", f"varies within city [{TREATED}]", f"({TREATED}, 2004)"),
    ),
    Bad(
        "unknown_city_codes",
        _edited(lambda d: d, known_codes=[110100, 110200, 110300, 110400, 110500]),
        PanelValidationError,
        ("column 'city_code'", "unknown city code(s) [110600]", "(110600, 2004)"),
    ),
    # --- files
    Bad("empty_file", _load(_empty), NQPInputError, ("panel.csv", "empty (0 bytes)")),
    Bad("header_only_file", _load(_header_only), NQPInputError, ("panel.csv", "no data rows", "city_code")),
    Bad(
        "gbk_encoded_csv",
        _load(_gbk),
        NQPInputError,
        ("panel_gbk.csv", "not UTF-8", "line 2", "GBK", "Save it as UTF-8"),
    ),
    Bad(
        "unsupported_extension",
        _load(_named("panel.json", b"{}")),
        NQPInputError,
        ("panel.json", "unsupported file type '.json'", ".csv"),
    ),
    Bad("pickle_refused", _load(_named("panel.pkl")), NQPInputError, ("panel.pkl", "pickle files are never read")),
    Bad(
        "nonexistent_path",
        _load(lambda tmp: tmp / "no_such_panel.csv"),
        NQPInputError,
        ("no_such_panel.csv", "does not exist"),
    ),
    Bad(
        "corrupt_parquet",
        _load(_named("panel.parquet", b"city_code,year\n1,2\n")),
        NQPInputError,
        ("panel.parquet", "could not be read as .parquet"),
    ),
    Bad(
        "xlsx_that_is_not_excel",
        _load(_named("panel.xlsx", b"city_code,year\n1,2\n")),
        NQPInputError,
        ("panel.xlsx", "could not be read as .xlsx"),
    ),
    # --- load_panel options
    Bad(
        "unknown_source",
        _load_source("semi-synthetic"),
        NQPInputError,
        ("unknown source 'semi-synthetic'", "'semi_synthetic'", "'real'"),
    ),
    Bad(
        "unknown_option",
        _load_source("semi_synthetic", drop_uncertian=True),
        NQPInputError,
        ("unknown option(s) ['drop_uncertian']", "'drop_uncertain'"),
    ),
    Bad(
        "option_for_other_track",
        _load_source("semi_synthetic", known_codes=[110100]),
        NQPInputError,
        ("['known_codes']", "do not apply to source 'semi_synthetic'"),
    ),
    Bad(
        "unknown_scenario",
        _load_source("semi_synthetic", scenario="dynamc"),
        NQPInputError,
        ("unknown scenario 'dynamc'", "'dynamic'"),
    ),
    Bad(
        "bad_pilot_years",
        _load_source("semi_synthetic", pilot_years="latests"),
        NQPInputError,
        ("pilot_years='latests'", "'latest'"),
    ),
    Bad(
        "bad_pilot_years_user_file",
        _edited(lambda d: d, pilot_years=2010),
        NQPInputError,
        ("pilot_years=2010", "'earliest'"),
    ),
    Bad(
        "bad_district_pilots",
        _load_source("real", district_pilots="treat_parents"),
        NQPInputError,
        ("district_pilots='treat_parents'", "'treat_parent'"),
    ),
    Bad(
        "bad_balanced_value",
        _load_source("semi_synthetic", balanced="maybe"),
        NQPInputError,
        ("balanced='maybe'", "'warn'"),
    ),
    Bad(
        "bad_weights",
        _load_source("semi_synthetic", weights="entropie"),
        NQPInputError,
        ("unknown weights 'entropie'", "'entropy'"),
    ),
    # --- notebook parameters (API), other files
    Bad(
        "run_unknown_parameter",
        _run({"sed": 7}),
        NQPInputError,
        (
            "00_quickstart.py",
            "unknown parameter 'sed'",
            "declared parameters",
            "seed (int, default 20260101)",
            "data (str",
        ),
    ),
    Bad("run_wrong_type", _run({"seed": "seven"}), NQPInputError, ("parameter 'seed' expects int", "seven")),
    Bad(
        "run_nonexistent_notebook",
        _run({}, notebook=REPO / "notebooks" / "99_nope.py"),
        NQPInputError,
        ("99_nope.py", "does not exist"),
    ),
    Bad(
        "reported_results_non_numeric_coef",
        _api(_reported, _reported_file),
        NQPInputError,
        ("reported_results.csv", "row 1 (CSV line 3)", "column 'coef'", "must be numeric", "'abc'"),
    ),
    Bad(
        "sweep_grid_typo_key",
        _api(_grid, _grid_file),
        NQPInputError,
        ("grid.yaml", "unknown key 'paramters'", "did you mean 'parameters'"),
    ),
    Bad("save_table_bad_name", _api(_save_table_bad_name), NQPInputError, ("'../escape'", "bare file name")),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Bad, tmp_path, monkeypatch):
    monkeypatch.setenv("NQP_RESULTS_DIR", str(tmp_path / "results"))
    call = case.make(tmp_path)
    before = snapshot(tmp_path)
    with pytest.raises(ValueError) as info:
        call()
    err = info.value
    assert type(err) is case.exc, f"expected {case.exc.__name__}, got {type(err).__name__}: {err}"
    msg = str(err)
    missing = [n for n in case.needles if n not in msg]
    assert not missing, f"message lacks {missing}:\n{msg}"
    assert not [a for a in case.absent if a in msg], msg
    assert "Traceback" not in msg
    assert snapshot(tmp_path) == before, f"left behind: {sorted(snapshot(tmp_path) - before)}"


def test_enough_cases():
    assert len(CASES) >= 25


def test_unbalanced_with_warn_names_missing_city_years(tmp_path):
    from nqp_helpers.data.load import load_panel

    df = good_panel()
    df = df.drop(index=[at(df, TREATED, 2007), at(df, 110100, 2004)])
    path = write(tmp_path, df)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = load_panel(path, balanced="warn")
    msgs = [str(w.message) for w in caught if issubclass(w.category, UserWarning) and "unbalanced" in str(w.message)]
    assert len(msgs) == 1, [str(w.message) for w in caught]
    assert f"({TREATED}, 2007)" in msgs[0] and "(110100, 2004)" in msgs[0]
    assert len(out) == len(df) and out.attrs["track"] == "user"


def test_utf8_with_bom_is_read(tmp_path):
    """Excel's 'CSV UTF-8' writes a byte-order mark: the first column must still be city_code."""
    from nqp_helpers.data.load import load_panel

    out = load_panel(write(tmp_path, good_panel(), encoding="utf-8-sig"))
    assert list(out.columns[:2]) == ["city_code", "city"] and out["city"].iloc[0] == "北京市"


def test_many_problems_reported_at_once(tmp_path):
    """One run lists every problem, so a user fixes the file once."""
    from nqp_helpers.data.load import load_panel

    df = _cannot_log(_first_treat_varies(good_panel()))
    df = pd.concat([df, df.iloc[[3]]], ignore_index=True)
    with pytest.raises(PanelValidationError) as info:
        load_panel(write(tmp_path, df))
    msg = str(info.value)
    assert "3 problem(s)" in msg and "gdp_pc" in msg and "varies within city" in msg and "duplicate" in msg


# ------------------------------------------------------------------------------------------------ command line
def _nqp(args, capsys):
    from nqp_helpers.cli import main

    rc = main([str(a) for a in args])
    out = capsys.readouterr()
    return rc, out.out, out.err


CLI_CASES = [
    (
        "run_unknown_parameter",
        ["run", QUICKSTART, "-p", "sed", "7"],
        (
            "nqp run: error",
            "unknown parameter 'sed'",
            "declared parameters of 00_quickstart.py",
            "seed (int, default 20260101)",
            "data (str, default 'semi_synthetic')",
        ),
    ),
    (
        "run_wrong_type",
        ["run", QUICKSTART, "-p", "seed", "seven"],
        ("nqp run: error", "parameter 'seed' expects int, got seven (str)"),
    ),
    ("run_float_for_int", ["run", QUICKSTART, "-p", "seed", "1.5"], ("parameter 'seed' expects int", "1.5")),
    (
        "run_nonexistent_notebook",
        ["run", REPO / "notebooks" / "99_nope.py", "-p", "seed", "1"],
        ("nqp run: error", "99_nope.py does not exist"),
    ),
    (
        "run_parameter_twice",
        ["run", QUICKSTART, "-p", "seed", "1", "-p", "seed", "2"],
        ("parameter 'seed' given twice",),
    ),
    ("params_nonexistent_notebook", ["params", REPO / "notebooks" / "99_nope.py"], ("99_nope.py does not exist",)),
]


@pytest.mark.parametrize("args,needles", [c[1:] for c in CLI_CASES], ids=[c[0] for c in CLI_CASES])
def test_bad_cli(args, needles, tmp_path, capsys):
    runs = tmp_path / "runs"
    rc, out, err = _nqp([*args, *(["--runs-dir", runs] if args[0] == "run" else [])], capsys)
    assert rc == 2, (rc, out, err)
    missing = [n for n in needles if n not in err]
    assert not missing, f"stderr lacks {missing}:\n{err}"
    assert "Traceback" not in err
    assert not runs.exists() or not any(runs.iterdir()), f"a run folder was created: {list(runs.iterdir())}"


def test_bad_sweep_grid_cli(tmp_path, capsys):
    grid = tmp_path / "grid.yaml"
    grid.write_text(f"notebook: {QUICKSTART}\nparameters:\n  seed: [1, 2]\nfixd:\n  data: real\n", encoding="utf-8")
    runs, out_dir = tmp_path / "runs", tmp_path / "sweep_out"
    rc, out, err = _nqp(["sweep", grid, "--runs-dir", runs, "--sweep-dir", out_dir], capsys)
    assert rc == 2 and "unknown key 'fixd'" in err and "did you mean 'fixed'" in err, err
    assert not runs.exists() and not out_dir.exists()


def test_bad_sweep_parameter_set_runs_nothing(tmp_path, capsys):
    grid = tmp_path / "grid.yaml"
    grid.write_text(f"notebook: {QUICKSTART}\nparameters:\n  seed: [1, two]\n", encoding="utf-8")
    runs, out_dir = tmp_path / "runs", tmp_path / "sweep_out"
    rc, out, err = _nqp(["sweep", grid, "--runs-dir", runs, "--sweep-dir", out_dir], capsys)
    assert rc == 2 and "parameter 'seed' expects int" in err and "nothing was run" in err, err
    assert not runs.exists() and not out_dir.exists()


def test_cli_subprocess_prints_no_traceback(tmp_path):
    """The real entry point: exit status 2, one readable message, no Python traceback."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "nqp_helpers.cli",
            "run",
            str(QUICKSTART),
            "-p",
            "sed",
            "7",
            "--runs-dir",
            str(tmp_path / "runs"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert proc.returncode == 2, proc
    assert "unknown parameter 'sed'" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "runs").exists()


# ------------------------------------------------------------------------------------------- atomic table writes
def test_save_table_failure_leaves_nothing(tmp_path, monkeypatch):
    """A DataFrame write that dies half-way leaves neither a temp file nor a half table; an older table survives."""
    from nqp_helpers import display

    monkeypatch.setenv("NQP_RESULTS_DIR", str(tmp_path / "results"))
    df = good_panel()
    target = display.save_table(df, "table2", "03_t2_baseline")
    old = target.read_bytes()
    folder = target.parent

    real_to_csv = pd.DataFrame.to_csv

    def dies_half_way(self, buf=None, *args, **kwargs):
        real_to_csv(self.head(3), buf, *args, **kwargs)  # some bytes reach the temp file ...
        raise OSError(28, "No space left on device")  # ... then the disk fills up

    monkeypatch.setattr(pd.DataFrame, "to_csv", dies_half_way)
    with pytest.raises(OSError, match="No space left"):
        display.save_table(df.assign(Pro=0.0), "table2", "03_t2_baseline")
    with pytest.raises(OSError, match="No space left"):
        display.save_table(df, "table3", "03_t2_baseline")
    assert sorted(p.name for p in folder.iterdir()) == ["table2.csv"], list(folder.iterdir())
    assert target.read_bytes() == old


def test_save_table_interrupted_leaves_nothing(tmp_path, monkeypatch):
    """Ctrl-C during the write (KeyboardInterrupt is not an Exception) is cleaned up too."""
    from nqp_helpers import display

    monkeypatch.setenv("NQP_RESULTS_DIR", str(tmp_path / "results"))

    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pd.DataFrame, "to_csv", interrupted)
    with pytest.raises(KeyboardInterrupt):
        display.save_table(good_panel(), "table2", "03_t2_baseline")
    assert list((tmp_path / "results" / "03_t2_baseline").iterdir()) == []


def test_manifest_write_failure_leaves_no_temp(tmp_path, monkeypatch):
    """The runner's manifest.json is written atomically too: a failed rename leaves no manifest.json.tmp."""
    from nqp_helpers import runner

    target = tmp_path / "manifest.json"
    runner._write_json_atomic(target, {"status": "running"})
    old = target.read_bytes()

    def fails(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(runner.os, "replace", fails)
    with pytest.raises(OSError, match="No space left"):
        runner._write_json_atomic(target, {"status": "ok"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.json"] and target.read_bytes() == old
