"""Benchmarks 1 and 2: command → pin → state echo, and pin edge → state message.

Only one message is in flight at a time; the time of arrival is taken in the probe's read
callback. Floors are measured in the same run, on the same broker, with the same protocol (MQTT
5), one floor round alternating with one gateway round:
- echo: a bare aiomqtt client republishes what it receives on A to B (two hops, like a command
  and its state);
- edge: a foreign thread hands a publish to a bare aiomqtt client with `call_soon_threadsafe`
  (one hop plus the thread hand-off, like a pin edge and its state).
"""

from __future__ import annotations

import asyncio
import functools
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path

import aiomqtt

import platforms.gpio
from gateway.core import Gateway

from .common import FastClient, Row, start_gateway, summarize_us, wait_in_sync

WARMUP = 200
TARGET_RATIO = 1.5
TARGET_P99_US = 5000.0

GATEWAY_CONFIG = """\
gateway: {{node_id: bench, state_dir: {folder}/state, health_interval: 3600}}
mqtt: {{host: 127.0.0.1, port: {port}, client_id: bench-gw-{qos}, base_topic: bench,
       qos: {qos}, discovery: {{enabled: false}}}}
gpio: {{pin_factory: mock}}
switch:
  - {{platform: gpio, name: Relay, pin: 22}}
binary_sensor:
  - {{platform: gpio, name: Door, pin: 17}}
"""


def _payload(message: aiomqtt.Message) -> bytes:
    payload = message.payload
    return payload if isinstance(payload, bytes) else str(payload).encode()


class Stopwatch:
    """Resolves the pending future when a message on `topic` arrives, with its arrival time."""

    def __init__(self, topic: str) -> None:
        self.topic = topic
        self.pending: asyncio.Future[float] | None = None

    def on_message(self, message: aiomqtt.Message) -> None:
        now = time.perf_counter()
        if message.topic.value == self.topic and self.pending and not self.pending.done():
            self.pending.set_result(now)

    async def round(self, trigger: Callable[[], object], timeout: float = 5.0) -> float:
        """Run `trigger` and wait for the message; the latency."""
        self.pending = asyncio.get_running_loop().create_future()
        triggered = time.perf_counter()
        trigger()
        arrived = await asyncio.wait_for(self.pending, timeout)
        return arrived - self.started_at(triggered)

    def started_at(self, triggered: float) -> float:
        """When the round began: when the trigger was called."""
        return triggered


Trigger = Callable[[int], object]


async def _interleaved(
    floor: tuple[Stopwatch, Trigger], subject: tuple[Stopwatch, Trigger], n: int
) -> tuple[list[float], list[float]]:
    """Alternate one floor round and one gateway round, so load on the machine that comes and
    goes during the run weighs on both alike; returns (floor, subject) samples."""
    samples: tuple[list[float], list[float]] = ([], [])
    for i in range(WARMUP + n):
        for (watch, trigger), into in zip((floor, subject), samples, strict=True):
            latency = await watch.round(functools.partial(trigger, i))
            if i >= WARMUP:
                into.append(latency)
    return samples


async def _echo(port: int, qos: int, n: int, folder: Path) -> tuple[list[float], list[float]]:
    """(floor, gateway): a bare echo client's round trips and command → state round trips."""
    gw = await start_gateway(GATEWAY_CONFIG.format(folder=folder, port=port, qos=qos), folder)
    try:
        await wait_in_sync(gw)
        floor_watch = Stopwatch("floor/b")
        gateway_watch = Stopwatch("bench/bench/switch/relay/state")
        async with (
            FastClient(port) as echoer,
            FastClient(port, floor_watch.on_message) as floor_probe,
            FastClient(port, gateway_watch.on_message) as probe,
        ):
            # Retained, like the gateway's state publishes (the contract requires it).
            echoer.on_message = lambda m: echoer.publish_nowait("floor/b", _payload(m), qos, True)
            await echoer.client.subscribe("floor/a", qos)
            await floor_probe.client.subscribe(floor_watch.topic, qos)
            await probe.client.subscribe(gateway_watch.topic, qos)
            await asyncio.sleep(0.2)  # let the retained state arrive before timing
            payloads = (b"ON", b"OFF")
            return await _interleaved(
                (floor_watch, lambda i: floor_probe.publish_nowait("floor/a", b"%d" % i, qos)),
                (
                    gateway_watch,
                    lambda i: probe.publish_nowait(
                        "bench/bench/switch/relay/set", payloads[i % 2], qos
                    ),
                ),
                n,
            )
    finally:
        await gw.async_stop()


