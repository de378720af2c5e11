"""Reproducible installs: uv.lock pins every package within pyproject.toml's ranges,
requirements.txt (what pip installs, with hashes) is its exact export, and the environment
running these tests was installed from it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
EXPORT = ["export", "--frozen", "--extra", "dev", "--no-emit-project"]
EXPORT += ["--format", "requirements-txt"]


def locked() -> dict[str, list[dict[str, object]]]:
    packages: dict[str, list[dict[str, object]]] = {}
    for p in tomllib.loads((ROOT / "uv.lock").read_text())["package"]:
        packages.setdefault(canonicalize_name(p["name"]), []).append(p)
    return packages


def test_requirements_txt_is_the_export_of_uv_lock() -> None:
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    assert uv is not None, "uv is a dev dependency"
    exported = subprocess.run(
        [uv, *EXPORT], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    committed = (ROOT / "requirements.txt").read_text()

    def body(text: str) -> list[str]:  # the header names the command; the pins must match
        return [line for line in text.splitlines() if not line.startswith("#")]

    assert body(exported) == body(committed), "run `make lock` and commit both files"


def test_every_direct_dependency_is_locked_within_its_range() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    packages = locked()
    for spec in map(Requirement, wanted):
        versions = [str(p["version"]) for p in packages.get(canonicalize_name(spec.name), [])]
        assert versions, f"{spec.name} is not in uv.lock"
        assert all(spec.specifier.contains(v) for v in versions), (spec, versions)


@pytest.mark.skipif(
    Path(sys.prefix).name == ".venv-latest", reason="make test-latest runs unlocked on purpose"
)
def test_this_environment_was_installed_from_the_lock() -> None:
    """A fresh machine gets exactly the locked versions, not the newest of the day."""
    mismatched = []
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        if not line or line[0] in " #":
            continue
        pin, _, marker = line.rstrip(" \\").partition(";")
        if marker.strip() and not Marker(marker.strip()).evaluate():
            continue
        name, version = pin.strip().split("==")
        if metadata.version(name) != version:
            mismatched.append(f"{name}: installed {metadata.version(name)}, locked {version}")
    assert mismatched == []
