"""Simulated hardware (`hardware/sim`): a repeating timer on the clock, and the demo board
driving input pins from worker threads and writing readings to a pseudo-terminal."""

from __future__ import annotations

import os
import re
import threading

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from gateway.clock import FakeClock
from gateway.core import Gateway
from hardware.errors import HardwareError
from hardware.gpio import GpioDriver
from hardware.sim import DemoBoard, Periodic, SimulatedLines, mock_pin
from hardware.sim.demo_board import METER_INTERVAL, PRESS_INTERVAL, READING_INTERVAL
from tests.helpers import in_thread

pytestmark = pytest.mark.timeout(30)


def test_periodic_repeats_on_the_clock_until_cancelled() -> None:
    clock = FakeClock()
    calls: list[float] = []
    periodic = Periodic(clock, 2.0, lambda: calls.append(clock.time()))
    clock.advance(1.9)
    assert calls == []
    clock.advance(4.1)
    assert calls == [1002.0, 1004.0, 1006.0]
    periodic.cancel()
    clock.advance(10)
    assert len(calls) == 3
    assert clock.pending() == 0


class Edges:
    """Which thread drove a pin, and to what."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, bool]] = []

    def __call__(self, _ticks: int, state: bool) -> None:
        self.seen.append((threading.current_thread().name, bool(state)))


def _read_available(path: str) -> bytes:
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    try:
        return os.read(fd, 4096)
    finally:
        os.close(fd)


async def test_demo_board_drives_pins_from_worker_threads_and_writes_readings(
    gw: Gateway, clock: FakeClock
) -> None:
    factory = MockFactory(pin_class=MockPWMPin)  # what `gpio: {pin_factory: mock}` loads
    doorbell_pin, meter_pin = factory.pin(27), factory.pin(5)
    doorbell_pin.pull = "up"  # the doorbell button pulls to ground: idle high
    doorbell, meter = Edges(), Edges()
    doorbell_pin.when_changed = doorbell
    meter_pin.when_changed = meter
    board = DemoBoard()
    try:
        board.start(gw, doorbell_pin, meter_pin)
        clock.advance(METER_INTERVAL)
        await gw.async_block_till_done()
        assert [state for _, state in meter.seen] == [True, False]
        clock.advance(READING_INTERVAL - METER_INTERVAL)
        reading = await in_thread(_read_available, board.serial_port)
        assert re.fullmatch(rb"T=2\d\.\d\d[\r\n]+", reading), reading
        clock.advance(PRESS_INTERVAL - READING_INTERVAL)
        board.stop()  # releases the press at once instead of after PRESS_SECONDS
        await gw.async_block_till_done()
        assert [state for _, state in doorbell.seen] == [False, True]
        assert clock.pending() == 0
    finally:
        board.close()
        factory.close()
    threads = {name for name, _ in doorbell.seen + meter.seen}
    assert threads
    assert all(name.startswith("boardgate-worker") for name in threads), threads


def test_mock_pin_is_refused_for_other_line_sources() -> None:
    with pytest.raises(HardwareError, match="cannot be simulated on pin factory simulated"):
        mock_pin(SimulatedLines(), 17)
    factory = MockFactory(pin_class=MockPWMPin)
    try:
        driven = mock_pin(GpioDriver("mock", factory, blocking=False), 17)
        assert driven is factory.pin(17)
    finally:
        factory.close()
