"""The demo's I²C bus: a BME280 whose climate drifts and an MCP23017 with a relay on A0 and
a push button on B0 that is pressed every 7 s. The expander's INT drives a mock board pin (the
gateway's `interrupt_pin`), so its port is read on edges only. Timers run on the host's clock;
the button is driven from the loop."""

from __future__ import annotations

import math

from ..loop_services import LoopServices, Timer
from .i2c_bus import SimulatedI2CBus
from .i2c_devices import Bme280Model, Mcp23017Model
from .input_pins import DrivablePin
from .periodic import Periodic

__all__ = ["BUTTON_BIT", "CLIMATE_ADDRESS", "EXPANDER_ADDRESS", "DemoI2C"]

CLIMATE_ADDRESS = 0x76
EXPANDER_ADDRESS = 0x20
BUTTON_BIT = 8  # B0
PRESS_INTERVAL = 7.0
PRESS_SECONDS = 0.3
DRIFT_INTERVAL = 5.0


class DemoI2C:
    """`bus` is handed to the gateway; `start`/`stop` run the activity (loop only)."""

    def __init__(self, name: str) -> None:
        self.bus = SimulatedI2CBus(name)
        self.climate = Bme280Model(temperature=21.5, humidity=45.0, pressure=1013.2)
        self.expander = Mcp23017Model()
        self.bus.add(CLIMATE_ADDRESS, self.climate)
        self.bus.add(EXPANDER_ADDRESS, self.expander)
        self._timers: list[Periodic] = []
        self._release: Timer | None = None
        self._step = 0

    def start(self, services: LoopServices, interrupt: DrivablePin) -> None:
        """Wire INT (open drain, active low) to `interrupt` and start the activity."""
        clock = services.clock
        self.expander.on_interrupt = lambda on: (
            interrupt.drive_low() if on else interrupt.drive_high()
        )

        def press() -> None:
            self.expander.set_input(BUTTON_BIT, False)
            self._release = clock.call_at(clock.time() + PRESS_SECONDS, release)

        def release() -> None:
            self._release = None
            self.expander.set_input(BUTTON_BIT, True)

        self._timers += [
            Periodic(clock, PRESS_INTERVAL, press),
            Periodic(clock, DRIFT_INTERVAL, self._drift),
        ]

    def _drift(self) -> None:
        self._step += 1
        self.climate.temperature = 21.5 + 1.2 * math.sin(self._step / 8)
        self.climate.humidity = 45.0 + 5.0 * math.cos(self._step / 11)
        self.climate.pressure = 1013.2 + 0.8 * math.sin(self._step / 20)

    def stop(self) -> None:
        self.expander.on_interrupt = None
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        if self._release is not None:
            self._release.cancel()
            self._release = None
