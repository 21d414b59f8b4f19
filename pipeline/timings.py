"""Wall time per pipeline step, for `python -m pipeline.generate --timings FILE`.

When a generation is slow, this says where the time goes (spec parsing, validation, the
generator, ruff, mypy, the change report) without a profiler; `nox -s bench` reads the file to
show the same breakdown for specs of every size. Recording costs a clock read per step.
"""

from __future__ import annotations

import contextlib
import json
import resource
import time
from collections.abc import Iterator
from pathlib import Path

_steps: list[tuple[str, float]] = []


@contextlib.contextmanager
def step(name: str) -> Iterator[None]:
    """Time the block as one step (also when it raises: a failing step's time is still spent)."""
    start = time.perf_counter()
    try:
        yield
    finally:
        _steps.append((name, time.perf_counter() - start))


def write(path: Path, total_seconds: float) -> None:
    """The steps in the order they ran, the total, and the peak RSS of this process and of the
    largest child it waited for (the generator's tools), in KiB."""
    document = {
        "steps": [{"step": name, "seconds": seconds} for name, seconds in _steps],
        "total_seconds": total_seconds,
        "peak_rss_kib": {
            "pipeline": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            "largest_child": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        },
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
