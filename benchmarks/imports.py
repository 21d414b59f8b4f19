"""Import time (and memory, and a first call) in fresh interpreters.

A process imports a module once, so the only honest measurement is a new interpreter per sample.
Each probe runs untimed `setup`, then times `timed` alone, leaving out interpreter start-up (the
same for all and much larger than the differences), and reports the wall and CPU seconds and how
much the resident set grew meanwhile. Probes alternate round by round, so machine noise hits them alike. A
probe may put a folder first on PYTHONPATH: a generated copy of the package, for the scaling runs.

Users import from bytecode caches (pip compiles them at install), but this machine sets
PYTHONDONTWRITEBYTECODE and uv installs without compiling: measured as is, every sample would
time the compiler. So the children write their caches to a private PYTHONPYCACHEPREFIX (never into
the source tree, `generated/` included), and a first untimed run of each probe fills it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .stats import Summary, summarize
from .timing import rotated

# Wall and CPU seconds, and the growth of the current RSS (/proc/self/statm, Linux) in KiB; the
# statements run at module level. CPU time leaves out the time other processes take the core.
_PROGRAM = """\
import os as _os, time as _time
def _rss_kib():
    with open("/proc/self/statm") as _f:
        return int(_f.read().split()[1]) * _os.sysconf("SC_PAGE_SIZE") // 1024
{setup}
_rss, _start, _cpu = _rss_kib(), _time.perf_counter(), _time.process_time()
{timed}
print(_time.perf_counter() - _start, _time.process_time() - _cpu, _rss_kib() - _rss)
"""

HTTPX2 = "import httpx2"
HTTPX = "import httpx"
CLIENT = "import clerk_chat_client"
CLIENT_CLASS = "from clerk_chat_client import ClerkChatClient"
CLIENT_AND_OPERATION = "import clerk_chat_client.api.twilio.connect"


@dataclass(frozen=True)
class Probe:
    label: str
    timed: str  # statements, timed
    setup: str = ""  # statements run first, untimed
    pythonpath: Path | None = None  # put first on PYTHONPATH


@dataclass(frozen=True)
class ProbeResult:
    seconds: Summary
    cpu_seconds: Summary  # the child's own CPU time during `timed`
    rss_kib: Summary  # growth of the resident set during `timed`


def statement(text: str) -> Probe:
    """A probe that times one import statement, labelled with it."""
    return Probe(text, text)


def _once(probe: Probe, env: dict[str, str]) -> tuple[float, float, float]:
    if probe.pythonpath is not None:
        env = {**env, "PYTHONPATH": os.pathsep.join(filter(None, [str(probe.pythonpath), env.get("PYTHONPATH")]))}
    completed = subprocess.run(
        [sys.executable, "-c", _PROGRAM.format(setup=probe.setup, timed=probe.timed)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"`{probe.label}` failed in a fresh interpreter:\n{completed.stderr}")
    seconds, cpu, rss = completed.stdout.split()[-3:]
    return float(seconds), float(cpu), float(rss)


def measure(probes: list[Probe], repeats: int) -> dict[str, ProbeResult]:
    """`repeats` fresh interpreters per probe, alternating; labels must be distinct."""
    with tempfile.TemporaryDirectory(prefix="bench-pycache-") as cache:
        env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = cache
        for probe in probes:
            _once(probe, env)
        samples: dict[str, list[tuple[float, float, float]]] = {probe.label: [] for probe in probes}
        for round_number in range(repeats):
            for probe in rotated(probes, round_number):
                samples[probe.label].append(_once(probe, env))
    return {
        label: ProbeResult(*(summarize([sample[i] for sample in values]) for i in range(3)))
        for label, values in samples.items()
    }
