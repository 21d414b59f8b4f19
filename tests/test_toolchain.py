"""The toolchain is pinned to exact versions and agrees with itself."""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _pins(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", "\n".join(lines), flags=re.M))


def test_noxfile_needs_the_nox_that_bootstrap_installs() -> None:
    needs = re.search(r'^nox\.needs_version = "==(.+)"$', (REPO / "noxfile.py").read_text(), flags=re.M)
    assert needs is not None
    assert _pins(REPO / "requirements" / "bootstrap.txt")["nox"] == needs[1]


def test_generation_toolchain_is_exactly_pinned_and_installed() -> None:
    locked = _pins(REPO / "requirements" / "generate.txt")
    for tool in ("openapi-python-client", "ruff", "mypy", "jinja2"):
        assert tool in locked, f"{tool} is not pinned in requirements/generate.txt"
        assert version(tool) == locked[tool], f"{tool} {version(tool)} installed, {locked[tool]} pinned"


def test_template_manifest_names_the_pinned_generator() -> None:
    manifest = (REPO / "overrides" / "manifest.json").read_text()
    pinned = _pins(REPO / "requirements" / "generate.txt")["openapi-python-client"]
    assert f'"openapi-python-client=={pinned}"' in manifest
