"""A private NATS 2.9 cluster for tests: three nodes on free loopback ports, JetStream on,
MQTT on (`stream_replicas: 3`), each node with its own config, store dir and log in a folder.

Never the system's NATS (127.0.0.1:4222): every port here is a free one. Start-up waits on
readiness, not time: each node's monitoring `/healthz` answers 200 only once JetStream has a
meta leader, and then an MQTT connect + QoS 1 subscribe on every node must succeed (the first
MQTT client of the account creates the MQTT streams, replicated on all three nodes).
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import aiomqtt

from tests.broker import free_port
from tests.fixtures_mqtt import MqttProbe
from tests.helpers import in_thread

__all__ = ["NATS_SERVER", "NatsCluster", "NatsNode"]

NATS_SERVER = shutil.which("nats-server") or "/usr/sbin/nats-server"
READY_TIMEOUT = 30.0
POLL_INTERVAL = 0.05
CLUSTER_NAME = "boardgate-test"
# `ordered`: QoS 1 delivery in order across a node failure: one message in flight per
# subscription, and the one that was in flight to the dead node redelivered after `ack_wait`
# (default 30 s) and before any later one. With the defaults (1024 in flight), the messages
# in flight are redelivered after 30 s, after the later ones (README, fleet guide).
ORDERED = """\
  max_ack_pending: 1
  ack_wait: "2s"
"""


@dataclass
class NatsNode:
    """One nats-server process; `mqtt_port` is the port MQTT clients use."""

    name: str
    directory: Path
    client_port: int = field(default_factory=free_port)
    route_port: int = field(default_factory=free_port)
    monitor_port: int = field(default_factory=free_port)
    mqtt_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def config_file(self) -> Path:
        return self.directory / f"{self.name}.conf"

    @property
    def log_file(self) -> Path:
        return self.directory / f"{self.name}.log"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def config_text(self, routes: list[int], *, ordered: bool = False) -> str:
        route_urls = ", ".join(f"nats-route://127.0.0.1:{port}" for port in routes)
        return f"""\
server_name: {self.name}
listen: 127.0.0.1:{self.client_port}
http: 127.0.0.1:{self.monitor_port}
jetstream {{ store_dir: "{self.directory / "store"}" }}
cluster {{
  name: {CLUSTER_NAME}
  listen: 127.0.0.1:{self.route_port}
  routes: [{route_urls}]
}}
mqtt {{
  listen: 127.0.0.1:{self.mqtt_port}
  stream_replicas: 3
{ORDERED if ordered else ""}}}
"""

    def spawn(self) -> None:
        if self.running:
            raise RuntimeError(f"{self.name} is already running")
        self.process = subprocess.Popen(
            [NATS_SERVER, "-c", str(self.config_file), "-l", str(self.log_file)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    async def async_signal(self, signum: int) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signum)
        await in_thread(process.wait, READY_TIMEOUT, name=f"wait-{self.name}")

    def kill_now(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(READY_TIMEOUT)

    def log(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")
        except FileNotFoundError:
            return ""


class NatsCluster:
    """Three nodes routed to each other (`ordered`: see ORDERED). Make it outside the event
    loop (it writes the configs); start, stop and kill from the loop."""

    def __init__(self, directory: Path, size: int = 3, *, ordered: bool = False) -> None:
        self.nodes = [
            NatsNode(f"n{index + 1}", directory / f"n{index + 1}") for index in range(size)
        ]
        routes = [node.route_port for node in self.nodes]
        for node in self.nodes:
            (node.directory / "store").mkdir(parents=True, exist_ok=True)
            node.config_file.write_text(node.config_text(routes, ordered=ordered))

    def node_on(self, mqtt_port: int) -> NatsNode:
        return next(node for node in self.nodes if node.mqtt_port == mqtt_port)

    async def async_start(self) -> None:
        """Start every node that is not running and wait until the cluster is ready."""
        for node in self.nodes:
            if not node.running:
                node.spawn()
        await self.async_wait_ready()

    async def async_kill(self, node: NatsNode) -> None:
        """SIGKILL: the node's connections vanish, nothing is handed over."""
        await node.async_signal(signal.SIGKILL)

    async def async_stop(self) -> None:
        """SIGTERM every node (each shuts down cleanly) and wait for all."""
        await asyncio.gather(*(node.async_signal(signal.SIGTERM) for node in self.nodes))

    def kill_all(self) -> None:
        for node in self.nodes:
            node.kill_now()

    async def async_wait_ready(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + READY_TIMEOUT
        running = [node for node in self.nodes if node.running]
        for node in running:
            while not await _healthy(node):
                self._check_alive(node, deadline, loop.time())
                await asyncio.sleep(POLL_INTERVAL)  # polling the monitoring port
        for node in running:
            while not await _mqtt_ready(node):
                self._check_alive(node, deadline, loop.time())
                await asyncio.sleep(POLL_INTERVAL)

    @staticmethod
    def _check_alive(node: NatsNode, deadline: float, now: float) -> None:
        if node.process is not None and node.process.poll() is not None:
            raise RuntimeError(f"{node.name} exited with {node.process.returncode}")
        if now > deadline:
            raise TimeoutError(
                f"{node.name} not ready after {READY_TIMEOUT} s; see {node.log_file}"
            )


async def _healthy(node: NatsNode) -> bool:
    """`GET /healthz` is 200: the server is up and JetStream is current with a meta leader."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", node.monitor_port)
    except OSError:
        return False
    try:
        writer.write(b"GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        status_line = await reader.readline()
    except OSError:
        return False
    finally:
        writer.close()
        await writer.wait_closed()
    return status_line.split(b" ")[1:2] == [b"200"]


async def _mqtt_ready(node: NatsNode) -> bool:
    """An MQTT 3.1.1 connect and a QoS 1 subscribe succeed on this node."""
    probe = MqttProbe(node.mqtt_port, protocol=aiomqtt.ProtocolVersion.V311)
    try:
        await probe.connect()
        await probe.client.subscribe(f"ready/{node.name}", qos=1, timeout=5)
    except aiomqtt.MqttError:
        return False
    finally:
        await probe.disconnect()
    return True
