"""Audit checks: the known findings on the paper's table, and a clean pass on a synthetic consistent table."""
import numpy as np
import pandas as pd
import pytest
from scipy import stats as st

from nqp_helpers import audit
from nqp_helpers.audit import FINDING_COLUMNS
from nqp_helpers.reported import reported_results, stars

SUBS = ("Lab", "Mea", "Obj")


@pytest.fixture(scope="module")
def paper():
    return reported_results()


def _one(f, **kw):
    hit = f
    for k, v in kw.items():
        hit = hit[hit[k] == v]
    assert len(hit) == 1, (kw, hit)
    return hit.iloc[0]


# ------------------------------------------------------------------ synthetic table where every identity holds
def _synthetic(tmp_path) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    rows = []

    def add(table, spec, cols, terms, n, r2):
        # cols: {outcome: column}; terms: list of term names; Pro = mean of the three sub-indices (rounded)
        for term in terms:
            sub = {o: (round(rng.uniform(0.2, 1.0), 3), round(rng.uniform(0.05, 0.12), 3)) for o in SUBS}
            pro_b = round(np.mean([sub[o][0] for o in SUBS]), 3)
            pro_se = round(0.8 * np.mean([sub[o][1] for o in SUBS]), 3)
            for o, (b, s) in {"Pro": (pro_b, pro_se), **sub}.items():
                p = 2 * st.t.sf(abs(b / s), 277)
                rows.append((table, cols[o], o, spec, term, b, s, stars(p), n[o] if isinstance(n, dict) else n,
                             r2 if not isinstance(r2, dict) else r2[o]))

    odd = dict(zip(("Pro",) + SUBS, (1, 3, 5, 7)))
    even = dict(zip(("Pro",) + SUBS, (2, 4, 6, 8)))
    four = dict(zip(("Pro",) + SUBS, (1, 2, 3, 4)))
    add(2, "baseline_no_controls", odd, ["Inn", "const"], 5560, 0.80)
    add(2, "baseline_controls", even, ["Inn", "const"], 5560, 0.85)
    add(3, "psm_radius", odd, ["Inn", "const"], 5500, 0.86)
    add(3, "psm_nearest", even, ["Inn", "const"], 5540, 0.86)
    add(4, "iv_nightlight_1997", odd, ["Inn", "const"], 5560, "")
    add(4, "iv_laozihao", even, ["Inn", "const"], 5560, "")
    for t, m in ((5, "Hum"), (6, "Dig"), (7, "Ind")):
        add(t, f"moderation_{m}", four, ["Inn", m, f"Inn:{m}", "const"], 5560, 0.90)
    df = pd.DataFrame(rows, columns=["table", "column", "outcome", "spec", "term", "coef", "se", "stars", "n", "r2"])
    p = tmp_path / "synthetic.csv"
    df.to_csv(p, index=False)
    return reported_results(p)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    return _synthetic(tmp_path_factory.mktemp("audit"))


@pytest.mark.parametrize("check", audit.CHECKS, ids=lambda f: f.__name__)
def test_every_check_passes_on_consistent_table(synthetic, check):
    kw = {"claims": None} if check is audit.check_moderation_main_effects else {}
    f = check(synthetic, **kw)
    assert list(f.columns) == FINDING_COLUMNS
    assert len(f) > 0
    assert not (f["consistent"] == False).any(), f[f["consistent"] == False][["check", "note"]].to_string()  # noqa: E712


# ------------------------------------------------------------------ the paper's table
def test_stars(paper):
    f = audit.check_stars(paper)
    assert len(f) == len(paper)
    # Table 2: every Inn star is reproducible from coef/se; two intercepts carry one star too many.
    t2 = f[f["table"] == 2]
    assert t2.loc[t2["term"] == "Inn", "consistent"].all()
    bad = f[f["consistent"] == False]  # noqa: E712
    assert set(zip(bad["table"], bad["column"], bad["term"])) == {(2, "1", "const"), (2, "8", "const")}
    r = _one(f, table=2, column="1", term="const")
    assert r["reported"] == 3 and r["implied"] == 2 and "2.560" in r["note"]
    # Boundary cases: rounding or normal-vs-t straddles a threshold.
    assert _one(f, table=3, column="5", term="Inn")["status"] == "boundary"       # z = 2.581: *** normal, ** t(277)
    assert _one(f, table=5, column="2", term="Inn:Hum")["status"] == "boundary"   # z = 1.967: ** normal, * t(277)
    assert _one(f, table=2, column="2", term="Inn")["status"] == "consistent"


