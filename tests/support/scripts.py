"""User code in a fresh interpreter: a script run (or type-checked) against a generated package.

The package is the installed one, or a repository copy's regeneration (`package_parent` first on
PYTHONPATH / MYPYPATH), so tests see what a user's program sees: imports, types and behaviour.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> Any:
        """The JSON the script printed last (scripts report by `print(json.dumps(...))`)."""
        assert self.returncode == 0, f"the script failed (exit {self.returncode}):\n{self.stderr}"
        return json.loads(self.stdout.strip().splitlines()[-1])


def _environment(package_parent: Path | None, variables: dict[str, str], path_variable: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("CLERK_CHAT_")}
    if package_parent is not None:
        env[path_variable] = str(package_parent)
    env.update(variables)
    return env


def run_script(
    code: str, *, package_parent: Path | None = None, env: dict[str, str] | None = None, timeout: float = 120
) -> Run:
    """Run `code` (dedented) with this interpreter; `package_parent` holds the clerk_chat_client to use."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=_environment(package_parent, env or {}, "PYTHONPATH"),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Run(result.returncode, result.stdout, result.stderr)


def typecheck(code: str, directory: Path, *, package_parent: Path | None = None) -> Run:
    """`mypy --strict` over `code` as a user's module; `directory` holds it and mypy's cache."""
    script = directory / "user_script.py"
    script.write_text(textwrap.dedent(code), encoding="utf-8")
    command = [
        sys.executable,
        "-m",
        "mypy",
        "--strict",
        "--cache-dir",
        str(directory.parent / "mypy-cache"),
        str(script),
    ]
    result = subprocess.run(
        command,
        cwd=directory,
        env=_environment(package_parent, {}, "MYPYPATH"),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return Run(result.returncode, result.stdout, result.stderr)
