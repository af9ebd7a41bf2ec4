"""The "Which estimator?" chart: the committed SVG matches its Graphviz source and links only to built chapters."""

import shutil
from pathlib import Path

import pytest

from nqp_helpers.book import toc_files
from nqp_helpers.chapters.which_estimator import (
    DOT,
    SVG,
    dot_links,
    dot_version,
    render,
    svg_dot_version,
    svg_links,
)

REPO = Path(__file__).resolve().parent.parent


def test_svg_has_every_link_of_the_source():
    links = dot_links()
    assert links and sorted(u for u in svg_links() if not u.startswith("#")) == sorted(links)


def test_links_point_to_chapters_in_the_toc():
    pages = set(toc_files(REPO / "_toc.yml"))
    for url in dot_links():
        target = (DOT.parent.parent / url.split("#")[0]).resolve()  # relative to book/which_estimator.html
        rel = target.relative_to(REPO).with_suffix("").as_posix()
        assert rel in pages, url


def test_svg_is_current(tmp_path):
    """Exact bytes when the installed dot is the version that rendered the committed SVG."""
    version = dot_version()
    if version is None:
        pytest.skip("Graphviz `dot` not installed: only the link check above runs")
    if version != svg_dot_version():
        pytest.skip(f"dot {version} differs from the SVG's {svg_dot_version()}: layouts may differ")
    fresh = render(DOT, tmp_path / "chart.svg")
    assert fresh.read_bytes() == SVG.read_bytes(), "re-render: python -m nqp_helpers.chapters.which_estimator"


def test_render_error_without_dot(monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda exe: None)
    with pytest.raises(FileNotFoundError, match="graphviz"):
        render(DOT, tmp_path / "x.svg")
