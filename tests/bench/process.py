"""Benchmarks 4 and 5a: the `boardgate` process idle, and starting with 1,000 entities.

The gateway runs as `python -m gateway run -c CONFIG` (mock pins); CPU and memory are read
from /proc/<pid>/stat and /proc/<pid>/statm. Our packages are byte-compiled first, as `pip
install` (deploy/install.sh) leaves them: a checkout run with PYTHONDONTWRITEBYTECODE would
otherwise compile every module from source at each start, which costs resident memory. The
idle floor is a bare interpreter that imports the libraries the gateway must use, and nothing
else: what no code of ours can go below.
"""

from __future__ import annotations

import asyncio
import functools
import os
import subprocess
import sys
import time
from pathlib import Path

import aiomqtt

from tests.process import GatewayProcess

from .common import FastClient, Row, read_rss_mb

ROOT = Path(__file__).resolve().parents[2]
TICKS = os.sysconf("SC_CLK_TCK")
IDLE_CPU_TARGET = 0.2
IDLE_RSS_TARGET = 35.0
# A Compute Module 3 board: GPIO 0-45 (a 40-pin Pi has 28 GPIOs, too few for 50).
MOCK_BOARD = {"GPIOZERO_MOCK_REVISION": "a020a0"}

HEADER = """\
gateway: {{node_id: {node}, state_dir: {folder}/state}}
mqtt: {{host: 127.0.0.1, port: {port}, client_id: bench-{node}, base_topic: bench,
       discovery: {{enabled: {discovery}}}}}
gpio: {{pin_factory: mock}}
"""
STACK = "asyncio, aiomqtt, gpiozero, gpiozero.pins.mock, voluptuous, yaml"
STACK_PROBE = f"""\
import {STACK}
with open("/proc/self/statm") as handle:
    print(int(handle.read().split()[1]))
"""


def _gpio_entities(inputs: int, outputs: int, virtual_outputs: int = 0) -> str:
    lines = ["binary_sensor:"]
    lines += [f"  - {{platform: gpio, name: In {i}, pin: {i}}}" for i in range(inputs)]
    lines.append("switch:")
    lines += [f"  - {{platform: gpio, name: Out {i}, pin: {inputs + i}}}" for i in range(outputs)]
    lines += [f"  - {{platform: virtual, name: Virtual {i}}}" for i in range(virtual_outputs)]
    return "\n".join(lines) + "\n"


def _mqtt_sensors(count: int) -> str:
    lines = ["sensor:"]
    lines += [
        f"  - {{platform: mqtt, name: Remote {i}, state_topic: remote/{i}/t, value_json: t}}"
        for i in range(count)
    ]
    return "\n".join(lines) + "\n"


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
        fields = handle.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


class Watcher:
    """Notes when `status` says online and when `states` distinct state topics were seen."""

    def __init__(self, node_base: str, states: int) -> None:
        self.node_base = node_base
        self.expected = states
        self.online_at = 0.0
        self.seen: set[str] = set()
        self.complete = asyncio.get_running_loop().create_future()
        self.completed_at = 0.0

    def on_message(self, message: aiomqtt.Message) -> None:
        topic = message.topic.value
        if topic == f"{self.node_base}/status" and message.payload == b"online":
            self.online_at = self.online_at or time.perf_counter()
        elif topic.endswith("/state"):
            self.seen.add(topic)
            if len(self.seen) >= self.expected and not self.complete.done():
                self.completed_at = time.perf_counter()
                self.complete.set_result(None)


def byte_compile() -> None:
    """Byte-compile our packages as an install would (see the module docstring)."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "gateway", "platforms", "hardware"],
        cwd=ROOT,
        check=True,
    )


def stack_floor_rss_mb() -> float:
    """RSS of a bare interpreter that has imported the libraries we build on."""
    output = subprocess.run(
        [sys.executable, "-c", STACK_PROBE], cwd=ROOT, check=True, capture_output=True
    ).stdout
    return int(output) * os.sysconf("SC_PAGE_SIZE") / 2**20


async def _run_process(
    port: int, folder: Path, node: str, body: str, states: int, discovery: bool = False
) -> tuple[GatewayProcess, Watcher]:
    header = HEADER.format(node=node, folder=folder, port=port, discovery=str(discovery).lower())
    gateway = GatewayProcess(folder, header + body)
    watcher = Watcher(f"bench/{node}", states)
    # MQTT 3.1.1: the probe is not a floor here, only a witness; the lighter protocol keeps its
    # own parsing out of the "all states seen" time.
    async with FastClient(port, watcher.on_message, aiomqtt.ProtocolVersion.V311) as probe:
        await probe.client.subscribe(f"bench/{node}/#", 1)
        start = functools.partial(gateway.start, env=MOCK_BOARD)
        await asyncio.get_running_loop().run_in_executor(None, start)
        try:
            await asyncio.wait_for(asyncio.shield(watcher.complete), 60)
        except TimeoutError:
            await asyncio.get_running_loop().run_in_executor(None, gateway.stop)
            raise RuntimeError(f"gateway did not come up:\n{gateway.output()}") from None
    return gateway, watcher


async def run_idle(port: int, seconds: float, folder: Path) -> list[Row]:
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, byte_compile)
    floor = await loop.run_in_executor(None, stack_floor_rss_mb)
    # The default config: Home Assistant discovery on (announced at start, then idle).
    gateway, _ = await _run_process(
        port, folder, "idle", _gpio_entities(40, 6, 4), 50, discovery=True
    )
    pid = gateway.pid
    try:
        await asyncio.sleep(2)  # start-up work (imports, first publishes) is not idle time
        cpu_before, start = _cpu_seconds(pid), time.perf_counter()
        await asyncio.sleep(seconds)
        cpu = (_cpu_seconds(pid) - cpu_before) / (time.perf_counter() - start) * 100
        rss = read_rss_mb(pid)
    finally:
        await asyncio.get_running_loop().run_in_executor(None, gateway.stop)
    return [
        Row(
            f"4. idle {seconds:g} s, 40 gpio inputs + 10 outputs",
            f"CPU {cpu:.3f} %, RSS {rss:.1f} MB",
            f"RSS {floor:.1f} MB (python + {STACK} imported)",
            f"+{rss - floor:.1f} MB",
            f"< {IDLE_CPU_TARGET} % CPU, < {IDLE_RSS_TARGET:.0f} MB",
            cpu < IDLE_CPU_TARGET and rss < IDLE_RSS_TARGET,
        )
    ]


async def run_scale(port: int, folder: Path) -> list[Row]:
    await asyncio.get_running_loop().run_in_executor(None, byte_compile)
    body = _mqtt_sensors(1000) + _gpio_entities(20, 20)
    gateway, watcher = await _run_process(port, folder, "scale", body, 1040)
    try:
        rss = read_rss_mb(gateway.pid)
    finally:
        await asyncio.get_running_loop().run_in_executor(None, gateway.stop)
    online = watcher.online_at - gateway.spawned
    complete = watcher.completed_at - gateway.spawned
    return [
        Row(
            "5a. start-up, 1,000 mqtt sensors + 40 gpio",
            f"online {online:.2f} s, all 1,040 states {complete:.2f} s; RSS {rss:.1f} MB",
            "—",
            "—",
            "(reported)",
            None,
        )
    ]