def test_linear_aggregation(paper):
    f = audit.check_linear_aggregation(paper)
    r = _one(f, check="linear_aggregation", table=2, column="2", term="Inn")
    assert r["reported"] == pytest.approx(0.413)
    assert r["implied"] == pytest.approx((0.726 + 0.304 + 0.666) / 3)
    assert not r["consistent"] and r["status"] == "inconsistent"
    assert "0.5648" in r["note"] and "0.5653" in r["note"]   # raw 0.333 weights vs renormalised
    # Every same-sample group of Tables 2, 4-7 fails for Inn; PSM groups are marked "samples differ".
    inn = f[(f["check"] == "linear_aggregation") & (f["term"] == "Inn")]
    assert (inn.loc[inn["table"] != 3, "consistent"] == False).all()  # noqa: E712
    assert (inn.loc[inn["table"] == 3, "status"] == "samples differ").all()
    # Table 4 nightlight: 0.602 vs mean(1.090, 0.491, 0.989) = 0.857
    assert _one(f, check="linear_aggregation", table=4, column="1", term="Inn")["implied"] == pytest.approx(0.857, abs=1e-3)
    # No single rescaling of Pro reconciles the slopes.
    assert not _one(f, check="linear_aggregation_common_scale")["consistent"]


def test_weights_and_custom_weights(paper):
    w = audit.dimension_weights()
    assert w == {"Lab": 0.333, "Mea": 0.333, "Obj": 0.333}
    f = audit.check_linear_aggregation(paper, weights={"Lab": 0.6, "Mea": 0.2, "Obj": 0.2})
    r = _one(f, check="linear_aggregation", table=2, column="2", term="Inn")
    assert r["implied"] == pytest.approx(0.6 * 0.726 + 0.2 * 0.304 + 0.2 * 0.666)


def test_sample_sizes(paper):
    f = audit.check_sample_sizes(paper)
    full = f[(f["check"] == "n_full_panel") & (f["table"] != 3)]
    assert full["consistent"].all() and (full["implied"] == 5560).all()
    psm = f[(f["check"] == "n_same_across_outcomes") & (f["table"] == 3)]
    assert len(psm) == 2 and not psm["consistent"].any()
    assert set(psm["difference"]) == {8.0}   # 5528-5520 and 5556-5548
    assert f.loc[(f["check"] == "n_same_across_outcomes") & (f["table"] != 3), "consistent"].all()


def test_r2(paper):
    f = audit.check_r2(paper)
    nested = f[f["check"] == "r2_nested"]
    base = nested[nested["table"] == 2]
    assert len(base) == 4 and base["consistent"].all()       # controls raise R2 in all four
    bad = nested[nested["consistent"] == False]  # noqa: E712
    assert set(zip(bad["table"], bad["outcome"])) == {(5, "Lab"), (5, "Obj"), (6, "Lab"), (6, "Mea"), (6, "Obj"),
                                                       (7, "Lab"), (7, "Mea")}
    assert _one(bad, table=5, outcome="Obj")["difference"] == pytest.approx(0.802 - 0.893)
    assert (f.loc[(f["check"] == "r2_range") & (f["table"] == 4), "status"] == "info").all()


def test_iv_vs_ols(paper):
    f = audit.check_iv_vs_ols(paper)
    assert len(f) == 8 and (f["status"] == "info").all()
    r = _one(f, column="1", outcome="Pro")
    assert r["reported"] / r["implied"] == pytest.approx(0.602 / 0.413)
    assert "1.458" in r["note"]


def test_moderation(paper):
    f = audit.check_moderation_main_effects(paper)
    r = _one(f, check="moderation_main_effect", table=6, outcome="Pro")
    assert r["reported"] / r["implied"] == pytest.approx(0.132 / 0.413)
    lvl = _one(f, check="moderation_implied_level", table=7, outcome="Pro")
    assert lvl["reported"] == pytest.approx((0.413 - 0.104) / 0.103)
    claims = f[f["check"] == "amplification_text"]
    assert len(claims) == 8 and claims["consistent"].all()   # each % is 100 x the interaction coefficient
    lab = _one(claims, table=5, outcome="Lab")
    assert "Table 2 col 1 Pro Inn" in lab["note"] and "71.7%" in lab["note"]


