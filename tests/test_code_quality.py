"""The repository's own code is typed (mypy --strict), linted and formatted; generated/ is
checked by the pipeline itself, and benchmarks/ is type-checked by `nox -s bench`, whose lock holds
what it imports (uvicorn, raw httpx)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CHECKS = {
    "mypy --strict": ["-m", "mypy", "--strict", "--explicit-package-bases", "pipeline", "tests"],
    "ruff check": ["-m", "ruff", "check", "--no-cache", "."],
    "ruff format": ["-m", "ruff", "format", "--no-cache", "--check", "."],
}


@pytest.mark.parametrize("args", CHECKS.values(), ids=CHECKS.keys())
def test_repository_code_passes(args: list[str]) -> None:
    result = subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True, timeout=300, check=False)

    assert result.returncode == 0, result.stdout + result.stderr
