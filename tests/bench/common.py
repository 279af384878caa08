"""Shared pieces of the benchmarks: a private broker, a fast client, a gateway from YAML.

Everything runs on loopback against a mosquitto started here (`set_tcp_nodelay true`, no
persistence). Clients speak MQTT 5 (the gateway's default), set TCP_NODELAY and hand each
message to a plain function as paho reads it (no queue, no task per message), so the floor
measures the broker and the client stack, not client-side queueing; the gateway's own client
works the same way.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
import statistics
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiomqtt

from gateway.bootstrap import async_setup_gateway
from gateway.config import load_config
from gateway.core import Gateway
from gateway.loader import resolve_platform_schema
from gateway.mqtt.client import guard_socket_registration
from tests.broker import Mosquitto

__all__ = [
    "FastClient",
    "Row",
    "broker",
    "percentile",
    "read_rss_mb",
    "start_gateway",
    "summarize_us",
]

_ids = itertools.count()
PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass(slots=True)
class Row:
    """One line of the result table."""

    name: str
    value: str
    floor: str
    ratio: str
    target: str
    ok: bool | None = None


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def summarize_us(samples: list[float]) -> tuple[float, float]:
    """(median, p99) in microseconds of samples in seconds."""
    return statistics.median(samples) * 1e6, percentile(samples, 0.99) * 1e6


def read_rss_mb(pid: int | str = "self") -> float:
    with open(f"/proc/{pid}/statm", encoding="ascii") as handle:
        return int(handle.read().split()[1]) * PAGE / 2**20


@contextmanager
def broker() -> Iterator[Mosquitto]:
    """A private mosquitto on a free loopback port, without persistence."""
    with tempfile.TemporaryDirectory(prefix="boardgate-bench-") as folder:
        mosquitto = Mosquitto(Path(folder) / "mosquitto", persistence=False)
        mosquitto.start()
        try:
            yield mosquitto
        finally:
            mosquitto.stop()


def _handler_queue(handler: Callable[[aiomqtt.Message], None]) -> Any:
    class HandlerQueue(asyncio.Queue[aiomqtt.Message]):
        def put_nowait(self, item: aiomqtt.Message) -> None:
            handler(item)

    return HandlerQueue


class FastClient:
    """A bare aiomqtt client: `on_message` is called as each message is read."""

    def __init__(
        self,
        port: int,
        on_message: Callable[[aiomqtt.Message], None] | None = None,
        protocol: aiomqtt.ProtocolVersion = aiomqtt.ProtocolVersion.V5,
    ):
        self.on_message = on_message or (lambda _message: None)
        self.client = aiomqtt.Client(
            "127.0.0.1",
            port,
            identifier=f"bench-{os.getpid()}-{next(_ids)}",
            protocol=protocol,
            socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)],
            queue_type=_handler_queue(lambda message: self.on_message(message)),
            max_queued_outgoing_messages=None,
        )
        self.client.pending_calls_threshold = 1_000_000
        self._reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> FastClient:
        guard_socket_registration(self.client)
        await self.client.__aenter__()
        self._reader = asyncio.get_running_loop().create_task(self._drain())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        await self.client.__aexit__(None, None, None)

    async def _drain(self) -> None:
        async for _message in self.client.messages:
            pass

    def publish_nowait(
        self, topic: str, payload: bytes, qos: int = 0, retain: bool = False
    ) -> None:
        """paho's non-blocking publish (what the gateway itself uses)."""
        self.client._client.publish(topic, payload, qos, retain)


async def start_gateway(config_text: str, folder: Path) -> Gateway:
    """A whole gateway, assembled from YAML as `boardgate run` does (in this process)."""
    path = folder / "boardgate.yaml"
    path.write_text(config_text)
    loop = asyncio.get_running_loop()
    config = await loop.run_in_executor(None, load_config, path, resolve_platform_schema)
    return await async_setup_gateway(config)


async def wait_in_sync(gw: Gateway, timeout: float = 30.0) -> None:
    """Until the gateway's MQTT connection is up and every subscription acknowledged."""
    from gateway.mqtt import get_data

    connection = get_data(gw).connection
    deadline = asyncio.get_running_loop().time() + timeout
    while not connection.in_sync:
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("gateway did not connect")
        await asyncio.sleep(0.01)  # start-up only, not part of any measurement
