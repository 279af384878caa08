"""The demo's simulated board: a doorbell, a water meter and a drifting serial thermometer.

The doorbell and the meter are mock input pins driven from worker threads (as real GPIO
callbacks arrive); the thermometer writes `T=<°C>` lines to a pseudo-terminal the gateway
reads as a serial port. Timers run on the host's clock.
"""

from __future__ import annotations

import math
import random
import threading

from ..loop_services import LoopServices
from .input_pins import DrivablePin, press, pulse
from .periodic import Periodic
from .pty_serial import SimulatedSerialDevice

__all__ = ["METER_INTERVAL", "PRESS_INTERVAL", "PRESS_SECONDS", "READING_INTERVAL", "DemoBoard"]

PRESS_INTERVAL = 5.0
PRESS_SECONDS = 0.3
READING_INTERVAL = 2.0
METER_INTERVAL = 1.0


class DemoBoard:
    """Creates the thermometer's pseudo-terminal at once (`serial_port` names it); `start`
    begins the activity on the pins it is given, `stop` ends it, `close` also closes the
    pseudo-terminal."""

    def __init__(self) -> None:
        self.thermometer = SimulatedSerialDevice()
        self.serial_port = self.thermometer.port
        self._timers: list[Periodic] = []
        self._stop = threading.Event()
        self._step = 0

    def start(self, services: LoopServices, doorbell: DrivablePin, meter: DrivablePin) -> None:
        """Start pressing `doorbell`, pulsing `meter` and reporting the temperature, on
        `services`' clock and in its worker threads (loop only)."""

        def press_doorbell() -> None:
            services.async_add_executor_job(press, doorbell, PRESS_SECONDS, self._stop)

        def tick_meter() -> None:
            services.async_add_executor_job(pulse, meter)

        self._timers += [
            Periodic(services.clock, PRESS_INTERVAL, press_doorbell),
            Periodic(services.clock, METER_INTERVAL, tick_meter),
            Periodic(services.clock, READING_INTERVAL, self._report_temperature),
        ]

    def stop(self) -> None:
        """End the activity (a press in progress is released at once). Loop only."""
        self._stop.set()
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()

    def close(self) -> None:
        """Stop, and close the thermometer's pseudo-terminal."""
        self.stop()
        self.thermometer.close()

    def _report_temperature(self) -> None:
        self._step += 1
        temperature = 21 + 1.5 * math.sin(self._step / 10) + random.uniform(-0.1, 0.1)
        self.thermometer.write_line(f"T={temperature:.2f}\r\n".encode())
