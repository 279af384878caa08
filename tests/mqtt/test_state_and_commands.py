"""Entity state publishing and commands, end to end through a real mosquitto."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import aiomqtt
import pytest
import voluptuous as vol

from gateway.clock import FakeClock
from gateway.core import Gateway
from gateway.exceptions import ServiceNotFound
from gateway.mqtt import MqttData, async_entity_topics
from hardware.gpio.board import PinNotOnBoard
from tests.broker import Mosquitto
from tests.fixtures_mqtt import MqttProbe

from .conftest import mqtt_config, setup_mqtt, wait_in_sync
from .entities import (
    MemoryBinarySensor,
    MemoryButton,
    MemoryLight,
    MemorySensor,
    MemorySwitch,
    add_entities,
)

ProbeFactory = Callable[..., Any]


async def _connected_probe(
    make: ProbeFactory, broker: Mosquitto, data: MqttData, **kwargs: Any
) -> MqttProbe:
    probe: MqttProbe = await make(broker.port, **kwargs)
    await probe.subscribe(f"{data.node_base}/#")
    return probe


async def test_states_are_published_retained(
    real_gw: Gateway, mqtt_broker: Mosquitto, mqtt_probe_factory: ProbeFactory
) -> None:
    data = await setup_mqtt(real_gw, mqtt_config(mqtt_broker.port))
    sensor = MemorySensor("temperature", 21.5)
    await add_entities(
        real_gw,
        MemorySwitch("relay", is_on=True),
        MemoryBinarySensor("door"),
        sensor,
        MemoryLight("strip"),
        MemoryButton("gate"),
    )
    await wait_in_sync(data.connection)
    # A probe that connects afterwards sees the retained values.
    probe = await _connected_probe(mqtt_probe_factory, mqtt_broker, data)
    b = data.node_base
    await probe.wait_for_value(f"{b}/status", "online")
    await probe.wait_for_value(f"{b}/switch/relay/state", "ON")
    await probe.wait_for_value(f"{b}/binary_sensor/door/state", "OFF")
    await probe.wait_for_value(f"{b}/sensor/temperature/state", "21.5")
    await probe.wait_for_value(f"{b}/light/strip/state", '{"state":"OFF"}')
    await probe.wait_for_value(f"{b}/button/gate/availability", "online")
    await probe.wait_for_value(f"{b}/sensor/temperature/attributes", '{"unit_of_measurement":"°C"}')
    assert f"{b}/button/gate/state" not in probe.latest
    assert all(message.retain for message in probe.messages)

    sensor.set(22.0)
    await probe.wait_for_value(f"{b}/sensor/temperature/state", "22.0")
    sensor.set(None, available=False)
    await probe.wait_for_value(f"{b}/sensor/temperature/availability", "offline")
    assert probe.latest[f"{b}/sensor/temperature/state"] == b"22.0"  # not rewritten
    sensor.set(23.5)
    await probe.wait_for_value(f"{b}/sensor/temperature/availability", "online")
    await probe.wait_for_value(f"{b}/sensor/temperature/state", "23.5")
    assert async_entity_topics(real_gw, "sensor.temperature").base == f"{b}/sensor/temperature"


async def test_removed_entity_topics_are_cleared(
    real_gw: Gateway, mqtt_broker: Mosquitto, mqtt_probe_factory: ProbeFactory
) -> None:
    data = await setup_mqtt(real_gw, mqtt_config(mqtt_broker.port))
    switch = MemorySwitch("temporary", is_on=True)
    await add_entities(real_gw, switch)
    await wait_in_sync(data.connection)
    probe = await _connected_probe(mqtt_probe_factory, mqtt_broker, data)
    state_topic = f"{data.node_base}/switch/temporary/state"
    await probe.wait_for_value(state_topic, "ON")
    assert switch.platform is not None
    await switch.platform.async_remove_entity(switch.entity_id)
    await probe.wait_for_value(state_topic, b"")
    await wait_in_sync(data.connection)
    assert not [f for f in data.connection.async_filters() if "temporary" in f]


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
async def test_commands_round_trip(
    real_gw: Gateway, mqtt_broker: Mosquitto, mqtt_probe_factory: ProbeFactory, protocol: str
) -> None:
    """A command reaches the entity, and the state topic then shows the entity's state."""
    data = await setup_mqtt(real_gw, mqtt_config(mqtt_broker.port, protocol=protocol))
    switch, light, button = MemorySwitch("relay"), MemoryLight("strip"), MemoryButton("gate")
    await add_entities(real_gw, switch, light, button)
    await wait_in_sync(data.connection)
    probe = await _connected_probe(mqtt_probe_factory, mqtt_broker, data)
    b = data.node_base

    await probe.publish(f"{b}/switch/relay/set", "on")
    await probe.wait_for_value(f"{b}/switch/relay/state", "ON")
    await probe.publish(f"{b}/switch/relay/set", '{"state": "TOGGLE"}')
    await probe.wait_for_value(f"{b}/switch/relay/state", "OFF")
    assert switch.calls == [("turn_on", {}), ("turn_off", {})]

    await probe.publish(f"{b}/light/strip/set", '{"state": "ON", "brightness": 77}')
    await probe.wait_for_value(f"{b}/light/strip/state", '{"state":"ON","brightness":77}')
    await probe.publish(f"{b}/light/strip/set", '{"state": "OFF", "transition": 2}')
    await probe.wait_for_value(f"{b}/light/strip/state", '{"state":"OFF"}')
    assert light.calls == [("turn_on", {"brightness": 77}), ("turn_off", {"transition": 2.0})]

    await probe.publish(f"{b}/button/gate/set", "PRESS")
    await probe.wait_until(lambda: button.presses == 1, what="button pressed")

    before = len(probe.values(f"{b}/switch/relay/state"))
    await probe.publish(f"{b}/switch/relay/get", "")
    await probe.wait_until(lambda: len(probe.values(f"{b}/switch/relay/state")) > before)
    assert probe.values(f"{b}/switch/relay/state")[-1] == b"OFF"


