"""How the pipeline and the client grow with the spec: synthetic specs of 1 to 800 operations.

For each size, a throwaway copy of the repository (tests/support/repo_copy.py) gets the real
swagger.yml grown by `synthetic_spec` and runs `nox -s generate` as a maintainer would, sharing
this repository's nox virtualenvs (`--envdir`), so no run pays for installing the toolchain:
- cold: the first generation in the copy: no `.build/` (so no mypy cache), and `generated/` still
  holds the repository's generation, so at every size above the real spec's the change report
  runs over all the added operations, as after a spec change;
- warm: the same command again with nothing changed (what `generate` costs when re-run).
Each run records wall time, the peak RSS of its largest process (rusage of nox's whole tree) and
the pipeline's own step times (`--timings`), which say where a slow generation spends its time.
Then, interleaved over the sizes and beside `import httpx2`: `import clerk_chat_client` time and
memory in fresh interpreters, and the first call on a fresh client (`client.twilio.connect`, a
resource of one tag).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.repo_copy import PACKAGE_PARENT, copy_repo

from . import imports, nox_timing, synthetic_spec
from .clients import API_KEY, INBOX
from .report import Row, Target
from .stats import Summary, summarize
from .timing import rotated

SIZES = (1, 50, 200, 800)
# The first call on a fresh client, after `import clerk_chat_client`: a resource call on one tag,
# so what it imports lazily (the tag's resources, its operations and their models) and the request.
FIRST_CALL_SETUP = (
    "import clerk_chat_client\nclient = clerk_chat_client.ClerkChatClient(api_key={key!r}, base_url={url!r})"
)
FIRST_CALL = "client.twilio.connect(inbox_external_id={inbox!r}).data.connect_url"


@dataclass(frozen=True)
class ScalingPlan:
    sizes: tuple[int, ...] = SIZES
    warm_repeats: int = 2
    probe_repeats: int = 8


@dataclass(frozen=True)
class GenerateRun:
    seconds: float
    peak_rss_kib: int
    steps: dict[str, float]  # step -> seconds (steps that ran twice are added up)
    error: str | None


@dataclass
class SizeResult:
    requested: int
    operations: int
    root: Path
    cold: GenerateRun | None = None
    warm: list[GenerateRun] = field(default_factory=list)
    package_lines: int = 0
    package_files: int = 0

    @property
    def label(self) -> str:
        return f"{self.operations} operation{'s' if self.operations != 1 else ''}"

    def warm_summary(self) -> Summary | None:
        seconds = [run.seconds for run in self.warm if run.error is None]
        return summarize(seconds) if seconds else None

    def errors(self) -> list[str]:
        runs = [run for run in (self.cold, *self.warm) if run is not None]
        return [run.error for run in runs if run.error is not None]


@dataclass
class ScalingResult:
    sizes: list[SizeResult]
    client_imports: dict[str, imports.ProbeResult]
    first_calls: dict[str, imports.ProbeResult]
    httpx2_import: imports.ProbeResult


UNCHANGED = "is up to date: nothing changed"  # what `pipeline.generate` prints when it swaps nothing in


def _generate(nox: str, envdir: Path, size: SizeResult, timings: Path, *, warm: bool) -> GenerateRun:
    args = ["-s", "generate", "--envdir", str(envdir), "--", "--timings", str(timings)]
    timings.unlink(missing_ok=True)
    run = nox_timing.run_nox(nox, args, size.root, nox_timing.shell_environment())
    error = nox_timing.failure(run, f"nox -s generate ({size.label})")
    if error is None and warm and UNCHANGED not in run.output:
        error = f"a warm `nox -s generate` ({size.label}) changed generated/: it would time a regeneration"
    steps: dict[str, float] = {}
    if timings.exists():
        for entry in json.loads(timings.read_text(encoding="utf-8"))["steps"]:
            steps[entry["step"]] = steps.get(entry["step"], 0.0) + entry["seconds"]
    return GenerateRun(run.seconds, run.peak_rss_kib, steps, error)


def _package_size(root: Path) -> tuple[int, int]:
    package = root / "generated" / "clerk-chat-client" / "clerk_chat_client"
    files = sorted(package.rglob("*.py"))
    return sum(len(path.read_text(encoding="utf-8").splitlines()) for path in files), len(files)


def _prepare(workspace: Path, spec: Path, sizes: tuple[int, ...]) -> list[SizeResult]:
    results = []
    for requested in sizes:
        root = workspace / f"ops-{requested}"
        copy = copy_repo(root)
        operations = synthetic_spec.write(spec, requested, copy.spec)
        results.append(SizeResult(requested, operations, root))
    return results


def _probes(sizes: list[SizeResult], base_url: str) -> tuple[list[imports.Probe], list[imports.Probe]]:
    import_probes = [imports.Probe(size.label, imports.CLIENT, pythonpath=size.root / PACKAGE_PARENT) for size in sizes]
    setup = FIRST_CALL_SETUP.format(key=API_KEY, url=base_url)
    call = FIRST_CALL.format(inbox=INBOX)
    call_probes = [
        imports.Probe(f"first call, {size.label}", call, setup=setup, pythonpath=size.root / PACKAGE_PARENT)
        for size in sizes
    ]
    return import_probes, call_probes


def generated_copies(
    root: Path, workspace: Path, sizes: tuple[int, ...], progress: Callable[[str], None]
) -> list[SizeResult]:
    """Copies of the repository in `workspace` with the spec grown to each size, each generated
    once as a maintainer would (`nox -s generate`, timed: the cold run). Also what the pagination
    benchmark gets its client with a paginated operation from."""
    nox = nox_timing.find_nox(root)
    envdir = root / ".nox"
    copies = _prepare(workspace, root / "swagger.yml", sizes)
    # untimed: makes sure the shared generate venv exists and holds the lock (a fresh clone)
    setup = nox_timing.run_nox(
        nox,
        ["-s", "generate", "--envdir", str(envdir), "--install-only"],
        copies[0].root,
        nox_timing.shell_environment(),
    )
    if setup.returncode != 0:
        raise RuntimeError(nox_timing.failure(setup, "nox -s generate --install-only"))
    timings = workspace / "timings.json"
    for size in copies:
        progress(f"{size.label}, cold generate ...")
        size.cold = _generate(nox, envdir, size, timings, warm=False)
        size.package_lines, size.package_files = _package_size(size.root)
    return copies


def measure(root: Path, plan: ScalingPlan, base_url: str, progress: Callable[[str], None]) -> ScalingResult:
    """Everything above; `base_url` is a running benchmark server (for the first call)."""
    nox = nox_timing.find_nox(root)
    envdir = root / ".nox"
    workspace = Path(tempfile.mkdtemp(prefix="bench-scaling-"))
    try:
        sizes = generated_copies(root, workspace, plan.sizes, lambda message: progress(f"scaling: {message}"))
        timings = workspace / "timings.json"
        for round_number in range(plan.warm_repeats):
            progress(f"scaling: warm generate, round {round_number + 1}/{plan.warm_repeats} ...")
            for size in rotated(sizes, round_number):
                size.warm.append(_generate(nox, envdir, size, timings, warm=True))
        progress("scaling: import time and first call, fresh interpreters ...")
        import_probes, call_probes = _probes(sizes, base_url)
        httpx2_probe = imports.statement(imports.HTTPX2)
        measured = imports.measure([httpx2_probe, *import_probes, *call_probes], plan.probe_repeats)
        return ScalingResult(
            sizes,
            {size.label: measured[probe.label] for size, probe in zip(sizes, import_probes, strict=True)},
            {size.label: measured[probe.label] for size, probe in zip(sizes, call_probes, strict=True)},
            measured[httpx2_probe.label],
        )
    finally:
        shutil.rmtree(workspace, ignore_errors=True)


def details(result: ScalingResult) -> list[dict[str, Any]]:
    """Per size, every run with its step times: the raw material behind the table, for the JSON."""

    def run_json(run: GenerateRun | None) -> dict[str, Any] | None:
        if run is None:
            return None
        return {"seconds": run.seconds, "peak_rss_kib": run.peak_rss_kib, "steps": run.steps, "error": run.error}

    return [
        {
            "operations": size.operations,
            "requested": size.requested,
            "cold": run_json(size.cold),
            "warm": [run_json(run) for run in size.warm],
            "package_lines": size.package_lines,
            "package_files": size.package_files,
        }
        for size in result.sizes
    ]


# --- rows of the table ------------------------------------------------------------------------

WARM_TARGETS = {1: Target("median", "<", 2.5, "s"), 800: Target("median", "<", 60.0, "s")}
IMPORT_GROWTH_TARGET = Target("ratio", "<=", 1.1)  # against the smallest spec


def _single(value: float) -> Summary:
    return summarize([value])


def rows(result: ScalingResult) -> list[Row]:
    sizes = result.sizes
    found: list[Row] = []
    group = "scaling: nox -s generate, warm (nothing changed; wall time)"
    for size in sizes:
        note = "; ".join(error.splitlines()[0] for error in size.errors())
        found.append(
            Row(group, size.label, "s", size.warm_summary(), target=WARM_TARGETS.get(size.requested), note=note)
        )
    group = "scaling: nox -s generate, cold (fresh copy: no mypy cache, change report over every added operation)"
    for size in sizes:
        cold = size.cold
        ok = cold is not None and cold.error is None
        found.append(Row(group, size.label, "s", _single(cold.seconds) if ok and cold else None))
    group = "scaling: peak RSS of a generation (its largest process; cold, warm)"
    for size in sizes:
        runs = [run for run in (size.cold, *size.warm) if run is not None and run.error is None]
        cold_rss = f"cold {size.cold.peak_rss_kib / 1024:.0f} MiB" if size.cold and size.cold.error is None else ""
        warm = summarize([run.peak_rss_kib / 1024 for run in size.warm if run.error is None]) if size.warm else None
        found.append(Row(group, size.label, "MiB", warm if runs else None, note=cold_rss))
    group = "scaling: generated package (clerk_chat_client/**/*.py)"
    for size in sizes:
        found.append(Row(group, size.label, "lines", _single(size.package_lines), note=f"{size.package_files} files"))
    base = result.client_imports[sizes[0].label]
    httpx2 = result.httpx2_import.seconds.median
    group = f"scaling: import clerk_chat_client (fresh interpreter; CPU: µs per import), ratio to {sizes[0].label}"
    for index, size in enumerate(sizes):
        measured = result.client_imports[size.label]
        found.append(
            Row(
                group,
                size.label,
                "ms",
                measured.seconds.scaled(1e3),
                ratio=measured.seconds.median / base.seconds.median,
                target=IMPORT_GROWTH_TARGET if index else None,
                note=f"{measured.seconds.median / httpx2:.2f}× import httpx2 ({httpx2 * 1e3:.1f} ms)",
                cpu=measured.cpu_seconds.scaled(1e6),
                cpu_ratio=measured.cpu_seconds.median / base.cpu_seconds.median,
            )
        )
    group = "scaling: memory of import clerk_chat_client (RSS growth)"
    for size in sizes:
        found.append(Row(group, size.label, "MiB", result.client_imports[size.label].rss_kib.scaled(1 / 1024)))
    first = result.first_calls[sizes[0].label].seconds.median
    first_cpu = result.first_calls[sizes[0].label].cpu_seconds.median
    group = "scaling: first call, fresh client (lazy imports + request: client.twilio.connect; CPU: µs)"
    for size in sizes:
        call = result.first_calls[size.label]
        found.append(
            Row(
                group,
                size.label,
                "ms",
                call.seconds.scaled(1e3),
                ratio=call.seconds.median / first,
                cpu=call.cpu_seconds.scaled(1e6),
                cpu_ratio=call.cpu_seconds.median / first_cpu,
            )
        )
    return found + profile_rows(sizes[-1])


def profile_rows(size: SizeResult) -> list[Row]:
    """Where a generation of the largest spec spends its time: the pipeline's steps, cold and warm."""
    found: list[Row] = []
    runs = {"cold": [size.cold] if size.cold else [], "warm": size.warm}
    for kind, listed in runs.items():
        done = [run for run in listed if run.error is None]
        if not done:
            continue
        group = f"profile: {size.label}, {kind} nox -s generate, seconds per step (pipeline --timings)"
        names = list(dict.fromkeys(name for run in done for name in run.steps))
        for name in names:
            found.append(Row(group, name, "s", summarize([run.steps.get(name, 0.0) for run in done])))
        outside = summarize([run.seconds - sum(run.steps.values()) for run in done])
        found.append(Row(group, "outside the steps: nox, start-up, imports", "s", outside))
    return found
