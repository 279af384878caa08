"""Benchmark 6: the web server (`web:`).

- 6a. A pin edge in a foreign thread → the `state` event at an SSE client, against the same
  edge → its MQTT state message at a probe (both timed per edge, from when the thread drove
  the pin; the ratio is SSE over MQTT).
- 6b. Idle RSS of the daemon with `web:` and without it (same entities, same broker).
- 6c. `/api/states` requests per second with 50 entities (8 concurrent keep-alive clients,
  a fixed number of requests), against a floor: a bare aiohttp server answering the same
  bytes from memory, in a process of its own.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

import platforms.gpio
from gateway.web import async_get_server
from tests.process import GatewayProcess

from .common import FastClient, Row, read_rss_mb, start_gateway, summarize_us, wait_in_sync
from .latency import ForeignThread
from .process import HEADER, MOCK_BOARD, _gpio_entities, byte_compile

EDGE_CONFIG = """\
gateway: {{node_id: webbench, state_dir: {folder}/state, health_interval: 3600}}
mqtt: {{host: 127.0.0.1, port: {port}, client_id: bench-web, base_topic: bench,
       discovery: {{enabled: false}}}}
gpio: {{pin_factory: mock}}
binary_sensor:
  - {{platform: gpio, name: Door, pin: 17}}
web: {{port: 0}}
"""
# Both probes are read in the gateway's own loop, so both arrivals are quantized to its
# iterations: the SSE event skips the broker hop but waits one iteration for its stream's task.
SSE_TARGET_RATIO = 1.2
REQUESTS = 4000
RPS_ROUNDS = 5
CLIENTS = 8
WEB_RSS_TARGET_MB = 15.0  # aiohttp alone: +16 MB on a bare interpreter
FLOOR_SERVER = """\
import asyncio, sys
from aiohttp import web
body = open(sys.argv[1], "rb").read()
async def states(_request):
    return web.Response(body=body, content_type="application/json")
async def main():
    app = web.Application()
    app.router.add_get("/api/states", states)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", int(sys.argv[2])).start()
    print("ready", flush=True)
    await asyncio.Event().wait()
asyncio.run(main())
"""


class SseProbe(asyncio.Protocol):
    """A raw HTTP client of `/api/stream`: notes the time each `state` event's bytes arrive,
    in the read callback (as the MQTT probe does), without a client library's own overhead."""

    def __init__(self) -> None:
        self.buffer = b""
        self.arrivals: asyncio.Queue[float] = asyncio.Queue()

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        self.buffer += data
        while b"\n\n" in self.buffer:
            message, _, self.buffer = self.buffer.partition(b"\n\n")
            if b"event: state" in message:
                self.arrivals.put_nowait(now)


