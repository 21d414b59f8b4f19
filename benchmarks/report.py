"""Rows, targets and their rendering: the printed table and benchmarks/results.json.

Targets come from issue 17. A row's ratio is median / median of its group's baseline (for
throughput: req/s / baseline req/s, so higher is better). `paired` is the spread of the same
ratio computed round by round; when it straddles a target, the verdict is within machine noise.
`cpu` is the client process's CPU time per call (median over rounds) and `cpu ratio` its ratio to
the baseline: the steadiest view of what the client code costs, since it leaves out the server
and the time other processes take.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .stats import Summary, summarize
from .timing import Samples

Comparison = Literal["<=", ">=", "<"]


@dataclass(frozen=True)
class Target:
    """`metric` (the ratio to the baseline, or the median itself) `comparison` `threshold`."""

    metric: Literal["ratio", "median"]
    comparison: Comparison
    threshold: float
    unit: str = ""

    def label(self) -> str:
        symbol = {"<=": "≤", ">=": "≥", "<": "<"}[self.comparison]
        suffix = "×" if self.metric == "ratio" else f" {self.unit}"
        return f"{symbol} {self.threshold:g}{suffix}"

    def met(self, value: float) -> bool:
        if math.isnan(value):
            return False
        if self.comparison == "<=":
            return value <= self.threshold
        if self.comparison == ">=":
            return value >= self.threshold
        return value < self.threshold


@dataclass(frozen=True)
class Row:
    group: str
    name: str
    unit: str
    summary: Summary | None  # in `unit`; None when the measurement failed
    ratio: float | None = None
    paired: Summary | None = None  # per-round ratios
    target: Target | None = None
    note: str = ""
    cpu: Summary | None = None  # client CPU µs per call, over rounds
    cpu_ratio: float | None = None

    def verdict(self) -> bool | None:
        """Met or missed; None without a target or without a measurement."""
        if self.target is None or self.summary is None:
            return None
        value = self.ratio if self.target.metric == "ratio" else self.summary.median
        return self.target.met(math.nan if value is None else value)


def _paired(case: list[float], base: list[float]) -> Summary:
    return summarize([c / b for c, b in zip(case, base, strict=True)])


def _cpu(samples: Samples, base: Samples) -> tuple[Summary, float]:
    cpu = summarize(samples.cpu_per_round).scaled(1e6)
    return cpu, cpu.median / summarize(base.cpu_per_round).scaled(1e6).median


_SCALE = {"µs": 1e6, "ms": 1e3}


def latency_rows(
    group: str,
    samples: dict[str, Samples],
    baseline: str,
    targets: dict[str, Target],
    added_note: bool = False,
    *,
    unit: str = "µs",
) -> list[Row]:
    """Rows of per-call seconds, shown in `unit` (µs or ms); ratios to `baseline`'s median."""
    base = samples[baseline]
    base_median = summarize(base.per_call).median * _SCALE[unit]
    rows = []
    for name, case in samples.items():
        summary = summarize(case.per_call).scaled(_SCALE[unit])
        note = f"+{summary.median - base_median:.1f} {unit} over {baseline}" if added_note and name != baseline else ""
        paired = None if name == baseline else _paired(case.per_round, base.per_round)
        cpu, cpu_ratio = _cpu(case, base)
        rows.append(
            Row(
                group,
                name,
                unit,
                summary,
                summary.median / base_median,
                paired,
                targets.get(name),
                note,
                cpu,
                cpu_ratio,
            )
        )
    return rows


def throughput_rows(
    group: str, samples: dict[str, Samples], baseline: str, targets: dict[str, Target], note: str
) -> list[Row]:
    """Rows of req/s, one sample per round; ratios are req/s over `baseline`'s req/s."""
    base = samples[baseline]
    base_median = summarize(base.per_round).median
    rows = []
    for name, case in samples.items():
        summary = summarize(case.per_round)
        paired = None if name == baseline else _paired(case.per_round, base.per_round)
        cpu, cpu_ratio = _cpu(case, base)
        row_note = note if name == baseline else ""
        ratio = summary.median / base_median
        rows.append(Row(group, name, "req/s", summary, ratio, paired, targets.get(name), row_note, cpu, cpu_ratio))
    return rows


