"""Exercises on the built site: every chapter with exercises shows them, with solutions hidden on load and revealed
by a click (sphinx-exercise dropdowns, toggled by sphinx-togglebutton). Same fixtures and skip rules as test_site.py
(needs `_build/html` and /usr/bin/chromium)."""

from __future__ import annotations

import pytest
from test_site import HTML, browser  # noqa: F401  (the module-scoped headless-Chromium fixture)

pytestmark = pytest.mark.slow

# chapter page -> number of exercises appended at its end
EXERCISE_PAGES = {
    "notebooks/02_t1_index.html": 2,
    "notebooks/03_t2_baseline.html": 3,
    "notebooks/04_t3_psm_did.html": 2,
    "notebooks/05_t4_iv.html": 2,
    "notebooks/06_t5_t7_amplification.html": 3,
    "notebooks/07_f1_heterogeneity.html": 2,
    "notebooks/09_audit.html": 2,
    "notebooks/10_event_study.html": 2,
    "notebooks/11_robust_did.html": 3,
    "notebooks/12_inference.html": 2,
    "notebooks/13_teaching_lab.html": 3,
    "notebooks/14_specification_curve.html": 2,
}


@pytest.mark.parametrize("page", sorted(EXERCISE_PAGES))
def test_solutions_hidden_until_clicked(browser, page):  # noqa: F811
    p = browser.new_page()
    try:
        p.goto((HTML / page).as_uri())
        p.wait_for_load_state("load")
        assert p.locator("div.exercise").count() == EXERCISE_PAGES[page]
        sols = p.locator("div.solution")
        assert sols.count() == EXERCISE_PAGES[page]
        for i in range(sols.count()):
            sol = sols.nth(i)
            body = sol.locator("section p").first
            assert body.count() == 1 and not body.is_visible(), f"{page}: solution {i + 1} visible on load"
            text = body.text_content()  # inner_text() of a hidden element is empty: it would check nothing
            assert "nan" not in text.split() and "{glue" not in text and " object>" not in text, (
                f"{page}: solution {i + 1}: {text!r}"
            )
            sol.locator("button.toggle-button").click()
            body.wait_for(state="visible", timeout=3000)
            assert body.is_visible(), f"{page}: solution {i + 1} still hidden after a click"
    finally:
        p.close()
