"""gpio button: a momentary pulse timed on the fake clock."""

from __future__ import annotations

import pytest
from gpiozero.pins.mock import MockFactory

from gateway.clock import FakeClock
from gateway.core import Gateway
from tests.gpio.conftest import attrs, pin, setup_entities, state

pytestmark = pytest.mark.usefixtures("gpio")


async def press(gw: Gateway) -> None:
    await gw.services.async_call("button", "press", {"entity_id": "button.gate"})


async def test_press_pulses_for_the_configured_time(
    gw: Gateway, factory: MockFactory, clock: FakeClock
) -> None:
    await setup_entities(gw, "button", {"name": "Gate", "pin": 23, "pulse": 0.5})
    gate = pin(factory, 23)
    assert gate.state == 0
    assert state(gw, "button.gate") == "unknown"
    await press(gw)
    assert gate.state == 1
    assert state(gw, "button.gate") != "unknown"  # the time of the press
    clock.advance(0.49)
    await gw.async_block_till_done()
    assert gate.state == 1
    clock.advance(0.01)
    await gw.async_block_till_done()
    assert gate.state == 0
    assert attrs(gw, "button.gate")["pulse"] == 0.5


async def test_press_during_a_pulse_extends_it(
    gw: Gateway, factory: MockFactory, clock: FakeClock
) -> None:
    await setup_entities(gw, "button", {"name": "Gate", "pin": 23, "pulse": "1s"})
    await press(gw)
    clock.advance(0.8)
    await press(gw)
    clock.advance(0.8)
    await gw.async_block_till_done()
    assert pin(factory, 23).state == 1
    clock.advance(0.2)
    await gw.async_block_till_done()
    assert pin(factory, 23).state == 0
    assert [change.state for change in pin(factory, 23).states] == [0, 1, 0]


async def test_active_low_button(gw: Gateway, factory: MockFactory, clock: FakeClock) -> None:
    await setup_entities(gw, "button", {"name": "Gate", "pin": 23, "active_high": False})
    assert pin(factory, 23).state == 1  # idle high
    await press(gw)
    assert pin(factory, 23).state == 0
    clock.advance(0.5)  # default pulse
    await gw.async_block_till_done()
    assert pin(factory, 23).state == 1


async def test_stop_mid_pulse_releases(gw: Gateway, factory: MockFactory, clock: FakeClock) -> None:
    await setup_entities(gw, "button", {"name": "Gate", "pin": 23, "pulse": 10})
    await press(gw)
    await gw.async_stop()
    assert clock.pending() == 0
    assert pin(factory, 23).state == 0
