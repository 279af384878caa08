"""Fault 5 of issue 12: a flood of state changes while connected, through the real process.

6,000 values arrive as fast as the broker can deliver them for ten MQTT sensors that share
their `state_topic`: 60,000 state changes the gateway must publish. When the socket backs up,
state publishes coalesce per topic (as while disconnected), so memory stays bounded, the loop
stays responsive (a health request is answered promptly), every sensor's retained state ends
at its last value, and a SIGTERM under the flood exits within 5 s. Commands that arrive while
stopping are logged once, with a count.
"""

from __future__ import annotations

import json
import signal
import socket
import struct
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.broker import Mosquitto
from tests.fixtures_mqtt import MqttProbe
from tests.helpers import in_thread
from tests.mqtt.conftest import unique
from tests.process import GatewayProcess

from .conftest import figure

SENSORS = 10
FLOOD = 6_000  # messages; each changes all SENSORS states
STOP_LIMIT = 5.0
STOP_FLOODS = 3  # floods (with commands) sent just before SIGTERM
HEALTH_LIMIT = 5.0  # seconds for a health request sent right behind the flood
RSS_GROWTH_LIMIT_MB = 40.0
SETTLE_TIMEOUT = 30.0

ProbeFactory = Callable[..., Any]


def _config(folder: Path, port: int, base: str, flood_base: str) -> str:
    sensors = "\n".join(
        f"  - {{platform: mqtt, name: Flood {i}, state_topic: {flood_base}}}"
        for i in range(SENSORS)
    )
    return f"""
gateway: {{node_id: flood, state_dir: {folder / "state"}}}
mqtt: {{host: 127.0.0.1, port: {port}, client_id: {unique("bg-flood")},
       base_topic: {base}, keepalive: 30, discovery: {{enabled: false}}}}
switch:
  - {{platform: virtual, name: Relay}}
sensor:
{sensors}
"""


def _packet(kind: int, body: bytes) -> bytes:
    """An MQTT fixed header (remaining length as a variable byte integer) plus `body`."""
    length, header = len(body), bytearray([kind])
    while True:
        byte, length = length % 128, length // 128
        header.append(byte | (0x80 if length else 0))
        if not length:
            return bytes(header) + body


def _utf8(text: str) -> bytes:
    data = text.encode()
    return struct.pack("!H", len(data)) + data


def _publish_qos0(topic: str, payload: str) -> bytes:
    return _packet(0x30, _utf8(topic) + payload.encode())


def send_raw_publishes(port: int, packets: list[bytes]) -> None:
    """Publish prebuilt QoS 0 packets in one write: faster than any client library (blocking)."""
    connect = _packet(0x10, _utf8("MQTT") + bytes([4, 0x02]) + struct.pack("!H", 30) + _utf8(""))
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(connect)
        assert sock.recv(4)[:2] == b"\x20\x02", "no CONNACK"
        sock.sendall(b"".join(packets) + b"\xe0\x00")  # then DISCONNECT
        sock.shutdown(socket.SHUT_WR)
        while sock.recv(4096):
            pass


def flood_packets(flood_base: str) -> list[bytes]:
    """Rising values: every sensor's state changes with each message, ending at the last one."""
    return [_publish_qos0(flood_base, str(n)) for n in range(FLOOD)]


LAST_VALUE = str(FLOOD - 1)


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no {field} for {pid}")


async def _health(probe: MqttProbe, node_base: str, transaction: str) -> dict[str, Any]:
    """Ask for health and return its data once the answer arrives."""
    response = f"{node_base}/bridge/response/health"

    def answered() -> bool:
        return any(
            m.topic.value == response and transaction.encode() in bytes(m.payload)  # type: ignore[arg-type]
            for m in probe.messages[-50:]
        )

    await probe.publish(
        f"{node_base}/bridge/request/health", json.dumps({"transaction": transaction})
    )
    await probe.wait_until(answered, SETTLE_TIMEOUT, "the health response")
    data: dict[str, Any] = json.loads(probe.latest[response])["data"]
    return data


class FloodBroker(Mosquitto):
    """A broker that queues every message for a slow reader: the flood reaches the gateway whole."""

    def config_text(self) -> str:
        return super().config_text().replace("max_queued_messages 10000", "max_queued_messages 0")


@pytest.fixture
def flood_broker(tmp_path: Path) -> Iterator[Mosquitto]:
    broker = FloodBroker(tmp_path / "broker")
    broker.start()
    yield broker
    broker.stop()