async def test_command_with_for_reverts_on_the_gateway_clock(
    gw: Gateway, clock: FakeClock, mqtt_broker: Mosquitto, mqtt_probe_factory: ProbeFactory
) -> None:
    data = await setup_mqtt(gw, mqtt_config(mqtt_broker.port))
    await add_entities(gw, MemorySwitch("pump"))
    await wait_in_sync(data.connection)
    probe = await _connected_probe(mqtt_probe_factory, mqtt_broker, data)
    state_topic = f"{data.node_base}/switch/pump/state"
    await probe.publish(f"{data.node_base}/switch/pump/set", '{"state": "ON", "for": 2.5}')
    await probe.wait_for_value(state_topic, "ON")
    clock.advance(2.5)
    await probe.wait_for_value(state_topic, "OFF")
    assert probe.values(state_topic) == [b"OFF", b"ON", b"OFF"]


async def test_commands_for_one_entity_run_in_order(
    real_gw: Gateway, mqtt_broker: Mosquitto, mqtt_probe_factory: ProbeFactory
) -> None:
    data = await setup_mqtt(real_gw, mqtt_config(mqtt_broker.port))
    light = MemoryLight("dimmer")
    await add_entities(real_gw, light)
    await wait_in_sync(data.connection)
    probe = await _connected_probe(mqtt_probe_factory, mqtt_broker, data)
    topic = f"{data.node_base}/light/dimmer/set"
    for level in range(1, 101):
        await probe.client.publish(topic, f'{{"brightness": {level}}}', qos=1)
    await probe.wait_for_value(
        f"{data.node_base}/light/dimmer/state", '{"state":"ON","brightness":100}'
    )
    assert [kwargs["brightness"] for _, kwargs in light.calls] == list(range(1, 101))


