"""gpio light: PWM brightness, fades on the fake clock, restore."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory

from gateway.clock import FakeClock
from gateway.core import Gateway
from platforms.gpio import OUTPUT_SAVE_INTERVAL
from platforms.gpio.light import MAX_FADE_STEPS_PER_SECOND, fade_steps
from tests.gpio.conftest import attrs, pin, read_saved, setup_entities, state

pytestmark = pytest.mark.usefixtures("gpio")


async def light(gw: Gateway, service: str, **data: object) -> None:
    await gw.services.async_call("light", service, {"entity_id": "light.strip", **data})


def test_fade_steps_are_bounded_and_end_on_target() -> None:
    steps = fade_steps(0.0, 1.0, 2.0)
    assert len(steps) == 2 * MAX_FADE_STEPS_PER_SECOND
    assert steps[-1] == (2.0, 1.0)
    assert all(b[0] > a[0] for a, b in itertools.pairwise(steps))
    assert len(fade_steps(0.0, 3 / 255, 10.0)) == 3  # no more steps than brightness levels
    assert fade_steps(0.5, 0.2, 0.001) == [(0.001, 0.2)]  # too short: one step


async def test_brightness_sets_the_duty_cycle(gw: Gateway, factory: MockFactory) -> None:
    await setup_entities(gw, "light", {"name": "Strip", "pin": 18, "frequency": 1000})
    strip = pin(factory, 18)
    assert strip.frequency == 1000
    assert state(gw, "light.strip") == "OFF"
    await light(gw, "turn_on", brightness=128)
    assert strip.state == pytest.approx(128 / 255)
    assert (state(gw, "light.strip"), attrs(gw, "light.strip")["brightness"]) == ("ON", 128)
    await light(gw, "turn_off")
    assert strip.state == 0
    assert attrs(gw, "light.strip")["brightness"] is None
    await light(gw, "turn_on")  # back to the last brightness
    assert strip.state == pytest.approx(128 / 255)
    await light(gw, "turn_on", brightness=0)  # brightness 0 means off
    assert (strip.state, state(gw, "light.strip")) == (0, "OFF")


async def test_transition_fades_on_the_clock(
    gw: Gateway, factory: MockFactory, clock: FakeClock
) -> None:
    await setup_entities(gw, "light", {"name": "Strip", "pin": 18})
    strip = pin(factory, 18)
    strip.clear_states()
    await light(gw, "turn_on", brightness=255, transition=2)
    assert state(gw, "light.strip") == "ON"  # the state shows the target at once
    assert strip.state == 0
    clock.advance(1.0)
    await gw.async_block_till_done()
    assert strip.state == pytest.approx(0.5)
    clock.advance(1.0)
    await gw.async_block_till_done()
    assert strip.state == 1.0
    writes = len(strip.states) - 1
    assert writes == 2 * MAX_FADE_STEPS_PER_SECOND
    levels = [change.state for change in strip.states]
    assert levels == sorted(levels)
    assert clock.pending() == 0


async def test_new_command_cancels_a_fade(
    gw: Gateway, factory: MockFactory, clock: FakeClock
) -> None:
    await setup_entities(gw, "light", {"name": "Strip", "pin": 18, "initial": "on"})
    strip = pin(factory, 18)
    await light(gw, "turn_off", transition=4)
    clock.advance(1.0)
    assert strip.state == pytest.approx(0.75)
    await light(gw, "turn_on", brightness=255)  # no transition: jumps, fade is cancelled
    assert strip.state == 1.0
    clock.advance(10)
    await gw.async_block_till_done()
    assert strip.state == 1.0
    clock.advance(OUTPUT_SAVE_INTERVAL)  # the coalesced state save that the last write armed
    await gw.async_block_till_done()
    assert clock.pending() == 0


async def test_timed_light_reverts(gw: Gateway, factory: MockFactory, clock: FakeClock) -> None:
    await setup_entities(gw, "light", {"name": "Strip", "pin": 18})
    await light(gw, "turn_on", brightness=51, **{"for": 3})
    assert pin(factory, 18).state == pytest.approx(0.2)
    clock.advance(3)
    await gw.async_block_till_done()
    assert (pin(factory, 18).state, state(gw, "light.strip")) == (0, "OFF")


async def test_stop_during_a_fade_goes_to_on_stop(
    gw: Gateway, factory: MockFactory, clock: FakeClock
) -> None:
    await setup_entities(gw, "light", {"name": "Strip", "pin": 18, "initial": "on"})
    await light(gw, "turn_off", transition=5)
    clock.advance(1)
    await gw.async_stop()  # the fade's timer is cancelled, not leaked
    assert clock.pending() == 0
    assert pin(factory, 18).state == 0


async def test_brightness_is_saved_and_restored(
    gw: Gateway, factory: MockFactory, state_dir: Path, clock: FakeClock
) -> None:
    await setup_entities(gw, "light", {"name": "Strip", "pin": 18, "initial": "restore"})
    await light(gw, "turn_on", brightness=64)
    await gw.async_block_till_done()
    clock.advance(OUTPUT_SAVE_INTERVAL)  # saves are coalesced, at most one a second
    await gw.async_block_till_done()
    saved = await read_saved(state_dir / "gpio" / "light.strip.json")
    assert saved == {"on": True, "brightness": 64}
    await gw.async_stop()

    from tests.gpio.test_restart import second_gateway

    async with second_gateway(state_dir) as (gw2, factory2):
        await setup_entities(gw2, "light", {"name": "Strip", "pin": 18, "initial": "restore"})
        assert (state(gw2, "light.strip"), attrs(gw2, "light.strip")["brightness"]) == ("ON", 64)
        assert pin(factory2, 18).state == pytest.approx(64 / 255)
