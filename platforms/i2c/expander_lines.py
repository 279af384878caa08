"""Expander pins as GPIO lines: a `LineSource` that sends `<expander>:<pin>` to the expander
and every other pin to the board's pin factory.

The gpio platforms ask `platforms.gpio.async_get_driver` for their lines; with an `expander:`
section that returns this source, so `binary_sensor`, `switch`, `button`, counters (and
whatever is built on `DigitalInput`) use `ext1:A3` exactly as GPIO17. On first use it creates
each expander's INT line on the board and starts the expander's watch (INT edges, or polling).
"""

from __future__ import annotations

from collections.abc import Collection

from gateway.config.cv import split_expander_pin
from gateway.core import Gateway
from hardware.gpio import (
    DigitalInput,
    DigitalOutput,
    GpioLine,
    LineSource,
    PinNotOnBoard,
    PinSpec,
    Pull,
    PwmOutput,
)
from hardware.i2c import I2CError
from hardware.i2c.expander_watch import ExpanderWatch
from hardware.i2c.expanders import Expander, ExpanderPinError

from . import get_runtime

__all__ = ["ExpanderLines", "ExpanderUnreachable", "async_expander_lines"]


class ExpanderUnreachable(PinNotOnBoard):
    """The expander did not answer when its pin was set up: the entity is unavailable."""


class ExpanderLines:
    """Board pins from `board`, expander pins from `expanders` (by expander id)."""

    def __init__(self, board: LineSource, expanders: dict[str, Expander]) -> None:
        self._board = board
        self._expanders = expanders

    @property
    def name(self) -> str:
        return self._board.name

    @property
    def blocking(self) -> bool:
        return self._board.blocking

    def _expander(self, pin: PinSpec) -> tuple[Expander, int] | None:
        split = split_expander_pin(pin)
        if split is None:
            return None
        name, bit = split
        return self._expanders[name], bit

    def input(
        self, pin: PinSpec, *, pull: Pull, active_high: bool | None, bounce_time: float | None
    ) -> DigitalInput:
        on_expander = self._expander(pin)
        if on_expander is None:
            return self._board.input(
                pin, pull=pull, active_high=active_high, bounce_time=bounce_time
            )
        expander, bit = on_expander
        try:
            return expander.input(bit, pull=pull, active_high=active_high)
        except I2CError as exc:
            raise ExpanderUnreachable(f"pin {pin}: {exc}") from exc

    def output(self, pin: PinSpec, *, active_high: bool, initial: bool) -> DigitalOutput:
        on_expander = self._expander(pin)
        if on_expander is None:
            return self._board.output(pin, active_high=active_high, initial=initial)
        expander, bit = on_expander
        try:
            return expander.output(bit, active_high=active_high, initial=initial)
        except I2CError as exc:
            raise ExpanderUnreachable(f"pin {pin}: {exc}") from exc

    def pwm(
        self, pin: PinSpec, *, active_high: bool, frequency: float, initial: float
    ) -> PwmOutput:
        if self._expander(pin) is not None:
            raise ExpanderPinError(f"pin {pin}: expander pins have no PWM (use a board pin)")
        return self._board.pwm(pin, active_high=active_high, frequency=frequency, initial=initial)

    def close(self, keep: Collection[GpioLine] = ()) -> None:
        """The board's lines; the expanders are closed by the i2c component."""
        self._board.close(keep)


async def async_expander_lines(gw: Gateway, board: LineSource) -> LineSource:
    """The line source for the gpio platforms; the first call starts the expanders' watches."""
    runtime = get_runtime(gw)
    async with runtime.lock:
        if not runtime.lines_ready:
            runtime.lines_ready = True
            for name, expander in runtime.expanders.items():
                interrupt_pin = runtime.expander_configs[name].interrupt_pin
                interrupt = None
                if interrupt_pin is not None:
                    interrupt = await gw.async_add_executor_job(
                        _interrupt_line, board, interrupt_pin
                    )
                watch = ExpanderWatch(expander, gw, interrupt)
                runtime.watches.append(watch)
                watch.start()
    return ExpanderLines(board, runtime.expanders)


def _interrupt_line(board: LineSource, pin: int) -> DigitalInput:
    """INT is open drain, active low: a pulled-up board input, on while asserted."""
    return board.input(pin, pull="up", active_high=None, bounce_time=None)
