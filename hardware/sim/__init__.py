"""Simulated hardware that behaves like the real thing, for the demo and for tests.

- `pty_serial`: a serial device on a pseudo-terminal (the gateway opens its slave side);
- `input_pins`: input pins (gpiozero mock pins) driven from a worker thread, as wired hardware
  drives them;
- `lines`: GPIO lines that are not gpiozero's (the `hardware.gpio` Protocols, simulated);
- `periodic`: a repeating timer on a host clock;
- `demo_board`: the demo's doorbell, water meter and drifting serial thermometer.
"""

from __future__ import annotations

from .demo_board import DemoBoard
from .input_pins import DrivablePin, mock_board, mock_pin, press, pulse
from .lines import SimulatedInput, SimulatedLines, SimulatedOutput, SimulatedPwm
from .periodic import Periodic
from .pty_serial import SimulatedSerialDevice

__all__ = [
    "DemoBoard",
    "DrivablePin",
    "Periodic",
    "SimulatedInput",
    "SimulatedLines",
    "SimulatedOutput",
    "SimulatedPwm",
    "SimulatedSerialDevice",
    "mock_board",
    "mock_pin",
    "press",
    "pulse",
]
