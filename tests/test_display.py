"""Banner, saved tables, re-run command, number format, and the two plot helpers (Agg backend)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from nqp_helpers import display, plotting  # noqa: E402
from nqp_helpers.errors import NQPInputError  # noqa: E402
from nqp_helpers.variables import CONTROLS, OUTCOMES  # noqa: E402


def _panel(track, cols=("city_code", "year", *OUTCOMES, "Inn", "first_treat"), **attrs):
    p = pd.DataFrame({c: [1.0] for c in cols})
    p.attrs.update(track=track, **attrs)
    return p


def test_banner_semi_synthetic():
    h = display.track_banner(_panel("semi_synthetic")).data
    assert display.SEMI_SYNTHETIC_TEXT in h and "admonition" in h
    assert display.track_banner("semi_synthetic").data == h


def test_banner_real_lists_missing_and_blocked_exhibits():
    cols = ("city_code", "year", *OUTCOMES, "Inn", "first_treat", *CONTROLS, "Hum", "Dig")  # no Ind, no instrument
    h = display.track_banner(_panel("real", cols, proxies={"Fix": "provincial"})).data
    assert "REAL DATA" in h and "Fix (proxy)" in h
    assert "Tables 5-7 (Ind)" in h and "Table 4 (iv_ntl, iv_lzh)" in h
    assert "Table 2 (" not in h


def test_banner_user_and_errors():
    h = display.track_banner(_panel("user", source="/tmp/my_cities.csv")).data
    assert "my_cities.csv" in h and "/tmp" not in h
    with pytest.raises(NQPInputError, match="track"):
        display.track_banner("simulated")


def test_save_table_deterministic_and_atomic(tmp_path, monkeypatch):
    monkeypatch.setenv("NQP_RESULTS_DIR", str(tmp_path))
    df = pd.DataFrame({"term": ["Inn", "Eco"], "estimate": [0.1 + 0.2, 1 / 3], "n": [5560, 5560]})
    p = display.save_table(df, "table2", "03_t2_baseline.py")
    assert p == tmp_path / "03_t2_baseline" / "table2.csv"
    first = p.read_bytes()
    assert first == b"term,estimate,n\nInn,0.3,5560\nEco,0.3333333333,5560\n"
    display.save_table(df, "table2.csv", "notebooks/03_t2_baseline")
    assert p.read_bytes() == first
    assert [f.name for f in p.parent.iterdir()] == ["table2.csv"]  # no temp file left behind
    with pytest.raises(NQPInputError):
        display.save_table(df, "../escape", "03_t2_baseline")


def test_rerun_and_fmt():
    cmd = display.rerun_command("03_t2_baseline", {"data": "semi_synthetic", "seed": 42, "outcomes": ["Pro", "Lab"]})
    assert cmd == (
        'nqp run notebooks/03_t2_baseline.py -p data semi_synthetic -p seed 42 -p outcomes \'["Pro", "Lab"]\''
    )
    assert (
        cmd
        in display.rerun_box(
            "notebooks/03_t2_baseline.py", {"data": "semi_synthetic", "seed": 42, "outcomes": ["Pro", "Lab"]}
        ).data
    )
    assert display.fmt_num(0.41349) == "0.413" and display.fmt_num(5560) == "5560"
    assert display.fmt_num(-0.0001) == "0.000" and display.fmt_num(np.nan) == "" and display.fmt_num(None) == ""
    assert display.fmt_num(1.23456, 2) == "1.23"


# ------------------------------------------------------------------------------------------------- plotting
def test_coef_plot_points():
    plotting.set_style()
    df = pd.DataFrame(
        {
            "term": ["Pro", "Lab", "Mea", "Obj"],
            "estimate": [0.4, 0.7, 0.3, 0.6],
            "conf_low": [0.1, 0.2, 0.1, 0.2],
            "conf_high": [0.7, 1.2, 0.5, 1.0],
            "paper": [0.413, 0.726, np.nan, 0.666],
        }
    )
    fig = plotting.coef_plot(df, paper="paper", truth={"Pro": 0.5, "Lab": 0.5})
    ax = fig.axes[0]
    est_line = [ln for ln in ax.lines if ln.get_marker() == "o"][0]
    assert len(est_line.get_xdata()) == 4
    sizes = {c.get_label(): len(c.get_offsets()) for c in ax.collections if c.get_label() in ("paper", "truth")}
    assert sizes == {"paper": 3, "truth": 2}
    pos = {t.get_text(): y for t, y in zip(ax.get_yticklabels(), ax.get_yticks())}
    assert sorted(pos, key=pos.get, reverse=True) == ["Pro", "Lab", "Mea", "Obj"]  # first row on top
    plt.close(fig)


def test_coef_plot_on_given_ax_and_errors():
    fig, (a1, a2) = plt.subplots(1, 2)
    df = pd.DataFrame({"term": ["Inn"], "estimate": [1.0], "conf_low": [0.5], "conf_high": [1.5]})
    assert plotting.coef_plot(df, ax=a2) is fig and a2.lines
    with pytest.raises(NQPInputError):
        plotting.coef_plot(df.drop(columns="conf_low"))
    plt.close(fig)


def test_event_study_plot():
    et = np.arange(-4, 5)
    df = pd.DataFrame(
        {
            "event_time": np.tile(et, 2),
            "estimate": np.r_[np.zeros(4), np.linspace(0, 0.4, 5)].tolist() * 2,
            "conf_low": -0.1,
            "conf_high": 0.5,
            "estimator": np.repeat(["twfe", "cs"], len(et)),
        }
    )
    fig = plotting.event_study_plot(df[df["estimator"] == "twfe"])
    ax = fig.axes[0]
    data_lines = [ln for ln in ax.lines if ln.get_marker() == "o"]
    assert len(data_lines) == 1 and len(data_lines[0].get_xdata()) == 9
    assert any(np.allclose(ln.get_xdata(), -0.5) for ln in ax.lines if ln.get_marker() != "o")
    plt.close(fig)
    fig = plotting.event_study_plot(df, group="estimator")
    assert len([ln for ln in fig.axes[0].lines if ln.get_marker() == "o"]) == 2
    plt.close(fig)


# ------------------------------------------------------------------------------------------- reader tables
def test_reader_frame_labels_rounding_missing():
    from nqp_helpers.display import MISSING, reader_frame

    df = pd.DataFrame(
        {
            "coef_paper": [0.41234, np.nan],
            "estimate_minus_truth": [1e-5, -0.25],
            "n_obs": [5560, 5000],
            "status": ["ok", None],
            "odd_code_name": ["nan", "<NA>"],
        }
    )
    shown, missing = reader_frame(df)
    assert list(shown.columns) == ["Paper", "Ours − truth", "N", "Status", "Odd code name"]
    assert shown.iloc[0].tolist() == ["0.412", "0.000", "5560", "ok", MISSING]
    assert shown.iloc[1].tolist() == [MISSING, "-0.250", "5000", MISSING, MISSING]
    assert missing
    # a meaningful index becomes a column; a RangeIndex is dropped
    shown2, missing2 = reader_frame(df.set_index("status").iloc[:1, :1])
    assert list(shown2.columns) == ["Status", "Paper"] and not missing2


def test_table_html_no_index_no_nan_footnote_and_collapse():
    from nqp_helpers.display import MAX_COLUMNS, table_html

    df = pd.DataFrame({"estimate": [0.1, np.nan], "p_value": [0.5, 0.01]})
    h = table_html(df, caption="Cap", missing_note="— : why it is missing")
    assert "nan" not in h.lower() and "—" in h and "why it is missing" in h and "Cap" in h
    assert "<th></th>" not in h and ">0<" not in h  # no index column
    assert "<details" not in h
    wide = pd.DataFrame([range(MAX_COLUMNS + 1)], columns=[f"c{i}" for i in range(MAX_COLUMNS + 1)])
    assert "<details" in table_html(wide) and "<details" not in table_html(wide, collapse=False)
    assert "nqp-table" in table_html(df.style.hide(axis="index"))  # a Styler is rendered from its data


def test_install_table_format_registers_formatters():
    from IPython.core.interactiveshell import InteractiveShell

    from nqp_helpers.display import install_table_format

    ip = InteractiveShell.instance()
    assert install_table_format(ip)
    data, _ = ip.display_formatter.format(pd.DataFrame({"coef_paper": [np.nan]}))
    assert "Paper" in data["text/html"] and "nan" not in data["text/html"].lower()
    assert "NaN" not in data["text/plain"]


def test_glue_num_formats_missing(monkeypatch):
    import myst_nb

    from nqp_helpers import display as d

    seen = {}
    monkeypatch.setattr(myst_nb, "glue", lambda k, v, display=True: seen.update({k: v}))
    assert d.glue_num("a", 0.12345) == "0.123" and seen["a"] == "0.123"
    assert d.glue_num("b", float("nan")) == "—" and d.glue_num("c", None, 4) == "—"


def test_download_links_list_py_ipynb_and_csvs(tmp_path, monkeypatch):
    monkeypatch.setenv("NQP_RESULTS_DIR", str(tmp_path))
    (tmp_path / "03_t2_baseline").mkdir()
    (tmp_path / "03_t2_baseline" / "table2.csv").write_text("a\n1\n")
    text = display.download_links("notebooks/03_t2_baseline.py")
    assert "(../_downloads/nqp/03_t2_baseline/03_t2_baseline.py)" in text
    assert "(../_downloads/nqp/03_t2_baseline/03_t2_baseline.ipynb)" in text
    assert "[table2.csv](../_downloads/nqp/03_t2_baseline/table2.csv)" in text
    assert "Downloads" in display.rerun_box("03_t2_baseline").data


def test_publish_copies_downloads(tmp_path):
    from nqp_helpers.downloads import publish

    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "03_t2_baseline.py").write_text("# %%\nx = 1\n", encoding="utf-8")
    (tmp_path / "results" / "03_t2_baseline").mkdir(parents=True)
    (tmp_path / "results" / "03_t2_baseline" / "table2.csv").write_text("a\n1\n")
    (tmp_path / "results" / "real" / "03_t2_baseline").mkdir(parents=True)
    (tmp_path / "results" / "real" / "03_t2_baseline" / "table2.csv").write_text("a\n2\n")
    out = publish(tmp_path)
    assert (out / "03_t2_baseline" / "03_t2_baseline.py").is_file() and (
        out / "03_t2_baseline" / "03_t2_baseline.ipynb"
    ).is_file()
    assert (out / "03_t2_baseline" / "table2.csv").read_text() == "a\n1\n"
    assert (out / "real" / "03_t2_baseline" / "table2.csv").read_text() == "a\n2\n"
