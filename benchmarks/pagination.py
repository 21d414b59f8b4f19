"""Auto-pagination against a hand loop on raw httpx2: 5,000 items in pages of 50, per walk.

The client needs a spec with a paginated operation: the scaling part's machinery
(`scaling.generated_copies`) generates a copy of the repository whose spec is the real one plus
the first synthetic tag's paginated list (GET /public/contacts, `client.contacts.find_all`),
which the benchmark server answers page by page. That generation cannot be imported beside the
installed package, so the walks run in a child interpreter with it first on PYTHONPATH
(benchmarks/pagination_walks.py, where the cases are described).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.support.repo_copy import PACKAGE_PARENT

from . import scaling
from .pagination_walks import LIMIT, RAW
from .report import Row, latency_rows
from .server import PAGINATED_ITEMS
from .timing import Samples

OPERATIONS = 2  # the real spec's operation, and the first synthetic tag's paginated list


@dataclass(frozen=True)
class PaginationPlan:
    rounds: int = 15  # each round: one walk (100 requests) per case


Grouped = dict[str, dict[str, Samples]]  # "sync" / "async" -> case -> one walk per round


def measure(root: Path, base_url: str, plan: PaginationPlan, progress: Callable[[str], None]) -> Grouped:
    """Every case's walks; `base_url` is a running benchmark server."""
    workspace = Path(tempfile.mkdtemp(prefix="bench-pagination-"))
    try:
        (copy,) = scaling.generated_copies(root, workspace, (OPERATIONS,), lambda m: progress(f"pagination: {m}"))
        if copy.cold is None or copy.cold.error is not None:
            raise RuntimeError(copy.cold.error if copy.cold else "the paginated spec was not generated")
        progress(f"pagination: {PAGINATED_ITEMS:,} items in pages of {LIMIT}, {plan.rounds} rounds ...")
        path = os.pathsep.join(filter(None, [str(copy.root / PACKAGE_PARENT), os.environ.get("PYTHONPATH")]))
        completed = subprocess.run(
            [sys.executable, "-m", "benchmarks.pagination_walks", base_url, str(plan.rounds)],
            cwd=root,
            env={**os.environ, "PYTHONPATH": path},
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"the pagination walks failed (exit {completed.returncode}):\n{completed.stderr}")
        timed: dict[str, dict[str, dict[str, list[float]]]] = json.loads(completed.stdout.splitlines()[-1])
    finally:
        shutil.rmtree(workspace, ignore_errors=True)
    return {
        group: {case: Samples(walks["seconds"], walks["seconds"], walks["cpu"]) for case, walks in cases.items()}
        for group, cases in timed.items()
    }


GROUPS = {
    "sync": f"pagination, sync: {PAGINATED_ITEMS:,} items in pages of {LIMIT}, time per walk (CPU: µs per walk)",
    "async": f"pagination, async: {PAGINATED_ITEMS:,} items in pages of {LIMIT}, time per walk (CPU: µs per walk)",
}


def rows(samples: Grouped) -> list[Row]:
    return [row for group, title in GROUPS.items() for row in latency_rows(title, samples[group], RAW, {}, unit="ms")]
