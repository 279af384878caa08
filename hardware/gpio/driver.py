"""`GpioDriver`: one gpiozero pin factory and the lines made from it.

Every pin is taken from `driver.factory` (reserved as gpiozero's devices reserve theirs);
gpiozero's module-global `Device.pin_factory` is never touched, so a test or the demo can
pass a factory of its own.
The driver hands out lines typed by the Protocols of `lines`; what is gpiozero stays here.

Blocking: `blocking` says whether a line's calls may block. pigpio talks to the `pigpiod` daemon
over a socket, so its calls go to the executor; lgpio, RPi.GPIO, native and mock writes take
microseconds and run in the loop. Creating lines and loading factories always block
(device-tree reads, socket connects) and run in the executor.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from .board import Board, PinNotOnBoard
from .factories import BLOCKING_FACTORIES, load_pin_factory
from .gpiozero_lines import (
    GpiozeroDigitalInput,
    GpiozeroDigitalOutput,
    GpiozeroLine,
    GpiozeroPwmOutput,
)
from .lines import DigitalInput, DigitalOutput, GpioLine, PinSpec, Pull, PwmOutput

__all__ = ["GpioDriver", "PinFactory"]

_LOGGER = logging.getLogger(__name__)
_L = TypeVar("_L", bound=GpiozeroLine)


class PinFactory(Protocol):
    """What the driver uses of a gpiozero pin factory (gpiozero ships no types)."""

    @property
    def board_info(self) -> Any: ...

    def pin(self, spec: PinSpec) -> Any:
        """gpiozero's pin object for `spec` (a mock factory's pins can be driven)."""
        ...

    def close(self) -> None: ...


@dataclass(slots=True)
class GpioDriver:
    """One pin factory and the lines made from it that are still open (`open_lines`).

    A `LineSource`; the lines it returns conform to the Protocols of `lines` (mypy checks it
    through the return types of `input`, `output` and `pwm`).
    """

    name: str
    factory: PinFactory
    blocking: bool
    open_lines: list[GpiozeroLine] = field(default_factory=list)

    @classmethod
    def load(
        cls,
        name: str | None,
        *,
        host: str | None = None,
        port: int | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> GpioDriver:
        """Blocking: `load_pin_factory` wrapped in a driver."""
        chosen, factory = load_pin_factory(name, host=host, port=port, environ=environ)
        return cls(chosen, factory, chosen in BLOCKING_FACTORIES)

    def input(
        self, pin: PinSpec, *, pull: Pull, active_high: bool | None, bounce_time: float | None
    ) -> DigitalInput:
        """An input line; `active_high` is only used (and required) when floating: a pulled-up
        input is active low, a pulled-down one active high. Blocking."""
        if pull == "floating" and active_high is None:
            raise ValueError(f"pin {pin} floats: say whether it is active high")
        active = bool(active_high) if pull == "floating" else pull == "down"
        line = GpiozeroDigitalInput(
            self.factory, active_high=active, blocking=self.blocking, forget=self._forget
        )

        def configure(raw: Any) -> None:
            raw.function = "input"
            if raw.pull != pull:
                raw.pull = pull
            if bounce_time is not None:
                raw.bounce = bounce_time
            raw.edges = "both"

        return self._open(line, pin, configure)

    def output(self, pin: PinSpec, *, active_high: bool, initial: bool) -> DigitalOutput:
        """An output line, driven to `initial` as it becomes an output (no glitch). Blocking."""
        line = GpiozeroDigitalOutput(
            self.factory, active_high=active_high, blocking=self.blocking, forget=self._forget
        )
        return self._open(line, pin, lambda raw: raw.output_with_state(initial == active_high))

    def pwm(
        self, pin: PinSpec, *, active_high: bool, frequency: float, initial: float
    ) -> PwmOutput:
        """A PWM line at `frequency` Hz, duty cycle `initial` (0-1). Blocking."""
        if not 0.0 <= initial <= 1.0:
            raise ValueError(f"duty cycle {initial} is not between 0 and 1")
        line = GpiozeroPwmOutput(
            self.factory, active_high=active_high, blocking=self.blocking, forget=self._forget
        )

        def configure(raw: Any) -> None:
            raw.function = "output"
            raw.frequency = frequency
            line.write(initial)

        return self._open(line, pin, configure)

    def _open(self, line: _L, pin: PinSpec, configure: Callable[[Any], None]) -> _L:
        """Reserve the pin for `line`, configure it and register the line; raises
        PinNotOnBoard for a pin the board lacks (nothing stays reserved on any failure)."""
        from gpiozero.exc import PinInvalidPin

        try:
            raw = line.open(pin)
        except PinInvalidPin as exc:
            raise PinNotOnBoard(self.board.describe_missing(pin)) from exc
        self.open_lines.append(line)
        try:
            configure(raw)
        except BaseException:
            line.close()
            raise
        return line

    def _forget(self, line: GpiozeroLine) -> None:
        """A line closed: it leaves the registry (by identity, never by `id()`)."""
        self.open_lines[:] = [other for other in self.open_lines if other is not line]

    @property
    def board(self) -> Board:
        """The factory's board (a mock factory has one too)."""
        return Board.of(self.factory.board_info)

    def close(self, keep: Collection[GpioLine] = ()) -> None:
        """Close every open line except those in `keep`, then the factory. Blocking.

        Outputs that must hold their level after stop (`on_stop: on` or `keep`) are left open
        until the process exits; closing would release the pin. The factory is then left open
        too, since closing it would release them.
        """
        for line in list(self.open_lines):
            if any(line is kept for kept in keep):
                continue
            try:
                line.close()
            except Exception:
                _LOGGER.exception("Closing GPIO line %r failed", line)
        if not keep:
            self.factory.close()
