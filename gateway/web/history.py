"""The last hour of each entity's state, for the page's sparklines and `/api/history`.

Bounded by construction: one point per `BUCKET_SECONDS` per entity (a later value in the same
bucket replaces the earlier one), at most `MAX_POINTS` per entity, and points older than
`WINDOW_SECONDS` are dropped as new ones come. A sensor that changes ten times a second costs
the same memory as one that changes every five seconds: memory stays flat over hours.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from typing import Final

__all__ = ["BUCKET_SECONDS", "MAX_POINTS", "WINDOW_SECONDS", "History", "Point"]

WINDOW_SECONDS: Final = 3600.0
MAX_POINTS: Final = 720
BUCKET_SECONDS: Final = WINDOW_SECONDS / MAX_POINTS  # 5 s

Point = tuple[float, str]  # (unix time, the state as the state machine has it)


class History:
    """Per-entity points `(unix_time, value)`, oldest first. Not thread-safe: the loop's."""

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now
        self._series: dict[str, deque[Point]] = {}

    def record(self, entity_id: str, state: str) -> None:
        now = self._now()
        series = self._series.get(entity_id)
        if series is None:
            series = self._series[entity_id] = deque(maxlen=MAX_POINTS)
        point = (now, state)  # the state machine's own string: no copy per point
        if series and _bucket(series[-1][0]) == _bucket(now):
            series[-1] = point
        else:
            series.append(point)
        _prune(series, now)

    def forget(self, entity_id: str) -> None:
        self._series.pop(entity_id, None)

    def points(self, entity_id: str) -> list[Point]:
        """The last hour of `entity_id` (an empty list for an entity never seen)."""
        series = self._series.get(entity_id)
        if series is None:
            return []
        _prune(series, self._now())
        return list(series)

    def __len__(self) -> int:
        """All points kept, every entity together (for tests and the benchmark)."""
        return sum(len(series) for series in self._series.values())


def _bucket(when: float) -> int:
    return math.floor(when / BUCKET_SECONDS)


def _prune(series: deque[Point], now: float) -> None:
    oldest = now - WINDOW_SECONDS
    while series and series[0][0] < oldest:
        series.popleft()
