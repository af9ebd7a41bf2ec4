"""Glue a chapter's numbers in one call: the report modules return ``{name: value}``, the notebook glues them."""
from __future__ import annotations

from collections.abc import Mapping

from ..display import num_text

__all__ = ["glue_all", "num_text"]


def glue_all(values: Mapping) -> None:
    """Glue every ``name: value`` for ``{glue:text}`` references (myst-nb, not displayed), in order."""
    from myst_nb import glue

    for key, value in values.items():
        glue(key, value, display=False)
