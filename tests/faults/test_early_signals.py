"""A SIGHUP while the daemon starts (config being read, entities being set up) must not kill
it: it is remembered and acted on once the gateway runs, as one reload of the file on disk.

The test waits until the process starts catching signals at all (SIGTERM's bit in `SigCgt` of
/proc/PID/status: before that the interpreter is still starting, and any Python program dies
of a SIGHUP), then rewrites the config and sends SIGHUP at once and at a ladder of delays, so
the signal lands in the config read, the entity set-up and just after.
"""

from __future__ import annotations

import json
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
from .test_reloads import write_atomically

DELAYS = (0.0, 0.05, 0.1, 0.2, 0.4)
ProbeFactory = Callable[..., Any]
ProcessFactory = Callable[..., GatewayProcess]


def _config(broker: Mosquitto, base: str, state_dir: Path, switch: str) -> str:
    return (
        f"gateway: {{node_id: early, state_dir: {state_dir}}}\n"
        f"mqtt: {{host: 127.0.0.1, port: {broker.port}, client_id: {base},\n"
        f"       base_topic: {base}, keepalive: 10, discovery: false}}\n"
        f"switch:\n  - {{platform: virtual, name: {switch}}}\n"
    )


def _catches_signals(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    caught = next(line for line in status.splitlines() if line.startswith("SigCgt:"))
    return bool(int(caught.split()[1], 16) & (1 << (signal.SIGTERM - 1)))


def _start_and_hup(process: GatewayProcess, new_config: str, delay: float) -> None:
    """Start, wait until signals are caught, rewrite the config, wait `delay`, SIGHUP."""
    process.start()
    deadline = time.monotonic() + 10
    while not _catches_signals(process.pid):
        assert process.process is not None
        assert process.process.poll() is None, process.output()
        assert time.monotonic() < deadline, "the process never caught a signal"
        time.sleep(0.001)
    write_atomically(process.config_path, new_config)
    time.sleep(delay)  # the point of the test: where in the start-up the signal lands
    process.send(signal.SIGHUP)


def _entity_ids(probe: MqttProbe, b: str) -> set[str]:
    payload = probe.latest.get(f"{b}/bridge/info")
    return {e["entity_id"] for e in json.loads(payload)["entities"]} if payload else set()


@pytest.mark.timeout(90)
async def test_sighup_during_start_up_reloads_once_running(
    gateway_processes: ProcessFactory,
    mqtt_broker: Mosquitto,
    mqtt_probe_factory: ProbeFactory,
    tmp_path: Path,
) -> None:
    survived = 0
    for delay in DELAYS:
        base = unique("bgearly")
        b = f"{base}/early"
        state_dir = tmp_path / f"state-{delay}"
        process = await in_thread(
            gateway_processes, _config(mqtt_broker, base, state_dir, "Old"), name=f"d{delay}"
        )
        probe: MqttProbe = await mqtt_probe_factory(mqtt_broker.port)
        await probe.subscribe(f"{b}/#")
        new = _config(mqtt_broker, base, state_dir, "New")
        await in_thread(_start_and_hup, process, new, delay)
        await probe.wait_for_value(f"{b}/status", "online")
        await probe.wait_until(lambda: _entity_ids(probe, b) == {"switch.new"})  # noqa: B023
        process.send(signal.SIGTERM)
        code = await in_thread(process.wait)
        output = await in_thread(process.output)
        assert code == 0, output
        assert " ERROR " not in output, output
        survived += 1
    figure(
        "12.2 SIGHUP during start-up",
        f"survived and ended on the file on disk {survived} of {len(DELAYS)} times "
        f"(delays {', '.join(f'{d * 1000:.0f}' for d in DELAYS)} ms after signals are caught)",
    )
