"""The `boardgate` process with both conventions: what a SIGKILL and a clean stop leave."""

from __future__ import annotations

import json
import signal
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pysparkplug as spb

from tests.broker import Mosquitto
from tests.fixtures_mqtt import MqttProbe
from tests.helpers import in_thread
from tests.process import GatewayProcess

CONFIG = """
gateway: {{node_id: node_{tag}, state_dir: {state_dir}}}
mqtt: {{port: {port}, client_id: bg-{tag}, base_topic: bg-{tag}, keepalive: 30, discovery: false}}
homie: {{prefix: homie-{tag}}}
sparkplug: {{group_id: plant-{tag}, edge_node_id: edge-{tag}}}
switch:
  - {{platform: virtual, name: Relay}}
sensor:
  - {{platform: virtual, name: Tank, value: 42, unit_of_measurement: L}}
  - {{platform: virtual, name: Mode, value: eco}}
"""


async def start(
    gateway_processes: Callable[..., GatewayProcess],
    mqtt_broker: Mosquitto,
    mqtt_probe_factory: Callable[..., Any],
    tmp_path: Path,
) -> tuple[GatewayProcess, MqttProbe, str]:
    tag = uuid.uuid4().hex[:8]
    config = CONFIG.format(tag=tag, port=mqtt_broker.port, state_dir=tmp_path / "state")
    process = await in_thread(gateway_processes, config)
    probe: MqttProbe = await mqtt_probe_factory(mqtt_broker.port)
    await probe.subscribe(f"homie-{tag}/#")
    await probe.subscribe(f"spBv1.0/plant-{tag}/#")
    await in_thread(process.start)
    await probe.wait_for_value(f"homie-{tag}/5/node-{tag}/$state", b"ready")
    await probe.wait_until(lambda: bool(probe.values(f"spBv1.0/plant-{tag}/NBIRTH/edge-{tag}")))
    return process, probe, tag


def bd_seq(birth: spb.NBirth) -> Any:
    return next(metric.value for metric in birth.metrics if metric.name == "bdSeq")


async def test_sigkill_leaves_lost_and_the_matching_ndeath(
    gateway_processes: Callable[..., GatewayProcess],
    mqtt_broker: Mosquitto,
    mqtt_probe_factory: Callable[..., Any],
    tmp_path: Path,
) -> None:
    process, probe, tag = await start(gateway_processes, mqtt_broker, mqtt_probe_factory, tmp_path)
    birth = spb.NBirth.decode(probe.values(f"spBv1.0/plant-{tag}/NBIRTH/edge-{tag}")[-1])
    process.send(signal.SIGKILL)
    assert await in_thread(process.wait) == -signal.SIGKILL
    await probe.wait_for_value(f"homie-{tag}/5/node-{tag}/$state", b"lost")
    death_topic = f"spBv1.0/plant-{tag}/NDEATH/edge-{tag}"
    await probe.wait_until(lambda: bool(probe.values(death_topic)))
    (raw,) = probe.values(death_topic)
    death = spb.NDeath.decode(raw)
    assert death.bd_seq_metric.value == bd_seq(birth)
    assert death.bd_seq_metric.datatype == spb.DataType.INT64
    # A restart begins a session with the next bdSeq (kept in state_dir).
    await in_thread(process.start)
    await probe.wait_until(lambda: len(probe.values(f"spBv1.0/plant-{tag}/NBIRTH/edge-{tag}")) >= 2)
    again = spb.NBirth.decode(probe.values(f"spBv1.0/plant-{tag}/NBIRTH/edge-{tag}")[-1])
    assert bd_seq(again) == bd_seq(birth) + 1
    await probe.wait_for_value(f"homie-{tag}/5/node-{tag}/$state", b"ready")
    assert await in_thread(process.stop) == 0


async def test_clean_stop_says_disconnected_and_ndeath(
    gateway_processes: Callable[..., GatewayProcess],
    mqtt_broker: Mosquitto,
    mqtt_probe_factory: Callable[..., Any],
    tmp_path: Path,
) -> None:
    process, probe, tag = await start(gateway_processes, mqtt_broker, mqtt_probe_factory, tmp_path)
    birth = spb.NBirth.decode(probe.values(f"spBv1.0/plant-{tag}/NBIRTH/edge-{tag}")[-1])
    assert await in_thread(process.stop) == 0
    await probe.wait_for_value(f"homie-{tag}/5/node-{tag}/$state", b"disconnected")
    death_topic = f"spBv1.0/plant-{tag}/NDEATH/edge-{tag}"
    await probe.wait_until(lambda: bool(probe.values(death_topic)))
    assert spb.NDeath.decode(probe.values(death_topic)[0]).bd_seq_metric.value == bd_seq(birth)
    states = probe.values(f"homie-{tag}/5/node-{tag}/$state")
    assert b"lost" not in states  # a clean DISCONNECT: the will is not sent


