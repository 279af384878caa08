"""Entities: adding from threads, polling on the fake clock, executor timeouts."""

from __future__ import annotations

import logging
import threading
from types import SimpleNamespace
from typing import Any

import pytest
import voluptuous as vol

from gateway import entity_component
from gateway.clock import FakeClock
from gateway.config.model import EntityConfig, PlatformEntry
from gateway.core import Gateway
from gateway.domains import async_setup_domain
from gateway.domains.registry import DOMAIN_SPECS
from gateway.domains.sensor import SensorEntity
from gateway.domains.switch import SwitchEntity
from gateway.entity_component import EntityComponent
from gateway.entity_platform import EntityPlatform
from hardware.errors import HardwareError
from tests.helpers import in_thread


class CountingSensor(SensorEntity):
    """Counts blocking updates; an update can be held until the test releases it."""

    def __init__(self, object_id: str, scan_interval: float = 10) -> None:
        self.entity_id = f"sensor.{object_id}"
        self._attr_name = object_id
        self._attr_scan_interval = scan_interval
        self.updates = 0
        self.update_threads: list[str] = []
        self.hold: threading.Event | None = None
        self.entered = threading.Semaphore(0)

    def update(self) -> None:
        self.update_threads.append(threading.current_thread().name)
        self.entered.release()
        if self.hold is not None:
            self.hold.wait()
        self.updates += 1
        self._attr_native_value = self.updates


class BlockingSwitch(SwitchEntity):
    def __init__(self, object_id: str) -> None:
        self.entity_id = f"switch.{object_id}"
        self._attr_is_on = False
        self.threads: list[str] = []

    def turn_on(self, **kwargs: Any) -> None:
        self.threads.append(threading.current_thread().name)
        self._attr_is_on = True

    def turn_off(self, **kwargs: Any) -> None:
        self.threads.append(threading.current_thread().name)
        self._attr_is_on = False


async def _platform(gw: Gateway, domain: str) -> EntityPlatform:
    component = await async_setup_domain(gw, DOMAIN_SPECS[domain], [])
    return component.get_platform("test")


async def test_polling_on_the_fake_clock(gw: Gateway, clock: FakeClock) -> None:
    platform = await _platform(gw, "sensor")
    sensor = CountingSensor("counter", scan_interval=10)
    await platform.async_add_entities([sensor])
    assert gw.states.get("sensor.counter").state == "unknown"  # type: ignore[union-attr]
    clock.advance(10)
    await gw.async_block_till_done()
    assert gw.states.get("sensor.counter").state == "1"  # type: ignore[union-attr]
    for _ in range(2):
        clock.advance(10)
        await gw.async_block_till_done()
    assert sensor.updates == 3
    assert all(name.startswith("boardgate-worker-") for name in sensor.update_threads)


