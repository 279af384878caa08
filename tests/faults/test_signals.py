"""Fault 9: the `boardgate` process (mock GPIO) stopped by SIGTERM and by SIGKILL under traffic.

SIGTERM: the outputs go to their `on_stop` value (published before `offline`), `offline` is
published and the process exits 0 within 5 s. SIGKILL: the broker publishes the will
(`offline`).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.broker import Mosquitto
from tests.fixtures_mqtt import MqttProbe
from tests.helpers import in_thread
from tests.mqtt.conftest import unique

from .conftest import figure

ROOT = Path(__file__).resolve().parents[2]
STOP_LIMIT = 5.0
ProbeFactory = Callable[..., Any]


class GpioGatewayProcess:
    """`python -m gateway run -c CONFIG` with mock pins: two outputs and a busy input."""

    def __init__(self, folder: Path, broker_port: int) -> None:
        self.base = unique("bgsig")
        self.node_base = f"{self.base}/sig"
        self.config = folder / "boardgate.yaml"
        self.log = folder / "gateway.log"
        self.config.write_text(
            f"""
gateway: {{node_id: sig, state_dir: {folder / "state"}}}
mqtt: {{host: 127.0.0.1, port: {broker_port}, client_id: {unique("bg-sig")},
       base_topic: {self.base}, keepalive: 5, discovery: {{enabled: false}}}}
gpio: {{pin_factory: mock}}
switch:
  - {{platform: gpio, name: Off at stop, pin: 22, on_stop: "off"}}
  - {{platform: gpio, name: On at stop, pin: 23, on_stop: "on"}}
  - {{platform: gpio, name: Busy, pin: 24}}
"""
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gateway", "run", "-c", str(self.config)],
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_for_output(self, text: str, timeout: float = 10.0) -> None:
        """Block until the process logged `text` (call it in a thread)."""
        deadline = time.monotonic() + timeout
        while text not in self.log.read_text(errors="replace"):
            assert self.process is not None
            assert self.process.poll() is None, self.output()
            assert time.monotonic() < deadline, f"{text!r} not logged:\n{self.output()}"
            time.sleep(0.02)

    def wait(self, timeout: float) -> int:
        assert self.process is not None
        return self.process.wait(timeout)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def gateway_process(tmp_path: Path, mqtt_broker: Mosquitto) -> Iterator[GpioGatewayProcess]:
    process = GpioGatewayProcess(tmp_path, mqtt_broker.port)
    yield process
    process.kill()


async def _running(make: ProbeFactory, broker: Mosquitto, process: GpioGatewayProcess) -> MqttProbe:
    probe: MqttProbe = await make(broker.port)
    await probe.subscribe(f"{process.node_base}/#")
    await in_thread(process.start)
    b = process.node_base
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
            self._probe._check_waiters()

    async def stop(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


async def test_sigterm_under_traffic_applies_on_stop_and_exits_zero(
    gateway_process: GpioGatewayProcess, mqtt_broker: Mosquitto, mqtt_probe_factory: ProbeFactory
) -> None:
    process = gateway_process
    probe = await _running(mqtt_probe_factory, mqtt_broker, process)
    b = process.node_base
    await probe.publish(f"{b}/switch/off_at_stop/set", "ON")
    await probe.wait_for_value(f"{b}/switch/off_at_stop/state", "ON")
    traffic = Traffic(probe, f"{b}/switch/busy/set")
    try:
        await probe.wait_until(lambda: traffic.sent > 20)
        assert process.process is not None
        started = time.monotonic()
        os.kill(process.process.pid, signal.SIGTERM)
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
    gateway_process: GpioGatewayProcess, mqtt_broker: Mosquitto, mqtt_probe_factory: ProbeFactory
) -> None:
    process = gateway_process
    probe = await _running(mqtt_probe_factory, mqtt_broker, process)
    b = process.node_base
    traffic = Traffic(probe, f"{b}/switch/busy/set")
    try:
        await probe.wait_until(lambda: traffic.sent > 20)
        assert process.process is not None
        started = time.monotonic()
        os.kill(process.process.pid, signal.SIGKILL)
    finally:
        await traffic.stop()
    await probe.wait_for_value(f"{b}/status", "offline")
    will_seconds = time.monotonic() - started
    assert await in_thread(process.wait, STOP_LIMIT) == -signal.SIGKILL
    figure("9. SIGKILL under traffic", f"will `offline` seen {will_seconds * 1000:.0f} ms after")