async def _edges_sse_vs_mqtt(port: int, n: int, folder: Path) -> tuple[list[float], list[float]]:
    gw = await start_gateway(EDGE_CONFIG.format(folder=folder, port=port), folder)
    thread = ForeignThread()
    topic = "bench/webbench/binary_sensor/door/state"
    mqtt_seen: asyncio.Queue[float] = asyncio.Queue()
    transport: asyncio.BaseTransport | None = None
    try:
        await wait_in_sync(gw)
        server = async_get_server(gw)
        assert server is not None
        pin = (await platforms.gpio.async_get_driver(gw)).factory.pin(17)

        def on_message(message: object) -> None:
            if str(getattr(message, "topic", "")) == topic:
                mqtt_seen.put_nowait(time.perf_counter())

        loop = asyncio.get_running_loop()
        transport, sse = await loop.create_connection(SseProbe, "127.0.0.1", server.port)
        assert isinstance(transport, asyncio.Transport)
        transport.write(b"GET /api/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        async with FastClient(port, on_message) as probe:
            await probe.client.subscribe(topic, 1)
            await asyncio.sleep(0.2)  # the retained state and the snapshot arrive before timing
            while not mqtt_seen.empty():
                mqtt_seen.get_nowait()
            sse_times, mqtt_times = [], []
            for i in range(n):
                thread.trigger(lambda k: (pin.drive_high if k % 2 else pin.drive_low)(), i)
                sse_at = await asyncio.wait_for(sse.arrivals.get(), 5)
                mqtt_at = await asyncio.wait_for(mqtt_seen.get(), 5)
                sse_times.append(sse_at - thread.started_at)
                mqtt_times.append(mqtt_at - thread.started_at)
            return sse_times[50:], mqtt_times[50:]
    finally:
        if transport is not None:
            transport.close()
        thread.close()
        await gw.async_stop()


async def _idle_rss(port: int, folder: Path, web: bool) -> float:
    name = "with-web" if web else "without-web"
    body = _gpio_entities(40, 6, 4) + ("web: {port: 0}\n" if web else "")
    header = HEADER.format(node=f"rss-{name}", folder=folder / name, port=port, discovery="false")
    loop = asyncio.get_running_loop()
    gateway = await loop.run_in_executor(None, GatewayProcess, folder / name, header + body)
    await loop.run_in_executor(None, lambda: gateway.start(env=MOCK_BOARD))
    try:
        await loop.run_in_executor(None, gateway.wait_for_output, "Boardgate running as", 30.0)
        await asyncio.sleep(3)  # start-up work is not idle
        return read_rss_mb(gateway.pid)
    finally:
        await loop.run_in_executor(None, gateway.stop)


def _virtual_entities(count: int) -> str:
    switches = "".join(f"  - {{platform: virtual, name: Switch {i}}}\n" for i in range(count // 2))
    sensors = "".join(
        f"  - {{platform: virtual, name: Sensor {i}, value: {i}.5}}\n"
        for i in range(count - count // 2)
    )
    return f"switch:\n{switches}sensor:\n{sensors}"


async def _hammer(url: str, requests: int) -> float:
    """Requests per second of CLIENTS keep-alive clients sharing `requests` GETs."""
    left = [requests]

    async def client(http: aiohttp.ClientSession) -> None:
        while left[0] > 0:
            left[0] -= 1
            async with http.get(url) as response:
                assert response.status == 200
                await response.read()

    connector = aiohttp.TCPConnector(limit=CLIENTS)
    async with aiohttp.ClientSession(connector=connector) as http:
        async with http.get(url) as response:  # warm the connection and the caches
            await response.read()
        start = time.perf_counter()
        await asyncio.gather(*(client(http) for _ in range(CLIENTS)))
        return requests / (time.perf_counter() - start)


async def _states_rps(port: int, folder: Path) -> tuple[float, float, int]:
    """Median req/s of the gateway and of the floor, rounds alternating (the machine drifts)."""
    header = HEADER.format(node="rps", folder=folder / "rps", port=port, discovery="false")
    loop = asyncio.get_running_loop()
    body = _virtual_entities(50) + "web: {port: 0}\n"
    gateway = await loop.run_in_executor(None, GatewayProcess, folder / "rps", header + body)
    await loop.run_in_executor(None, gateway.start)
    floor_server: subprocess.Popen[bytes] | None = None
    try:
        await loop.run_in_executor(None, gateway.wait_for_output, "Boardgate running as", 30.0)
        url = gateway.output().split("Web page at ", 1)[1].split()[0] + "api/states"
        async with aiohttp.ClientSession() as http, http.get(url) as response:
            states = await response.read()
        floor_server, floor_url = await _start_floor(states, folder)
        measured, floor = [], []
        for _ in range(RPS_ROUNDS):
            measured.append(await _hammer(url, REQUESTS))
            floor.append(await _hammer(floor_url, REQUESTS))
    finally:
        if floor_server is not None:
            floor_server.terminate()
            floor_server.wait(10)
        await loop.run_in_executor(None, gateway.stop)
    return statistics.median(measured), statistics.median(floor), len(json.loads(states))


async def _start_floor(body: bytes, folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    from tests.broker import free_port

    path = folder / "states.json"
    path.write_bytes(body)
    port = free_port()
    server = subprocess.Popen(  # noqa: ASYNC220 - starting it takes a millisecond
        [sys.executable, "-c", FLOOR_SERVER, str(path), str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert server.stdout is not None
    await asyncio.get_running_loop().run_in_executor(None, server.stdout.readline)
    return server, f"http://127.0.0.1:{port}/api/states"


async def run_web(port: int, rounds: int, folder: Path) -> list[Row]:
    (folder / "edges").mkdir(parents=True, exist_ok=True)
    sse, mqtt = await _edges_sse_vs_mqtt(port, min(rounds, 1000) + 50, folder / "edges")
    sse_median, sse_p99 = summarize_us(sse)
    mqtt_median, mqtt_p99 = summarize_us(mqtt)
    ratio = statistics.median(sse) / statistics.median(mqtt)
    await asyncio.get_running_loop().run_in_executor(None, byte_compile)
    without = await _idle_rss(port, folder, web=False)
    with_web = await _idle_rss(port, folder, web=True)
    rps, floor_rps, count = await _states_rps(port, folder)
    return [
        Row(
            "6a. pin edge (thread) → SSE event",
            f"median {sse_median:.0f} µs, p99 {sse_p99:.0f} µs",
            f"→ MQTT state: median {mqtt_median:.0f} µs, p99 {mqtt_p99:.0f} µs",
            f"{ratio:.2f}x",
            f"≤ {SSE_TARGET_RATIO}x",
            ratio <= SSE_TARGET_RATIO,
        ),
        Row(
            "6b. idle RSS, 50 gpio entities, web: on",
            f"RSS {with_web:.1f} MB",
            f"web: off {without:.1f} MB",
            f"+{with_web - without:.1f} MB",
            f"< +{WEB_RSS_TARGET_MB:.0f} MB",
            with_web - without < WEB_RSS_TARGET_MB,
        ),
        Row(
            f"6c. GET /api/states, {count} entities, {CLIENTS} clients (median of {RPS_ROUNDS})",
            f"{rps:.0f} req/s",
            f"{floor_rps:.0f} req/s (bare aiohttp, same bytes)",
            f"{rps / floor_rps:.2f}x",
            "≥ 0.5x of the floor",
            rps >= 0.5 * floor_rps,
        ),
    ]
