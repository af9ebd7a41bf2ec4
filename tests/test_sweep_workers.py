"""nqp_helpers.sweep_workers: the code fingerprint, the comparison that names a worker's differences, and the plugin
that ships a wheel and data/ (set up and torn down in this process, with a stand-in worker)."""

from __future__ import annotations

import io
import os
import sys
import zipfile
from types import SimpleNamespace

from nqp_helpers.sweep_workers import ShippedCode, compare_states, package_fingerprint, probe


def _zip(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return buf.getvalue()


def test_fingerprint_follows_the_source_not_line_endings_or_caches(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_bytes(b"x = 1\n")
    (pkg / "sub" / "m.py").write_bytes(b"y = 2\n")
    first = package_fingerprint(pkg)
    (pkg / "__pycache__").mkdir()
    (pkg / "__pycache__" / "junk.py").write_bytes(b"z = 3\n")
    (pkg / "sub" / "m.py").write_bytes(b"y = 2\r\n")  # a Windows checkout of the same commit
    assert package_fingerprint(pkg) == first
    (pkg / "sub" / "m.py").write_bytes(b"y = 3\n")
    assert package_fingerprint(pkg) != first
    (pkg / "sub" / "m.py").write_bytes(b"y = 2\n")
    (pkg / "sub" / "n.py").write_bytes(b"")  # a new module counts too
    assert package_fingerprint(pkg) != first


def test_compare_states_names_each_difference():
    me = probe()
    assert me["error"] is None and compare_states(me, me) == []
    assert compare_states(me, {"error": "cannot import nqp_helpers (ModuleNotFoundError: x)"}) == [
        "cannot import nqp_helpers (ModuleNotFoundError: x)"
    ]
    [version] = compare_states(me, me | {"nqp_helpers": "0.0.9", "code_sha": "0" * 64})  # version said first
    assert version == f"nqp_helpers version 0.0.9 (client: {me['nqp_helpers']})"
    [code] = compare_states(me, me | {"code_sha": "abc" * 20})
    assert "different code" in code and me["package_dir"] in code
    [data] = compare_states(me, me | {"data_sha": "absent"})
    assert data.startswith("data manifest data/processed/manifest.json sha256 absent")


def test_shipped_code_is_importable_then_gone(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", "/somewhere")
    wheel = _zip({"shippedpkg_test/__init__.py": "VALUE = 42\n", "shippedpkg_test-1.0.dist-info/METADATA": "x"})
    data = _zip({"processed/manifest.json": "{}"})
    plugin = ShippedCode(wheel, data, "t1")
    worker = SimpleNamespace(local_directory=str(tmp_path))
    plugin.setup(worker)
    target = tmp_path / "nqp-shipped-code-t1"
    try:
        assert (target / "data" / "processed" / "manifest.json").is_file()
        assert os.environ["PYTHONPATH"] == os.pathsep.join([str(target), "/somewhere"])  # kernels inherit it
        import shippedpkg_test

        assert shippedpkg_test.VALUE == 42
    finally:
        plugin.teardown(worker)
    assert not target.exists() and "shippedpkg_test" not in sys.modules and str(target) not in sys.path
    assert os.environ["PYTHONPATH"] == "/somewhere"
