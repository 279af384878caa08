"""Issue 12.1: `online` means ready, through the `boardgate` process, 50 starts in a row.

A client that has seen `<b>/status` = `online` at once commands a GPIO switch (mock pins),
presses a GPIO button (an automation reports the press) and asks `bridge/request/health`:
everything must be obeyed or answered, in every start. States come before `online`,
discovery after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gateway.config.model import CoreConfig, DiscoveryConfig
from gateway.core import Gateway
from gateway.mqtt.publishers import ha_discovery
from tests.broker import Mosquitto
from tests.fixtures_mqtt import MqttProbe
from tests.helpers import in_thread
from tests.mqtt.conftest import (
    mqtt_config,
    setup_mqtt,
    unique,
    wait_for_connection,
    wait_in_sync,
)
from tests.mqtt.entities import MemorySwitch, add_entities
from tests.process import GatewayProcess

from .conftest import figure

STARTS = 50
ANSWER_TIMEOUT = 3.0  # per start: a command obeyed takes a few ms once `online` is true
ONLINE_TIMEOUT = 15.0
ProbeFactory = Callable[..., Any]


def _config(folder: Path, base: str, node: str, port: int) -> str:
    b = f"{base}/{node}"
    return f"""
gateway: {{node_id: {node}, state_dir: {folder / node}}}
mqtt: {{host: 127.0.0.1, port: {port}, client_id: {unique("bg-ready")}, base_topic: {base},
       keepalive: 5, discovery: {{enabled: true, prefix: {base}-ha}}}}
gpio: {{pin_factory: mock}}
switch:
  - {{platform: gpio, name: Relay, pin: 22}}
button:
  - {{platform: gpio, name: Gate, pin: 23, pulse: 0.01}}
automation:
  - id: report_press
    trigger: [{{platform: state, entity_id: button.gate}}]
    action:
      - service: mqtt.publish
        data: {{topic: {b}/test/pressed, payload: pressed, retain: false}}
