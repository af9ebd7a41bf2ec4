"""The suite runs offline: the guard of conftest.py blocks outbound connections and the package works under it.

The guard lives in the test process only; notebook kernels, dask workers, jupyter-book and chromium are child
processes it cannot reach. For the book, ``test_book_needs_nothing_external_at_build_time`` checks the configuration
and the built HTML instead: nothing the *build* needs comes from the network. What the *reader's browser* may fetch
is listed in ``READER_SIDE_EXTERNAL`` with the reason each is acceptable.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml
from conftest import BLOCKED_CONNECTIONS, OutboundNetworkBlocked, address_allowed, skip_or_fail

REPO = Path(__file__).resolve().parent.parent
HTML = REPO / "_build" / "html"
PUBLIC_V4 = ("192.0.2.1", 80)  # TEST-NET-1 (RFC 5737): public-looking, never routed; nothing is ever sent there
PUBLIC_V6 = ("2001:db8::1", 80)  # documentation prefix (RFC 3849)

# External URLs a built page may load in the reader's browser (never during the build), and why they are acceptable.
READER_SIDE_EXTERNAL = {
    # (MathJax is vendored in book/_static/mathjax and served locally: no CDN entry.)
    # sphinx-thebe's inline THEBE_JS_URL constant: only fetched when a reader presses a live-code button, and
    # `launch_buttons.thebe` is false, so no page offers one.
    "unpkg.com": "thebe, loaded only on demand by a live-code button (disabled)",
}
# Tags whose URL the browser loads by itself (href of <a> is a link the reader may follow, not a resource).
_RESOURCE = re.compile(r"<(script|link|img|iframe|source|video|audio|embed)\b[^>]*?\b(src|href)=\"([^\"]+)\"", re.I)
_JS_CONST_URL = re.compile(r"\b[A-Z_]+_URL\s*=\s*[\"'](https?://[^\"']+)[\"']")


def test_guard_is_active(offline_guard):
    assert offline_guard is True, "the offline guard is off (NQP_ALLOW_NETWORK is set)"


@pytest.mark.parametrize("family,address", [(socket.AF_INET, PUBLIC_V4), (socket.AF_INET6, PUBLIC_V6)])
def test_public_connect_is_blocked(offline_guard, family, address):
    if not offline_guard:
        pytest.skip("offline guard disabled by NQP_ALLOW_NETWORK")
    n = len(BLOCKED_CONNECTIONS)
    try:
        sock = socket.socket(family, socket.SOCK_STREAM)
    except OSError:
        pytest.skip(f"address family {family} unavailable")
    with sock, pytest.raises(OutboundNetworkBlocked, match="blocked"):
        sock.connect(address)
    with socket.socket(family, socket.SOCK_STREAM) as sock, pytest.raises(OSError, match="blocked"):
        sock.connect_ex(address)  # connect_ex too (it would otherwise return an errno)
    assert len(BLOCKED_CONNECTIONS) == n + 2
    del BLOCKED_CONNECTIONS[n:]  # deliberate: keep them out of the end-of-session report


def test_create_connection_blocked_before_dns(offline_guard):
    if not offline_guard:
        pytest.skip("offline guard disabled by NQP_ALLOW_NETWORK")
    n = len(BLOCKED_CONNECTIONS)
    with pytest.raises(OutboundNetworkBlocked):
        socket.create_connection(("example.org", 443), timeout=1)
    with pytest.raises(OutboundNetworkBlocked):
        socket.create_connection(PUBLIC_V4, timeout=1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp, pytest.raises(OutboundNetworkBlocked):
        udp.sendto(b"x", PUBLIC_V4)
    assert len(BLOCKED_CONNECTIONS) == n + 3
    del BLOCKED_CONNECTIONS[n:]


def test_loopback_and_unix_sockets_still_work(tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=5) as client:
            conn, _ = server.accept()
            with conn:
                client.sendall(b"ping")
                assert conn.recv(4) == b"ping"
    path = str(tmp_path / "s.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(path)
        server.listen(1)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.connect(path)
    for family, addr in [
        (socket.AF_INET, ("127.0.0.1", 1)),
        (socket.AF_INET, ("127.8.9.10", 1)),
        (socket.AF_INET6, ("::1", 1, 0, 0)),
        (socket.AF_INET6, ("::ffff:127.0.0.1", 1)),
        (socket.AF_INET, ("localhost", 1)),
        (socket.AF_UNIX, "/tmp/x.sock"),
    ]:
        assert address_allowed(family, addr), addr
    for family, addr in [
        (socket.AF_INET, ("8.8.8.8", 53)),
        (socket.AF_INET6, ("2606:4700::1111", 443)),
        (socket.AF_INET, ("pypi.org", 443)),
        (socket.AF_INET, ("10.0.0.1", 80)),
    ]:
        assert not address_allowed(family, addr), addr


def test_load_panel_works_offline(tmp_path):
    from nqp_helpers.data.load import load_panel

    n = len(BLOCKED_CONNECTIONS)
    panel = load_panel("semi_synthetic", seed=11)
    assert panel.attrs["track"] == "semi_synthetic" and len(panel) > 0
    csv = tmp_path / "p.csv"
    panel[["city_code", "year", "first_treat", "Inn", "Pro"]].to_csv(csv, index=False)
    assert load_panel(csv).attrs["track"] == "user"
    assert len(BLOCKED_CONNECTIONS) == n, BLOCKED_CONNECTIONS[n:]


@pytest.mark.slow
def test_notebook_run_works_offline(tmp_path, fixtures_dir):
    """papermill talks to the kernel over loopback ZeroMQ: allowed; nothing else is attempted."""
    from nqp_helpers.runner import run_notebook

    n = len(BLOCKED_CONNECTIONS)
    run_dir = run_notebook(fixtures_dir / "tiny_ok.py", {"seed": 3}, runs_dir=tmp_path / "runs")
    assert (run_dir / "results" / "tiny_ok" / "table.csv").is_file()
    assert len(BLOCKED_CONNECTIONS) == n, BLOCKED_CONNECTIONS[n:]


# ------------------------------------------------------------------------------------------------------ the book
def _external_hosts(urls) -> set[str]:
    return {
        urlparse(u if not u.startswith("//") else "https:" + u).hostname or ""
        for u in urls
        if u.startswith(("http://", "https://", "//"))
    }


def test_config_needs_nothing_external_at_build_time():
    """_config.yml: URLs only in link/button settings (rendered as links), none in settings the build fetches."""
    config = yaml.safe_load((REPO / "_config.yml").read_text(encoding="utf-8"))
    link_only = {
        ("repository", "url"),
        ("launch_buttons", "binderhub_url"),
        ("launch_buttons", "colab_url"),
        ("launch_buttons", "jupyterhub_url"),
    }
    found = []

    def walk(node, key_path):
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, key_path + (str(k),))
        elif isinstance(node, list):
            for v in node:
                walk(v, key_path)
        elif isinstance(node, str) and re.search(r"\b(https?|ftp)://", node):
            if key_path[-2:] not in link_only:
                found.append((".".join(key_path), node))

    walk(config, ())
    assert not found, f"_config.yml settings that point at the network: {found}"
    sphinx_cfg = config.get("sphinx", {}).get("config", {}) or {}
    for key in ("intersphinx_mapping", "mathjax_path", "html_js_files", "html_css_files"):
        assert "://" not in str(sphinx_cfg.get(key, "")), f"sphinx.config.{key} points at the network"
    assert "sphinx.ext.intersphinx" not in (config.get("sphinx", {}).get("extra_extensions") or []), (
        "intersphinx downloads inventories at build time"
    )


def test_built_html_loads_nothing_external_but_documented():
    """Every <script>/<link>/<img>/... resource of the built site is local, except READER_SIDE_EXTERNAL."""
    if not (HTML / "index.html").is_file():
        skip_or_fail(f"the built site {HTML} does not exist: run `make book` (or `nqp build`) first")
    undocumented: dict[str, set[str]] = {}
    seen_hosts: set[str] = set()
    for page in sorted(HTML.rglob("*.html")):
        text = page.read_text(encoding="utf-8", errors="replace")
        urls = [m.group(3) for m in _RESOURCE.finditer(text)]
        tag_hosts = _external_hosts(urls)
        const_hosts = _external_hosts(_JS_CONST_URL.findall(text))
        for host in tag_hosts | const_hosts:
            seen_hosts.add(host)
            if host not in READER_SIDE_EXTERNAL:
                undocumented.setdefault(host, set()).add(str(page.relative_to(HTML)))
    assert not undocumented, (
        "built pages load external resources that are neither local nor documented in "
        f"READER_SIDE_EXTERNAL: { {h: sorted(p)[:3] for h, p in undocumented.items()} }"
    )
    # The build itself fetched nothing: the log of the last build mentions no download.
    log = REPO / "_build" / "build.log"
    if log.is_file():
        text = log.read_text(encoding="utf-8", errors="replace")
        assert not re.search(r"loading intersphinx inventory|Downloading|urlopen error|HTTPError", text), (
            "the last book build tried to use the network"
        )
