"""gpiozero mock pins, driven the way wired hardware drives them.

`press` and `pulse` block (a press holds the pin low for a while): run them in a worker thread,
which is also what makes the gateway's thread-to-loop hand-off run as it does on a board.

`mock_pin(number)` is the pin that a gateway configured with `gpio: {pin_factory: mock}` uses
for that number: gpiozero's local pin factories share one pin registry per process
(`LocalPiFactory.pins`), so a second `MockFactory` hands out the same pin objects. A test
(`tests/sim/test_sim.py`) guards that behaviour.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol

__all__ = ["DrivablePin", "mock_pin", "press", "pulse"]


class DrivablePin(Protocol):
    """An input pin a simulator can drive (gpiozero's `MockPin`)."""

    def drive_high(self) -> None: ...

    def drive_low(self) -> None: ...


def mock_pin(number: int) -> DrivablePin:
    """The process's gpiozero mock pin `GPIO<number>` (a PWM-capable one, as the gateway's
    mock factory makes)."""
    from gpiozero.pins.mock import MockFactory, MockPWMPin

    pin: Any = MockFactory(pin_class=MockPWMPin).pin(number)
    return pin  # type: ignore[no-any-return]


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
