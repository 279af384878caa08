"""Light `initial: restore` brings back the brightness too, also when the light was off."""

from __future__ import annotations

from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory

from gateway.clock import FakeClock
from gateway.core import Gateway
from platforms.gpio import OUTPUT_SAVE_INTERVAL
from tests.gpio.conftest import attrs, pin, setup_entities, state
from tests.gpio.test_restart import second_gateway

STRIP = {"name": "Strip", "pin": 18, "initial": "restore", "on_stop": "off"}


async def light(gw: Gateway, service: str, **data: object) -> None:
    await gw.services.async_call("light", service, {"entity_id": "light.strip", **data})
    await gw.async_block_till_done()


@pytest.mark.usefixtures("gpio")
@pytest.mark.parametrize(("last", "pin_level"), [("on", 100 / 255), ("off", 0.0)])
async def test_restore_brings_back_state_and_brightness(
    gw: Gateway,
    factory: MockFactory,
    state_dir: Path,
    clock: FakeClock,
    last: str,
    pin_level: float,
) -> None:
    await setup_entities(gw, "light", STRIP)
    await light(gw, "turn_on", brightness=100)
    if last == "off":
        await light(gw, "turn_off")
    clock.advance(OUTPUT_SAVE_INTERVAL)
    await gw.async_block_till_done()
    await gw.async_stop()  # on_stop: off is applied but not saved

    async with second_gateway(state_dir) as (gw2, factory2):
        await setup_entities(gw2, "light", STRIP)
        assert state(gw2, "light.strip") == last.upper()
        assert pin(factory2, 18).state == pytest.approx(pin_level)
        # turned on without a brightness, it comes back at the restored level
        await light(gw2, "turn_on")
        assert (state(gw2, "light.strip"), attrs(gw2, "light.strip")["brightness"]) == ("ON", 100)
        assert pin(factory2, 18).state == pytest.approx(100 / 255)
