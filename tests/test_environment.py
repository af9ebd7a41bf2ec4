"""pyproject.toml, environment.yml and requirements-lock.txt pin the same versions."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parent.parent


def _pins(specs: list[str]) -> dict[str, str]:
    out = {}
    for spec in specs:
        req = Requirement(spec)
        ops = [(s.operator, s.version) for s in req.specifier]
        assert len(ops) == 1 and ops[0][0] == "==", f"{spec!r} is not an exact pin"
        out[canonicalize_name(req.name)] = ops[0][1]
    return out


def pyproject_pins() -> dict[str, str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    specs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        specs += extra
    return _pins(specs)


def environment_pins() -> dict[str, str]:
    env = yaml.safe_load((REPO / "environment.yml").read_text(encoding="utf-8"))
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    assert "python=3.11" in env["dependencies"]
    return _pins(pip)


def lock_pins() -> dict[str, str]:
    out = {}
    for line in (REPO / "requirements-lock.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        m = re.match(r"^([A-Za-z0-9_.\-\[\]]+)==([^;\s]+)", line)
        assert m, f"requirements-lock.txt line is not name==version: {line!r}"
        out[canonicalize_name(m.group(1).split("[")[0])] = m.group(2)
    return out


def test_environment_yml_matches_pyproject():
    assert environment_pins() == pyproject_pins()


def test_jupyter_book_is_version_1():
    v = Version(pyproject_pins()["jupyter-book"])
    assert Version("1.0.4") <= v < Version("2")


def test_every_direct_pin_is_in_the_lock_with_the_same_version():
    lock = lock_pins()
    for name, version in pyproject_pins().items():
        assert name in lock, f"{name} missing from requirements-lock.txt"
        assert lock[name] == version, f"{name}: pyproject {version} vs lock {lock[name]}"
