"""Errors the package raises on bad input: each names the column, row or parameter at fault."""

from __future__ import annotations


class NQPInputError(ValueError):
    """Bad input data or parameters (a ValueError, so callers can catch either)."""


class PanelValidationError(NQPInputError):
    """A panel failed validation; the message lists every problem found with its column and (city, year)."""
