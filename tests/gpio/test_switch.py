"""gpio switch: active_high, initial, timed commands, on_stop, restore."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory

from gateway.clock import FakeClock
from gateway.core import Event, Gateway, callback
from hardware.errors import HardwareError
from hardware.gpio import GpioDriver
from platforms.gpio import OUTPUT_SAVE_INTERVAL
from tests.gpio.conftest import pin, read_saved, setup_entities, state, write_file
from tests.gpio.test_restart import second_gateway
from tests.helpers import in_thread

pytestmark = pytest.mark.usefixtures("gpio")


async def turn(gw: Gateway, service: str, entity_id: str, **data: object) -> None:
    await gw.services.async_call("switch", service, {"entity_id": entity_id, **data})


async def test_on_off_toggle_drive_the_pin(gw: Gateway, factory: MockFactory) -> None:
    await setup_entities(gw, "switch", {"name": "Relay", "pin": 22})
    relay = pin(factory, 22)
    assert state(gw, "switch.relay") == "OFF"
    assert relay.state == 0
    await turn(gw, "turn_on", "switch.relay")
    assert (relay.state, state(gw, "switch.relay")) == (1, "ON")
    await turn(gw, "toggle", "switch.relay")
    assert (relay.state, state(gw, "switch.relay")) == (0, "OFF")


async def test_active_low_relay_and_initial_on(gw: Gateway, factory: MockFactory) -> None:
    await setup_entities(
        gw, "switch", {"name": "Relay", "pin": "GPIO22", "active_high": False, "initial": "on"}
    )
    relay = pin(factory, 22)
    assert state(gw, "switch.relay") == "ON"
    assert relay.state == 0  # active low: ON drives the pin low
    assert [change.state for change in relay.states] == [0]  # never high, not even briefly
    await turn(gw, "turn_off", "switch.relay")
    assert relay.state == 1


async def test_unquoted_yaml_on_is_accepted(gw: Gateway, factory: MockFactory) -> None:
    await setup_entities(gw, "switch", {"name": "Relay", "pin": 22, "initial": True})
    assert state(gw, "switch.relay") == "ON"


async def test_timed_command_reverts_on_the_fake_clock(
    gw: Gateway, factory: MockFactory, clock: FakeClock
) -> None:
    await setup_entities(gw, "switch", {"name": "Pump", "pin": 5})
    await turn(gw, "turn_on", "switch.pump", **{"for": 2.5})
    assert (pin(factory, 5).state, state(gw, "switch.pump")) == (1, "ON")
    clock.advance(2.4)
    await gw.async_block_till_done()
    assert state(gw, "switch.pump") == "ON"
    clock.advance(0.1)
    await gw.async_block_till_done()
    assert (pin(factory, 5).state, state(gw, "switch.pump")) == (0, "OFF")


async def test_on_stop_off_on_keep(gw: Gateway, factory: MockFactory) -> None:
    await setup_entities(
        gw,
        "switch",
        {"name": "A", "pin": 5, "initial": "on", "on_stop": "off"},
        {"name": "B", "pin": 6, "initial": "off", "on_stop": "on"},
        {"name": "C", "pin": 13, "initial": "on", "on_stop": "keep"},
    )
    seen: list[tuple[str, str]] = []

    @callback
    def listener(event: Event) -> None:
        seen.append((event.data["entity_id"], event.data["new_state"].state))

    gw.bus.async_listen("state_changed", listener)
    await turn(gw, "turn_on", "switch.a", **{"for": 10})  # a pending revert must not leak
    await gw.async_stop()
    assert pin(factory, 5).state == 0
    assert pin(factory, 6).state == 1
    assert pin(factory, 13).state == 1  # kept driving
    assert ("switch.a", "OFF") in seen
    assert ("switch.b", "ON") in seen


@pytest.mark.parametrize(
    ("error", "traceback"),
    [(HardwareError("relay board not answering"), None), (TypeError("bug"), TypeError)],
    ids=["driver_says_no", "bug"],
)
async def test_a_failed_on_stop_has_a_traceback_only_for_a_bug(
    gw: Gateway,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    error: Exception,
    traceback: type[Exception] | None,
) -> None:
    component = await setup_entities(gw, "switch", {"name": "A", "pin": 5, "on_stop": "on"})

    async def failing_on_stop(_turn_on: bool) -> None:
        raise error

    monkeypatch.setattr(component.entities["switch.a"], "_async_apply_on_stop", failing_on_stop)
    await gw.async_stop()
    records = [
        (r.levelno, r.getMessage(), r.exc_info[0] if r.exc_info else None)
        for r in caplog.records
        if "on_stop" in r.getMessage()
    ]
    message = "switch.a: could not apply on_stop on"
    expected = (logging.WARNING, f"{message}: {error}", None)
    if traceback is not None:
        expected = (logging.ERROR, message, traceback)
    assert records == [expected]
    caplog.clear()


async def test_on_stop_keep_leaves_the_device_open(
    gw: Gateway, factory: MockFactory, gpio: GpioDriver
) -> None:
    await setup_entities(
        gw,
        "switch",
        {"name": "Kept", "pin": 13, "initial": "on", "on_stop": "keep"},
        {"name": "Closed", "pin": 5, "initial": "on"},
    )
    await gw.async_stop()
    assert [line.closed for line in gpio.open_lines] == [False]
    assert pin(factory, 13).function == "output"
    assert pin(factory, 5).function == "input"  # released


async def test_state_is_saved_on_change_for_restore(
    gw: Gateway, factory: MockFactory, state_dir: Path, clock: FakeClock
) -> None:
    await setup_entities(gw, "switch", {"name": "Relay", "pin": 22, "initial": "restore"})
    await turn(gw, "turn_on", "switch.relay")
    await gw.async_block_till_done()
    clock.advance(OUTPUT_SAVE_INTERVAL)  # saves are coalesced, at most one a second
    await gw.async_block_till_done()
    assert await read_saved(state_dir / "gpio" / "switch.relay.json") == {"on": True}
    leftovers = await in_thread(lambda: list((state_dir / "gpio").glob(".*.tmp")))
    assert not leftovers  # no temp file left behind


async def test_restore_across_gateway_restart(
    gw: Gateway, factory: MockFactory, state_dir: Path
) -> None:
    await setup_entities(gw, "switch", {"name": "Relay", "pin": 22, "initial": "restore"})
    await turn(gw, "turn_on", "switch.relay")
    await gw.async_stop()  # on_stop: off drives it off, but the saved state stays ON
    assert pin(factory, 22).state == 0

    async with second_gateway(state_dir) as (gw2, factory2):
        await setup_entities(gw2, "switch", {"name": "Relay", "pin": 22, "initial": "restore"})
        assert state(gw2, "switch.relay") == "ON"
        # from the input's resting level straight to on: no glitch through off
        assert [change.state for change in pin(factory2, 22).states] == [0, 1]


async def test_restore_without_saved_state_starts_off(gw: Gateway, factory: MockFactory) -> None:
    await setup_entities(gw, "switch", {"name": "Fresh", "pin": 22, "initial": "restore"})
    assert state(gw, "switch.fresh") == "OFF"


async def test_corrupt_state_file_starts_off(
    gw: Gateway, factory: MockFactory, state_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await write_file(state_dir / "gpio" / "switch.relay.json", "{not json")
    await setup_entities(gw, "switch", {"name": "Relay", "pin": 22, "initial": "restore"})
    assert state(gw, "switch.relay") == "OFF"
    assert "corrupt state file" in caplog.text
