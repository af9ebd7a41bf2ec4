"""Glue a chapter's numbers in one call: the report modules return ``{name: value}``, the notebook glues them."""

from __future__ import annotations

from collections.abc import Mapping

from ..display import num_text

__all__ = ["glue_all", "num_text"]


def glue_all(values: Mapping, prefix: str = "") -> None:
    """Glue every ``name: value`` as ``prefix + name`` for ``{glue:text}`` references (myst-nb, not displayed), in
    order. ``prefix`` keeps a chapter's names apart from another source's (e.g. ``paper_n_obs`` beside ``n_obs``)."""
    from myst_nb import glue

    for key, value in values.items():
        glue(f"{prefix}{key}", value, display=False)