def test_constants_and_se(paper):
    c = audit.check_constants(paper)
    assert len(c) == 36 and (c["status"] == "info").all()
    assert "[2.790, 3.274]" in _one(c, table=2, column="1")["note"]
    s = audit.check_se_consistency(paper)
    b = s[s["check"] == "se_aggregation_bound"]
    r = _one(b, table=2, column="2", term="Inn")
    assert r["consistent"] and r["implied"] == pytest.approx((0.244 + 0.108 + 0.233) / 3)
    assert not _one(b, table=7, column="1", term="Inn")["consistent"]     # 0.061 > mean(0.056, 0.043, 0.060)
    pair = s[(s["check"] == "se_across_columns") & (s["table"] == 2) & (s["outcome"] == "Obj")]
    assert "markedly different SE" in pair["note"].iloc[0]


def test_run_all(paper):
    f = audit.run_all(paper)
    assert list(f.columns) == FINDING_COLUMNS
    assert set(f["check"]) >= {"stars", "linear_aggregation", "n_full_panel", "r2_nested", "iv_vs_ols",
                               "moderation_main_effect", "constant", "se_aggregation_bound"}
    assert f["consistent"].dtype == "boolean"
    assert len(audit.summary(f)) == f["check"].nunique()


def test_run_all_synthetic_has_no_failures(synthetic):
    f = audit.run_all(synthetic, claims=None)
    assert not (f["consistent"] == False).any()  # noqa: E712
    assert "amplification_text" not in set(f["check"])


# ------------------------------------------------------------------ the text's claims (data/paper/text_claims.csv)
def test_text_claims_file():
    c = audit.text_claims()
    assert list(c.columns) == list(audit.TEXT_CLAIM_COLUMNS)
    assert len(c) == 8 and c["claim_id"].is_unique and (c["unit"] == "percent").all()
    assert sorted(c["value"]) == sorted([48.4, 27.6, 34.8, 9.6, 8.2, 9.3, 10.8, 9.1])
    assert all(f"{v:g}%" in q for v, q in zip(c["value"], c["quote_zh"]))       # each number is in its own quote
    a = audit.amplification_claims()
    assert list(a.columns[:4]) == ["table", "outcome", "term", "claimed_pct"]
    assert a.set_index(["table", "outcome"]).at[(5, "Lab"), "claimed_pct"] == pytest.approx(48.4)
    # the old module constant still works, now read from the file
    pd.testing.assert_frame_equal(audit.PAPER_TEXT_AMPLIFICATION, a)


def test_text_claims_default_equals_explicit(paper):
    f_default = audit.check_moderation_main_effects(paper)
    f_explicit = audit.check_moderation_main_effects(paper, claims=audit.amplification_claims())
    pd.testing.assert_frame_equal(f_default, f_explicit)
    assert "claim amp_hum_lab" in _one(f_default, check="amplification_text", table=5, outcome="Lab")["note"]
    with pytest.raises(ValueError, match="claims"):
        audit.check_moderation_main_effects(paper, claims="other")


@pytest.mark.parametrize("edit, match", [
    (lambda d: d.drop(columns="quote_zh"), "lacks column"),
    (lambda d: d.assign(value=["x"] + list(d["value"][1:])), "column 'value'"),
    (lambda d: d.assign(unit="points"), "column 'unit'"),
    (lambda d: d.assign(claim_id="same"), "duplicated"),
    (lambda d: d.assign(table=["5.5"] + list(d["table"][1:])), "column 'table'"),
])
def test_text_claims_rejects_bad_files(tmp_path, edit, match):
    d = pd.read_csv(audit.PAPER_DIR / "text_claims.csv", dtype=str, keep_default_na=False)
    p = tmp_path / "claims.csv"
    edit(d).to_csv(p, index=False)
    with pytest.raises(audit.NQPInputError, match=match):
        audit.text_claims(p)
    with pytest.raises(audit.NQPInputError, match="not found"):
        audit.text_claims(tmp_path / "none.csv")
