"""Which thread each driver call runs in: the loop for fast drivers, the pool for pigpio."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import pytest
from gpiozero.pins.mock import MockFactory

import platforms.gpio
from gateway.clock import FakeClock
from gateway.config.model import GpioConfig
from gateway.core import Gateway, callback
from hardware.gpio import GpioDriver, threadsafe_handoff
from tests.gpio.conftest import RecordingPin, pin, setup_entities
from tests.helpers import in_thread

WORKER = "boardgate-worker-"


async def use_driver(gw: Gateway, factory: MockFactory, *, blocking: bool) -> None:
    driver = GpioDriver("pigpio" if blocking else "lgpio", factory, blocking=blocking)
    await platforms.gpio.async_setup(gw, GpioConfig(), driver=driver)


async def test_non_blocking_driver_writes_in_the_loop(
    gw: Gateway, factory: MockFactory, clock: FakeClock
) -> None:
    await use_driver(gw, factory, blocking=False)
    await setup_entities(gw, "switch", {"name": "Relay", "pin": 22})
    await setup_entities(gw, "light", {"name": "Strip", "pin": 18})
    relay, strip = pin(factory, 22), pin(factory, 18)
    assert all(name.startswith(WORKER) for name in relay.write_threads)  # set-up: executor
    relay.write_threads.clear()
    strip.write_threads.clear()
    await gw.services.async_call("switch", "turn_on", {"entity_id": "switch.relay"})
    await gw.services.async_call(
        "light", "turn_on", {"entity_id": "light.strip", "brightness": 100, "transition": 1}
    )
    clock.advance(1)
    await gw.async_block_till_done()
    loop_thread = threading.current_thread().name
    assert relay.write_threads == [loop_thread]
    assert len(strip.write_threads) == 50
    assert set(strip.write_threads) == {loop_thread}


async def test_blocking_driver_writes_in_the_executor(
    gw: Gateway, factory: MockFactory, clock: FakeClock
) -> None:
    await use_driver(gw, factory, blocking=True)
    await setup_entities(gw, "switch", {"name": "Relay", "pin": 22})
    await setup_entities(gw, "light", {"name": "Strip", "pin": 18})
    await setup_entities(gw, "button", {"name": "Gate", "pin": 23, "pulse": 1})
    for number in (22, 18, 23):
        pin(factory, number).write_threads.clear()
    await gw.services.async_call("switch", "turn_on", {"entity_id": "switch.relay"})
    await gw.services.async_call("button", "press", {"entity_id": "button.gate"})
    await gw.services.async_call(
        "light", "turn_on", {"entity_id": "light.strip", "brightness": 255, "transition": 0.2}
    )
    for _ in range(10):  # each fade step waits for its executor write before the next
        clock.advance(0.02)
        await gw.async_block_till_done()
    clock.advance(1)
    await gw.async_block_till_done()
    assert pin(factory, 18).state == 1.0
    assert pin(factory, 23).state == 0
    for number, writes in ((22, 1), (18, 10), (23, 2)):
        threads = pin(factory, number).write_threads
        assert len(threads) == writes, number
        assert all(name.startswith(WORKER) for name in threads), threads


async def test_handoff_runs_the_callback_in_the_loop_thread() -> None:
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    seen: list[tuple[str, tuple[object, ...]]] = []

    @callback
    def target(*args: object) -> None:
        seen.append((threading.current_thread().name, args))
        done.set()

    handoff = threadsafe_handoff(loop, target)
    await in_thread(handoff, 1, "x", name="driver")
    await done.wait()
    assert seen == [(threading.current_thread().name, (1, "x"))]


def test_handoff_after_the_loop_closed_is_dropped() -> None:
    loop = asyncio.new_event_loop()
    called: list[object] = []
    handoff: Callable[..., None] = threadsafe_handoff(loop, called.append)
    loop.close()
    handoff("late")  # no exception: the process is shutting down
    assert called == []


@pytest.mark.parametrize("blocking", [False, True])
async def test_inputs_are_pushed_never_polled(
    gw: Gateway, factory: MockFactory, clock: FakeClock, blocking: bool
) -> None:
    await use_driver(gw, factory, blocking=blocking)
    component = await setup_entities(gw, "binary_sensor", {"name": "Door", "pin": 17})
    assert not component.entities["binary_sensor.door"].should_poll
    await in_thread(pin(factory, 17).drive_low)
    await gw.async_block_till_done()
    assert gw.states.get("binary_sensor.door").state == "ON"  # type: ignore[union-attr]


class HangingPin(RecordingPin):
    """Writes block while `gate` is clear, like a pigpiod that stopped answering."""

    gate = threading.Event()

    def _set_state(self, value: float) -> None:
        if self.function == "output" and self.write_threads:
            self.gate.wait(5)
        super()._set_state(value)


async def test_hung_blocking_driver_makes_the_entity_unavailable(
    gw: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    factory = MockFactory(pin_class=HangingPin)
    HangingPin.gate.clear()
    try:
        await use_driver(gw, factory, blocking=True)
        await setup_entities(gw, "switch", {"name": "Relay", "pin": 22})
        gw.executor_timeout = 0.05
        with pytest.raises(TimeoutError):
            await gw.services.async_call("switch", "turn_on", {"entity_id": "switch.relay"})
        assert gw.states.get("switch.relay").state == "unavailable"  # type: ignore[union-attr]
        assert "did not return within" in caplog.text
        caplog.clear()
        HangingPin.gate.set()
        gw.executor_timeout = 5
        await gw.services.async_call("switch", "turn_on", {"entity_id": "switch.relay"})
        assert gw.states.get("switch.relay").state == "ON"  # type: ignore[union-attr]
    finally:
        HangingPin.gate.set()
        await gw.async_stop()
        factory.reset()
