"""What an on/off input's level changes mean over time: debounce and click patterns. Pure.

`Debouncer` is `delayed_on` / `delayed_off`: a new level counts only once it has held for its
delay (ESPHome's filters of the same names). `ClickDetector` turns presses and releases into
`single`, `double` and `long` clicks. Neither reads a clock or does I/O: each call is given
`now`, and `deadline` says when the caller must call `timer(now)` (the binary sensor arms it
on the gateway's clock), so the same inputs always give the same outputs, whatever backs the
pin (a board pin, an expander pin, a mock).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

__all__ = ["CLICK_TYPES", "ClickConfig", "ClickDetector", "ClickType", "Debouncer"]

ClickType = Literal["single", "double", "long"]
CLICK_TYPES: Final[tuple[ClickType, ...]] = ("single", "double", "long")


class Debouncer:
    """The debounced level of an input: a change holds for its delay before it counts."""

    __slots__ = ("_pending", "deadline", "delay_off", "delay_on", "level")

    def __init__(self, delay_on: float, delay_off: float) -> None:
        self.delay_on = delay_on
        self.delay_off = delay_off
        self.level: bool | None = None  # None until the first reading (taken as it is)
        self.deadline: float | None = None
        self._pending: bool | None = None

    def feed(self, level: bool, now: float) -> bool | None:
        """A raw level; returns the new debounced level when it changes now."""
        if self.level is None or (level != self.level and self._delay(level) == 0):
            return self._settle(level)
        if level == self.level:
            self._pending = self.deadline = None  # a bounce: the change did not hold
            return None
        if self._pending != level:
            self._pending, self.deadline = level, now + self._delay(level)
        return None

    def timer(self, now: float) -> bool | None:
        """Called at `deadline`: the pending level, if it held that long."""
        if self._pending is None or self.deadline is None or now < self.deadline:
            return None
        return self._settle(self._pending)

    def _delay(self, level: bool) -> float:
        return self.delay_on if level else self.delay_off

    def _settle(self, level: bool) -> bool | None:
        changed = level != self.level
        self.level, self._pending, self.deadline = level, None, None
        return level if changed else None


@dataclass(frozen=True, slots=True)
class ClickConfig:
    """Which patterns to report, and the timings that tell them apart (seconds)."""

    single: bool = True
    double: bool = True
    long: bool = True
    double_gap: float = 0.3
    long_min: float = 0.8

    @property
    def types(self) -> tuple[ClickType, ...]:
        return tuple(kind for kind in CLICK_TYPES if getattr(self, kind))


_IDLE, _HELD, _GAP, _HELD_AGAIN = "idle", "held", "gap", "held again"


class ClickDetector:
    """Presses and releases (debounced) in, clicks out.

    - `long`: fires once, while still held, when the hold passes `long_min`; its release is
      then no click.
    - `double`: a second press within `double_gap` of the first release; fires on its release.
    - `single`: a press and release not followed by another press within `double_gap` (so it
      waits that long to be sure; without `double` it fires at the release).
    """

    __slots__ = ("_config", "_state", "deadline")

    def __init__(self, config: ClickConfig) -> None:
        self._config = config
        self._state = _IDLE
        self.deadline: float | None = None

    def press(self, now: float) -> ClickType | None:
        if self._state == _GAP:
            self._state, self.deadline = _HELD_AGAIN, None
            return None
        self._state = _HELD
        self.deadline = now + self._config.long_min if self._config.long else None
        return None

    def release(self, now: float) -> ClickType | None:
        state, self._state, self.deadline = self._state, _IDLE, None
        if state == _HELD_AGAIN:
            return "double"
        if state != _HELD:
            return None  # after a long click, or a release seen without its press
        if self._config.double:
            self._state, self.deadline = _GAP, now + self._config.double_gap
            return None
        return "single" if self._config.single else None

    def timer(self, now: float) -> ClickType | None:
        """Called at `deadline`."""
        if self.deadline is None or now < self.deadline:
            return None
        state, self.deadline = self._state, None
        if state == _HELD:
            self._state = "long fired"
            return "long"
        if state == _GAP:
            self._state = _IDLE
            return "single" if self._config.single else None
        return None
