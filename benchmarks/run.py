"""`python -m benchmarks.run [--quick] [--skip-pipeline] [--skip-scaling]`: issue 17's numbers in one run.

Starts the local server, measures sync and async per-call latency and async throughput of raw
httpx2 (the floor), raw httpx (the old stack), the plain generated client, ClerkChatClient through
the generated functions and through the resource surface (`client.twilio.connect`, the row the
targets apply to) and the Stainless-made anthropic SDK's generic call (interleaved), the same sync
calls without a network (the clients' own CPU), the resource call with rate-limit headers against
the same call without, a paginated walk of 5,000 items against a hand loop on raw httpx2, import
time, the warm pipeline, and how generation, import and a first call grow with synthetic specs of
1 to 800 operations; prints a table with the issue's targets and writes benchmarks/results.json.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.metadata
import importlib.util
import os
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from . import clients, imports, nox_timing, pagination, pagination_walks, scaling, timing
from .environment import describe
from .report import Row, Target, format_table, latency_rows, peer_row, throughput_rows, write_json
from .server import http_protocol, running_server

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "results.json"

# Issue 17 sets these for the resource call: `client.twilio.connect` (issue 13) on ClerkChatClient
# (sync) and AsyncClerkChatClient (async).
RESOURCE = clients.RESOURCE
LATENCY_TARGETS = {RESOURCE: Target("ratio", "<=", 1.03)}  # sync per call, against raw httpx2
THROUGHPUT_TARGETS = {RESOURCE: Target("ratio", ">=", 1.0)}
PEER_TARGET = Target("ratio", "<=", 0.85)  # time per call against the Stainless SDK's
IMPORT_TARGETS = {imports.CLIENT: Target("ratio", "<=", 1.10)}
IMPORT_NOTES = {
    imports.CLIENT_CLASS: "informational: the import as users write it (an ordinary import of the package)",
    imports.CLIENT_AND_OPERATION: "informational: what a first call imports",
}

Progress = Callable[[str], None]
SYNC_GROUP = "sync, per call"
ASYNC_GROUP = "async, per call (sequential awaits)"


@dataclass(frozen=True)
class Parameters:
    """How much to measure: about ten minutes in all on a busy 2-core machine, the scaling runs included."""

    rounds: int = 40  # many short batches: a burst of noise lands on every case, not on one
    sync_batch: int = 75
    async_batch: int = 40
    warmup: int = 200
    throughput: timing.ThroughputPlan = field(default_factory=timing.ThroughputPlan)
    import_repeats: int = 12
    pipeline_repeats: int = 3
    scaling: scaling.ScalingPlan = field(default_factory=scaling.ScalingPlan)
    pagination: pagination.PaginationPlan = field(default_factory=pagination.PaginationPlan)

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
            scaling=scaling.ScalingPlan(sizes=(1, 50), warm_repeats=1, probe_repeats=3),
            pagination=pagination.PaginationPlan(rounds=3),
        )


@dataclass
class HttpResults:
    rows: list[Row]
    samples: dict[str, dict[str, timing.Samples]]  # group -> case -> samples, for the peer rows


async def _async_samples(base_url: str, p: Parameters, progress: Progress) -> dict[str, dict[str, timing.Samples]]:
    cases = clients.async_cases(base_url)
    try:
        progress("async latency ...")
        latency = await timing.async_latency(cases, p.rounds, p.async_batch, p.warmup)
        progress("async throughput ...")
        throughput = await timing.async_throughput(cases, p.throughput)
    finally:
        for case in cases:
            await case.close()
    return {ASYNC_GROUP: latency, _throughput_group(p): throughput}


async def _async_rate_limit_samples(base_url: str, p: Parameters) -> dict[str, timing.Samples]:
    cases = clients.rate_limit_async_cases(base_url)
    try:
        return await timing.async_latency(cases, p.rounds, p.async_batch, p.warmup)
    finally:
        for case in cases:
            await case.close()


def _throughput_group(p: Parameters) -> str:
    return f"async throughput ({p.throughput.concurrency} in flight)"


def _sync_samples(cases: list[clients.SyncCase], p: Parameters) -> dict[str, timing.Samples]:
    try:
        return timing.sync_latency(cases, p.rounds, p.sync_batch, p.warmup)
    finally:
        for case in cases:
            case.close()


def _http(p: Parameters, base_url: str, progress: Progress) -> HttpResults:
    progress(f"server up at {base_url} (uvicorn, {http_protocol()}); sync latency ...")
    samples = {SYNC_GROUP: _sync_samples(clients.sync_cases(base_url), p)}
    samples.update(asyncio.run(_async_samples(base_url, p, progress)))
    progress("sync, no network ...")
    no_network = _sync_samples(clients.sync_cases("http://127.0.0.1:9", no_network=True), p)
    throughput = _throughput_group(p)
    rows = [
        *latency_rows(SYNC_GROUP, samples[SYNC_GROUP], clients.RAW, LATENCY_TARGETS),
        *latency_rows(ASYNC_GROUP, samples[ASYNC_GROUP], clients.RAW, {}),
        *throughput_rows(
            throughput,
            samples[throughput],
            clients.RAW,
            THROUGHPUT_TARGETS,
            f"n = rounds of {p.throughput.window_seconds:g} s windows",
        ),
        *latency_rows(
            "sync, per call, no network (MockTransport): client CPU only", no_network, clients.RAW, {}, added_note=True
        ),
    ]
    group = f"{RESOURCE} against the Stainless SDK ({clients.ANTHROPIC}): time per call, ratio"
    rows += [
        peer_row(group, SYNC_GROUP, samples[SYNC_GROUP], RESOURCE, clients.ANTHROPIC, PEER_TARGET),
        peer_row(group, ASYNC_GROUP, samples[ASYNC_GROUP], RESOURCE, clients.ANTHROPIC, PEER_TARGET),
        peer_row(group, f"{throughput}: 1 / req/s", samples[throughput], RESOURCE, clients.ANTHROPIC, None, rate=True),
        peer_row(group, "sync, no network: client CPU", no_network, RESOURCE, clients.ANTHROPIC, None),
    ]
    return HttpResults(rows + _rate_limit_rows(p, base_url, progress), samples)


def _rate_limit_rows(p: Parameters, base_url: str, progress: Progress) -> list[Row]:
    """The resource call when every response announces a budget (never spent: pacing never waits)
    against the same call without rate-limit headers, interleaved: what reading and recording the
    budget costs per call."""
    progress("rate-limit headers, sync and async latency ...")
    sync = _sync_samples(clients.rate_limit_sync_cases(base_url), p)
    async_ = asyncio.run(_async_rate_limit_samples(base_url, p))
    title = (
        f"{RESOURCE} with rate-limit headers (in-process gate, budget never spent), ratio to {clients.NO_RATE_LIMIT}"
    )
    return [
        *latency_rows(f"{title}: {SYNC_GROUP}", sync, clients.NO_RATE_LIMIT, {}, added_note=True),
        *latency_rows(f"{title}: {ASYNC_GROUP}", async_, clients.NO_RATE_LIMIT, {}, added_note=True),
    ]


def _pagination_rows(p: Parameters, base_url: str, progress: Progress) -> tuple[list[Row], dict[str, Any]]:
    try:
        samples = pagination.measure(ROOT, base_url, p.pagination, progress)
    except (nox_timing.NoxNotFoundError, RuntimeError) as exc:
        note = str(exc).splitlines()[0]
        return [Row("pagination", "paginated walk", "ms", None, note=note)], {"error": str(exc)}
    return pagination.rows(samples), {"rounds": p.pagination.rounds}


def _import_rows(p: Parameters) -> list[Row]:
    statements = (imports.HTTPX2, imports.HTTPX, imports.CLIENT, imports.CLIENT_CLASS, imports.CLIENT_AND_OPERATION)
    measured = imports.measure([imports.statement(text) for text in statements], p.import_repeats)
    base = measured[imports.HTTPX2]
    group = "import (fresh interpreter, import statement only; CPU column: µs per import)"
    return [
        Row(
            group,
            statement,
            "ms",
            result.seconds.scaled(1e3),
            ratio=result.seconds.median / base.seconds.median,
            target=IMPORT_TARGETS.get(statement),
            note=IMPORT_NOTES.get(statement, ""),
            cpu=result.cpu_seconds.scaled(1e6),
            cpu_ratio=result.cpu_seconds.median / base.cpu_seconds.median,
        )
        for statement, result in measured.items()
    ]


def _pipeline_rows(p: Parameters) -> tuple[list[Row], dict[str, Any]]:
    group = "pipeline, this repository's spec (warm, wall time)"
    try:
        result = nox_timing.time_pipeline(ROOT, p.pipeline_repeats)
    except nox_timing.NoxNotFoundError as exc:
        return [Row(group, "nox -s generate", "s", None, note=str(exc))], {"error": str(exc)}
    rows = []
    for session in ("generate", "check"):
        timed = result.sessions[session]
        notes = [error.splitlines()[0] for error in timed.errors]
        if session == "generate" and not result.generated_unchanged:
            notes.append("generated/ changed during the run (spec changed, or concurrent work)")
        rows.append(Row(group, f"nox -s {session}", "s", timed.summary(), note="; ".join(notes)))
    details = {
        "generated_unchanged": result.generated_unchanged,
        "git_status_before": result.status_before,
        "git_status_after": result.status_after,
        "errors": {session: timed.errors for session, timed in result.sessions.items() if timed.errors},
    }
    return rows, details


def _scaling_rows(p: Parameters, base_url: str, progress: Progress) -> tuple[list[Row], dict[str, Any]]:
    try:
        result = scaling.measure(ROOT, p.scaling, base_url, progress)
    except (nox_timing.NoxNotFoundError, RuntimeError) as exc:
        note = str(exc).splitlines()[0]
        return [Row("scaling", "synthetic specs", "s", None, note=note)], {"error": str(exc)}
    return scaling.rows(result), {"sizes": scaling.details(result)}


def _anthropic_stack() -> str:
    """Which HTTP stack the installed anthropic runs on, from its own requirements."""
    version = importlib.metadata.version("anthropic")
    wanted = [req for req in importlib.metadata.requires("anthropic") or [] if req.startswith(("httpx", "aiohttp"))]
    plain = [req for req in wanted if "extra ==" not in req]
    return f"anthropic {version} requires {', '.join(plain) or 'no httpx'}"


def _caveats() -> list[str]:
    notes = [
        f"{_anthropic_stack()}: the same stack as ClerkChatClient (httpx2 {importlib.metadata.version('httpx2')} "
        "here). Its generic client.post sends what every anthropic call sends (X-Api-Key, anthropic-version, "
        "x-stainless-* headers, a fresh Idempotency-Key per call), parses into an anthropic.BaseModel "
        "(pydantic) without validation (its default), and starts no OpenTelemetry span (a generic request has "
        "no span name).",
        f"{RESOURCE} is ClerkChatClient's resource method in the sync rows and AsyncClerkChatClient's in the "
        "async ones; the targets apply to it. The generated-functions rows run the same client through "
        "connect.sync / connect.asyncio.",
        f"pagination: raw httpx2 yields the JSON dicts as parsed; {pagination_walks.RESOURCE} yields attrs models, "
        "each checked against the spec (the client's response validation), so the ratio is what typed, "
        "validated items cost, not only the paging.",
    ]
    if importlib.util.find_spec("sniffio") is None:
        notes.append(
            "sniffio is not installed (anyio >= 4.11 no longer pulls it in): httpcore 1.0.9, under raw httpx, "
            "retries `import sniffio` on every async lock/event it creates (encode/httpcore#1103), a sys.path "
            "scan per try; httpcore2 tries once at import. The raw httpx async rows include that cost."
        )
    return notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer iterations and sizes (a smoke run; noisy)")
    parser.add_argument("--skip-pipeline", action="store_true", help="do not time `nox -s generate` / `nox -s check`")
    parser.add_argument("--skip-scaling", action="store_true", help="do not generate the synthetic specs")
    parser.add_argument(
        "--sizes", type=lambda text: tuple(int(part) for part in text.split(",")), help="spec sizes, e.g. 1,50,200,800"
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where to write the JSON results")
    args = parser.parse_args(argv)
    params = Parameters.quick() if args.quick else Parameters()
    if args.sizes:
        params = replace(params, scaling=replace(params.scaling, sizes=args.sizes))

    def progress(message: str) -> None:
        print(f"[bench] {message}", file=sys.stderr, flush=True)

    environment = describe(ROOT)
    scaled: dict[str, Any] = {"skipped": True}
    scaling_rows: list[Row] = []
    with running_server() as base_url:
        rows = _http(params, base_url, progress).rows
        pagination_rows, paginated = _pagination_rows(params, base_url, progress)
        rows += pagination_rows
        if not args.skip_scaling:
            scaling_rows, scaled = _scaling_rows(params, base_url, progress)
    progress("import time ...")
    rows += _import_rows(params)
    pipeline: dict[str, Any] = {"skipped": True}
    if not args.skip_pipeline:
        progress("pipeline (nox -s generate / check) ...")
        pipeline_rows, pipeline = _pipeline_rows(params)
        rows += pipeline_rows
    rows += scaling_rows
    environment["load_average_after"] = [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None
    caveats = _caveats()
    parameters = {
        **asdict(params),
        "quick": args.quick,
        "pipeline": pipeline,
        "pagination_results": paginated,
        "scaling_results": scaled,
    }
    write_json(args.output, {**environment, "caveats": caveats}, parameters, rows)
    print(format_table(rows))
    print(
        f"\nPython {environment['python']}, httpx2 {environment['httpx2']}, httpx {environment['httpx']}, "
        f"anthropic {environment['anthropic']}, {environment['platform']}, "
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
