"""Sensor filters: pure functions of (value, time), chained in the order configured.

```yaml
filters:
  - calibrate_linear: [[0.12, 0], [3.3, 100]]
  - clamp: {min: 0, max: 100}
  - sliding_window: {size: 5, type: median, send_every: 1}
  - exponential_moving_average: {alpha: 0.2}
  - delta: 0.5
  - throttle: 10s
  - heartbeat: 5m
  - timeout: 5m
```
Each `FilterSpec` is the validated, frozen configuration of one filter; `build()` makes a fresh
`Filter`, whose `feed(value, now)` returns the value to pass on or None to drop it. A filter reads
no clock and does no I/O: `now` is given (the gateway's clock, a fake one in tests), so the same
inputs always give the same outputs. `heartbeat` and `timeout` are not steps of the chain but its
timing: the sensor entity arms them on the gateway's clock (`FilterChain.heartbeat`,
`FilterChain.timeout`).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, Literal, Protocol

__all__ = [
    "WINDOW_TYPES",
    "CalibrateLinear",
    "Clamp",
    "Delta",
    "ExponentialMovingAverage",
    "Filter",
    "FilterChain",
    "FilterSpec",
    "Heartbeat",
    "Multiply",
    "Offset",
    "Round",
    "SlidingWindow",
    "Throttle",
    "Timeout",
    "WindowType",
    "least_squares",
]

WindowType = Literal["mean", "median", "min", "max"]
WINDOW_TYPES: Final[tuple[WindowType, ...]] = ("mean", "median", "min", "max")


def _mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values)


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


_AGGREGATES: Final[dict[WindowType, Callable[[Sequence[float]], float]]] = {
    "mean": _mean,
    "median": _median,
    "min": min,
    "max": max,
}


class Filter(Protocol):
    """One step of a chain: the value to pass on, or None to drop this one."""

    def feed(self, value: float, now: float) -> float | None: ...


class FilterSpec:
    """Base of the validated filter settings; `build()` makes a fresh, stateful filter."""

    __slots__ = ()

    def build(self) -> Filter | None:
        """The step for a chain; None for timing options (heartbeat, timeout)."""
        raise NotImplementedError


class _Map:
    """A stateless step: `function(value)`."""

    __slots__ = ("_function",)

    def __init__(self, function: Callable[[float], float]) -> None:
        self._function = function

    def feed(self, value: float, now: float) -> float | None:
        return self._function(value)


@dataclass(frozen=True, slots=True)
class Offset(FilterSpec):
    amount: float

    def build(self) -> Filter:
        return _Map(lambda value: value + self.amount)


@dataclass(frozen=True, slots=True)
class Multiply(FilterSpec):
    factor: float

    def build(self) -> Filter:
        return _Map(lambda value: value * self.factor)


def least_squares(points: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """(slope, intercept) of the least-squares line through `points` ([measured, true]).

    Raises ValueError when the measured values are all equal (no line fits).
    """
    count = len(points)
    mean_x = math.fsum(x for x, _ in points) / count
    mean_y = math.fsum(y for _, y in points) / count
    spread = math.fsum((x - mean_x) ** 2 for x, _ in points)
    if count < 2 or spread == 0 or not math.isfinite(spread):
        raise ValueError("needs at least two different measured values")
    slope = math.fsum((x - mean_x) * (y - mean_y) for x, y in points) / spread
    return slope, mean_y - slope * mean_x


@dataclass(frozen=True, slots=True)
class CalibrateLinear(FilterSpec):
    """`true = slope * measured + intercept`, fitted by least squares to the points."""

    slope: float
    intercept: float

    @classmethod
    def fit(cls, points: Sequence[tuple[float, float]]) -> CalibrateLinear:
        return cls(*least_squares(points))

    def build(self) -> Filter:
        return _Map(lambda value: self.slope * value + self.intercept)


@dataclass(frozen=True, slots=True)
class Clamp(FilterSpec):
    minimum: float | None = None
    maximum: float | None = None

    def build(self) -> Filter:
        low = -math.inf if self.minimum is None else self.minimum
        high = math.inf if self.maximum is None else self.maximum
        return _Map(lambda value: min(max(value, low), high))


@dataclass(frozen=True, slots=True)
class Round(FilterSpec):
    decimals: int

    def build(self) -> Filter:
        if self.decimals == 0:
            return _Map(round)  # a whole number: `12`, not `12.0`
        return _Map(lambda value: round(value, self.decimals))


class _Every:
    """Counts values and says which to send: the first, then every `send_every`-th."""

    __slots__ = ("_count", "_every")

    def __init__(self, every: int) -> None:
        self._every = every
        self._count = 0

    def due(self) -> bool:
        due = self._count % self._every == 0
        self._count += 1
        return due


@dataclass(frozen=True, slots=True)
class SlidingWindow(FilterSpec):
    size: int
    type: WindowType = "mean"
    send_every: int = 1

    def build(self) -> Filter:
        return _Window(self)


class _Window:
    __slots__ = ("_aggregate", "_every", "_values")

    def __init__(self, spec: SlidingWindow) -> None:
        self._values: deque[float] = deque(maxlen=spec.size)
        self._aggregate = _AGGREGATES[spec.type]
        self._every = _Every(spec.send_every)

    def feed(self, value: float, now: float) -> float | None:
        self._values.append(value)
        return self._aggregate(self._values) if self._every.due() else None


@dataclass(frozen=True, slots=True)
class ExponentialMovingAverage(FilterSpec):
    alpha: float
    send_every: int = 1

    def build(self) -> Filter:
        return _Ema(self.alpha, self.send_every)


class _Ema:
    __slots__ = ("_alpha", "_average", "_every")

    def __init__(self, alpha: float, send_every: int) -> None:
        self._alpha = alpha
        self._average: float | None = None
        self._every = _Every(send_every)

    def feed(self, value: float, now: float) -> float | None:
        previous = self._average
        average = value if previous is None else previous + self._alpha * (value - previous)
        self._average = average
        return average if self._every.due() else None


@dataclass(frozen=True, slots=True)
class Delta(FilterSpec):
    """Pass a value only when it moved at least `min_change` from the last one passed."""

    min_change: float

    def build(self) -> Filter:
        return _Delta(self.min_change)


class _Delta:
    __slots__ = ("_last", "_min_change")

    def __init__(self, min_change: float) -> None:
        self._min_change = min_change
        self._last: float | None = None

    def feed(self, value: float, now: float) -> float | None:
        if self._last is not None and abs(value - self._last) < self._min_change:
            return None
        self._last = value
        return value


@dataclass(frozen=True, slots=True)
class Throttle(FilterSpec):
    """At most one value per `period` seconds: the first of each period passes."""

    period: float

    def build(self) -> Filter:
        return _Throttle(self.period)


class _Throttle:
    __slots__ = ("_last", "_period")

    def __init__(self, period: float) -> None:
        self._period = period
        self._last: float | None = None

    def feed(self, value: float, now: float) -> float | None:
        if self._last is not None and now - self._last < self._period:
            return None
        self._last = now
        return value


@dataclass(frozen=True, slots=True)
class Heartbeat(FilterSpec):
    """Republish the last value when nothing was published for `period` seconds."""

    period: float

    def build(self) -> None:
        return None


@dataclass(frozen=True, slots=True)
class Timeout(FilterSpec):
    """The sensor is unavailable when no value arrived for `period` seconds."""

    period: float

    def build(self) -> None:
        return None


class FilterChain:
    """The configured filters of one sensor, each with its own state.

    `feed` runs a reading through the steps in order and returns what to publish (None: the
    reading was dropped by a step); `heartbeat` and `timeout` are the timing options' periods.
    """

    __slots__ = ("_steps", "heartbeat", "timeout")

    def __init__(self, specs: Sequence[FilterSpec]) -> None:
        steps = [spec.build() for spec in specs]
        self._steps: tuple[Filter, ...] = tuple(step for step in steps if step is not None)
        self.heartbeat = _period(specs, Heartbeat)
        self.timeout = _period(specs, Timeout)

    def feed(self, value: float, now: float) -> float | None:
        for step in self._steps:
            passed = step.feed(value, now)
            if passed is None:
                return None
            value = passed
        return value


def _period(specs: Sequence[FilterSpec], kind: type[Heartbeat | Timeout]) -> float | None:
    periods = [spec.period for spec in specs if isinstance(spec, kind)]
    return periods[-1] if periods else None
