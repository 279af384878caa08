"""Fault 9: the `boardgate` process (mock GPIO) stopped by SIGTERM and by SIGKILL under traffic.

SIGTERM: the outputs go to their `on_stop` value (published before `offline`), `offline` is
published and the process exits 0 within 5 s. SIGKILL: the broker publishes the will
(`offline`).
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.broker import Mosquitto
from tests.fixtures_mqtt import MqttProbe
from tests.helpers import in_thread
from tests.mqtt.conftest import unique
from tests.process import GatewayProcess

from .conftest import figure

STOP_LIMIT = 5.0
ProbeFactory = Callable[..., Any]
CONFIG = """
gateway: {{node_id: sig, state_dir: {state_dir}}}
mqtt: {{host: 127.0.0.1, port: {port}, client_id: {client_id},
       base_topic: {base}, keepalive: 5, discovery: {{enabled: false}}}}
gpio: {{pin_factory: mock}}
switch:
  - {{platform: gpio, name: Off at stop, pin: 22, on_stop: "off"}}
  - {{platform: gpio, name: On at stop, pin: 23, on_stop: "on"}}
  - {{platform: gpio, name: Busy, pin: 24}}
"""


@pytest.fixture
def base() -> str:
    """The base topic of the test's own gateway on the shared broker (its node is `sig`)."""
    return unique("bgsig")


@pytest.fixture
def gateway_process(
    gateway_processes: Callable[..., GatewayProcess],
    tmp_path: Path,
    mqtt_broker: Mosquitto,
    base: str,
) -> GatewayProcess:
    """The daemon with mock pins: two outputs with an `on_stop` and a busy one (not started)."""
    config = CONFIG.format(
        state_dir=tmp_path / "state", port=mqtt_broker.port, client_id=unique("bg-sig"), base=base
    )
    return gateway_processes(config)


async def _running(
    make: ProbeFactory, broker: Mosquitto, process: GatewayProcess, b: str
) -> MqttProbe:
    probe: MqttProbe = await make(broker.port)
    await probe.subscribe(f"{b}/#")
    await in_thread(process.start)
    await probe.wait_for_value(f"{b}/status", "online")
    for output in ("off_at_stop", "on_at_stop", "busy"):
        await probe.wait_for_value(f"{b}/switch/{output}/state", "OFF")
    await in_thread(process.wait_for_output, "Boardgate running")  # signal handlers installed
    return probe


class Traffic:
    """Toggles the busy output over MQTT (QoS 1, one at a time) until stopped."""

    def __init__(self, probe: MqttProbe, topic: str) -> None:
        self.sent = 0
        self._probe = probe
        self._topic = topic
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            await self._probe.publish(self._topic, "TOGGLE")
            self.sent += 1
            self._probe.waiters.check()

    async def stop(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


async def test_sigterm_under_traffic_applies_on_stop_and_exits_zero(
    gateway_process: GatewayProcess,
    mqtt_broker: Mosquitto,
    mqtt_probe_factory: ProbeFactory,
    base: str,
) -> None:
    process = gateway_process
    b = f"{base}/sig"
    probe = await _running(mqtt_probe_factory, mqtt_broker, process, b)
    await probe.publish(f"{b}/switch/off_at_stop/set", "ON")
    await probe.wait_for_value(f"{b}/switch/off_at_stop/state", "ON")
    traffic = Traffic(probe, f"{b}/switch/busy/set")
    try:
        await probe.wait_until(lambda: traffic.sent > 20)
        started = time.monotonic()
        process.send(signal.SIGTERM)
    finally:
        await traffic.stop()
    await probe.wait_for_value(f"{b}/status", "offline")
    code = await in_thread(process.wait, STOP_LIMIT)
    stop_seconds = time.monotonic() - started
    assert code == 0, process.output()
    assert stop_seconds < STOP_LIMIT
    topics = [m.topic.value for m in probe.messages]
    offline_at = len(topics) - 1 - topics[::-1].index(f"{b}/status")
    before_offline = {m.topic.value: m.payload for m in probe.messages[:offline_at]}
    assert before_offline[f"{b}/switch/off_at_stop/state"] in (b"OFF", "OFF")
    assert before_offline[f"{b}/switch/on_at_stop/state"] in (b"ON", "ON")
    figure(
        "9. SIGTERM under traffic",
        f"exit 0 in {stop_seconds:.2f} s; on_stop states published before offline; "
        f"{traffic.sent} commands sent before the signal",
    )


async def test_sigkill_under_traffic_gets_the_will(
    gateway_process: GatewayProcess,
    mqtt_broker: Mosquitto,
    mqtt_probe_factory: ProbeFactory,
    base: str,
) -> None:
    process = gateway_process
    b = f"{base}/sig"
    probe = await _running(mqtt_probe_factory, mqtt_broker, process, b)
    traffic = Traffic(probe, f"{b}/switch/busy/set")
    try:
        await probe.wait_until(lambda: traffic.sent > 20)
        started = time.monotonic()
        process.send(signal.SIGKILL)
    finally:
        await traffic.stop()
    await probe.wait_for_value(f"{b}/status", "offline")
    will_seconds = time.monotonic() - started
    assert await in_thread(process.wait, STOP_LIMIT) == -signal.SIGKILL
    figure("9. SIGKILL under traffic", f"will `offline` seen {will_seconds * 1000:.0f} ms after")
