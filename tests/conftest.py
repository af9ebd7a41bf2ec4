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
    parser.addoption(
        "--run-montecarlo",
        action="store_true",
        default=False,
        help="run the heavy Monte Carlo tests (marked montecarlo)",
    )


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


# ------------------------------------------------------------------------------------------------ offline guard
# Every test runs offline: an outbound connection from the test process to anything but the loopback interface or a
# Unix socket raises `OutboundNetworkBlocked` (an OSError, so libraries that probe the network and fall back keep
# working) and is recorded; the terminal summary lists every blocked attempt. Loopback stays open because jupyter
# kernels (ZeroMQ over 127.0.0.1), dask (tornado/asyncio TCP) and playwright need it. Not covered: child processes
# (notebook kernels, dask workers, jupyter-book, chromium: the browser tests block off-site requests themselves),
# DNS look-ups made by getaddrinfo, and `send` on an already connected UDP socket (a UDP `connect` sends nothing,
# so it is allowed: dask's get_ip uses it to find the default route). NQP_ALLOW_NETWORK=1 turns the guard off.
import ipaddress  # noqa: E402
import socket  # noqa: E402

BLOCKED_CONNECTIONS: list[str] = []


class OutboundNetworkBlocked(OSError):
    """A test tried to reach a non-loopback address (tests must run offline)."""


def _host_is_local(host) -> bool:
    if host is None:
        return False
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host).split("%", 1)[0].strip("[]")  # IPv6 scope id, bracketed literal
    if host.lower() in ("localhost", "localhost.localdomain", "ip6-localhost"):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False  # a host name other than localhost: never resolved, never reached
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback or ip.is_unspecified  # 0.0.0.0 / :: connect to this host


def address_allowed(family, address) -> bool:
    """True for AF_UNIX (and other non-IP families), loopback and unspecified addresses."""
    if family not in (socket.AF_INET, socket.AF_INET6):
        return True
    host = address[0] if isinstance(address, (tuple, list)) and address else address
    return _host_is_local(host)


def _refuse(what: str, address) -> OutboundNetworkBlocked:
    msg = f"offline test suite: {what} to {address!r} blocked (only loopback and Unix sockets are allowed)"
    BLOCKED_CONNECTIONS.append(msg)
    return OutboundNetworkBlocked(msg)


def _install_network_guard(mp: pytest.MonkeyPatch) -> None:
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_sendto, real_create_connection = socket.socket.sendto, socket.create_connection

    def connect(self, address):
        if self.type != socket.SOCK_DGRAM and not address_allowed(self.family, address):
            raise _refuse("connect", address)
        return real_connect(self, address)

    def connect_ex(self, address):
        if self.type != socket.SOCK_DGRAM and not address_allowed(self.family, address):
            raise _refuse("connect_ex", address)
        return real_connect_ex(self, address)

    def sendto(self, data, *args):
        address = args[-1]
        if not address_allowed(self.family, address):
            raise _refuse("sendto", address)
        return real_sendto(self, data, *args)

    def create_connection(address, *args, **kwargs):
        if not _host_is_local(address[0]):  # checked before getaddrinfo: no DNS query for a public name
            raise _refuse("create_connection", address)
        return real_create_connection(address, *args, **kwargs)

    mp.setattr(socket.socket, "connect", connect)
    mp.setattr(socket.socket, "connect_ex", connect_ex)
    mp.setattr(socket.socket, "sendto", sendto)
    mp.setattr(socket, "create_connection", create_connection)


@pytest.fixture(scope="session", autouse=True)
def offline_guard():
    """Session-wide, autouse: block outbound network from the test process (see the comment above)."""
    if os.environ.get("NQP_ALLOW_NETWORK", "").strip().lower() in ("1", "true", "yes"):
        yield False
        return
    mp = pytest.MonkeyPatch()
    _install_network_guard(mp)
    try:
        yield True
    finally:
        mp.undo()


def pytest_terminal_summary(terminalreporter):
    if BLOCKED_CONNECTIONS:
        terminalreporter.section("outbound network attempts blocked by the offline guard")
        for line in dict.fromkeys(BLOCKED_CONNECTIONS):
            terminalreporter.write_line(line)
