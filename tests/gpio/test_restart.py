"""A second gateway on the same state_dir, as after a restart of the daemon."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from gpiozero.pins.mock import MockFactory

import platforms.gpio
from gateway.clock import FakeClock
from gateway.config.model import GpioConfig
from gateway.core import Gateway
from hardware.gpio import GpioDriver
from tests.conftest import assert_stops_clean
from tests.gpio.conftest import RecordingPin


@contextlib.asynccontextmanager
async def second_gateway(state_dir: Path) -> AsyncIterator[tuple[Gateway, MockFactory]]:
    """A fresh gateway, factory and driver (a new process) using `state_dir`."""
    factory = MockFactory(pin_class=RecordingPin)
    gw = Gateway(clock=FakeClock(), executor_workers=2, executor_timeout=5.0)
    driver = GpioDriver("mock", factory, blocking=False)
    await platforms.gpio.async_setup(gw, GpioConfig("mock"), state_dir=state_dir, driver=driver)
    await gw.async_start()
    try:
        yield gw, factory
    finally:
        await assert_stops_clean(gw)
        factory.reset()
