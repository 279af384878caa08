"""GPIO lines that are not gpiozero's: the Protocols of `hardware.gpio.lines`, simulated.

A simulated expander or bus will make lines like these; tests use them to show that a gpio
entity cannot tell them from a board pin. Inputs are driven from any thread and call their
edge callback in that thread, as a backend's thread does; outputs record every write with the
thread that made it.
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from dataclasses import dataclass, field

from ..gpio import (
    DigitalInput,
    DigitalOutput,
    EdgeCallback,
    GpioLine,
    LineSource,
    PinSpec,
    Pull,
    PwmOutput,
    ReachableCallback,
)

__all__ = ["SimulatedInput", "SimulatedLines", "SimulatedOutput", "SimulatedPwm"]


class _SimulatedLine:
    def __init__(self, *, blocking: bool) -> None:
        self.blocking = blocking
        self.closed = False

    def close(self) -> None:
        self.closed = True


class SimulatedInput(_SimulatedLine):
    """A `DigitalInput` whose logical level `drive` sets, from any thread."""

    def __init__(self, level: bool = False, *, blocking: bool = False) -> None:
        super().__init__(blocking=blocking)
        self.when_changed: EdgeCallback | None = None
        self.when_reachable: ReachableCallback | None = None
        self._level = level
        self._lock = threading.Lock()

    def read(self) -> bool:
        return self._level

    def drive(self, level: bool) -> None:
        """Set the level; on a change, call `when_changed(level)` in this thread."""
        with self._lock:
            changed = level != self._level and not self.closed
            self._level = level
            callback = self.when_changed
        if changed and callback is not None:
            callback(level)

    def close(self) -> None:
        self.when_changed = None
        super().close()


class SimulatedOutput(_SimulatedLine):
    """A `DigitalOutput` latch; `writes` holds (level, thread name) per write."""

    def __init__(self, initial: bool = False, *, blocking: bool = False) -> None:
        super().__init__(blocking=blocking)
        self.level = initial
        self.writes: list[tuple[bool, str]] = []

    def write(self, active: bool) -> None:
        self.level = active
        self.writes.append((active, threading.current_thread().name))

    def read(self) -> bool:
        return self.level


class SimulatedPwm(_SimulatedLine):
    """A `PwmOutput` latch; `writes` holds (duty cycle, thread name) per write."""

    def __init__(self, initial: float = 0.0, *, blocking: bool = False) -> None:
        super().__init__(blocking=blocking)
        self.duty = initial
        self.writes: list[tuple[float, str]] = []

    def write(self, duty: float) -> None:
        self.duty = duty
        self.writes.append((duty, threading.current_thread().name))

    def read(self) -> float:
        return self.duty


@dataclass
class SimulatedLines:
    """A `LineSource` of simulated lines, registered by pin as they are made.

    `kept` records what the last `close` left open.
    """

    blocking: bool = False
    name: str = "simulated"
    lines: dict[PinSpec, SimulatedInput | SimulatedOutput | SimulatedPwm] = field(
        default_factory=dict
    )
    kept: list[GpioLine] = field(default_factory=list)

    def input(
        self, pin: PinSpec, *, pull: Pull, active_high: bool | None, bounce_time: float | None
    ) -> DigitalInput:
        line = SimulatedInput(blocking=self.blocking)
        self.lines[pin] = line
        return line

    def output(self, pin: PinSpec, *, active_high: bool, initial: bool) -> DigitalOutput:
        line = SimulatedOutput(initial, blocking=self.blocking)
        self.lines[pin] = line
        return line

    def pwm(
        self, pin: PinSpec, *, active_high: bool, frequency: float, initial: float
    ) -> PwmOutput:
        line = SimulatedPwm(initial, blocking=self.blocking)
        self.lines[pin] = line
        return line

    def close(self, keep: Collection[GpioLine] = ()) -> None:
        self.kept = list(keep)
        for line in self.lines.values():
            if not any(line is kept for kept in keep):
                line.close()


def _conforms(lines: SimulatedLines) -> LineSource:
    """Never called: mypy checks here that `SimulatedLines` is a `LineSource`."""
    return lines