async def test_retained_commands_are_refused(
    real_gw: Gateway,
    mqtt_broker: Mosquitto,
    mqtt_probe_factory: ProbeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Neither a retained command waiting on the broker nor a live retained one acts."""
    config = mqtt_config(mqtt_broker.port)
    b = f"{config.base_topic}/node"
    probe: MqttProbe = await mqtt_probe_factory(mqtt_broker.port)
    await probe.subscribe(f"{b}/#")
    await probe.publish(f"{b}/switch/relay/set", "ON", retain=True)
    data = await setup_mqtt(real_gw, config)
    switch = MemorySwitch("relay")
    await add_entities(real_gw, switch)
    await wait_in_sync(data.connection)
    await probe.publish(f"{b}/switch/relay/set", "TOGGLE", retain=True)
    await probe.publish(f"{b}/switch/relay/get", "")  # handled after both retained ones
    await probe.wait_until(lambda: len(probe.values(f"{b}/switch/relay/state")) >= 2)
    assert switch.calls == []
    assert probe.latest[f"{b}/switch/relay/state"] == b"OFF"
    refusals = [r for r in caplog.records if "Ignoring retained command" in r.getMessage()]
    assert len(refusals) == 1  # logged once per topic
    await probe.publish(f"{b}/switch/relay/set", "", retain=True)  # clear it


async def test_retained_command_refused_with_mqtt_311(
    real_gw: Gateway, mqtt_broker: Mosquitto, mqtt_probe_factory: ProbeFactory
) -> None:
    """MQTT 3.1.1 keeps the retain flag only on messages sent at subscribe time."""
    config = mqtt_config(mqtt_broker.port, protocol="3.1.1")
    b = f"{config.base_topic}/node"
    probe: MqttProbe = await mqtt_probe_factory(
        mqtt_broker.port, protocol=aiomqtt.ProtocolVersion.V311
    )
    await probe.subscribe(f"{b}/#")
    await probe.publish(f"{b}/switch/relay/set", "ON", retain=True)
    data = await setup_mqtt(real_gw, config)
    switch = MemorySwitch("relay")
    await add_entities(real_gw, switch)
    await wait_in_sync(data.connection)
    await probe.publish(f"{b}/switch/relay/get", "")
    await probe.wait_until(lambda: len(probe.values(f"{b}/switch/relay/state")) >= 2)
    assert switch.calls == []
    await probe.publish(f"{b}/switch/relay/set", "", retain=True)


async def test_malformed_commands_change_nothing_and_are_rate_limited(
    gw: Gateway,
    clock: FakeClock,
    mqtt_broker: Mosquitto,
    mqtt_probe_factory: ProbeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    data = await setup_mqtt(gw, mqtt_config(mqtt_broker.port))
    switch, light = MemorySwitch("relay"), MemoryLight("strip")
    await add_entities(gw, switch, light)
    await wait_in_sync(data.connection)
    probe = await _connected_probe(mqtt_probe_factory, mqtt_broker, data)
    b = data.node_base
    nasty = [
        b"",
        b"FOO",
        b"\xff\xfe\x00",
        b"{" * 5000,
        b"[" * 100_000,
        b'{"state": "ON", "for": -1}',
        b'{"state": "ON", "brightness": 1e999}',
        bytes(range(256)) * 400,
    ]

    async def send_all_then_sync() -> None:
        for payload in nasty:
            await probe.publish(f"{b}/switch/relay/set", payload)
            await probe.publish(f"{b}/light/strip/set", payload)
        before = len(probe.values(f"{b}/switch/relay/state"))
        await probe.publish(f"{b}/switch/relay/get", "")  # processed after all of the above
        await probe.wait_until(lambda: len(probe.values(f"{b}/switch/relay/state")) > before)

    def malformed_logs() -> list[str]:
        # By logger too: asyncio's slow-callback warning names this test, "malformed" included.
        return [
            r.getMessage()
            for r in caplog.records
            if r.name == "gateway.mqtt.commands" and "malformed" in r.getMessage()
        ]

    await send_all_then_sync()
    assert switch.calls == light.calls == []
    logs = malformed_logs()
    assert len(logs) == 2  # once per entity, not once per message
    assert "ON, OFF or TOGGLE" in logs[0]
    assert '"brightness": 0-255' in logs[1]

    clock.advance(30)
    await send_all_then_sync()
    assert len(malformed_logs()) == 2
    clock.advance(31)
    await send_all_then_sync()
    assert len(malformed_logs()) == 4
    assert data.connection.async_stats().reconnects == 0  # the connection never broke
    await probe.publish(f"{b}/switch/relay/set", "ON")
    await probe.wait_for_value(f"{b}/switch/relay/state", "ON")
    assert caplog.get_records("call")
    caplog.set_level(logging.INFO)


async def test_an_entity_takes_commands_once_its_state_is_seen(
    real_gw: Gateway, mqtt_broker: Mosquitto, mqtt_probe_factory: ProbeFactory
) -> None:
    """Entities added while connected: their command topics are subscribed before their
    state is published, so a client reacting to the state is never ignored."""
    data = await setup_mqtt(real_gw, mqtt_config(mqtt_broker.port))
    await wait_in_sync(data.connection)
    probe = await _connected_probe(mqtt_probe_factory, mqtt_broker, data)
    b = data.node_base
    for number in range(20):
        switch = MemorySwitch(f"late_{number}")
        await add_entities(real_gw, switch)
        await probe.wait_for_value(f"{b}/switch/late_{number}/state", "OFF")
        await probe.publish(f"{b}/switch/late_{number}/set", "ON")
        await probe.wait_for_value(f"{b}/switch/late_{number}/state", "ON")


class FailingSwitch(MemorySwitch):
    """A driver that fails on the first `turn_on`."""

    failed = False

    async def async_turn_on(self, **kwargs: Any) -> None:
        if not self.failed:
            self.failed = True
            raise OSError("relay board not answering")
        await super().async_turn_on(**kwargs)


async def test_a_failing_command_is_logged_and_the_next_one_runs(
    real_gw: Gateway,
    mqtt_broker: Mosquitto,
    mqtt_probe_factory: ProbeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    data = await setup_mqtt(real_gw, mqtt_config(mqtt_broker.port))
    switch = FailingSwitch("flaky")
    await add_entities(real_gw, switch)
    await wait_in_sync(data.connection)
    probe = await _connected_probe(mqtt_probe_factory, mqtt_broker, data)
    b = data.node_base
    await probe.publish(f"{b}/switch/flaky/set", "ON")
    await probe.publish(f"{b}/switch/flaky/set", "ON")
    await probe.wait_for_value(f"{b}/switch/flaky/state", "ON")
    failures = [r.getMessage() for r in caplog.records if "failed" in r.getMessage()]
    assert len(failures) == 1
    assert "relay board not answering" in failures[0]


class RaisingSwitch(MemorySwitch):
    """A switch whose service raises `error` on every `turn_on`."""

    def __init__(self, object_id: str, error: Exception) -> None:
        super().__init__(object_id)
        self._error = error

    async def async_turn_on(self, **kwargs: Any) -> None:
        raise self._error


async def _command_failure_records(
    gw: Gateway,
    broker: Mosquitto,
    make_probe: ProbeFactory,
    caplog: pytest.LogCaptureFixture,
    error: Exception,
) -> list[logging.LogRecord]:
    """The log records of one `ON` command whose service raises `error`."""
    data = await setup_mqtt(gw, mqtt_config(broker.port))
    await add_entities(gw, RaisingSwitch("raising", error), MemorySwitch("after"))
    await wait_in_sync(data.connection)
    probe = await _connected_probe(make_probe, broker, data)
    b = data.node_base
    await probe.publish(f"{b}/switch/raising/set", "ON")
    # Commands of one client arrive in order: once `after` is ON, `raising` has failed.
    await probe.publish(f"{b}/switch/after/set", "ON")
    await probe.wait_for_value(f"{b}/switch/after/state", "ON")
    await gw.async_block_till_done()
    return [r for r in caplog.get_records("call") if r.name == "gateway.mqtt.commands"]


async def test_a_bug_in_a_service_is_logged_as_error_with_traceback(
    real_gw: Gateway,
    mqtt_broker: Mosquitto,
    mqtt_probe_factory: ProbeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    records = await _command_failure_records(
        real_gw, mqtt_broker, mqtt_probe_factory, caplog, TypeError("unexpected keyword 'x'")
    )
    assert [r.levelno for r in records] == [logging.ERROR]
    assert records[0].exc_info is not None
    assert records[0].exc_info[0] is TypeError
    # What the autouse guard reads: this error would fail the test if it were not cleared.
    assert any(r.levelno >= logging.ERROR for r in caplog.get_records("call"))
    caplog.clear()


@pytest.mark.parametrize(
    "error",
    [
        vol.Invalid("expected float for dictionary value @ data['for']"),
        PinNotOnBoard("GPIO99 is not a pin of this board"),
        ServiceNotFound("switch", "turn_on"),
        TimeoutError(),
        OSError("relay board not answering"),
    ],
    ids=["invalid", "pin_not_on_board", "service_not_found", "driver_timeout", "driver_io"],
)
async def test_a_user_error_in_a_command_is_one_warning_line(
    real_gw: Gateway,
    mqtt_broker: Mosquitto,
    mqtt_probe_factory: ProbeFactory,
    caplog: pytest.LogCaptureFixture,
    error: Exception,
) -> None:
    records = await _command_failure_records(
        real_gw, mqtt_broker, mqtt_probe_factory, caplog, error
    )
    assert [r.levelno for r in records] == [logging.WARNING]
    assert records[0].exc_info is None
    assert "switch.turn_on" in records[0].getMessage()


async def test_commands_are_refused_once_the_gateway_is_stopping(
    real_gw: Gateway,
    mqtt_broker: Mosquitto,
    mqtt_probe_factory: ProbeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Outputs go to `on_stop` at gateway_stop: a late command must not switch them again."""
    from gateway.const import EVENT_GATEWAY_STOP
    from gateway.mqtt.models import ReceiveMessage

    data = await setup_mqtt(real_gw, mqtt_config(mqtt_broker.port))
    await add_entities(real_gw, MemorySwitch("relay"))
    await wait_in_sync(data.connection)
    real_gw.bus.async_fire(EVENT_GATEWAY_STOP)
    topic = f"{data.node_base}/switch/relay/set"
    for _ in range(3):
        message = ReceiveMessage(topic, b"ON", 1, False)
        data.commands._async_on_set("switch.relay", "switch", message)
    await real_gw.async_block_till_done()
    assert real_gw.states.get("switch.relay").state == "OFF"  # type: ignore[union-attr]
    # Not one line per command: a flood would flood the log. (Only the command router's lines:
    # asyncio's slow-callback warning under load names this test, "stopping" included.)
    router = [r.getMessage() for r in caplog.records if r.name == "gateway.mqtt.commands"]
    assert not [line for line in router if "stopping" in line]
    data.commands._async_log_ignored()  # at gateway_close
    lines = [r.getMessage() for r in caplog.records if "while stopping" in r.getMessage()]
    assert lines == ["Ignored 3 commands that arrived while stopping"]
