"""The mqtt trigger and the mqtt.publish action through `gateway.mqtt` and a real mosquitto."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gateway.automation import async_setup
from gateway.clock import FakeClock
from gateway.core import Gateway
from gateway.mqtt import async_get_stats
from tests.automation.conftest import ServiceLog, parse
from tests.broker import Mosquitto
from tests.fixtures_mqtt import MqttProbe
from tests.mqtt.conftest import mqtt_config, setup_mqtt, unique, wait_for_connection, wait_in_sync

ProbeFactory = Callable[..., Any]


async def test_mqtt_trigger_and_publish_through_the_broker(
    gw: Gateway, mqtt_broker: Mosquitto, mqtt_probe_factory: ProbeFactory
) -> None:
    data = await setup_mqtt(gw, mqtt_config(mqtt_broker.port))
    base = unique("auto")
    component = await async_setup(
        gw,
        parse(
            f"""
- id: echo
  mode: queued
  trigger: [{{platform: mqtt, topic: "{base}/+/action", payload: single}}]
  action:
    - {{service: mqtt.publish, data: {{topic: "{base}/reply", payload: got it, retain: false}}}}
"""
        ),
    )
    await wait_in_sync(data.connection)
    probe: MqttProbe = await mqtt_probe_factory(mqtt_broker.port)
    await probe.subscribe(f"{base}/reply")
    await probe.publish(f"{base}/hall/action", "double")
    await probe.publish(f"{base}/hall/action", "single")
    await probe.publish(f"{base}/porch/action", "single")
    await probe.wait_until(lambda: len(probe.values(f"{base}/reply")) == 2)
    await component.async_wait_idle()
    assert probe.values(f"{base}/reply") == [b"got it", b"got it"]
    state = gw.states.get("automation.echo")
    assert state is not None
    assert state.attributes["last_trigger"] == f"mqtt message on {base}/porch/action"


async def test_local_automations_run_while_the_broker_is_away(
    gw: Gateway,
    clock: FakeClock,
    private_broker_stopped: Mosquitto,
    mqtt_probe_factory: ProbeFactory,
    service_log: ServiceLog,
) -> None:
    """Triggers on the bus keep working offline; mqtt.publish follows the outbound queue."""
    broker = private_broker_stopped
    data = await setup_mqtt(gw, mqtt_config(broker.port))
    b = data.node_base
    component = await async_setup(
        gw,
        parse(
            f"""
- id: local
  mode: queued
  trigger: [{{platform: state, entity_id: binary_sensor.door, to: "ON"}}]
  action:
    - {{service: test.record, data: {{tag: local}}}}
    - {{service: mqtt.publish, data: {{topic: "{b}/door/opened", payload: "yes", retain: true}}}}
    - {{service: mqtt.publish, data: {{topic: "{b}/door/events", payload: open, retain: false}}}}
"""
        ),
    )
    await wait_for_connection(data.connection, lambda conn: conn.failures >= 1)
    gw.states.async_set("binary_sensor.door", "OFF")
    for _ in range(2):
        gw.states.async_set("binary_sensor.door", "ON")
        gw.states.async_set("binary_sensor.door", "OFF")
    await component.async_wait_idle()
    assert service_log.tags == ["local", "local"]
    stats = async_get_stats(gw)
    assert (stats.connected, stats.queued) == (False, 3)  # retained coalesced, events kept

    await broker.async_start()
    probe: MqttProbe = await mqtt_probe_factory(broker.port)
    await probe.subscribe(f"{b}/door/#")
    clock.advance(60)  # the reconnect backoff runs on the gateway's clock
    await wait_in_sync(data.connection)
    await probe.wait_until(lambda: len(probe.values(f"{b}/door/events")) == 2)
    assert probe.values(f"{b}/door/opened") == [b"yes"]
