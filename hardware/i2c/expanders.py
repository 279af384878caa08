"""GPIO expanders on I²C: Microchip MCP23017 (16 pins), NXP PCF8574 (8) and PCF8575 (16).

Their pins are lines of `hardware.gpio.lines` (`DigitalInput`, `DigitalOutput`), so an entity
drives `ext1:A3` exactly as it drives GPIO17. Every line call is an I²C transaction: `blocking`
is true and the entity makes it in the executor. Inputs do not push edges by themselves:
`poll()` (one port read, under the bus lock) compares the port with the last read and calls
each changed input's `when_changed` in the thread that polled. `ExpanderWatch` decides when
to poll: on an edge of the expander's INT line, or every 50 ms without one.

- MCP23017 (datasheet DS20001952C, IOCON.BANK = 0): IODIR 0x00/0x01 (1 = input), GPINTEN
  0x04/0x05, IOCON 0x0A (MIRROR: one INT for both ports; ODR: open drain, so the board pin
  needs its pull-up), GPPU 0x0C/0x0D (100 kΩ pull-ups), GPIO 0x12/0x13, OLAT 0x14/0x15.
  No pull-downs. Addresses 0x20-0x27.
- PCF8574/PCF8575 (datasheets rev. 5 / rev. 5): no registers; a write sets the latch, a read
  returns the pins. A pin is an input while its latch is 1 (a weak pull-up), so inputs are
  pulled up and a latched 0 sinks current. INT is open drain, asserted low on an input change,
  cleared by a read. Addresses 0x20-0x27 (PCF8574A: 0x38-0x3F).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection
from dataclasses import dataclass
from typing import Final

from ..errors import HardwareError
from ..gpio.lines import (
    DigitalInput,
    DigitalOutput,
    EdgeCallback,
    GpioLine,
    Pull,
    ReachableCallback,
)
from .bus import BusHandle, I2CBus
from .errors import I2CError

__all__ = [
    "EXPANDER_PINS",
    "Expander",
    "ExpanderInput",
    "ExpanderOutput",
    "ExpanderPinError",
    "make_expander",
]

_LOGGER = logging.getLogger(__name__)
EXPANDER_PINS: Final = {"mcp23017": 16, "pcf8574": 8, "pcf8575": 16}
MCP_IODIR: Final = 0x00
MCP_GPINTEN: Final = 0x04
MCP_IOCON: Final = 0x0A
MCP_GPPU: Final = 0x0C
MCP_GPIO: Final = 0x12
MCP_OLAT: Final = 0x14
MCP_IOCON_MIRROR_ODR: Final = 0x44


class ExpanderPinError(HardwareError):
    """A pin the expander cannot provide as asked (a pull-down, a PWM output, taken)."""


class Expander:
    """One expander: the port's direction, latch, pull-ups, and the inputs to notify."""

    def __init__(self, name: str, model: str, handle: BusHandle, address: int) -> None:
        self.name = name
        self.model = model
        self.pins = EXPANDER_PINS[model]
        self._handle = handle
        self._address = address
        self._inputs_mask = 0
        self._pull_ups = 0
        self._latch = (1 << self.pins) - 1 if model != "mcp23017" else 0
        self._port: int | None = None
        self._inputs: dict[int, ExpanderInput] = {}
        self._outputs: dict[int, ExpanderOutput] = {}
        self._configured = False
        self._poll_lock = threading.Lock()

    @property
    def has_inputs(self) -> bool:
        return bool(self._inputs)

    # --- lines --------------------------------------------------------------------------

    def input(self, pin: int, *, pull: Pull, active_high: bool | None) -> ExpanderInput:
        """An input line (pull-up, or floating with `active_high`). Blocking."""
        self._check_free(pin)
        if pull == "down":
            raise ExpanderPinError(f"{self.name}: a {self.model} has no pull-downs")
        if pull == "floating" and self.model != "mcp23017":
            raise ExpanderPinError(f"{self.name}: {self.model} inputs are always pulled up")
        line = ExpanderInput(self, pin, active_high=bool(active_high) if pull != "up" else False)
        self._inputs_mask |= 1 << pin
        self._pull_ups |= (1 << pin) if pull == "up" else 0
        self._latch |= (1 << pin) if self.model != "mcp23017" else 0
        self._inputs[pin] = line
        try:
            with self._handle.transaction() as bus:
                self._configure(bus)
                port = self._read_port(bus)
        except I2CError:
            # Not answering yet (unplugged at start): the line exists, unreachable; the watch
            # sets the expander up and reports every input's level once it answers.
            self._configured = False
            line.reachable = False
            return line
        # only this pin's bit: a change of another input not yet polled must stay pending
        known = port if self._port is None else self._port
        self._port = (known & ~(1 << pin)) | (port & (1 << pin))
        return line

    def output(self, pin: int, *, active_high: bool, initial: bool) -> ExpanderOutput:
        """An output line already at `initial`. Blocking."""
        self._check_free(pin)
        line = ExpanderOutput(self, pin, active_high=active_high)
        self._outputs[pin] = line
        with self._handle.transaction() as bus:
            self._set_latch_bit(pin, initial == active_high)
            self._configure(bus)  # the latch first, then the direction: no glitch
        return line

    def _check_free(self, pin: int) -> None:
        if not 0 <= pin < self.pins:
            raise ExpanderPinError(f"{self.name}: a {self.model} has pins 0-{self.pins - 1}")
        if pin in self._inputs or pin in self._outputs:
            raise ExpanderPinError(f"{self.name}: pin {pin} is already in use")

    def release(self, pin: int) -> None:
        """A line closed: the pin goes back to an input (blocking)."""
        self._inputs.pop(pin, None)
        self._outputs.pop(pin, None)
        self._inputs_mask &= ~(1 << pin)
        self._set_latch_bit(pin, self.model != "mcp23017")
        try:
            with self._handle.transaction() as bus:
                self._configure(bus)
        except HardwareError as exc:
            _LOGGER.debug("%s: pin %d not released: %s", self.name, pin, exc)

    # --- port access --------------------------------------------------------------------

    def write_pin(self, pin: int, level: bool) -> None:
        self._set_latch_bit(pin, level)  # kept even if the write fails: set up again later
        try:
            with self._handle.transaction() as bus:
                if not self._configured:
                    self._configure(bus)
                self._write_latch(bus)
        except I2CError:
            self._configured = False
            raise

    def latch_level(self, pin: int) -> bool:
        return bool(self._latch >> pin & 1)

    def read_pin(self, pin: int) -> bool:
        """The pin's level now (the polled port is left alone: its edges stay pending)."""
        with self._handle.transaction() as bus:
            return bool(self._read_port(bus) >> pin & 1)

    def poll(self) -> None:
        """Read the port once and tell each input whose level changed (in this thread).

        Raises I2CError when the read fails; the last port is kept, so a pin that changed
        during an outage is reported once the reads succeed again, and then the inputs are told
        they are reachable again.
        """
        with self._poll_lock:
            try:
                with self._handle.transaction() as bus:
                    if not self._configured:
                        self._configure(bus)
                    port = self._read_port(bus)
                    before, self._port = self._port, port
                    inputs = list(self._inputs.items())
            except I2CError:
                self._configured = False  # unplugged: it may come back reset, set it up again
                raise
            # No port known yet (the expander did not answer when its inputs were made): every
            # input's level is news.
            changed = (before ^ port if before is not None else ~0) & self._inputs_mask
            for pin, line in inputs:
                if changed >> pin & 1:
                    line.notify(bool(port >> pin & 1))
            for _pin, line in inputs:
                if not line.reachable:
                    line.notify_reachable(True)  # after the levels the outage hid

    def notify_reachable(self, reachable: bool) -> None:
        """Tell each input that the expander stopped (or started again) answering."""
        for line in list(self._inputs.values()):
            line.notify_reachable(reachable)

    def _set_latch_bit(self, pin: int, level: bool) -> None:
        self._latch = self._latch | (1 << pin) if level else self._latch & ~(1 << pin)

    def _configure(self, bus: I2CBus) -> None:
        if self.model == "mcp23017":
            outputs = ~self._inputs_mask & ((1 << self.pins) - 1)
            bus.write_byte_data(self._address, MCP_IOCON, MCP_IOCON_MIRROR_ODR)
            self._write_latch(bus)
            self._write_word(bus, MCP_GPPU, self._pull_ups)
            self._write_word(bus, MCP_GPINTEN, self._inputs_mask)
            # pins nobody uses stay inputs
            used = self._inputs_mask | sum(1 << pin for pin in self._outputs)
            self._write_word(bus, MCP_IODIR, ~(outputs & used) & ((1 << self.pins) - 1))
        else:
            self._write_latch(bus)
        self._configured = True

    def _write_latch(self, bus: I2CBus) -> None:
        if self.model == "mcp23017":
            self._write_word(bus, MCP_OLAT, self._latch)
        else:
            data = self._latch.to_bytes(self.pins // 8, "little")
            if len(data) == 1:
                bus.write_byte(self._address, data[0])
            else:
                bus.write_i2c_block_data(self._address, data[0], data[1:])

    def _write_word(self, bus: I2CBus, register: int, word: int) -> None:
        bus.write_i2c_block_data(self._address, register, [word & 0xFF, (word >> 8) & 0xFF])

    def _read_port(self, bus: I2CBus) -> int:
        if self.model == "mcp23017":
            low, high = bus.read_i2c_block_data(self._address, MCP_GPIO, 2)
            return low | (high << 8)
        return int.from_bytes(bus.read_bytes(self._address, self.pins // 8), "little")

    def close(self, keep: Collection[GpioLine] = ()) -> None:
        """Release every pin whose line is not in `keep`. Blocking."""
        for line in [*self._inputs.values(), *self._outputs.values()]:
            if not any(line is kept for kept in keep):
                line.close()


def make_expander(name: str, model: str, handle: BusHandle, address: int) -> Expander:
    if model not in EXPANDER_PINS:
        raise HardwareError(f"unknown expander model {model!r}")
    return Expander(name, model, handle, address)


@dataclass(eq=False, slots=True)
class _Line:
    expander: Expander
    pin: int
    active_high: bool
    closed: bool = False

    @property
    def blocking(self) -> bool:
        return True

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.expander.release(self.pin)


@dataclass(eq=False, slots=True)
class ExpanderInput(_Line):
    """An input pin; logical level = (pin high) == active_high (a pulled-up pin: low = on)."""

    _callback: EdgeCallback | None = None
    _reachable_callback: ReachableCallback | None = None
    reachable: bool = True  # False from a failed read until one succeeds

    @property
    def when_changed(self) -> EdgeCallback | None:
        return self._callback

    @when_changed.setter
    def when_changed(self, callback: EdgeCallback | None) -> None:
        self._callback = callback

    def read(self) -> bool:
        return self.expander.read_pin(self.pin) == self.active_high

    def notify(self, high: bool) -> None:
        """The pin changed to `high` (from the polling thread)."""
        callback = self._callback
        if callback is not None and not self.closed:
            callback(high == self.active_high)

    @property
    def when_reachable(self) -> ReachableCallback | None:
        return self._reachable_callback

    @when_reachable.setter
    def when_reachable(self, callback: ReachableCallback | None) -> None:
        """A callback set while the expander is away hears so at once (it may have stopped
        answering before anyone listened)."""
        self._reachable_callback = callback
        if callback is not None and not self.reachable and not self.closed:
            callback(False)

    def notify_reachable(self, reachable: bool) -> None:
        """The expander stopped or started answering (from the polling thread)."""
        self.reachable = reachable
        callback = self._reachable_callback
        if callback is not None and not self.closed:
            callback(reachable)


@dataclass(eq=False, slots=True)
class ExpanderOutput(_Line):
    """An output pin; `read` returns the latch (what the expander drives)."""

    def write(self, active: bool) -> None:
        self.expander.write_pin(self.pin, active == self.active_high)

    def read(self) -> bool:
        return self.expander.latch_level(self.pin) == self.active_high


def _conforms(i: ExpanderInput, o: ExpanderOutput) -> tuple[DigitalInput, DigitalOutput]:
    """mypy checks here that the lines fit the Protocols."""
    return i, o