async def test_restart_keeps_the_version_and_clears_nodes_removed_meanwhile(
    gateway_processes: Callable[..., GatewayProcess],
    mqtt_broker: Mosquitto,
    mqtt_probe_factory: Callable[..., Any],
    tmp_path: Path,
) -> None:
    process, probe, tag = await start(gateway_processes, mqtt_broker, mqtt_probe_factory, tmp_path)
    b = f"homie-{tag}/5/node-{tag}"
    version = json.loads(probe.latest[f"{b}/$description"])["version"]
    assert await in_thread(process.stop) == 0
    await in_thread(process.start)  # the same entities: the same version
    await probe.wait_until(lambda: probe.values(f"{b}/$state").count(b"ready") >= 2)
    assert json.loads(probe.latest[f"{b}/$description"])["version"] == version
    assert await in_thread(process.stop) == 0
    text = await in_thread(process.config_path.read_text)
    without_mode = text.replace("  - {platform: virtual, name: Mode, value: eco}\n", "")
    await in_thread(process.config_path.write_text, without_mode)
    await in_thread(process.start)
    await probe.wait_for_value(f"{b}/sensor-mode/value", b"")
    await probe.wait_until(lambda: probe.values(f"{b}/$state").count(b"ready") >= 3)
    assert json.loads(probe.latest[f"{b}/$description"])["version"] == version + 1
    fresh: MqttProbe = await mqtt_probe_factory(mqtt_broker.port)  # a controller arriving now
    await fresh.subscribe(f"{b}/#")
    await fresh.publish(f"{b}/test-marker", "x")  # after every retained message, in order
    await fresh.wait_until(lambda: f"{b}/test-marker" in fresh.latest)
    assert fresh.latest[f"{b}/sensor-tank/value"] == b"42"
    assert f"{b}/sensor-mode/value" not in fresh.latest
    assert "sensor-mode" not in json.loads(fresh.latest[f"{b}/$description"])["nodes"]
    assert await in_thread(process.stop) == 0


async def test_removing_the_section_removes_the_device(
    gateway_processes: Callable[..., GatewayProcess],
    mqtt_broker: Mosquitto,
    mqtt_probe_factory: Callable[..., Any],
    tmp_path: Path,
) -> None:
    process, probe, tag = await start(gateway_processes, mqtt_broker, mqtt_probe_factory, tmp_path)
    b = f"homie-{tag}/5/node-{tag}"
    assert await in_thread(process.stop) == 0
    seen = len(probe.messages)
    text = await in_thread(process.config_path.read_text)
    await in_thread(
        process.config_path.write_text, text.replace(f"homie: {{prefix: homie-{tag}}}\n", "")
    )
    await in_thread(process.start)
    await probe.wait_for_value(f"{b}/switch-relay/state", b"")  # the last one cleared
    cleared = [m.topic.value for m in probe.messages[seen:] if m.topic.value.startswith(b)]
    assert cleared[0] == f"{b}/$state"  # the device ceases to exist first
    assert set(cleared) >= {f"{b}/$description", f"{b}/switch-relay/state"}
    assert all(m.payload == b"" for m in probe.messages[seen:] if m.topic.value.startswith(b))
    fresh: MqttProbe = await mqtt_probe_factory(mqtt_broker.port)
    await fresh.subscribe(f"homie-{tag}/#")
    await fresh.publish(f"homie-{tag}/test-marker", "x")
    await fresh.wait_until(lambda: f"homie-{tag}/test-marker" in fresh.latest)
    assert set(fresh.latest) == {f"homie-{tag}/test-marker"}  # nothing retained is left
    await in_thread(process.wait_for_output, "Removed the Homie device")
    assert not await in_thread((tmp_path / "state" / "homie.json").exists)
    assert await in_thread(process.stop) == 0
