"""`python -m benchmarks.run [--quick] [--skip-pipeline]`: issue 9's numbers in one run.

Starts the local server, measures sync and async per-call latency and async throughput of raw
httpx2 (the floor), raw httpx (the old stack), the plain generated client and ClerkChatClient
(interleaved), the same sync calls without
a network (the clients' own CPU), import time and the warm pipeline; prints a table with the
issue's targets and writes benchmarks/results.json.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from . import clients, imports, nox_timing, timing
from .environment import describe
from .report import Row, Target, format_table, latency_rows, throughput_rows, write_json
from .server import http_protocol, running_server

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "results.json"

LATENCY_TARGETS = {clients.CLERK: Target("ratio", "<=", 1.05)}
THROUGHPUT_TARGETS = {clients.CLERK: Target("ratio", ">=", 0.95)}
IMPORT_TARGETS = {imports.CLIENT: Target("ratio", "<=", 1.5)}
PIPELINE_TARGETS = {"generate": Target("median", "<", 5.0, "s")}

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Parameters:
    """How much to measure: about two minutes in all on a quiet 2-core machine."""

    rounds: int = 40  # many short batches: a burst of noise lands on every case, not on one
    sync_batch: int = 75
    async_batch: int = 40
    warmup: int = 200
    throughput: timing.ThroughputPlan = field(default_factory=timing.ThroughputPlan)
    import_repeats: int = 12
    pipeline_repeats: int = 3

    @classmethod
    def quick(cls) -> Parameters:
        quick_throughput = replace(timing.ThroughputPlan(), window_seconds=0.5, min_rounds=3, max_rounds=3)
        return cls(
            rounds=8,
            sync_batch=50,
            async_batch=25,
            warmup=50,
            throughput=quick_throughput,
            import_repeats=4,
            pipeline_repeats=1,
        )


async def _async_rows(base_url: str, p: Parameters, progress: Progress) -> list[Row]:
    cases = clients.async_cases(base_url)
    try:
        progress("async latency ...")
        latency = await timing.async_latency(cases, p.rounds, p.async_batch, p.warmup)
        progress("async throughput ...")
        throughput = await timing.async_throughput(cases, p.throughput)
    finally:
        for case in cases:
            await case.close()
    return [
        *latency_rows("async, per call (sequential awaits)", latency, clients.RAW, LATENCY_TARGETS),
        *throughput_rows(
            f"async throughput ({p.throughput.concurrency} in flight)",
            throughput,
            clients.RAW,
            THROUGHPUT_TARGETS,
            f"n = rounds of {p.throughput.window_seconds:g} s windows",
        ),
    ]


def _sync_rows(group: str, cases: list[clients.SyncCase], p: Parameters, *, added_note: bool) -> list[Row]:
    try:
        samples = timing.sync_latency(cases, p.rounds, p.sync_batch, p.warmup)
    finally:
        for case in cases:
            case.close()
    return latency_rows(group, samples, clients.RAW, {} if added_note else LATENCY_TARGETS, added_note)


def _http_rows(p: Parameters, progress: Progress) -> list[Row]:
    with running_server() as base_url:
        progress(f"server up at {base_url} (uvicorn, {http_protocol()}); sync latency ...")
        rows = _sync_rows("sync, per call", clients.sync_cases(base_url), p, added_note=False)
        rows += asyncio.run(_async_rows(base_url, p, progress))
    progress("sync, no network ...")
    no_network = clients.sync_cases("http://127.0.0.1:9", no_network=True)
    rows += _sync_rows("sync, per call, no network (MockTransport): client CPU only", no_network, p, added_note=True)
    return rows


def _import_rows(p: Parameters) -> list[Row]:
    times = imports.import_times(p.import_repeats)
    base = times[imports.HTTPX2].median
    group = "import (fresh interpreter, import statement only)"
    return [
        Row(
            group,
            statement,
            "ms",
            summary.scaled(1e3),
            ratio=summary.median / base,
            target=IMPORT_TARGETS.get(statement),
            note="informational: what a first call imports" if statement == imports.CLIENT_AND_OPERATION else "",
        )
        for statement, summary in times.items()
    ]


def _pipeline_rows(p: Parameters) -> tuple[list[Row], dict[str, Any]]:
    group = "pipeline (warm, wall time)"
    try:
        result = nox_timing.time_pipeline(ROOT, p.pipeline_repeats)
    except nox_timing.NoxNotFoundError as exc:
        row = Row(group, "nox -s generate", "s", None, target=PIPELINE_TARGETS["generate"], note=str(exc))
        return [row], {"error": str(exc)}
    rows = []
    for session in ("generate", "check"):
        timed = result.sessions[session]
        notes = [error.splitlines()[0] for error in timed.errors]
        if session == "generate" and not result.generated_unchanged:
            notes.append("generated/ changed during the run (spec changed, or concurrent work)")
        summary = timed.summary()
        rows.append(
            Row(group, f"nox -s {session}", "s", summary, target=PIPELINE_TARGETS.get(session), note="; ".join(notes))
        )
    details = {
        "generated_unchanged": result.generated_unchanged,
        "git_status_before": result.status_before,
        "git_status_after": result.status_after,
        "errors": {session: timed.errors for session, timed in result.sessions.items() if timed.errors},
    }
    return rows, details


def _caveats() -> list[str]:
    notes = []
    if importlib.util.find_spec("sniffio") is None:
        notes.append(
            "sniffio is not installed (anyio >= 4.11 no longer pulls it in): httpcore 1.0.9, under raw httpx, "
            "retries `import sniffio` on every async lock/event it creates (encode/httpcore#1103), a sys.path "
            "scan per try; httpcore2 tries once at import. The raw httpx async rows include that cost."
        )
    return notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer iterations (a smoke run; noisier numbers)")
    parser.add_argument("--skip-pipeline", action="store_true", help="do not time `nox -s generate` / `nox -s check`")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where to write the JSON results")
    args = parser.parse_args(argv)
    params = Parameters.quick() if args.quick else Parameters()

    def progress(message: str) -> None:
        print(f"[bench] {message}", file=sys.stderr, flush=True)

    environment = describe(ROOT)
    rows = _http_rows(params, progress)
    progress("import time ...")
    rows += _import_rows(params)
    pipeline: dict[str, Any] = {"skipped": True}
    if not args.skip_pipeline:
        progress("pipeline (nox -s generate / check) ...")
        pipeline_rows, pipeline = _pipeline_rows(params)
        rows += pipeline_rows
    environment["load_average_after"] = [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None
    caveats = _caveats()
    parameters = {**asdict(params), "quick": args.quick, "pipeline": pipeline}
    write_json(args.output, {**environment, "caveats": caveats}, parameters, rows)
    print(format_table(rows))
    print(
        f"\nPython {environment['python']}, httpx2 {environment['httpx2']}, httpx {environment['httpx']}, "
        f"{environment['platform']}, "
        f"{environment['cpu_count']} CPUs, load {environment['load_average']} -> {environment['load_average_after']}, "
        f"{environment['datetime_utc']}"
    )
    print("ratio: median / raw median (throughput: req/s / raw req/s); paired: the same ratio per round, p10–p90")
    for caveat in caveats:
        print(f"note: {caveat}")
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