async def test_slow_poll_is_skipped_not_queued(
    gw: Gateway, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    platform = await _platform(gw, "sensor")
    sensor = CountingSensor("slow", scan_interval=10)
    await platform.async_add_entities([sensor])
    sensor.hold = threading.Event()
    clock.advance(10)
    await in_thread(sensor.entered.acquire)  # the first poll is inside update()
    clock.advance(10)
    clock.advance(10)
    skipped = [r for r in caplog.records if "skipping this poll" in r.getMessage()]
    assert len(skipped) == 2
    assert len(sensor.update_threads) == 1
    sensor.hold.set()
    await gw.async_block_till_done()
    assert sensor.updates == 1
    clock.advance(10)
    await gw.async_block_till_done()
    assert sensor.updates == 2


async def test_executor_timeout_marks_unavailable_then_recovers(
    gw: Gateway, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    gw.executor_timeout = 0.05
    platform = await _platform(gw, "sensor")
    sensor = CountingSensor("hung", scan_interval=10)
    await platform.async_add_entities([sensor])
    sensor.hold = threading.Event()
    clock.advance(10)
    await gw.async_block_till_done()  # returns although the driver call is still stuck
    assert gw.states.get("sensor.hung").state == "unavailable"  # type: ignore[union-attr]
    assert "did not return within" in caplog.text
    caplog.clear()
    sensor.hold.set()
    sensor.hold = None
    await in_thread(sensor.entered.acquire)
    clock.advance(10)
    await gw.async_block_till_done()
    assert gw.states.get("sensor.hung").state == "2"  # type: ignore[union-attr]


async def test_add_entities_from_foreign_thread(gw: Gateway) -> None:
    platform = await _platform(gw, "switch")
    switch = BlockingSwitch("relay")
    await in_thread(platform.add_entities, [switch])
    await platform.async_wait_for_adds()
    assert gw.states.get("switch.relay").state == "OFF"  # type: ignore[union-attr]


async def test_service_calls_blocking_driver_in_executor(gw: Gateway, clock: FakeClock) -> None:
    platform = await _platform(gw, "switch")
    switch = BlockingSwitch("relay")
    await platform.async_add_entities([switch])
    await gw.services.async_call("switch", "turn_on", {"entity_id": "switch.relay"})
    assert gw.states.get("switch.relay").state == "ON"  # type: ignore[union-attr]
    assert switch.threads[0].startswith("boardgate-worker-")
    await gw.services.async_call("switch", "toggle", {"entity_id": "switch.relay", "for": 2})
    assert gw.states.get("switch.relay").state == "OFF"  # type: ignore[union-attr]
    clock.advance(2)
    await gw.async_block_till_done()
    assert gw.states.get("switch.relay").state == "ON"  # type: ignore[union-attr]


async def test_duplicate_entity_id_is_refused(
    gw: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    platform = await _platform(gw, "switch")
    await platform.async_add_entities([BlockingSwitch("twin"), BlockingSwitch("twin")])
    assert len(platform.entities) == 1
    assert "already in use" in caplog.text
    caplog.clear()


async def test_remove_entity_stops_polling_and_state(gw: Gateway, clock: FakeClock) -> None:
    platform = await _platform(gw, "sensor")
    sensor = CountingSensor("gone")
    await platform.async_add_entities([sensor])
    await platform.async_remove_entity("sensor.gone")
    assert gw.states.get("sensor.gone") is None
    clock.advance(100)
    await gw.async_block_till_done()
    assert sensor.updates == 0


async def test_update_before_add(gw: Gateway) -> None:
    component = EntityComponent(gw, "sensor")
    sensor = CountingSensor("early")
    await component.get_platform("test").async_add_entities([sensor], True)
    assert gw.states.get("sensor.early").state == "1"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("error", "level", "traceback"),
    [(OSError("bus error"), logging.WARNING, None), (TypeError("bug"), logging.ERROR, TypeError)],
    ids=["driver_says_no", "bug"],
)
async def test_failing_update_is_logged_and_entity_kept(
    gw: Gateway,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
    error: Exception,
    level: int,
    traceback: type[Exception] | None,
) -> None:
    """A driver saying no is one WARNING line; a bug in `update` is ERROR with its traceback."""

    class Broken(CountingSensor):
        def update(self) -> None:
            raise error

    platform = await _platform(gw, "sensor")
    await platform.async_add_entities([Broken("broken")])
    clock.advance(10)
    await gw.async_block_till_done()
    records = [
        (r.levelno, r.getMessage(), r.exc_info[0] if r.exc_info else None)
        for r in caplog.records
        if r.getMessage().startswith("Update of")
    ]
    message = "Update of sensor.broken failed"
    assert records == [(level, f"{message}: {error}" if traceback is None else message, traceback)]
    assert gw.states.get("sensor.broken") is not None
    caplog.clear()


class PushedSensor(SensorEntity):
    """Updated from a driver thread, like an interrupt-driven input."""

    _attr_should_poll = False

    def __init__(self) -> None:
        self.entity_id = "sensor.pushed"
        self.hooks: list[str] = []

    async def async_added(self) -> None:
        self.hooks.append("added")

    async def async_will_remove(self) -> None:
        self.hooks.append("will_remove")

    def update(self) -> None:
        self._attr_native_value = "refreshed"


async def test_schedule_update_state_from_driver_thread(gw: Gateway) -> None:
    platform = await _platform(gw, "sensor")
    sensor = PushedSensor()
    await platform.async_add_entities([sensor])
    assert sensor.hooks == ["added"]

    def driver_thread() -> None:
        sensor._attr_native_value = 7
        sensor.schedule_update_state()

    await in_thread(driver_thread)
    await gw.async_block_till_done()
    assert gw.states.get("sensor.pushed").state == "7"  # type: ignore[union-attr]
    await in_thread(sensor.schedule_update_state, True)
    await gw.async_block_till_done()
    assert gw.states.get("sensor.pushed").state == "refreshed"  # type: ignore[union-attr]
    await platform.async_remove_entity("sensor.pushed")
    assert sensor.hooks == ["added", "will_remove"]


async def test_failing_driver_marks_unavailable_until_a_call_succeeds(
    gw: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    class FlakySwitch(BlockingSwitch):
        fail = True

        def turn_on(self, **kwargs: Any) -> None:
            if self.fail:
                raise OSError("i2c bus error")
            super().turn_on(**kwargs)

    platform = await _platform(gw, "switch")
    switch = FlakySwitch("flaky")
    await platform.async_add_entities([switch])
    with pytest.raises(OSError, match="i2c bus error"):
        await gw.services.async_call("switch", "turn_on", {"entity_id": "switch.flaky"})
    assert gw.states.get("switch.flaky").state == "unavailable"  # type: ignore[union-attr]
    assert "FlakySwitch.turn_on failed (i2c bus error); marking unavailable" in caplog.text
    switch.fail = False
    await gw.services.async_call("switch", "turn_on", {"entity_id": "switch.flaky"})
    assert gw.states.get("switch.flaky").state == "ON"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("error", "traceback"),
    [
        (HardwareError("/dev/ttyUSB0: no such device"), None),
        (OSError("permission denied"), None),
        (vol.Invalid("pin 99 is not on this board"), None),
        (ImportError("no module named lgpio"), None),
        (TypeError("bug"), TypeError),
    ],
    ids=["driver_says_no", "os", "invalid", "driver_not_installed", "bug"],
)
async def test_a_failed_entity_setup_has_a_traceback_only_for_a_bug(
    gw: Gateway,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    error: Exception,
    traceback: type[Exception] | None,
) -> None:
    """Set-up failures are ERRORs (an entity is missing); the user's own are one line."""

    async def async_setup_platform(*_args: object) -> None:
        raise error

    async def import_platform(*_args: object) -> object:
        return SimpleNamespace(async_setup_platform=async_setup_platform)

    monkeypatch.setattr(entity_component, "async_import_platform", import_platform)
    component = EntityComponent(gw, "switch")
    entry = PlatformEntry(
        "switch", "boom", EntityConfig(platform="boom", name="Relay", id="relay"), "c.yaml:3"
    )
    await component.async_setup_entries([entry])
    records = [
        (r.levelno, r.exc_info[0] if r.exc_info else None)
        for r in caplog.records
        if r.name == entity_component.__name__
    ]
    assert records == [(logging.ERROR, traceback)]
    assert "c.yaml:3: setting up switch.relay (platform boom) failed" in caplog.text
    caplog.clear()
