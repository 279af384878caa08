"""`filters:` of a numeric sensor: a list of one-key mappings, validated into `FilterSpec`s.

Every item is checked (not only up to the first bad one), and each error names the filter and
its position: `sensor.0.filters.2.clamp: min must not be greater than max`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

import voluptuous as vol

from gateway.config import cv
from gateway.filters import (
    WINDOW_TYPES,
    CalibrateLinear,
    Clamp,
    Delta,
    ExponentialMovingAverage,
    FilterSpec,
    Heartbeat,
    Multiply,
    Offset,
    Round,
    SlidingWindow,
    Throttle,
    Timeout,
)

__all__ = ["FILTER_NAMES", "validate_filters"]


def _calibrate_linear(value: Any) -> CalibrateLinear:
    if not isinstance(value, list) or len(value) < 2:
        raise vol.Invalid("expected a list of two or more [measured, true] points")
    points = []
    for index, point in enumerate(value):
        if not isinstance(point, list) or len(point) != 2:
            raise vol.Invalid("expected a [measured, true] pair", path=[index])
        try:
            points.append((cv.number(point[0]), cv.number(point[1])))
        except vol.Invalid as exc:
            raise vol.Invalid(exc.msg, path=[index]) from None
    try:
        return CalibrateLinear.fit(points)
    except ValueError as exc:
        raise vol.Invalid(str(exc)) from None


def _clamp(value: Any) -> Clamp:
    data = vol.Schema({vol.Optional("min"): cv.number, vol.Optional("max"): cv.number})(value)
    if not data:
        raise vol.Invalid("expected min, max or both")
    low, high = data.get("min"), data.get("max")
    if low is not None and high is not None and low > high:
        raise vol.Invalid("min must not be greater than max")
    return Clamp(low, high)


def _sliding_window(value: Any) -> SlidingWindow:
    data = vol.Schema(
        {
            vol.Required("size"): cv.int_range(1, 10_000),
            vol.Optional("type", default="mean"): cv.choice(WINDOW_TYPES),
            vol.Optional("send_every", default=1): cv.int_range(1, 10_000),
        }
    )(value)
    return SlidingWindow(data["size"], data["type"], data["send_every"])


def _ema(value: Any) -> ExponentialMovingAverage:
    data = vol.Schema(
        {
            vol.Required("alpha"): cv.number,
            vol.Optional("send_every", default=1): cv.int_range(1, 10_000),
        }
    )(value)
    if not 0 < data["alpha"] <= 1:
        raise vol.Invalid("alpha must be greater than 0 and at most 1", path=["alpha"])
    return ExponentialMovingAverage(data["alpha"], data["send_every"])


def _non_negative(value: Any) -> float:
    number = cv.number(value)
    if number < 0:
        raise vol.Invalid("expected a number of 0 or more")
    return number


_FILTERS: Final[Mapping[str, Callable[[Any], FilterSpec]]] = {
    "offset": lambda value: Offset(cv.number(value)),
    "multiply": lambda value: Multiply(cv.number(value)),
    "calibrate_linear": _calibrate_linear,
    "clamp": _clamp,
    "round": lambda value: Round(cv.int_range(0, 10)(value)),
    "sliding_window": _sliding_window,
    "exponential_moving_average": _ema,
    "delta": lambda value: Delta(_non_negative(value)),
    "throttle": lambda value: Throttle(cv.positive_time_period(value)),
    "heartbeat": lambda value: Heartbeat(cv.positive_time_period(value)),
    "timeout": lambda value: Timeout(cv.positive_time_period(value)),
}
FILTER_NAMES: Final[tuple[str, ...]] = tuple(_FILTERS)
_ONCE: Final = ("heartbeat", "timeout")


def validate_filters(value: Any) -> tuple[FilterSpec, ...]:
    """The filters in order; raises vol.MultipleInvalid with one error per bad item."""
    if not isinstance(value, list):
        raise vol.Invalid("expected a list of filters (e.g. - offset: -0.3)")
    specs: list[FilterSpec] = []
    errors: list[vol.Invalid] = []
    seen: set[str] = set()
    for index, item in enumerate(value):
        try:
            name, spec = _one(item)
        except vol.Invalid as exc:
            exc.prepend([index])
            errors.append(exc)
            continue
        if name in _ONCE and name in seen:
            errors.append(vol.Invalid(f"{name} may be given only once", path=[index, name]))
        seen.add(name)
        specs.append(spec)
    if errors:
        raise vol.MultipleInvalid(errors)
    return tuple(specs)


def _one(item: Any) -> tuple[str, FilterSpec]:
    if not isinstance(item, dict) or len(item) != 1:
        raise vol.Invalid(f"expected one filter as name: settings ({', '.join(FILTER_NAMES)})")
    ((name, settings),) = item.items()
    validate = _FILTERS.get(name) if isinstance(name, str) else None
    if validate is None:
        raise vol.Invalid(f"unknown filter (expected one of: {', '.join(FILTER_NAMES)})")
    try:
        return name, validate(settings)
    except vol.MultipleInvalid as exc:
        exc.prepend([name])
        raise
    except vol.Invalid as exc:
        raise vol.Invalid(exc.msg, path=[name, *exc.path]) from None
