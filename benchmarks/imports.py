"""Import time of clerk_chat_client against httpx2 (and httpx), each in a fresh interpreter.

A process imports a module once, so the only honest measurement is a new interpreter per sample.
The timer runs inside the child around the import statement alone, leaving out interpreter
start-up (the same for both and much larger than the difference). Statements alternate, so
machine noise hits them alike.

Users import from bytecode caches (pip compiles them at install), but this machine sets
PYTHONDONTWRITEBYTECODE and uv installs without compiling: measured as is, every sample would
time the compiler. So the children write their caches to a private PYTHONPYCACHEPREFIX (never into
the source tree, `generated/` included), and a first untimed run of each statement fills it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

from .stats import Summary, summarize
from .timing import rotated

_PROGRAM = "import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"

HTTPX2 = "import httpx2"
HTTPX = "import httpx"
CLIENT = "import clerk_chat_client"
CLIENT_AND_OPERATION = "import clerk_chat_client.api.twilio.connect"
STATEMENTS = (HTTPX2, HTTPX, CLIENT, CLIENT_AND_OPERATION)


def _once(statement: str, env: dict[str, str]) -> float:
    completed = subprocess.run(
        [sys.executable, "-c", _PROGRAM.format(statement=statement)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"`{statement}` failed in a fresh interpreter:\n{completed.stderr}")
    return float(completed.stdout.strip())


def import_times(repeats: int, statements: tuple[str, ...] = STATEMENTS) -> dict[str, Summary]:
    """Seconds per statement, `repeats` fresh interpreters each, alternating."""
    with tempfile.TemporaryDirectory(prefix="bench-pycache-") as cache:
        env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = cache
        for statement in statements:
            _once(statement, env)
        samples: dict[str, list[float]] = {statement: [] for statement in statements}
        for round_number in range(repeats):
            for statement in rotated(statements, round_number):
                samples[statement].append(_once(statement, env))
    return {statement: summarize(values) for statement, values in samples.items()}
