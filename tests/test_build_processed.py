import hashlib
import json

import pandas as pd
import pytest

from nqp_helpers.data.build_processed import build_processed
from nqp_helpers.paths import PROCESSED_DIR
from nqp_helpers.verify import compare_tables


def _sha(p):
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory):
    out = tmp_path_factory.mktemp("processed")
    summary = build_processed(out_dir=out)
    return out, summary


def test_rebuild_equals_committed_within_tolerance(rebuilt):
    """The committed files match their manifest byte for byte; a rebuild gives the same tables, equal within the
    cross-machine tolerance (``nqp_helpers.verify``; identical bytes on the machine that wrote them, but float
    bits may differ on another CPU), and the same manifest apart from the outputs' sha256."""
    out, _ = rebuilt
    committed = json.loads((PROCESSED_DIR / "manifest.json").read_text(encoding="utf-8"))
    rebuilt_manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for name, meta in committed["outputs"].items():
        assert _sha(PROCESSED_DIR / name) == meta["sha256"], name
        cells, problems = compare_tables(pd.read_csv(out / name), pd.read_csv(PROCESSED_DIR / name), name)
        assert not problems and not cells, (problems, [str(c) for c in cells[:5]])
        assert rebuilt_manifest["outputs"][name]["rows"] == meta["rows"]
    for m in (committed, rebuilt_manifest):
        for meta in m["outputs"].values():
            meta.pop("sha256")
    assert rebuilt_manifest == committed
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".processed-")]


def test_summary_plausible(rebuilt):
    _, s = rebuilt
    assert 250 <= s["n_cities"] <= 297
    assert 85 <= s["n_pilots_default"] <= 103
    assert s["n_city_years"] == 20 * s["n_cities"]


# ---- WD-GPI join: the five English names shared by two cities each (Suzhou, Taizhou, Yichun, Fuzhou, Yulin)
AMBIGUOUS_PAIRS = [
    ("苏州", "江苏", "宿州", "安徽"),
    ("泰州", "江苏", "台州", "浙江"),
    ("伊春", "黑龙", "宜春", "江西"),
    ("福州", "福建", "抚州", "江西"),
    ("玉林", "广西", "榆林", "陕西"),
]


def test_wdgpi_relabels_ambiguous_english_names():
    from nqp_helpers.data import raw_readers as rs

    wd = rs.read_wdgpi()
    assert wd[["name", "province"]].drop_duplicates().shape[0] == 287  # every listed prefecture, none merged
    emp = wd[wd["year"] == 2010].set_index("name")["employment"]
    for a, pa, b, pb in AMBIGUOUS_PAIRS:
        assert a in emp.index and b in emp.index
        assert emp[a] != emp[b]
        assert wd.loc[wd["name"] == a, "province"].iloc[0].startswith(pa[:2])
        assert wd.loc[wd["name"] == b, "province"].iloc[0].startswith(pb[:2])
    # spot values read from the workbook by sheet row (employment 2006, 10k persons)
    e06 = wd[wd["year"] == 2006].set_index("name")["employment"]
    assert e06["苏州"] == pytest.approx(431.2) and e06["宿州"] == pytest.approx(333.5)


def test_every_non_municipality_gets_wdgpi_and_size_class():
    import pandas as pd

    roster = pd.read_csv(PROCESSED_DIR / "roster.csv")
    inc = roster[roster["included"]]
    assert (inc["size_class"].fillna("") != "").all()
    panel = pd.read_csv(PROCESSED_DIR / "real_panel.csv")
    have = panel[panel["year"] == 2010].set_index("city")["employment"].notna()
    missing = sorted(have[~have].index)
    assert missing == sorted(["北京市", "天津市", "上海市", "重庆市"]), missing


def test_match_names_uses_province():
    import pandas as pd

    from nqp_helpers.data.raw_readers import match_names

    nt = pd.DataFrame({"name": ["甲市", "甲市"], "entity_id": ["e1", "e2"]})
    codes, prov = {"e1": 1, "e2": 2}, {"e1": "江苏省", "e2": "安徽省"}
    s = pd.Series(["甲", "甲", "甲"])
    assert match_names(s, nt, codes).isna().all()  # ambiguous without province
    got = match_names(s, nt, codes, pd.Series(["江苏", "安徽", "浙江"]), prov)
    assert got.iloc[0] == 1 and got.iloc[1] == 2 and pd.isna(got.iloc[2])
