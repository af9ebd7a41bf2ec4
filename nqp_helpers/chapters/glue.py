"""Glue a chapter's numbers in one call: the report modules return ``{name: value}``, the notebook glues them."""
from __future__ import annotations

from collections.abc import Mapping

from ..display import MISSING, fmt_num, is_missing

__all__ = ["glue_all", "num_text"]


def num_text(value, digits: int = 3) -> str:
    """``value`` as prose text rounded to ``digits``, "—" when missing (what ``display.glue_num`` glues)."""
    return MISSING if is_missing(value) else fmt_num(value, digits)


def glue_all(values: Mapping) -> None:
    """Glue every ``name: value`` for ``{glue:text}`` references (myst-nb, not displayed), in order."""
    from myst_nb import glue

    for key, value in values.items():
        glue(key, value, display=False)
