"""The paper's reported numbers: validation, selection, stars, the exhibit map."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nqp_helpers import paths
from nqp_helpers.errors import NQPInputError
from nqp_helpers.reported import EXHIBITS, exhibits, heterogeneity_claims, reported, reported_results, stars


def test_reads_paper_file():
    d = reported_results()
    assert len(d) == 96
    assert set(d["table"]) == {2, 3, 4, 5, 6, 7}
    assert d["coef"].dtype == float and d["se"].dtype == float
    assert set(d["stars"]) <= {"", "*", "**", "***"}
    assert d.loc[d["table"] == 4, "r2"].isna().all()
    assert d.loc[d["table"] == 2, "r2"].notna().all()


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "r.csv"
    p.write_text(text, encoding="utf-8")
    return p


HEADER = "table,column,outcome,spec,term,coef,se,stars,n,r2\n"


@pytest.mark.parametrize(
    "line,col",
    [
        ("2,1,Pro,s,Inn,abc,0.1,*,5560,0.5", "coef"),
        ("2,1,Pro,s,Inn,0.3,0,*,5560,0.5", "se"),
        ("2,1,Pro,s,Inn,0.3,0.1,****,5560,0.5", "stars"),
        ("2,1,Pro,s,Inn,0.3,0.1,*,x,0.5", "'n'"),
        ("2,1,Pro,s,Inn,0.3,0.1,*,5560,1.5", "r2"),
    ],
)
def test_bad_cell_names_row_and_column(tmp_path, line, col):
    p = _write(tmp_path, HEADER + "2,1,Pro,s,const,1.0,0.5,*,5560,0.5\n" + line + "\n")
    with pytest.raises(NQPInputError) as e:
        reported_results(p)
    assert col in str(e.value) and "row 1" in str(e.value)


def test_missing_column_and_duplicates(tmp_path):
    with pytest.raises(NQPInputError, match="stars"):
        reported_results(_write(tmp_path, "table,column,outcome,spec,term,coef,se,n,r2\n2,1,Pro,s,Inn,1,1,1,0.5\n"))
    dup = HEADER + "2,1,Pro,s,Inn,0.3,0.1,*,5560,0.5\n2,1,Pro,s,Inn,0.3,0.1,*,5560,0.5\n"
    with pytest.raises(NQPInputError, match="duplicated"):
        reported_results(_write(tmp_path, dup))


def test_selection():
    r = reported(2, outcome="Pro", spec="baseline_controls")
    assert len(r) == 1 and r["coef"].iloc[0] == pytest.approx(0.413)
    assert len(reported(5, outcome="Lab", term=None)) == 4
    with pytest.raises(NQPInputError, match="available"):
        reported(2, outcome="Nope")


def test_stars_thresholds():
    assert stars(0.009) == "***" and stars(0.01) == "**" and stars(0.049) == "**"
    assert stars(0.05) == "*" and stars(0.0999) == "*" and stars(0.1) == "" and stars(np.nan) == ""
    assert stars([0.001, 0.2]) == ["***", ""]
    assert stars(pd.Series([0.03])).tolist() == ["**"]
    with pytest.raises(NQPInputError):
        stars(1.5)


def test_exhibits_cover_every_table_and_notebook():
    ex = exhibits()
    assert list(ex["exhibit"]) == [e[0] for e in EXHIBITS]
    assert {"Table 1", "Table 2", "Table 3", "Table 4", "Tables 5-7", "Figure 1"} == set(ex["exhibit"])
    covered = {int(t) for s in ex["reported_tables"] for t in s.split(", ") if t}
    assert covered == set(reported_results()["table"])
    for nb, outs in zip(ex["notebook"], ex["outputs"]):
        stem = Path(nb).stem
        assert nb.startswith("notebooks/") and nb.endswith(".py")
        assert all(o.startswith(stem + "/") and o.endswith(".csv") for o in outs.split("; "))
    assert paths.NOTEBOOKS_DIR.name == "notebooks"


def test_heterogeneity_claims_file_and_bad_rows(tmp_path):
    c = heterogeneity_claims()
    assert set(c["kind"]) == {"signif", "not_signif", "greater"} and (c["quote_zh"] != "").all()
    assert ((c["kind"] == "greater") == (c["group_b"] != "")).all()
    src = (paths.PAPER_DIR / "heterogeneity_claims.csv").read_text(encoding="utf-8").splitlines()
    for k, (old, new, col) in enumerate(
        [(",signif,", ",significant,", "kind"), (",greater,high,medium,", ",greater,high,,", "group_b")]
    ):
        line = next(i for i, s in enumerate(src) if old in s)
        bad = tmp_path / f"bad{k}.csv"
        bad.write_text("\n".join(src[:line] + [src[line].replace(old, new, 1)] + src[line + 1 :]), encoding="utf-8")
        with pytest.raises(NQPInputError, match=rf"heterogeneity_claims: .*CSV line {line + 1}\), column '{col}'"):
            heterogeneity_claims(bad)
    with pytest.raises(NQPInputError, match="not found"):
        heterogeneity_claims(tmp_path / "absent.csv")
