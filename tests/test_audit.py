"""Audit checks: the known findings on the paper's table, and a clean pass on a synthetic consistent table."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats as st

from nqp_helpers import audit
from nqp_helpers.audit import FINDING_COLUMNS
from nqp_helpers.reported import reported_results, stars
from nqp_helpers.variables import SUBINDICES as SUBS


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
                rows.append(
                    (
                        table,
                        cols[o],
                        o,
                        spec,
                        term,
                        b,
                        s,
                        stars(p),
                        n[o] if isinstance(n, dict) else n,
                        r2 if not isinstance(r2, dict) else r2[o],
                    )
                )

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
    assert not f["consistent"].eq(False).any(), f[f["consistent"].eq(False)][["check", "note"]].to_string()


# ------------------------------------------------------------------ the paper's table
def test_stars(paper):
    f = audit.check_stars(paper)
    assert len(f) == len(paper)
    # Table 2: every Inn star is reproducible from coef/se; two intercepts carry one star too many.
    t2 = f[f["table"] == 2]
    assert t2.loc[t2["term"] == "Inn", "consistent"].all()
    bad = f[f["consistent"].eq(False)]
    assert set(zip(bad["table"], bad["column"], bad["term"])) == {(2, "1", "const"), (2, "8", "const")}
    r = _one(f, table=2, column="1", term="const")
    assert r["reported"] == 3 and r["implied"] == 2 and "2.560" in r["note"]
    # Boundary cases: rounding or normal-vs-t straddles a threshold.
    assert _one(f, table=3, column="5", term="Inn")["status"] == "boundary"  # z = 2.581: *** normal, ** t(277)
    assert _one(f, table=5, column="2", term="Inn:Hum")["status"] == "boundary"  # z = 1.967: ** normal, * t(277)
    assert _one(f, table=2, column="2", term="Inn")["status"] == "consistent"


def test_linear_aggregation(paper):
    f = audit.check_linear_aggregation(paper)
    r = _one(f, check="linear_aggregation", table=2, column="2", term="Inn")
    assert r["reported"] == pytest.approx(0.413)
    assert r["implied"] == pytest.approx((0.726 + 0.304 + 0.666) / 3)
    assert not r["consistent"] and r["status"] == "inconsistent"
    # every printed number within its rounding, W_d in [0.3325, 0.3335]: implied in [lo, hi], all b_d > 0 here
    lo = sum(0.3325 * (b - 0.0005) for b in (0.726, 0.304, 0.666))
    assert r["gap"] == pytest.approx(lo - (0.413 + 0.0005))
    assert f"{lo:.4f}" in r["note"] and "does not state" in r["note"]
    # Every same-sample group of Tables 2, 4-7 fails for Inn; PSM groups are marked "samples differ".
    inn = f[(f["check"] == "linear_aggregation") & (f["term"] == "Inn")]
    assert inn.loc[inn["table"] != 3, "consistent"].eq(False).all()
    assert (inn.loc[inn["table"] == 3, "status"] == "samples differ").all()
    # Table 4 nightlight: 0.602 vs mean(1.090, 0.491, 0.989) = 0.857
    assert _one(f, check="linear_aggregation", table=4, column="1", term="Inn")["implied"] == pytest.approx(
        0.857, abs=1e-3
    )
    # No single rescaling of Pro reconciles the slopes: the ratios run 0.565 to 1.300 and the note says so.
    common = _one(f, check="linear_aggregation_common_scale")
    assert not common["consistent"] and "none reconciles" in common["note"]
    assert (common["implied"], common["reported"]) == (
        pytest.approx(0.413 / 0.731, abs=1e-3),
        pytest.approx(1.3, abs=1e-3),
    )
    # Nor a separate non-negative factor per sub-index (the linear program), by more than the marginal threshold.
    per = _one(f, check="linear_aggregation_per_dimension_scale")
    assert not per["consistent"] and per["gap"] > audit.MARGINAL_GAP and not per["marginal"]


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
    assert len(psm) == 2 and psm["consistent"].isna().all() and (psm["status"] == "unexplained").all()
    assert "does not say how" in psm["note"].iloc[0] or "not how" in psm["note"].iloc[0]
    assert set(psm["difference"]) == {8.0}  # 5528-5520 and 5556-5548
    assert f.loc[(f["check"] == "n_same_across_outcomes") & (f["table"] != 3), "consistent"].all()


def test_r2(paper):
    f = audit.check_r2(paper)
    nested = f[f["check"] == "r2_nested"]
    base = nested[nested["table"] == 2]
    assert len(base) == 4 and base["consistent"].all()  # controls raise R2 in all four
    bad = nested[nested["consistent"].eq(False)]
    assert set(zip(bad["table"], bad["outcome"])) == {
        (5, "Lab"),
        (5, "Obj"),
        (6, "Lab"),
        (6, "Mea"),
        (6, "Obj"),
        (7, "Lab"),
        (7, "Mea"),
    }
    assert _one(bad, table=5, outcome="Obj")["difference"] == pytest.approx(0.802 - 0.893)
    assert (f.loc[(f["check"] == "r2_range") & (f["table"] == 4), "status"] == "info").all()
    # adjusted R² cannot explain the falls: two extra regressors, K = 277 + 19 + 1 + 6, N = 5560, smallest R² 0.882
    esc = _one(f, check="r2_adjusted_escape")
    k = 277 + 19 + 1 + 6
    assert esc["reported"] == pytest.approx((1 - 0.882) * 5559 * (1 / (5560 - k - 3) - 1 / (5560 - k - 1)))
    assert esc["reported"] < 1e-4 < esc["implied"]


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
    assert len(claims) == 8 and claims["consistent"].all()  # each % is 100 x the interaction coefficient
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
    assert not _one(b, table=7, column="1", term="Inn")["consistent"]  # 0.061 > mean(0.056, 0.043, 0.060)
    # T7 Inn x Ind: 0.0465 > 0.3335 x (0.041 + 0.050 + 0.045 + 3 x 0.0005) by 0.0006 only: marginal
    r = _one(b, table=7, column="1", term="Inn:Ind")
    assert r["gap"] == pytest.approx(0.0465 - 0.3335 * 0.1375) and r["marginal"]
    pair = s[(s["check"] == "se_across_columns") & (s["table"] == 2) & (s["outcome"] == "Obj")]
    assert "markedly different SE" in pair["note"].iloc[0]


def test_run_all(paper):
    f = audit.run_all(paper)
    assert list(f.columns) == FINDING_COLUMNS
    assert set(f["check"]) >= {
        "stars",
        "linear_aggregation",
        "n_full_panel",
        "r2_nested",
        "iv_vs_ols",
        "moderation_main_effect",
        "constant",
        "se_aggregation_bound",
    }
    assert f["consistent"].dtype == "boolean"
    assert len(audit.summary(f)) == f["check"].nunique()
    assert f["row_id"].is_unique


def test_run_all_synthetic_has_no_failures(synthetic):
    f = audit.run_all(synthetic, claims=None)
    assert not f["consistent"].eq(False).any()
    assert "amplification_text" not in set(f["check"])


# ------------------------------------------------------------------ the text's claims (data/paper/text_claims.csv)
def test_text_claims_file():
    c = audit.text_claims()
    assert list(c.columns) == list(audit.TEXT_CLAIM_COLUMNS)
    assert len(c) == 8 and c["claim_id"].is_unique and (c["unit"] == "percent").all()
    assert sorted(c["value"]) == sorted([48.4, 27.6, 34.8, 9.6, 8.2, 9.3, 10.8, 9.1])
    assert all(f"{v:g}%" in q for v, q in zip(c["value"], c["quote_zh"]))  # each number is in its own quote
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


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda d: d.drop(columns="quote_zh"), "lacks column"),
        (lambda d: d.assign(value=["x"] + list(d["value"][1:])), "column 'value'"),
        (lambda d: d.assign(unit="points"), "column 'unit'"),
        (lambda d: d.assign(claim_id="same"), "duplicated"),
        (lambda d: d.assign(table=["5.5"] + list(d["table"][1:])), "column 'table'"),
    ],
)
def test_text_claims_rejects_bad_files(tmp_path, edit, match):
    d = pd.read_csv(audit.PAPER_DIR / "text_claims.csv", dtype=str, keep_default_na=False)
    p = tmp_path / "claims.csv"
    edit(d).to_csv(p, index=False)
    with pytest.raises(audit.NQPInputError, match=match):
        audit.text_claims(p)
    with pytest.raises(audit.NQPInputError, match="not found"):
        audit.text_claims(tmp_path / "none.csv")


# ------------------------------------------------------------------ premises, intercepts, marginal rows
def test_no_intercept_row_of_aggregation_or_se_bound_is_inconsistent(paper):
    f = audit.run_all(paper)
    rows = f[f["check"].isin(["linear_aggregation", "se_aggregation_bound"]) & (f["term"] == "const")]
    assert len(rows) == 18  # 9 groups x 2 checks
    assert rows["consistent"].isna().all() and (rows["status"] == "info").all() and (rows["finding"] == "").all()
    assert (rows["gap"] > 0).sum() >= 14  # they *would* fail: informational by design
    s = audit.independent_findings(f)
    cited = ";".join(s["evidence"]) + ";" + ";".join(s["conditional_evidence"])
    assert not any(i in cited for i in rows["row_id"])


def test_marginal_flag_follows_the_rounding_gap_rule(paper):
    f = audit.run_all(paper)
    rule = (f["status"] == "inconsistent") & (f["gap"] > 0) & (f["gap"] < audit.MARGINAL_GAP)
    assert (f["marginal"] == rule).all()
    assert set(f.loc[f["marginal"], "row_id"]) == {
        "linear_aggregation:T6:c1:Pro:Dig",
        "linear_aggregation:T7:c1:Pro:Inn",
        "se_aggregation_bound:T7:c1:Pro:Inn:Ind",
    }
    assert all("Marginal" in n for n in f.loc[f["marginal"], "note"])


def test_marginal_rule_on_a_built_group(tmp_path):
    # Lab, Mea, Obj = 0.3, 0.3, 0.3; implied at most 0.3335 x 3 x 0.3005 = 0.30065; Pro printed 0.3025 -> gap 0.00135
    def table(pro):
        rows = [
            (2, c, o, "baseline_controls", "Inn", b, 0.1, "***", 5560, 0.9)
            for c, o, b in ((1, "Pro", pro), (2, "Lab", 0.3), (3, "Mea", 0.3), (4, "Obj", 0.3))
        ]
        p = tmp_path / f"t{pro}.csv"
        pd.DataFrame(
            rows, columns=["table", "column", "outcome", "spec", "term", "coef", "se", "stars", "n", "r2"]
        ).to_csv(p, index=False)
        return reported_results(p)

    near = _one(audit.check_linear_aggregation(table(0.302)), check="linear_aggregation")
    far = _one(audit.check_linear_aggregation(table(0.310)), check="linear_aggregation")
    inside = _one(audit.check_linear_aggregation(table(0.301)), check="linear_aggregation")
    assert near["status"] == "inconsistent" and near["marginal"]
    assert near["gap"] == pytest.approx(0.3015 - 0.3335 * 0.9015)
    assert far["status"] == "inconsistent" and not far["marginal"]
    assert inside["status"] == "consistent" and not inside["marginal"]


def test_se_wording_states_the_t_reference_as_the_audits_assumption():
    from nqp_helpers.audit import stars as stars_mod

    assert "稳健标准误" in stars_mod.__doc__ and "assumption" in stars_mod.__doc__


# ------------------------------------------------------------------ per-dimension rescaling: LP vs brute force
def _grid_min(pro, subs, h, top, step):
    d = subs.shape[1]
    axes = np.meshgrid(*[np.arange(0, top + step / 2, step)] * d, indexing="ij")
    lam = np.stack([a.ravel() for a in axes], axis=1)  # G x D
    v = np.abs(pro[None, :] - lam @ subs.T) - h * (1 + lam.sum(axis=1))[:, None]
    return float(np.maximum(v.max(axis=1), 0).min())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rescaling_lp_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    subs = rng.uniform(0.05, 1.0, size=(4, 2)).round(3)
    pro = rng.uniform(0.05, 0.8, size=4).round(3)
    h, step = 0.0005, 0.002
    s, lam = audit.min_violation(pro, subs, h)
    grid = _grid_min(pro, subs, h, top=2.0, step=step)
    lip = float((np.abs(subs).sum(axis=1) + 2 * h).max())  # max change of a violation per unit of lambda
    assert s <= grid + 1e-9 and grid <= s + lip * step
    assert audit.violation(pro, subs, lam, h) == pytest.approx(s, abs=1e-9)


def test_rescaling_lp_three_subindices_brute_force():
    subs = np.array([[0.726, 0.304, 0.666], [0.5, 0.5, 0.1], [0.2, 0.9, 0.3], [0.1, 0.1, 0.8]])
    pro = np.array([0.413, 0.45, 0.3, 0.5])
    s, _ = audit.min_violation(pro, subs, 0.0005)
    grid = _grid_min(pro, subs, 0.0005, top=1.0, step=0.01)
    assert s > 0.01  # infeasible
    assert s <= grid + 1e-9 and grid <= s + 0.01 * 1.8


def test_rescaling_feasible_when_pro_is_a_rounded_positive_combination():
    rng = np.random.default_rng(5)
    subs = rng.uniform(0.05, 1.0, size=(13, 3)).round(3)
    pro = (subs @ np.array([0.6, 0.2, 0.25])).round(3)
    s, _ = audit.min_violation(pro, subs, 0.0005)
    assert s == pytest.approx(0, abs=1e-12)


def test_rescaling_interval_condition_is_exact():
    # For a fixed lambda >= 0, max over roundings of B'lam - P' is B lam - P + h (1 + sum lam): check on the corners.
    rng = np.random.default_rng(3)
    b, p, lam, h = rng.uniform(0, 1, 3), 0.4, rng.uniform(0, 1, 3), 0.0005
    corners = [np.array(c) for c in np.array(np.meshgrid(*[[-h, h]] * 4)).T.reshape(-1, 4)]
    best = max((b + c[:3]) @ lam - (p + c[3]) for c in corners)
    assert best == pytest.approx(b @ lam - p + h * (1 + lam.sum()))
    with pytest.raises(audit.NQPInputError, match="K x D"):
        audit.min_violation([0.1, 0.2], [[0.1, 0.2]], h)


# ------------------------------------------------------------------ independent findings
def test_independent_findings_on_the_paper(paper):
    f = audit.run_all(paper)
    s = audit.independent_findings(f)
    assert list(s.columns) == audit.SUMMARY_COLUMNS
    assert list(s["finding"]) == ["aggregation", "r2_nested", "intercept_stars", "psm_n"]
    assert list(s["strength"]) == ["firm", "firm", "firm", "unexplained"]
    assert set(s["strength"]) <= set(audit.STRENGTHS)
    assert audit.headline(s) == "4 findings (3 firm, 1 unexplained)"
    by = s.set_index("finding")
    ids = set(f["row_id"])
    for col in ("evidence", "conditional_evidence", "marginal_rows"):
        assert all(i in ids for v in s[col] if v for i in v.split("; "))
    # the SE-bound rows support finding 1 conditionally, never as independent evidence
    assert "se_aggregation_bound" not in by.at["aggregation", "evidence"]
    assert by.at["aggregation", "conditional_evidence"].count("se_aggregation_bound") == 3
    assert "linear_aggregation_per_dimension_scale" in by.at["aggregation", "evidence"]
    assert by.at["aggregation", "marginal_rows"].count(";") == 2  # the three marginal rows
    assert (
        "7 of the 12 columns" in by.at["r2_nested", "what"]
        and "Adjusted R²" in by.at["r2_nested", "innocent_explanations"]
    )
    assert by.at["intercept_stars", "evidence"] == "stars:T2:c1:Pro:const; stars:T2:c8:Obj:const"
    assert "does not say how it matched" in by.at["psm_n", "what"]
    assert "does not state" in by.at["aggregation", "premise"] and "稳健标准误" in by.at["intercept_stars", "premise"]
    assert all(s["innocent_explanations"].str.len() > 40)
    # every inconsistent or unexplained row belongs to exactly one finding
    flagged = f[f["status"].isin(["inconsistent", "unexplained"])]
    assert (flagged["finding"] != "").all() and (f.loc[~f.index.isin(flagged.index), "finding"] == "").all()


def test_no_findings_on_a_consistent_table(synthetic):
    s = audit.independent_findings(audit.run_all(synthetic, claims=None))
    assert s.empty and audit.headline(s) == "no findings"


# ------------------------------------------------------------------ the chapter's prose
def test_chapter_numbers_cover_every_glue_of_the_chapter(paper):
    import re

    from nqp_helpers.audit import prose
    from nqp_helpers.paths import REPO_ROOT

    f = audit.run_all(paper)
    s = audit.independent_findings(f)
    nums = prose.chapter_numbers(f, s, paper)
    page = (REPO_ROOT / "notebooks" / "09_audit.py").read_text(encoding="utf-8")
    used = set(re.findall(r"\{glue:text\}`(\w+)`", page)) - {"source", "n_clusters"}
    used = {g for g in used if not g.startswith("ex08")}  # the exercises' answers: tests/test_exercises.py
    assert used <= set(nums), used - set(nums)
    assert "error" not in " ".join(nums.values()).lower().replace("standard error", "")
    assert nums["headline"] == "4 findings (3 firm, 1 unexplained)"
    assert nums["agg_bad"] == "all 13" and nums["se_bad"] == "3 of 13" and nums["ratio_range"] == "0.565 to 1.300"
    assert nums["agg_marginal"].startswith("Two rows are marginal") and "Table 6 Dig" in nums["agg_marginal"]
    assert nums["se_marginal"] == ", one of them marginally (Table 7 Inn×Ind, gap 0.0006)"
    assert "2.790 (1.090) ***" in nums["stars_sentence"] and "Two intercepts carry" in nums["stars_sentence"]
    assert nums["psm_ranges"] == (
        "nearest-neighbour matching: N from 5548 to 5556; radius matching: N from 5520 to 5528"
    )


def test_prose_sentences_change_with_the_rows():
    from nqp_helpers.audit import prose

    none = pd.DataFrame({"marginal": [False], "status": ["consistent"], "term": ["Inn"], "table": [2], "gap": [0.0]})
    assert prose.marginal_sentence(none) == "No row is marginal." and prose.marginal_clause(none) == ""
    one = none.assign(marginal=True, status="inconsistent", gap=0.001)
    assert prose.marginal_sentence(one).startswith("One row is marginal")
    assert prose.stars_sentence(none, "") == "Every slope coefficient carries stars its ratio allows."
    assert "One coefficient" not in prose.stars_sentence(one, "Table 2 col 1")
    assert "One estimate carries" in prose.stars_sentence(one, "Table 2 col 1")


def test_reader_table_and_closing_note(paper):
    from nqp_helpers.audit import prose

    s = audit.independent_findings(audit.run_all(paper))
    t = prose.reader_table(s)
    assert list(t.columns) == list(prose.READER_COLUMNS.values()) and list(t["#"]) == [1, 2, 3, 4]
    assert t["Evidence"].iloc[0] == "15 rows; 3 conditional; 3 marginal"
    note = prose.closing_note(s)
    assert note.count("\n") == 3 and all(f"{i}. **" in note for i in range(1, 5))
    assert all(f"`{i}`" in note for i in s["evidence"].iloc[3].split("; "))
    assert "error" not in note.lower().replace("standard error", "")  # the statistical term only
    assert prose.closing_note(s.iloc[:0]).startswith("No check")


def test_summary_file_rows_and_labels(paper, tmp_path, monkeypatch):
    # the chapter writes the independent findings with save_table; read the file back as a reader would
    from nqp_helpers.display import save_table

    monkeypatch.setenv("NQP_RESULTS_DIR", str(tmp_path))
    s = audit.independent_findings(audit.run_all(paper))
    path = save_table(s, "audit_summary_independent", "09_audit")
    back = pd.read_csv(path, keep_default_na=False)
    assert path == tmp_path / "09_audit" / "audit_summary_independent.csv"
    assert list(back.columns) == audit.SUMMARY_COLUMNS and len(back) == 4
    assert dict(zip(back["finding"], back["strength"])) == {
        "aggregation": "firm",
        "r2_nested": "firm",
        "intercept_stars": "firm",
        "psm_n": "unexplained",
    }
    assert (back["evidence"] != "").all() and (back["innocent_explanations"] != "").all()
