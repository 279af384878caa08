"""Input pins driven the way wired hardware drives them.

`press` and `pulse` block (a press holds the pin low for a while): run them in a worker thread,
which is also what makes the gateway's thread-to-loop hand-off run as it does on a board.
"""

from __future__ import annotations

import threading
from typing import Protocol

from ..errors import HardwareError
from ..gpio import GpioDriver, LineSource, PinSpec

__all__ = ["DrivablePin", "mock_pin", "press", "pulse"]


class DrivablePin(Protocol):
    """An input pin a simulator can drive (gpiozero's `MockPin` is one)."""

    def drive_high(self) -> None: ...

    def drive_low(self) -> None: ...


def mock_board() -> GpioDriver:
    """A board of gpiozero mock pins (PWM-capable), whose pins a simulator drives with
    `mock_pin`; hand it to the gateway as its GPIO lines. Blocking (imports gpiozero)."""
    return GpioDriver.load("mock")


def mock_pin(driver: LineSource, pin: PinSpec) -> DrivablePin:
    """The mock pin `pin` of a driver on gpiozero's mock factory, to drive from a simulator.

    Raises HardwareError for any other line source: real pins are driven by wires."""
    if not isinstance(driver, GpioDriver) or driver.name != "mock":
        raise HardwareError(f"pin {pin} cannot be simulated on pin factory {driver.name}")
    found: DrivablePin = driver.factory.pin(pin)
    return found


def press(pin: DrivablePin, seconds: float, stop: threading.Event) -> None:
    """A push button to ground: low for `seconds` (less if `stop` is set), then high.
    Blocking: run it in a worker thread."""
    pin.drive_low()
    stop.wait(seconds)
    pin.drive_high()


def pulse(pin: DrivablePin) -> None:
    """One pulse of a reed contact (a water or gas meter): high, then low."""
    pin.drive_high()
    pin.drive_low()
