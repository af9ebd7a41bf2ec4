"""chapters.glue.glue_all: every value glued once, under its (prefixed) name, in order, never displayed."""

import myst_nb
import pytest

from nqp_helpers.chapters.glue import glue_all


@pytest.fixture
def glued(monkeypatch):
    calls = []
    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display=True: calls.append((name, value, display)))
    return calls


def test_glue_all_keeps_names_values_and_order(glued):
    glue_all({"b": 2, "a": 1.5, "s": "text"})
    assert glued == [("b", 2, False), ("a", 1.5, False), ("s", "text", False)]


def test_glue_all_prefix(glued):
    glue_all({"n_obs": 5560, "n_cities": 278}, prefix="paper_")
    glue_all({}, prefix="cond_")
    assert glued == [("paper_n_obs", 5560, False), ("paper_n_cities", 278, False)]
