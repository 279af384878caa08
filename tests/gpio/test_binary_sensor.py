"""gpio binary_sensor: pulls, active_state, invert, and edges arriving from a driver thread."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import voluptuous as vol
from gpiozero.pins.mock import MockFactory

from gateway.core import Event, Gateway, callback
from tests.gpio.conftest import entry, pin, setup_entities, state
from tests.helpers import in_thread

pytestmark = pytest.mark.usefixtures("gpio")


def record_changes(gw: Gateway, entity_id: str) -> list[tuple[str, str]]:
    """(state, thread name) of each state change of `entity_id`."""
    seen: list[tuple[str, str]] = []

    @callback
    def listener(event: Event) -> None:
        if event.data["entity_id"] == entity_id:
            seen.append((event.data["new_state"].state, threading.current_thread().name))

    gw.bus.async_listen("state_changed", listener)
    return seen


async def test_pull_up_contact_from_a_foreign_thread(gw: Gateway, factory: MockFactory) -> None:
    """Mock pins call back in the thread that drives them: a real thread exercises the
    hand-off, and the state machine is only ever touched in the loop thread."""
    await setup_entities(gw, "binary_sensor", {"name": "Door", "pin": 17, "device_class": "door"})
    door = pin(factory, 17)
    assert state(gw, "binary_sensor.door") == "OFF"  # pulled up, contact open
    changes = record_changes(gw, "binary_sensor.door")
    callback_threads: list[str] = []
    original = door._call_when_changed

    def spy(*args: Any) -> None:
        callback_threads.append(threading.current_thread().name)
        original(*args)

    door._call_when_changed = spy  # type: ignore[method-assign]
    await in_thread(door.drive_low, name="gpio-driver")  # contact closes to GND
    await gw.async_block_till_done()
    await in_thread(door.drive_high, name="gpio-driver")
    await gw.async_block_till_done()
    loop_thread = threading.current_thread().name
    assert callback_threads == ["gpio-driver", "gpio-driver"]
    assert changes == [("ON", loop_thread), ("OFF", loop_thread)]
    assert gw.states.get("binary_sensor.door").attributes["device_class"] == "door"  # type: ignore[union-attr]


async def test_many_edges_from_a_thread_arrive_in_order(gw: Gateway, factory: MockFactory) -> None:
    await setup_entities(gw, "binary_sensor", {"name": "Button", "pin": 4})
    button = pin(factory, 4)
    changes = record_changes(gw, "binary_sensor.button")

    def bounce() -> None:
        for _ in range(50):
            button.drive_low()
            button.drive_high()
        button.drive_low()

    await in_thread(bounce)
    await gw.async_block_till_done()
    assert [value for value, _ in changes] == ["ON", "OFF"] * 50 + ["ON"]
    assert state(gw, "binary_sensor.button") == "ON"


async def test_pull_down_and_invert(gw: Gateway, factory: MockFactory) -> None:
    await setup_entities(
        gw,
        "binary_sensor",
        {"name": "Down", "pin": 20, "pull_up": False},
        {"name": "Inverted", "pin": 21, "invert": True},
    )
    assert state(gw, "binary_sensor.down") == "OFF"
    assert state(gw, "binary_sensor.inverted") == "ON"  # pulled up, idle, inverted
    await in_thread(pin(factory, 20).drive_high)
    await in_thread(pin(factory, 21).drive_low)
    await gw.async_block_till_done()
    assert state(gw, "binary_sensor.down") == "ON"
    assert state(gw, "binary_sensor.inverted") == "OFF"


@pytest.mark.parametrize(
    ("active_state", "idle", "driven"), [("high", "OFF", "ON"), ("low", "ON", "OFF")]
)
async def test_floating_with_active_state(
    gw: Gateway, factory: MockFactory, active_state: str, idle: str, driven: str
) -> None:
    await setup_entities(
        gw,
        "binary_sensor",
        {"name": "PIR", "pin": 27, "pull_up": "floating", "active_state": active_state},
    )
    assert state(gw, "binary_sensor.pir") == idle
    await in_thread(pin(factory, 27).drive_high)
    await gw.async_block_till_done()
    assert state(gw, "binary_sensor.pir") == driven


async def test_bounce_time_reaches_the_pin(gw: Gateway, factory: MockFactory) -> None:
    await setup_entities(gw, "binary_sensor", {"name": "Door", "pin": 17, "bounce_time": "50ms"})
    assert pin(factory, 17).bounce == pytest.approx(0.05)


async def test_not_polled(gw: Gateway) -> None:
    component = await setup_entities(gw, "binary_sensor", {"name": "Door", "pin": 17})
    assert not component.entities["binary_sensor.door"].should_poll


def test_floating_needs_active_state() -> None:
    with pytest.raises(vol.Invalid, match="needs active_state"):
        entry("binary_sensor", {"name": "X", "pin": 4, "pull_up": "floating"})
    with pytest.raises(vol.Invalid, match="only used with pull_up: floating"):
        entry("binary_sensor", {"name": "X", "pin": 4, "active_state": "high"})
    with pytest.raises(vol.Invalid, match="pull-up"):
        entry("binary_sensor", {"name": "X", "pin": 4, "pull_up": "sideways"})


async def test_removed_entity_releases_the_pin(gw: Gateway, factory: MockFactory) -> None:
    component = await setup_entities(gw, "binary_sensor", {"name": "Door", "pin": 17})
    await component.async_remove_entity("binary_sensor.door")
    assert gw.states.get("binary_sensor.door") is None
    await in_thread(pin(factory, 17).drive_low)  # no callback any more, nothing happens
    await gw.async_block_till_done()
    assert gw.states.get("binary_sensor.door") is None
