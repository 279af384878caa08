"""Simulated hardware that behaves like the real thing, for the demo and for tests.

- `pty_serial`: a serial device on a pseudo-terminal (the gateway opens its slave side);
- `input_pins`: input pins (gpiozero mock pins) driven from a worker thread, as wired hardware
  drives them;
- `periodic`: a repeating timer on a host clock;
- `demo_board`: the demo's doorbell, water meter and drifting serial thermometer.
"""

from __future__ import annotations

from .demo_board import DemoBoard
from .input_pins import DrivablePin, mock_pin, press, pulse
from .periodic import Periodic
from .pty_serial import SimulatedSerialDevice

__all__ = [
    "DemoBoard",
    "DrivablePin",
    "Periodic",
    "SimulatedSerialDevice",
    "mock_pin",
    "press",
    "pulse",
]
