"""End to end from a YAML config: a remote MQTT sensor above a threshold turns a GPIO relay on
(mock pins), and a delay on the gateway's fake clock turns it off again; the real broker
carries the sensor's reports and the relay's state."""

from __future__ import annotations

import json
from pathlib import Path

from gateway.bootstrap import async_setup_gateway
from gateway.clock import FakeClock
from gateway.config import load_config
from gateway.loader import resolve_platform_schema
from gateway.mqtt import get_data
from platforms.gpio import get_runtime
from tests.broker import Mosquitto
from tests.conftest import assert_stops_clean
from tests.fixtures_mqtt import MqttProbe
from tests.helpers import in_thread
from tests.mqtt.conftest import unique, wait_in_sync
from tests.mqtt_platform.conftest import StateWaiter, state_of

CONFIG = """\
gateway: {{node_id: greenhouse, state_dir: {state_dir}}}
mqtt: {{host: 127.0.0.1, port: {port}, client_id: {client_id}, base_topic: {base}, keepalive: 5}}
gpio: {{pin_factory: mock}}
sensor:
  - {{platform: mqtt, name: Greenhouse, state_topic: {remote}/zigbee2mqtt/greenhouse,
     value_json: "sensors[0].temperature", unit_of_measurement: "°C", expire_after: 900}}
switch:
  - {{platform: gpio, name: Fan relay, pin: 22, active_high: false, initial: "off"}}
automation:
  - id: fan_when_hot
    trigger: [{{platform: numeric_state, entity_id: sensor.greenhouse, above: 30}}]
    condition: [{{condition: state, entity_id: switch.fan_relay, state: "OFF"}}]
    action:
      - {{service: switch.turn_on, entity_id: switch.fan_relay}}
      - {{delay: 300}}
      - {{service: switch.turn_off, entity_id: switch.fan_relay}}
"""


def report(temperature: float) -> str:
    return json.dumps({"sensors": [{"temperature": temperature}], "battery": 90})


async def test_remote_sensor_drives_a_gpio_relay(
    tmp_path: Path, mqtt_broker: Mosquitto, probe: MqttProbe
) -> None:
    base, remote = unique("bg"), unique("remote")
    path = tmp_path / "boardgate.yaml"
    text = CONFIG.format(
        state_dir=tmp_path / "state",
        port=mqtt_broker.port,
        client_id=unique("bg-e2e"),
        base=base,
        remote=remote,
    )
    await in_thread(path.write_text, text)
    config = await in_thread(load_config, path, resolve_platform_schema)
    clock = FakeClock()
    gw = await async_setup_gateway(config, clock=clock)
    try:
        waiter = StateWaiter(gw)
        data = get_data(gw)
        await wait_in_sync(data.connection)
        driver = get_runtime(gw).driver
        assert driver is not None
        relay_pin = driver.factory.pin(22)
        relay_state = f"{data.node_base}/switch/fan_relay/state"
        greenhouse = f"{remote}/zigbee2mqtt/greenhouse"
        await probe.subscribe(f"{data.node_base}/#")
        await probe.wait_for_value(relay_state, "OFF")
        assert relay_pin.state == 1  # active low: high is off

        await probe.publish(greenhouse, report(24.0))
        await waiter.wait("sensor.greenhouse", "24.0")
        await probe.publish(greenhouse, report(31.5))
        await probe.wait_for_value(relay_state, "ON")
        assert relay_pin.state == 0
        await probe.wait_for_value(f"{data.node_base}/sensor/greenhouse/state", "31.5")

        clock.advance(299)
        await probe.publish(greenhouse, report(32.0))  # still above: no new trigger
        await waiter.wait("sensor.greenhouse", "32.0")
        assert state_of(gw, "switch.fan_relay").state == "ON"
        clock.advance(1)
        await probe.wait_for_value(relay_state, "OFF")
        assert relay_pin.state == 1
        assert probe.values(relay_state) == [b"OFF", b"ON", b"OFF"]
    finally:
        await probe.disconnect()  # its tasks would count as left over by the gateway
        await assert_stops_clean(gw)