"""


class Start:
    """One process start seen by the probe: `online`, then the three requests at once."""

    def __init__(self, probe: MqttProbe, base: str, node: str) -> None:
        self.probe = probe
        self.b = f"{base}/{node}"
        self.discovery = f"{base}-ha/device/{node}/config"
        self.first = len(probe.messages)

    def _topics(self) -> list[str]:
        return [m.topic.value for m in self.probe.messages[self.first :]]

    def _seen(self, topic: str, payload: bytes | None = None) -> bool:
        return any(
            m.topic.value == topic and (payload is None or bytes(m.payload) == payload)  # type: ignore[arg-type]
            for m in self.probe.messages[self.first :]
        )

    async def wait_online(self) -> None:
        await self.probe.wait_until(
            lambda: self._seen(f"{self.b}/status", b"online"), ONLINE_TIMEOUT, "online"
        )

    async def command_everything(self) -> None:
        b = self.b
        await asyncio.gather(
            self.probe.publish(f"{b}/switch/relay/set", "ON"),
            self.probe.publish(f"{b}/button/gate/set", "PRESS"),
            self.probe.publish(f"{b}/bridge/request/health", '{"transaction": "t1"}'),
        )

    def answered(self) -> list[str]:
        b = self.b
        missing = []
        if not self._seen(f"{b}/switch/relay/state", b"ON"):
            missing.append("switch")
        if not self._seen(f"{b}/test/pressed", b"pressed"):
            missing.append("button")
        responses = [
            json.loads(bytes(m.payload))  # type: ignore[arg-type]
            for m in self.probe.messages[self.first :]
            if m.topic.value == f"{b}/bridge/response/health"
        ]
        if not any(r.get("transaction") == "t1" and r["status"] == "ok" for r in responses):
            missing.append("health")
        return missing

    async def wait_answered(self) -> list[str]:
        with contextlib.suppress(AssertionError):  # what is missing is reported below
            await self.probe.wait_until(lambda: not self.answered(), ANSWER_TIMEOUT, "answers")
        return self.answered()

    def order_errors(self) -> list[str]:
        topics = self._topics()
        online = topics.index(f"{self.b}/status")
        errors = []
        if f"{self.b}/switch/relay/availability" not in topics[:online]:
            errors.append("states after online")
        if self.discovery in topics[:online] or self.discovery not in topics[online:]:
            errors.append("discovery not after online")
        return errors


@pytest.mark.timeout(240)
async def test_online_means_ready_50_starts(
    tmp_path: Path,
    mqtt_broker: Mosquitto,
    mqtt_probe_factory: ProbeFactory,
    gateway_processes: Callable[..., GatewayProcess],
) -> None:
    base = unique("bgready")
    probe: MqttProbe = await mqtt_probe_factory(mqtt_broker.port)
    await probe.subscribe(f"{base}/#")
    await probe.subscribe(f"{base}-ha/#")
    failures: dict[str, list[str]] = {}
    started = time.monotonic()
    for number in range(STARTS):
        node = f"n{number}"
        config = _config(tmp_path, base, node, mqtt_broker.port)
        process = await in_thread(functools.partial(gateway_processes, config, name=node))
        start = Start(probe, base, node)
        await in_thread(process.start)
        await start.wait_online()
        await start.command_everything()
        missing = await start.wait_answered()
        await in_thread(process.kill)
        if problems := missing + start.order_errors():
            failures[node] = problems
    seconds = time.monotonic() - started
    figure(
        "12.1 online means ready",
        f"{len(failures)}/{STARTS} starts with a request ignored or out of order "
        f"({seconds:.0f} s): {dict(list(failures.items())[:5])}",
    )
    assert not failures, failures


async def test_after_a_reconnect_states_then_online_then_discovery(
    real_gw: Gateway, private_broker: Mosquitto, tmp_path: Path
) -> None:
    """The same order after a broker restart, seen by a persistent QoS 1 subscriber whose
    session keeps what was published while it was reconnecting."""
    data = await setup_mqtt(real_gw, mqtt_config(private_broker.port))
    core = CoreConfig(node_id="node", name="Test node", state_dir=tmp_path)
    prefix = unique("ha")
    await ha_discovery.async_setup(real_gw, core, DiscoveryConfig(prefix=prefix))
    await add_entities(real_gw, MemorySwitch("relay", is_on=True))
    await wait_in_sync(data.connection)
    probe = MqttProbe(private_broker.port, identifier=unique("order"), persistent=True)
    await probe.connect()
    try:
        await probe.subscribe(f"{data.node_base}/#")
        await probe.subscribe(f"{prefix}/#")
        # The retained messages the subscriptions brought must be acknowledged before the
        # restart, else the persistent session redelivers them (discovery before `online`):
        # a QoS 1 round trip after them proves the broker has read our PUBACKs.
        await probe.wait_until(lambda: f"{prefix}/device/node/config" in probe.latest)
        await probe.wait_until(lambda: f"{data.node_base}/switch/relay/state" in probe.latest)
        await probe.publish(f"{unique('sync')}/ack", b"", qos=1)
        await private_broker.async_restart()
        await probe.disconnect()  # its session (and what comes meanwhile) is on the broker
        probe.messages.clear()
        probe.latest.clear()
        await wait_for_connection(data.connection, lambda conn: conn.online)
        await probe.connect()
        status = f"{data.node_base}/status"
        await probe.wait_for_value(status, "online")
        discovery = f"{prefix}/device/node/config"
        await probe.wait_until(lambda: discovery in probe.latest, what=discovery)
    finally:
        await probe.disconnect()
    topics = [message.topic.value for message in probe.messages]
    # The broker may pass on our will (`offline`) as it shuts down: find the `online`.
    online = next(
        index
        for index, message in enumerate(probe.messages)
        if topics[index] == status and bytes(message.payload) == b"online"  # type: ignore[arg-type]
    )
    assert f"{data.node_base}/switch/relay/state" in topics[:online]
    assert discovery in topics[online:]
    assert discovery not in topics[:online]
