"""gpio counter sensor: edges from a thread, rate, persistence across a restart, reset."""

from __future__ import annotations

from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory

from gateway.clock import FakeClock
from gateway.core import Gateway
from platforms.gpio.sensor import SAVE_INTERVAL
from tests.gpio.conftest import attrs, pin, read_saved, setup_entities, state, write_file
from tests.gpio.test_restart import second_gateway
from tests.helpers import in_thread

pytestmark = pytest.mark.usefixtures("gpio")

METER = {"name": "Water", "type": "counter", "pin": 5, "unit_of_measurement": "L"}


def pulses(factory: MockFactory, number: int, count: int) -> None:
    """Runs in a foreign thread: `count` closures of a pulled-up contact."""
    meter = pin(factory, number)
    for _ in range(count):
        meter.drive_low()
        meter.drive_high()


async def test_counts_edges_from_a_foreign_thread(gw: Gateway, factory: MockFactory) -> None:
    await setup_entities(gw, "sensor", METER)
    assert state(gw, "sensor.water") == "0"
    await in_thread(pulses, factory, 5, 7)
    await gw.async_block_till_done()
    assert state(gw, "sensor.water") == "7"
    assert attrs(gw, "sensor.water")["unit_of_measurement"] == "L"
    assert attrs(gw, "sensor.water")["state_class"] == "total_increasing"


async def test_count_on_both_edges(gw: Gateway, factory: MockFactory) -> None:
    await setup_entities(gw, "sensor", {**METER, "count_on": "both"})
    await in_thread(pulses, factory, 5, 3)
    await gw.async_block_till_done()
    assert state(gw, "sensor.water") == "6"


async def test_count_on_inactive_counts_releases_only(gw: Gateway, factory: MockFactory) -> None:
    await setup_entities(gw, "sensor", {**METER, "count_on": "inactive"})
    await in_thread(pin(factory, 5).drive_low)  # contact closes: active, not counted
    await gw.async_block_till_done()
    assert state(gw, "sensor.water") == "0"
    await in_thread(pin(factory, 5).drive_high)
    await gw.async_block_till_done()
    assert state(gw, "sensor.water") == "1"


async def test_rate_is_edges_per_minute_and_decays(
    gw: Gateway, factory: MockFactory, clock: FakeClock
) -> None:
    await setup_entities(gw, "sensor", METER)
    for _ in range(3):
        await in_thread(pulses, factory, 5, 10)
        clock.advance(10)
    await gw.async_block_till_done()
    assert attrs(gw, "sensor.water")["rate"] == 30.0
    clock.advance(35)  # polled at t=60: the first batch (t=0) has left the window
    await gw.async_block_till_done()
    assert attrs(gw, "sensor.water")["rate"] == 20.0
    clock.advance(60)
    await gw.async_block_till_done()
    assert attrs(gw, "sensor.water")["rate"] == 0.0
    assert state(gw, "sensor.water") == "30"


async def test_total_survives_a_restart(
    gw: Gateway, factory: MockFactory, clock: FakeClock, state_dir: Path
) -> None:
    await setup_entities(gw, "sensor", METER)
    await in_thread(pulses, factory, 5, 12)
    await gw.async_block_till_done()
    await gw.async_stop()  # flushes the pending write
    assert await read_saved(state_dir / "gpio" / "sensor.water.json") == {"total": 12}

    async with second_gateway(state_dir) as (gw2, factory2):
        await setup_entities(gw2, "sensor", METER)
        assert state(gw2, "sensor.water") == "12"
        await in_thread(pulses, factory2, 5, 3)
        await gw2.async_block_till_done()
        assert state(gw2, "sensor.water") == "15"


async def test_writes_are_coalesced(
    gw: Gateway, factory: MockFactory, clock: FakeClock, state_dir: Path
) -> None:
    component = await setup_entities(gw, "sensor", METER)
    counter = component.entities["sensor.water"]
    store = counter._state_file  # type: ignore[attr-defined]
    await in_thread(pulses, factory, 5, 100)
    await gw.async_block_till_done()
    clock.advance(SAVE_INTERVAL)
    await gw.async_block_till_done()
    # The first edge starts a write at once; edges during it wait for the interval. How many
    # edges the first write caught depends on thread timing, so only the bound is exact.
    assert 1 <= store.writes <= 2
    assert await read_saved(state_dir / "gpio" / "sensor.water.json") == {"total": 100}


async def test_reset_service(gw: Gateway, factory: MockFactory, state_dir: Path) -> None:
    await setup_entities(gw, "sensor", METER)
    await in_thread(pulses, factory, 5, 4)
    await gw.services.async_call("sensor", "reset_counter", {"entity_id": "sensor.water"})
    assert state(gw, "sensor.water") == "0"
    await gw.services.async_call(
        "sensor", "reset_counter", {"entity_id": "sensor.water", "value": 1000}
    )
    assert state(gw, "sensor.water") == "1000"
    await gw.async_stop()
    assert await read_saved(state_dir / "gpio" / "sensor.water.json") == {"total": 1000}


async def test_garbage_in_the_state_file_starts_from_zero(
    gw: Gateway, factory: MockFactory, state_dir: Path
) -> None:
    await write_file(state_dir / "gpio" / "sensor.water.json", '{"total": "lots"}')
    await setup_entities(gw, "sensor", METER)
    assert state(gw, "sensor.water") == "0"
