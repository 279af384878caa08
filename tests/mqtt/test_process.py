"""The `boardgate` process against a real broker: LWT, clean stop, and a frozen process."""

from __future__ import annotations

import functools
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

from .conftest import unique

ProbeFactory = Callable[..., Any]
ROOT = Path(__file__).resolve().parents[2]
STOP_TIMEOUT = 10.0
DEBUG = ["--debug"] if os.environ.get("BOARDGATE_TEST_DEBUG") else []


class GatewayProcess:
    """`python -m gateway run -c CONFIG` with virtual entities, its output in a log file."""

    def __init__(self, folder: Path, broker_port: int, keepalive: int = 30) -> None:
        self.node_id = "proc"
        self.base = unique("bgproc")
        self.client_id = unique("bg-proc")
        self.node_base = f"{self.base}/{self.node_id}"
        self.config = folder / "boardgate.yaml"
        self.log = folder / "gateway.log"
        self.config.write_text(
            f"""
gateway: {{node_id: {self.node_id}, state_dir: {folder / "state"}}}
mqtt:
  host: 127.0.0.1
  port: {broker_port}
  client_id: {self.client_id}
  base_topic: {self.base}
  keepalive: {keepalive}
  discovery: {{enabled: false}}
switch:
  - {{platform: virtual, name: Relay}}
light:
  - {{platform: virtual, name: Lamp}}
"""
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gateway", "run", "-c", str(self.config), *DEBUG],
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def send(self, signum: int) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signum)

    def wait(self) -> int:
        assert self.process is not None
        return self.process.wait(STOP_TIMEOUT)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for_output(self, text: str, timeout: float = STOP_TIMEOUT) -> None:
        """Block until the process has logged `text` (call it in a thread)."""
        deadline = time.monotonic() + timeout
        while text not in self.output():
            if time.monotonic() > deadline or (self.process and self.process.poll() is not None):
                raise AssertionError(f"{text!r} not logged:\n{self.output()}")
            time.sleep(0.02)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.kill()
            self.process.wait()


@pytest.fixture
def gateway_process(tmp_path: Path) -> Iterator[Callable[..., GatewayProcess]]:
    """Start gateway processes (killed after the test); outside the loop: they write files."""
    if not (ROOT / "gateway" / "cli.py").exists():
        pytest.skip("the boardgate CLI is not there yet")
    made: list[GatewayProcess] = []

    def make(broker: Mosquitto, **kwargs: Any) -> GatewayProcess:
        process = GatewayProcess(tmp_path, broker.port, **kwargs)
        made.append(process)
        process.start()
        return process

    yield make
    for process in made:
        process.kill()


async def _online_probe(
    make: ProbeFactory, broker: Mosquitto, process: GatewayProcess
) -> MqttProbe:
    """A probe that has seen the gateway come up with both entities.

    An entity's state is published only once its command topics are subscribed.
    """
    probe: MqttProbe = await make(broker.port)
    b = process.node_base
    await probe.subscribe(f"{b}/#")
    await probe.wait_for_value(f"{b}/status", "online")
    await probe.wait_for_value(f"{b}/switch/relay/state", "OFF")
    await probe.wait_for_value(f"{b}/light/lamp/state", '{"state":"OFF"}')
    return probe


async def test_lwt_offline_when_the_process_is_killed(
    mqtt_broker: Mosquitto, gateway_process: Any, mqtt_probe_factory: ProbeFactory
) -> None:
    process: GatewayProcess = await in_thread(gateway_process, mqtt_broker)
    probe = await _online_probe(mqtt_probe_factory, mqtt_broker, process)
    process.send(signal.SIGKILL)
    await probe.wait_for_value(f"{process.node_base}/status", "offline")
    assert await in_thread(process.wait) == -signal.SIGKILL


async def test_sigterm_publishes_offline_and_exits_zero(
    mqtt_broker: Mosquitto, gateway_process: Any, mqtt_probe_factory: ProbeFactory
) -> None:
    process: GatewayProcess = await in_thread(gateway_process, mqtt_broker)
    probe = await _online_probe(mqtt_probe_factory, mqtt_broker, process)
    # MQTT is up before the runner installs its signal handlers; wait for those.
    await in_thread(process.wait_for_output, "Boardgate running")
    await probe.publish(f"{process.node_base}/switch/relay/set", "ON")
    await probe.wait_for_value(f"{process.node_base}/switch/relay/state", "ON")
    process.send(signal.SIGTERM)
    await probe.wait_for_value(f"{process.node_base}/status", "offline")
    assert await in_thread(process.wait) == 0, await in_thread(process.output)
    log = await in_thread(mqtt_broker.log)
    assert f"Client {process.client_id} disconnected." in log


async def test_commands_sent_while_the_process_is_frozen_are_delivered(
    mqtt_broker: Mosquitto, gateway_process: Any, mqtt_probe_factory: ProbeFactory
) -> None:
    """SIGSTOP past the keepalive: the broker drops the gateway (its LWT says offline) and
    keeps QoS 1 commands in its session; after SIGCONT the gateway reconnects and acts."""
    process: GatewayProcess = await in_thread(
        functools.partial(gateway_process, mqtt_broker, keepalive=5)
    )
    probe = await _online_probe(mqtt_probe_factory, mqtt_broker, process)
    b = process.node_base
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
