"""The `boardgate` process against a real broker: LWT, clean stop, and a frozen process."""

from __future__ import annotations

import functools
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.broker import Mosquitto
from tests.fixtures_mqtt import MqttProbe
from tests.helpers import in_thread
from tests.process import GatewayProcess

from .conftest import unique

ProbeFactory = Callable[..., Any]
MakeProcess = Callable[..., GatewayProcess]
NODE_ID = "proc"
CONFIG = """
gateway: {{node_id: {node_id}, state_dir: {state_dir}}}
mqtt:
  host: 127.0.0.1
  port: {port}
  client_id: {client_id}
  base_topic: {base}
  keepalive: {keepalive}
  discovery: {{enabled: false}}
switch:
  - {{platform: virtual, name: Relay}}
light:
  - {{platform: virtual, name: Lamp}}
"""


@dataclass(frozen=True)
class Node:
    """The test's own gateway on the shared broker: its client id and topics."""

    base: str = field(default_factory=lambda: unique("bgproc"))
    client_id: str = field(default_factory=lambda: unique("bg-proc"))

    @property
    def node_base(self) -> str:
        return f"{self.base}/{NODE_ID}"


StartGateway = Callable[..., tuple[GatewayProcess, Node]]


@pytest.fixture
def start_gateway(
    gateway_processes: MakeProcess, mqtt_broker: Mosquitto, tmp_path: Path
) -> StartGateway:
    """`start(keepalive=30)` writes the config and starts the process; it blocks, so tests
    call it in a thread."""

    def start(keepalive: int = 30) -> tuple[GatewayProcess, Node]:
        node = Node()
        config = CONFIG.format(
            node_id=NODE_ID, state_dir=tmp_path / "state", port=mqtt_broker.port,
            keepalive=keepalive, client_id=node.client_id, base=node.base,
        )  # fmt: skip
        process = gateway_processes(config)
        process.start()
        return process, node

    return start


async def _online_probe(make: ProbeFactory, broker: Mosquitto, node: Node) -> MqttProbe:
    """A probe that has seen the gateway come up with both entities.

    An entity's state is published only once its command topics are subscribed.
    """
    probe: MqttProbe = await make(broker.port)
    b = node.node_base
    await probe.subscribe(f"{b}/#")
    await probe.wait_for_value(f"{b}/status", "online")
    await probe.wait_for_value(f"{b}/switch/relay/state", "OFF")
    await probe.wait_for_value(f"{b}/light/lamp/state", '{"state":"OFF"}')
    return probe


async def test_lwt_offline_when_the_process_is_killed(
    mqtt_broker: Mosquitto, start_gateway: StartGateway, mqtt_probe_factory: ProbeFactory
) -> None:
    process, node = await in_thread(start_gateway)
    probe = await _online_probe(mqtt_probe_factory, mqtt_broker, node)
    process.send(signal.SIGKILL)
    await probe.wait_for_value(f"{node.node_base}/status", "offline")
    assert await in_thread(process.wait) == -signal.SIGKILL


async def test_sigterm_publishes_offline_and_exits_zero(
    mqtt_broker: Mosquitto, start_gateway: StartGateway, mqtt_probe_factory: ProbeFactory
) -> None:
    process, node = await in_thread(start_gateway)
    probe = await _online_probe(mqtt_probe_factory, mqtt_broker, node)
    # MQTT is up before the runner installs its signal handlers; wait for those.
    await in_thread(process.wait_for_output, "Boardgate running")
    await probe.publish(f"{node.node_base}/switch/relay/set", "ON")
    await probe.wait_for_value(f"{node.node_base}/switch/relay/state", "ON")
    process.send(signal.SIGTERM)
    await probe.wait_for_value(f"{node.node_base}/status", "offline")
    assert await in_thread(process.wait) == 0, await in_thread(process.output)
    log = await in_thread(mqtt_broker.log)
    assert f"Client {node.client_id} disconnected." in log


async def test_commands_sent_while_the_process_is_frozen_are_delivered(
    mqtt_broker: Mosquitto, start_gateway: StartGateway, mqtt_probe_factory: ProbeFactory
) -> None:
    """SIGSTOP past the keepalive: the broker drops the gateway (its LWT says offline) and
    keeps QoS 1 commands in its session; after SIGCONT the gateway reconnects and acts."""
    process, node = await in_thread(functools.partial(start_gateway, keepalive=5))
    probe = await _online_probe(mqtt_probe_factory, mqtt_broker, node)
    b = node.node_base
    process.send(signal.SIGSTOP)
    try:
        await probe.publish(f"{b}/light/lamp/set", '{"state": "ON", "brightness": 10}')
        await probe.wait_for_value(f"{b}/status", "offline")  # keepalive expired: LWT
        await probe.publish(f"{b}/switch/relay/set", "ON")
        await probe.publish(f"{b}/light/lamp/set", '{"brightness": 42}')
    finally:
        process.send(signal.SIGCONT)
    await probe.wait_for_value(f"{b}/status", "online")
    await probe.wait_for_value(f"{b}/switch/relay/state", "ON")
    # The first command (brightness 10) may be applied while the gateway is still on its dead
    # connection; its state then coalesces with the later one, as the contract allows, so only
    # the final state is certain to be published.
    await probe.wait_for_value(f"{b}/light/lamp/state", '{"state":"ON","brightness":42}')