class ForeignThread:
    """A thread that runs what it is given and reports when it started it."""

    def __init__(self) -> None:
        self._jobs: queue.Queue[Callable[[], object] | None] = queue.Queue()
        self.started_at = 0.0
        self._thread = threading.Thread(target=self._run, name="bench-driver", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            self.started_at = time.perf_counter()
            job()

    def trigger(self, job: Callable[[int], object], i: int) -> None:
        """A `Stopwatch` trigger: run `job(i)` in the thread."""
        self._jobs.put(functools.partial(job, i))

    def close(self) -> None:
        self._jobs.put(None)
        self._thread.join()


class ThreadStopwatch(Stopwatch):
    """Times from when the foreign thread started the job."""

    def __init__(self, topic: str, thread: ForeignThread) -> None:
        super().__init__(topic)
        self.thread = thread

    def started_at(self, triggered: float) -> float:
        return self.thread.started_at


async def _edges(port: int, n: int, folder: Path) -> tuple[list[float], list[float]]:
    """(floor, gateway): thread → bare publish, and pin edge in a thread → state message."""
    gw: Gateway = await start_gateway(
        GATEWAY_CONFIG.format(folder=folder, port=port, qos=1), folder
    )
    thread = ForeignThread()
    loop = asyncio.get_running_loop()
    try:
        await wait_in_sync(gw)
        pin = (await platforms.gpio.async_get_driver(gw)).factory.pin(17)
        floor_watch = ThreadStopwatch("floor/edge", thread)
        gateway_watch = ThreadStopwatch("bench/bench/binary_sensor/door/state", thread)
        async with (
            FastClient(port) as publisher,
            FastClient(port, floor_watch.on_message) as floor_probe,
            FastClient(port, gateway_watch.on_message) as probe,
        ):
            await floor_probe.client.subscribe(floor_watch.topic, 1)
            await probe.client.subscribe(gateway_watch.topic, 1)
            await asyncio.sleep(0.2)  # let the retained state arrive before timing

            def floor_edge(i: int) -> None:
                loop.call_soon_threadsafe(
                    publisher.publish_nowait, floor_watch.topic, b"%d" % (i % 2), 1
                )

            def edge(i: int) -> None:
                (pin.drive_high if i % 2 else pin.drive_low)()

            return await _interleaved(
                (floor_watch, functools.partial(thread.trigger, floor_edge)),
                (gateway_watch, functools.partial(thread.trigger, edge)),
                n,
            )
    finally:
        thread.close()
        await gw.async_stop()


def _latency_row(name: str, samples: list[float], floor: list[float]) -> Row:
    median, p99 = summarize_us(samples)
    floor_median, floor_p99 = summarize_us(floor)
    ratio = median / floor_median
    return Row(
        name,
        f"median {median:.0f} µs, p99 {p99:.0f} µs",
        f"median {floor_median:.0f} µs, p99 {floor_p99:.0f} µs",
        f"{ratio:.2f}x",
        f"≤ {TARGET_RATIO}x, p99 < {TARGET_P99_US / 1000:.0f} ms",
        ratio <= TARGET_RATIO and p99 < TARGET_P99_US,
    )


async def run_echo(port: int, n: int, folder: Path) -> list[Row]:
    rows = []
    for qos in (0, 1):
        floor, gateway = await _echo(port, qos, n, _sub(folder, f"echo-{qos}"))
        rows.append(_latency_row(f"1. command → pin → state, QoS {qos}", gateway, floor))
    return rows


async def run_edges(port: int, n: int, folder: Path) -> list[Row]:
    floor, gateway = await _edges(port, n, _sub(folder, "edges"))
    row = _latency_row("2. pin edge (thread) → state", gateway, floor)
    row.floor += " (thread → bare publish)"
    return [row]


def _sub(folder: Path, name: str) -> Path:
    path = folder / name
    path.mkdir(parents=True, exist_ok=True)
    return path
