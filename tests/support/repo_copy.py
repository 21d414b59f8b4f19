"""A throwaway copy of this repository, to run the real pipeline on changed specs."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
_COPIED = ("swagger.yml", "generator_config.yaml", "overrides", "pipeline", "generated", "requirements", "noxfile.py")
PACKAGE_PARENT = Path("generated") / "clerk-chat-client"


@dataclass
class RepoCopy:
    root: Path

    @property
    def spec(self) -> Path:
        return self.root / "swagger.yml"

    @property
    def package_parent(self) -> Path:
        """Put this on sys.path (or PYTHONPATH) to import the copy's clerk_chat_client."""
        return self.root / PACKAGE_PARENT

    def generate(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the copy's pipeline with this interpreter (the test venv has the pinned toolchain)."""
        return subprocess.run(
            [sys.executable, "-m", "pipeline.generate", *args],
            cwd=self.root,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )

    def snapshot(self) -> dict[str, bytes]:
        """Every file under generated/, by relative path."""
        base = self.root / "generated"
        return {str(p.relative_to(base)): p.read_bytes() for p in sorted(base.rglob("*")) if p.is_file()}


def copy_repo(destination: Path) -> RepoCopy:
    destination.mkdir(parents=True, exist_ok=True)
    for name in _COPIED:
        source = REPO / name
        target = destination / name
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", ".mypy_cache", ".ruff_cache"))
        elif source.exists():
            shutil.copy2(source, target)
    changelog = REPO / "CHANGELOG.md"
    if changelog.exists():
        shutil.copy2(changelog, destination / "CHANGELOG.md")
    return RepoCopy(destination)
