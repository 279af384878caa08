"""Fault 8: a driver that hangs forever and one that raises, next to healthy entities.

The hung call times out (the executor timeout), its entity becomes unavailable and
`bridge/health` counts it; meanwhile, and afterwards, other entities keep being served; the
gateway still stops within 5 s with the driver thread stuck.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from gateway.core import CoreState, Gateway
from gateway.domains.switch import SwitchEntity
from gateway.mqtt.publishers import bridge_api
from tests.broker import Mosquitto
from tests.fixtures_mqtt import MqttProbe
from tests.mqtt.conftest import core_config, mqtt_config, setup_mqtt, wait_in_sync
from tests.mqtt.entities import MemorySwitch, add_entities

from .conftest import figure

EXECUTOR_TIMEOUT = 0.3
STOP_LIMIT = 5.0


class HungSwitch(SwitchEntity):
    """A blocking driver whose calls never return (until the test lets them go)."""

    def __init__(self, object_id: str, release: threading.Event) -> None:
        self.entity_id = f"switch.{object_id}"
        self._attr_name = object_id
        self._attr_is_on = False
        self._release = release

    def turn_on(self, **kwargs: Any) -> None:
        self._release.wait()

    def turn_off(self, **kwargs: Any) -> None:
        self._release.wait()


class FailingSwitch(SwitchEntity):
    """A blocking driver that raises on every call (an I/O error on the bus, say)."""

    def __init__(self, object_id: str) -> None:
        self.entity_id = f"switch.{object_id}"
        self._attr_name = object_id
        self._attr_is_on = False

    def turn_on(self, **kwargs: Any) -> None:
        raise OSError("driver exploded")

    def turn_off(self, **kwargs: Any) -> None:
        raise OSError("driver exploded")


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """Lets the hung driver thread go at the very end (the leak check joins it)."""
    event = threading.Event()
    yield event
    event.set()


async def _health(probe: MqttProbe, base: str, transaction: str) -> dict[str, Any]:
    await probe.publish(f"{base}/bridge/request/health", json.dumps({"transaction": transaction}))
    topic = f"{base}/bridge/response/health"
    await probe.wait_until(
        lambda: json.loads(probe.latest.get(topic, b"{}")).get("transaction") == transaction,
        what="health response",
    )
    response = json.loads(probe.latest[topic])
    assert response["status"] == "ok", response
    data: dict[str, Any] = response["data"]
    return data


async def test_hung_and_failing_drivers_do_not_stall_the_gateway(
    real_gw: Gateway,
    mqtt_broker: Mosquitto,
    mqtt_probe_factory: Callable[..., Any],
    release: threading.Event,
    caplog: pytest.LogCaptureFixture,
) -> None:
    gw = real_gw
    gw.executor_timeout = EXECUTOR_TIMEOUT
    data = await setup_mqtt(gw, mqtt_config(mqtt_broker.port))
    await bridge_api.async_setup(gw, core_config())
    healthy = MemorySwitch("healthy")
    await add_entities(gw, HungSwitch("hung", release), FailingSwitch("failing"), healthy)
    await wait_in_sync(data.connection)
    base = data.node_base
    probe: MqttProbe = await mqtt_probe_factory(mqtt_broker.port)
    await probe.subscribe(f"{base}/#")
    await probe.wait_for_value(f"{base}/switch/healthy/state", "OFF")

    await probe.publish(f"{base}/switch/hung/set", "ON")
    await probe.publish(f"{base}/switch/failing/set", "ON")
    started = time.monotonic()
    await probe.publish(f"{base}/switch/healthy/set", "ON")
    await probe.wait_for_value(f"{base}/switch/healthy/state", "ON")
    served_in = time.monotonic() - started
    assert served_in < EXECUTOR_TIMEOUT  # served while the hung call was still pending

    await probe.wait_for_value(f"{base}/switch/hung/availability", "offline")
    await probe.wait_for_value(f"{base}/switch/failing/availability", "offline")
    health = await _health(probe, base, "t1")
    assert health["entities"] == {"total": 3, "unavailable": 2}  # hung and failing
    assert health["executor"]["busy"] >= 1  # the hung thread is visible too
    await probe.publish(f"{base}/switch/healthy/set", "OFF")  # still served afterwards
    await probe.wait_for_value(f"{base}/switch/healthy/state", "OFF")
    failing = gw.states.get("switch.failing")
    assert failing is not None
    assert failing.state == "unavailable"  # a raising driver, like a hung one
    assert [name for name, _ in healthy.calls] == ["turn_on", "turn_off"]

    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, errors
    assert "switch.hung: driver call" in errors[0]
    assert any("driver exploded" in r.getMessage() for r in caplog.records)
    caplog.clear()

    started = time.monotonic()
    await gw.async_stop()
    stop_seconds = time.monotonic() - started
    assert gw.state is CoreState.STOPPED
    assert stop_seconds < STOP_LIMIT
    assert not release.is_set()  # it stopped with the driver thread still stuck
    figure(
        "8. hung + raising driver",
        f"healthy entity served in {served_in * 1000:.1f} ms during the hang; "
        f"health entities {health['entities']}; stop took {stop_seconds:.2f} s "
        "with the driver thread stuck",
    )


async def test_failing_driver_makes_its_entity_unavailable(
    real_gw: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    failing = FailingSwitch("failing")
    await add_entities(real_gw, failing)
    with contextlib.suppress(OSError):
        await real_gw.services.async_call("switch", "turn_on", {"entity_id": "switch.failing"})
    caplog.clear()
    state = real_gw.states.get("switch.failing")
    assert state is not None
    assert state.state == "unavailable"