def peer_row(
    group: str,
    name: str,
    samples: dict[str, Samples],
    case: str,
    peer: str,
    target: Target | None,
    *,
    rate: bool = False,
) -> Row:
    """`case`'s time as a multiple of `peer`'s (for rates: peer req/s over case req/s), from the
    medians, with the same ratio round by round as the summary."""
    ours, theirs = samples[case], samples[peer]
    if rate:
        paired = _paired(theirs.per_round, ours.per_round)
        ratio = summarize(theirs.per_round).median / summarize(ours.per_round).median
    else:
        paired = _paired(ours.per_round, theirs.per_round)
        ratio = summarize(ours.per_call).median / summarize(theirs.per_call).median
    cpu_ratio = summarize(ours.cpu_per_round).median / summarize(theirs.cpu_per_round).median
    return Row(group, name, "×", paired, ratio=ratio, target=target, cpu_ratio=cpu_ratio)


def _number(value: float, unit: str) -> str:
    if unit in ("req/s", "lines"):
        return f"{value:,.0f}"
    if unit == "×":
        return f"{value:.3f}"
    return f"{value:.2f}" if unit == "s" else f"{value:.1f}"


_COLUMNS = (
    ("median", 13),
    ("p10–p90", 20),
    ("n", 6),
    ("ratio", 7),
    ("paired p10–p90", 16),
    ("CPU µs/call", 13),
    ("CPU ×", 7),
)


def format_table(rows: list[Row]) -> str:
    width = max(len(row.name) for row in rows) + 4
    header = f"{'case':<{width}}" + "".join(f"{title:>{size}}" for title, size in _COLUMNS) + f"  {'target':<9}result"
    lines = [header, "-" * len(header)]
    group = None
    for row in rows:
        if row.group != group:
            group = row.group
            lines.append(group)
        name = f"  {row.name:<{width - 2}}"
        target = "" if row.target is None else row.target.label()
        if row.summary is None:
            blank = " " * sum(size for _, size in _COLUMNS[1:])
            lines.append(f"{name}{'failed':>13}{blank}  {target:<9}NOT MEASURED  ({row.note})")
            continue
        s = row.summary
        cells = (
            f"{_number(s.median, row.unit)} {row.unit}",
            f"{_number(s.p10, row.unit)}–{_number(s.p90, row.unit)}",
            str(s.n),
            "" if row.ratio is None else f"{row.ratio:.3f}",
            "" if row.paired is None else f"{row.paired.p10:.3f}–{row.paired.p90:.3f}",
            "" if row.cpu is None else f"{row.cpu.median:.1f}",
            "" if row.cpu_ratio is None else f"{row.cpu_ratio:.3f}",
        )
        verdict = row.verdict()
        mark = "" if verdict is None else ("met" if verdict else "MISSED")
        line = name + "".join(f"{cell:>{size}}" for cell, (_, size) in zip(cells, _COLUMNS, strict=True))
        line += f"  {target:<9}{mark}"
        lines.append(line.rstrip() + (f"  ({row.note})" if row.note else ""))
    return "\n".join(lines)


def _summary_json(summary: Summary | None) -> dict[str, float | int] | None:
    if summary is None:
        return None
    return {
        "median": summary.median,
        "p10": summary.p10,
        "p25": summary.p25,
        "p75": summary.p75,
        "p90": summary.p90,
        "iqr": summary.iqr,
        "n": summary.n,
    }


def row_json(row: Row) -> dict[str, Any]:
    return {
        "group": row.group,
        "case": row.name,
        "unit": row.unit,
        **(_summary_json(row.summary) or {"failed": True}),
        "ratio": row.ratio,
        "paired_ratio": _summary_json(row.paired),
        "cpu_us_per_call": _summary_json(row.cpu),
        "cpu_ratio": row.cpu_ratio,
        "target": None if row.target is None else row.target.label(),
        "target_met": row.verdict(),
        "note": row.note or None,
    }


def write_json(path: Path, environment: dict[str, Any], parameters: dict[str, Any], rows: list[Row]) -> None:
    document = {"environment": environment, "parameters": parameters, "results": [row_json(row) for row in rows]}
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
