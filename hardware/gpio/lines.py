"""What an entity may ask of a GPIO line: the driver seam, typed.

Three Protocols, one per kind of line: `DigitalInput`, `DigitalOutput`, `PwmOutput`. A board pin
through gpiozero backs them now (`gpiozero_lines`); a GPIO expander's pin or a simulated bus
will back them next. An entity holds one of these and nothing else, so it cannot tell which
kind of hardware it drives.

Rules every implementation follows:

- Values are *logical*: `True` / a duty cycle of 1.0 means active. Polarity (`active_high`),
  the input's pull and its debounce are fixed when the line is created (by the driver that
  makes it) and are not part of these Protocols.
- `blocking` says whether `read`, `write` and `close` may block (a socket to pigpiod, an I²C
  transaction to an expander). When it is false they take microseconds and the entity calls
  them in the event loop; when true the entity runs them in the executor. Creating a line
  always may block and is done in the executor.
- `read`, `write` and `close` are called from one thread at a time (the loop, or one executor
  job the entity awaits), never concurrently.
- `close` releases the line (an output's pin then floats; a board pin returns to an input).
  It is idempotent. After it, no edge callback is made.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Literal, Protocol, runtime_checkable

__all__ = [
    "DigitalInput",
    "DigitalOutput",
    "EdgeCallback",
    "GpioLine",
    "LineSource",
    "PinSpec",
    "Pull",
    "PwmOutput",
    "ReachableCallback",
]

PinSpec = int | str
Pull = Literal["up", "down", "floating"]

EdgeCallback = Callable[[bool], None]
"""Called with the input's new logical level after an edge, from ANY thread."""

ReachableCallback = Callable[[bool], None]
"""Called with False when a line's device stops answering and True when it answers again."""


@runtime_checkable
class GpioLine(Protocol):
    """What every line has: whether its calls block, and a way to release it."""

    @property
    def blocking(self) -> bool:
        """True when `read`/`write`/`close` may block (run them in the executor)."""
        ...

    def close(self) -> None:
        """Release the line; idempotent. Blocks when `blocking`."""
        ...


@runtime_checkable
class DigitalInput(GpioLine, Protocol):
    """An input line whose edges are pushed, never polled.

    Must: `read()` returns the current logical level (pull, polarity and debounce applied);
    `when_changed`, when set, is called as `when_changed(level)` after each debounced edge,
    only when the level changed (a counter counts every call), with the level the driver saw,
    in whatever thread the driver delivers edges on (a backend's thread, an interrupt-reading
    executor job, or the thread that drives a mock pin). The callback must not block; the
    entity passes a function that hands off to the loop (`threadsafe_handoff`), the one place
    that happens. Setting the attribute never blocks, even on a blocking line (it stores a
    function), and is done from the loop. Setting `None` stops further calls (one already
    running may still finish).

    `when_reachable`, when set, is called as `when_reachable(False)` when the device behind
    the line stops answering (an expander unplugged) and `when_reachable(True)` once it answers
    again, from the same kind of thread as `when_changed` and with the same rules; a level
    change during the outage is reported by `when_changed` after it. A board pin never calls it.

    May: drop edges shorter than the configured debounce; block in `read` when `blocking`.
    """

    @property
    def when_changed(self) -> EdgeCallback | None: ...

    @when_changed.setter
    def when_changed(self, callback: EdgeCallback | None) -> None: ...

    @property
    def when_reachable(self) -> ReachableCallback | None: ...

    @when_reachable.setter
    def when_reachable(self, callback: ReachableCallback | None) -> None: ...

    def read(self) -> bool:
        """The current logical level. Blocks when `blocking`."""
        ...


@runtime_checkable
class DigitalOutput(GpioLine, Protocol):
    """An on/off output line.

    Must: take its initial level as it is created (before the entity exists, so the pin never
    shows a wrong level); `write(active)` drives the pin; `read()` returns the logical level the
    line is driving (for a board pin, read back from the pin; an expander may return its latch).
    """

    def write(self, active: bool) -> None:
        """Drive the line active or inactive. Blocks when `blocking`."""
        ...

    def read(self) -> bool:
        """The logical level being driven. Blocks when `blocking`."""
        ...


@runtime_checkable
class PwmOutput(GpioLine, Protocol):
    """A pulse-width modulated output line (a dimmable LED strip through a MOSFET).

    Must: take its initial duty cycle and its frequency as it is created; `write(duty)` sets a
    logical duty cycle from 0.0 (inactive) to 1.0 (fully active); `read()` returns the duty
    cycle last set. May: round `duty` to the resolution of the hardware.
    """

    def write(self, duty: float) -> None:
        """Set the duty cycle, 0.0-1.0. Blocks when `blocking`."""
        ...

    def read(self) -> float:
        """The duty cycle being driven, 0.0-1.0. Blocks when `blocking`."""
        ...


class LineSource(Protocol):
    """What makes lines: a pin factory's driver now, an expander or a simulated bus next.

    The `input`/`output`/`pwm` calls may block (run them in the executor); they raise a
    `HardwareError` subclass for a pin the source cannot provide. `close` releases every line
    still open except those in `keep` (outputs that must hold their level after the gateway
    stops), and the source itself when nothing is kept.
    """

    @property
    def name(self) -> str:
        """What backs the lines, for the log (`lgpio`, `mock`, ...)."""
        ...

    @property
    def blocking(self) -> bool:
        """Whether the lines it makes block (each line says so too)."""
        ...

    def input(
        self, pin: PinSpec, *, pull: Pull, active_high: bool | None, bounce_time: float | None
    ) -> DigitalInput:
        """An input; `active_high` is only used (and required) when `pull` is floating."""
        ...

    def output(self, pin: PinSpec, *, active_high: bool, initial: bool) -> DigitalOutput:
        """An output already driving `initial`."""
        ...

    def pwm(
        self, pin: PinSpec, *, active_high: bool, frequency: float, initial: float
    ) -> PwmOutput:
        """A PWM output at `frequency` Hz, already at duty cycle `initial`."""
        ...

    def close(self, keep: Collection[GpioLine] = ()) -> None: ...
