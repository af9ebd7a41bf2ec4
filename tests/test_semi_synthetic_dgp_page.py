"""The book page on the semi-synthetic DGP (book/semi_synthetic_dgp.md) quotes the simulator's parameters: each quoted
value is checked against nqp_helpers.data.semi_synthetic.parameters, so editing one without the other fails here."""

from __future__ import annotations

import yaml

from nqp_helpers.data.semi_synthetic import DGP_PAGE, dgp_description
from nqp_helpers.data.semi_synthetic import parameters as p
from nqp_helpers.paths import REPO_ROOT


def _page() -> str:
    return " ".join(DGP_PAGE.read_text(encoding="utf-8").replace("``", "`").split())


def _g(v) -> str:
    return f"{v:g}"


def test_heterogeneity_multipliers_quoted():
    page, m = _page(), p._MULT
    inn, size, adm, ind = m["innovation"], m["size"], m["admin"], m["industrial"]
    assert f"tercile {{high {_g(inn['high'])}, medium {_g(inn['medium'])}, low {_g(inn['low'])}}}" in page
    assert (
        f"population class {{large {_g(size['large'])}, medium {_g(size['medium'])}, small {_g(size['small'])}, "
        f"megacity {_g(size['megacity'])}}}"
    ) in page
    assert f"admin level {{hub {_g(adm['hub'])}, other {_g(adm['other'])}}}" in page
    assert ind["non_old_base"] == ind["unknown"]
    assert f"old industrial base {{yes {_g(ind['old_base'])}, no/unknown {_g(ind['unknown'])}}}" in page


def test_instrument_and_violation_parameters_quoted():
    page = _page()
    a, b, s = p._NTL
    assert f"exp({a} + {b} early_i + {s} N(0,1))" in page
    a, b, s = p._LZH
    assert f"log-mean `{a} + {b} early_i + {s} N(0,1)`" in page
    assert f"V_kit = {_g(p._VIOL)} med_k" in page
    assert p._CTRL_SCALE == 1.0 and "Q_kit = med_k × sum_c" in page
    years, values = p._RD_ANCHORS
    assert ", ".join(f"{y} {v:.2f} %" for y, v in zip(years, values)) in page


def test_development_factor_profiles_and_calibration_quoted():
    page = _page()
    assert f"N(0, {_g(p._DEV_NOISE_SD)}²) noise" in page
    a, b, cap = p._DYNAMIC
    assert f"`dynamic` `{_g(a)} + {_g(b)} min(e, {cap})`" in page
    slope, pivot, lo, hi = p._HETEROGENEOUS
    assert f"`clip(1 + {_g(slope)} ({pivot} - first_treat), {_g(lo)}, {_g(hi)})`" in page
    assert f"(≤ {p._CALIB_STEPS} steps, tolerance {p._CALIB_TOL:.0e}".replace("e-04", "e-4") in page
    assert set(p.SCENARIOS) == {"constant", "dynamic", "heterogeneous"}
    assert all(f"`{s}`" in page for s in p.SCENARIOS)


def test_outcome_and_moderation_parameters_quoted():
    page = _page()
    b, c = p._SMOOTH
    assert f"+ {_g(b)} b_ki (2t/T - 1) + {_g(c)} c_ki sin(pi t/T)" in page
    lo, hi = p._SHARE_CLIP
    assert f"shares are clipped to [{lo:.0e}, {_g(hi)}]".replace("e-04", "e-4") in page
    assert f"Shares are capped at {_g(hi)}" in page
    assert f"`kappa_dm = {_g(p._KAPPA_MAX)} × r_dm / max_d r_dm`" in page


def test_page_in_toc_and_description_well_formed():
    toc = yaml.safe_load((REPO_ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [c["file"] for part in toc["parts"] for c in part["chapters"]]
    assert "book/semi_synthetic_dgp" in files
    md = dgp_description()
    assert md.startswith("## ") and md.count("```") % 2 == 0 and "Guarantee" in md
