"""Shared fixtures and options for the whole suite.

Markers (declared in pyproject.toml): ``slow`` (book builds, browser; still run by ``make test``) and ``montecarlo``
(heavy simulations; skipped unless ``--run-montecarlo`` is given).
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def pytest_addoption(parser):
    parser.addoption("--run-montecarlo", action="store_true", default=False,
                     help="run the heavy Monte Carlo tests (marked montecarlo)")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--run-montecarlo"):
        return
    skip = pytest.mark.skip(reason="Monte Carlo test: pass --run-montecarlo to run it")
    for item in items:
        if "montecarlo" in item.keywords:
            item.add_marker(skip)


def in_ci() -> bool:
    """True when the environment variable CI is set to something other than empty/0/false."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def skip_or_fail(reason: str):
    """Skip locally; fail in CI, where every prerequisite must be present."""
    if in_ci():
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture
def runs_dir(tmp_path) -> Path:
    return tmp_path / "runs"
