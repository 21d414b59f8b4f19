"""Wall time of the warm pipeline: `nox -s generate` and `nox -s check`, as a maintainer runs them.

Run from the repository root through the `nox` on PATH, in an environment without this
benchmark's virtualenv (so the child nox behaves as it does from a shell). One untimed run of each
warms the nox virtualenvs and caches; the timed runs alternate between the sessions.

On an unchanged spec `generate` must change nothing: `git status --porcelain generated` is
compared before and after. A difference means the spec changed or someone else was working in the
tree at the same time; it is reported, not hidden.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .stats import Summary, summarize
from .timing import rotated

SESSIONS = ("check", "generate")


class NoxNotFoundError(RuntimeError):
    pass


@dataclass
class NoxTiming:
    session: str
    seconds: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def summary(self) -> Summary | None:
        return summarize(self.seconds) if self.seconds else None


@dataclass
class PipelineTimings:
    sessions: dict[str, NoxTiming]
    generated_unchanged: bool
    status_before: str
    status_after: str


def find_nox(root: Path) -> str:
    """The `nox` on PATH, else the one the README installs into .venv/ (what `.venv/bin/nox -s bench` runs)."""
    nox = shutil.which("nox") or shutil.which("nox", path=str(root / ".venv" / "bin"))
    if nox is None:
        raise NoxNotFoundError(
            "`nox` is neither on PATH nor in .venv/bin: install requirements/bootstrap.txt, or run with "
            "--skip-pipeline --skip-scaling"
        )
    return nox


@dataclass(frozen=True)
class NoxRun:
    seconds: float
    peak_rss_kib: int  # the largest process of the run (nox, the pipeline or one of its tools)
    returncode: int
    output: str


def run_nox(nox: str, args: list[str], cwd: Path, env: dict[str, str]) -> NoxRun:
    """Run nox to completion; wall time, and peak RSS from the child's own rusage (os.wait4), which
    covers every process under it that was waited for."""
    with tempfile.TemporaryFile("w+", encoding="utf-8") as output:
        start = time.perf_counter()
        process = subprocess.Popen([nox, *args], cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT)
        _pid, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, so Popen must not wait
        output.seek(0)
        return NoxRun(elapsed, usage.ru_maxrss, process.returncode, output.read())


def shell_environment() -> dict[str, str]:
    """os.environ without this interpreter's virtualenv (VIRTUAL_ENV and its bin/ on PATH)."""
    env = dict(os.environ)
    env.pop("VIRTUAL_ENV", None)
    if sys.prefix != sys.base_prefix:
        venv_bin = str(Path(sys.prefix) / "bin")
        env["PATH"] = os.pathsep.join(part for part in env.get("PATH", "").split(os.pathsep) if part != venv_bin)
    return env


def _git_status(root: Path) -> str:
    completed = subprocess.run(
        ["git", "status", "--porcelain", "generated"], cwd=root, capture_output=True, text=True, check=True
    )
    return completed.stdout


def failure(run: NoxRun, what: str) -> str | None:
    """None for a successful run, else what failed with the end of its output."""
    if run.returncode == 0:
        return None
    tail = "\n".join(run.output.strip().splitlines()[-15:])
    return f"`{what}` exited {run.returncode}:\n{tail}"


def _run(nox: str, session: str, root: Path, env: dict[str, str]) -> tuple[float, str | None]:
    run = run_nox(nox, ["-s", session], root, env)
    return run.seconds, failure(run, f"nox -s {session}")


def time_pipeline(root: Path, repeats: int) -> PipelineTimings:
    """Warm both sessions, then time them alternately.

    `check` runs first and only reads. If it fails, generated/ is not what a fresh generation
    gives (someone is mid-change): `generate` would then rewrite generated/ under them, so it is
    not run at all and the failure is reported instead.
    """
    nox = find_nox(root)
    env = shell_environment()
    before = _git_status(root)
    timings = {session: NoxTiming(session) for session in SESSIONS}
    _, error = _run(nox, "check", root, env)
    sessions: tuple[str, ...] = SESSIONS
    if error:
        timings["check"].errors.append(f"warm-up: {error}")
        timings["generate"].errors.append("not run: `nox -s check` failed, so generate would modify generated/")
        sessions = ("check",)
    else:
        _, error = _run(nox, "generate", root, env)
        if error:
            timings["generate"].errors.append(f"warm-up: {error}")
    for round_number in range(repeats):
        for session in rotated(sessions, round_number):
            elapsed, error = _run(nox, session, root, env)
            if error:
                timings[session].errors.append(error)
            else:
                timings[session].seconds.append(elapsed)
    after = _git_status(root)
    return PipelineTimings(timings, before == after, before, after)
