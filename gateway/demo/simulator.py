"""Simulated hardware activity for the demo: a doorbell and a drifting serial thermometer."""

from __future__ import annotations

import contextlib
import math
import os
import random
import threading
from typing import Any

from ..const import EVENT_GATEWAY_STOP
from ..core import Gateway, callback
from ..event import async_track_time_interval

__all__ = ["Simulator"]

PRESS_INTERVAL = 5.0
PRESS_SECONDS = 0.3
READING_INTERVAL = 2.0
METER_INTERVAL = 1.0


class Simulator:
    """Drives a mock input pin from a thread (as real hardware would) and writes serial lines."""

    def __init__(self, doorbell_pin: int, meter_pin: int) -> None:
        self._doorbell_pin = doorbell_pin
        self._meter_pin = meter_pin
        self._master, self._slave = os.openpty()
        os.set_blocking(self._master, False)
        self.serial_port = os.ttyname(self._slave)
        self._cancel: list[Any] = []
        self._stop = threading.Event()
        self._step = 0

    async def async_start(self, gw: Gateway) -> None:
        from platforms.gpio import async_get_driver

        driver = await async_get_driver(gw)
        doorbell = driver.factory.pin(self._doorbell_pin)
        meter = driver.factory.pin(self._meter_pin)
        self._cancel.append(
            async_track_time_interval(
                gw, lambda _now: gw.async_add_executor_job(self._press, doorbell), PRESS_INTERVAL
            )
        )
        self._cancel.append(
            async_track_time_interval(
                gw, lambda _now: gw.async_add_executor_job(self._tick, meter), METER_INTERVAL
            )
        )
        self._cancel.append(async_track_time_interval(gw, self._async_reading, READING_INTERVAL))
        gw.bus.async_listen_once(EVENT_GATEWAY_STOP, callback(lambda _event: self._stop_activity()))

    def _stop_activity(self) -> None:
        self._stop.set()
        for cancel in self._cancel:
            cancel()
        self._cancel.clear()

    def _press(self, pin: Any) -> None:
        """In a worker thread, like a real GPIO callback thread: low (pressed), then high."""
        pin.drive_low()
        self._stop.wait(PRESS_SECONDS)
        pin.drive_high()

    @staticmethod
    def _tick(pin: Any) -> None:
        """One pulse of the meter's reed contact."""
        pin.drive_high()
        pin.drive_low()

    @callback
    def _async_reading(self, _now: float) -> None:
        self._step += 1
        temperature = 21 + 1.5 * math.sin(self._step / 10) + random.uniform(-0.1, 0.1)
        # Nobody reading the port right now: the line is dropped, as on a real wire.
        with contextlib.suppress(BlockingIOError):
            os.write(self._master, f"T={temperature:.2f}\r\n".encode())

    def close(self) -> None:
        self._stop_activity()
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)
