"""Benchmark 8: what Homie and Sparkplug cost, each on its own and against the same gateway
without them (the floor, measured in the same run).

The `boardgate` process runs 20 virtual switches and 10 virtual sensors three times: without
a convention, with `homie:`, with `sparkplug:`. RSS is read once the convention has published
its birth (Homie `ready`, Sparkplug NBIRTH); CPU per change is the process's CPU time over
2,000 switch toggles commanded on `<e>/set` one after another, each waited for until its
state echo and the convention's output (a Homie value, an NDATA) have arrived. The command,
its execution and the echo are in the floor too: the difference is the convention's own cost.
"""

from __future__ import annotations

import asyncio
import functools
import statistics
from collections.abc import Callable
from pathlib import Path

import aiomqtt

from tests.process import GatewayProcess

from .common import FastClient, Row, read_rss_mb
from .process import _cpu_seconds, byte_compile

NODE = "conv"
HEADER = """\
gateway: {{node_id: {node}, state_dir: {folder}/state}}
mqtt: {{host: 127.0.0.1, port: {port}, client_id: bench-{node}, base_topic: bench,
       discovery: {{enabled: false}}}}
"""
ENTITIES = (
    "switch:\n"
    + "".join(f"  - {{platform: virtual, name: Virtual {i}}}\n" for i in range(20))
    + "sensor:\n"
    + "".join(
        f"  - {{platform: virtual, name: Level {i}, value: {i}.5, unit_of_measurement: L}}\n"
        for i in range(10)
    )
)
CONVENTIONS = {
    "off": ("", lambda topic, payload: False, lambda topic: False),
    "homie": (
        "homie: {prefix: benchhomie}\n",
        lambda topic, payload: topic.endswith("/$state") and payload == b"ready",
        lambda topic: topic == f"benchhomie/5/{NODE}/switch-virtual-0/state",
    ),
    "sparkplug": (
        "sparkplug: {group_id: bench}\n",
        lambda topic, payload: "/NBIRTH/" in topic,
        lambda topic: "/NDATA/" in topic,
    ),
}
CHANGES = 2000
ROUNDS = 3


class Counter:
    """Counts state echoes and convention outputs; `wait(n)` until both reach n."""

    def __init__(
        self, born: Callable[[str, bytes], bool], output: Callable[[str], bool], counted: bool
    ) -> None:
        self.born_check = born
        self.output_check = output
        self.counted = counted  # whether outputs are expected at all
        self.born = asyncio.get_running_loop().create_future()
        self.echoes = 0
        self.outputs = 0
        self.online = asyncio.get_running_loop().create_future()
        self._waiter: tuple[int, asyncio.Future[None]] | None = None

    def on_message(self, message: aiomqtt.Message) -> None:
        topic, payload = message.topic.value, message.payload
        assert isinstance(payload, bytes)
        if topic == f"bench/{NODE}/status" and payload == b"online":
            _resolve(self.online)
        elif topic == f"bench/{NODE}/switch/virtual_0/state":
            self.echoes += 1
        if self.born_check(topic, payload):
            _resolve(self.born)
        elif self.output_check(topic):
            self.outputs += 1
        self._check()

    def _check(self) -> None:
        if self._waiter is not None and self._done(self._waiter[0]):
            _resolve(self._waiter[1])

    def _done(self, count: int) -> bool:
        return self.echoes >= count and (self.outputs >= count or not self.counted)

    async def wait(self, count: int) -> None:
        future = asyncio.get_running_loop().create_future()
        self._waiter = (count, future)
        self._check()
        try:
            await asyncio.wait_for(future, 60)
        except TimeoutError:
            raise TimeoutError(f"{self.echoes} echoes, {self.outputs} outputs of {count}") from None


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


async def _measure(port: int, folder: Path, name: str) -> tuple[float, float]:
    """(RSS MB once born, CPU µs per change) of the gateway with convention `name`."""
    sections, born, output = CONVENTIONS[name]
    config = HEADER.format(node=NODE, folder=folder, port=port) + sections + ENTITIES
    gateway = GatewayProcess(folder, config)
    counter = Counter(born, output, counted=name != "off")
    loop = asyncio.get_running_loop()
    async with FastClient(port, counter.on_message) as probe:
        await probe.client.subscribe(f"bench/{NODE}/#", 1)
        await probe.client.subscribe("benchhomie/#", 1)
        await probe.client.subscribe("spBv1.0/bench/#", 0)
        await loop.run_in_executor(None, gateway.start)
        try:
            await asyncio.wait_for(counter.online, 60)
            if name != "off":
                await asyncio.wait_for(counter.born, 60)
            await asyncio.sleep(2)  # start-up work (imports, births) is not what we measure
            rss = read_rss_mb(gateway.pid)
            counter.echoes = counter.outputs = 0
            cpu_before = _cpu_seconds(gateway.pid)
            for index in range(CHANGES):  # one at a time: every command is a change
                payload = b"ON" if index % 2 == 0 else b"OFF"
                probe.publish_nowait(f"bench/{NODE}/switch/virtual_0/set", payload, 1)
                await counter.wait(index + 1)
            cpu = _cpu_seconds(gateway.pid) - cpu_before
        finally:
            await loop.run_in_executor(None, functools.partial(gateway.stop))
    return rss, cpu / CHANGES * 1e6


async def run_conventions(port: int, folder: Path) -> list[Row]:
    await asyncio.get_running_loop().run_in_executor(None, byte_compile)
    # Alternated rounds, the median of each: on a shared machine one run can be unlucky.
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in CONVENTIONS}
    for round_ in range(ROUNDS):
        for name in CONVENTIONS:
            runs[name].append(await _measure(port, folder / f"{name}-{round_}", name))
    results = {
        name: (statistics.median(r for r, _ in values), statistics.median(c for _, c in values))
        for name, values in runs.items()
    }
    rss_off, cpu_off = results["off"]
    rows = []
    for name in ("homie", "sparkplug"):
        rss, cpu = results[name]
        rows.append(
            Row(
                f"8. {name} on: RSS, CPU per change (30 entities, median of {ROUNDS})",
                f"RSS {rss:.1f} MB, {cpu:.0f} µs/change",
                f"off: RSS {rss_off:.1f} MB, {cpu_off:.0f} µs/change",
                f"{rss - rss_off:+.1f} MB, {cpu - cpu_off:+.0f} µs",
                "(reported)",
                None,
            )
        )
    return rows