async def test_state_flood_stays_bounded_and_responsive(
    gateway_processes: Callable[..., GatewayProcess],
    flood_broker: Mosquitto,
    mqtt_probe_factory: ProbeFactory,
    tmp_path: Path,
) -> None:
    base, flood_base = unique("bgflood"), unique("flood")
    node_base = f"{base}/flood"
    port = flood_broker.port
    config = _config(tmp_path, port, base, flood_base)
    process = await in_thread(gateway_processes, config)
    probe: MqttProbe = await mqtt_probe_factory(port)
    await probe.subscribe(f"{node_base}/status")
    await probe.subscribe(f"{node_base}/bridge/response/#")
    await in_thread(process.start)
    await probe.wait_for_value(f"{node_base}/status", "online", timeout=SETTLE_TIMEOUT)
    await in_thread(process.wait_for_output, "Boardgate running")
    seen: dict[str, str] = {}  # the figures, recorded even when an assertion fails
    try:
        await _flood_and_stop(process, probe, port, node_base, flood_base, seen)
    finally:
        figure(
            "5. state flood (60k state changes, 10 topics)",
            "; ".join(f"{k} {v}" for k, v in seen.items()),
        )


async def _flood_and_stop(
    process: GatewayProcess,
    probe: MqttProbe,
    port: int,
    node_base: str,
    flood_base: str,
    seen: dict[str, str],
) -> None:
    rss_before = await in_thread(rss_mb, process.pid)
    seen["RSS before"] = f"{rss_before:.0f} MB"
    packets = flood_packets(flood_base)
    await in_thread(send_raw_publishes, port, packets)
    asked = time.monotonic()
    await _health(probe, node_base, "behind-the-flood")
    health_seconds = time.monotonic() - asked
    seen["health answered in"] = f"{health_seconds:.2f} s"

    # A fresh subscriber sees the retained states: each must be the sensor's last value.
    watcher: MqttProbe = MqttProbe(port)
    async with watcher:
        await watcher.subscribe(f"{node_base}/sensor/+/state")
        settle_started = time.monotonic()
        for sensor in range(SENSORS):
            topic = f"{node_base}/sensor/flood_{sensor}/state"
            await watcher.wait_until(
                lambda t=topic: probe_has(watcher, t, LAST_VALUE),  # type: ignore[misc]
                SETTLE_TIMEOUT,
                topic,
            )
    seen["retained states final after"] = f"{time.monotonic() - settle_started:.2f} s"
    lag = (await _health(probe, node_base, "after-flood"))["loop_lag_ms"]
    seen["loop lag p50/max over the run"] = f"{lag['p50']:.0f}/{lag['max']:.0f} ms"
    rss_peak = await in_thread(rss_mb, process.pid, "VmHWM")
    seen["RSS peak"] = f"{rss_peak:.0f} MB"

    # The flood again with commands mixed in, and SIGTERM while they are still being read.
    command = _publish_qos0(f"{node_base}/switch/relay/set", "TOGGLE")
    mixed = [p for n, packet in enumerate(packets) for p in (packet, command)[: 1 + (n % 10 == 0)]]
    await in_thread(send_raw_publishes, port, mixed * STOP_FLOODS)
    stop_started = time.monotonic()
    process.send(signal.SIGTERM)
    code = await in_thread(process.wait, 3 * STOP_LIMIT)
    stop_seconds = time.monotonic() - stop_started
    output = await in_thread(process.output)
    stopping_lines = output.count("the gateway is stopping")
    seen["SIGTERM to exit"] = f"{stop_seconds:.2f} s (code {code})"
    summary = [line for line in output.splitlines() if "arrived while stopping" in line]
    seen["log lines"] = (
        f"{len(output.splitlines())} ({stopping_lines} per-command 'stopping'"
        f"{', ' + summary[0].split('] ')[-1] if summary else ''})"
    )
    async with MqttProbe(port) as after:  # what a dashboard sees now
        await after.subscribe(f"{node_base}/status")
        await after.wait_until(lambda: f"{node_base}/status" in after.latest, SETTLE_TIMEOUT)
        seen["status after exit"] = after.latest[f"{node_base}/status"].decode()
    assert code == 0, output[-3000:]
    assert stop_seconds < STOP_LIMIT
    assert seen["status after exit"] == "offline"
    assert health_seconds < HEALTH_LIMIT
    assert rss_peak - rss_before < RSS_GROWTH_LIMIT_MB
    assert stopping_lines == 0, "commands refused while stopping are logged once, with a count"
    assert len(summary) == 1, "commands were read while stopping: one line says how many"


def probe_has(probe: MqttProbe, topic: str, value: str) -> bool:
    return probe.latest.get(topic) == value.encode()
