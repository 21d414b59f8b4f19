"""Robust summaries: medians and percentiles, because a shared machine produces outliers.

A mean would be dragged by the occasional 10x call when another process takes the core; the
median and the p10-p90 / IQR spread describe the typical call and how stable it was.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Linear interpolation between closest ranks (numpy's default); values must be sorted."""
    if not sorted_values:
        return math.nan
    position = (len(sorted_values) - 1) * fraction
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    weight = position - low
    return sorted_values[low] * (1 - weight) + sorted_values[high] * weight


@dataclass(frozen=True)
class Summary:
    median: float
    p10: float
    p25: float
    p75: float
    p90: float
    n: int

    @property
    def iqr(self) -> float:
        return self.p75 - self.p25

    def scaled(self, factor: float) -> Summary:
        """The same summary in another unit (e.g. seconds to microseconds)."""
        return Summary(
            self.median * factor, self.p10 * factor, self.p25 * factor, self.p75 * factor, self.p90 * factor, self.n
        )


def summarize(values: Sequence[float]) -> Summary:
    ordered = sorted(values)
    return Summary(
        median=percentile(ordered, 0.5),
        p10=percentile(ordered, 0.1),
        p25=percentile(ordered, 0.25),
        p75=percentile(ordered, 0.75),
        p90=percentile(ordered, 0.9),
        n=len(ordered),
    )
