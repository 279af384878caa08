"""Fault 7: the serial device unplugged and replugged 20 times under traffic, over MQTT.

Each cycle: lines stream in from the device (published on `.../serial/dev/rx`) and a payload
goes out through `.../serial/dev/tx`; then the device vanishes in the middle of a line while
more lines are on their way, and comes back. The port must recover every time, a partial line
must never be published, and nothing may pile up: file descriptors, tasks and threads are the
same after the 20th cycle as after the first.
"""

from __future__ import annotations

import asyncio
import functools
import os
import threading
from collections.abc import Callable
from typing import Any

from gateway.clock import FakeClock
from gateway.core import Gateway
from hardware.serial_port import BACKOFF_MAXIMUM
from platforms import serial as serial_component
from tests.broker import Mosquitto
from tests.fixtures_mqtt import MqttProbe
from tests.helpers import in_thread
from tests.mqtt.conftest import mqtt_config, setup_mqtt, wait_in_sync
from tests.serial.conftest import PortRecorder, PtyDevice, port_config
from tests.serial.conftest import device as device  # the fixture, by name

from .conftest import figure

CYCLES = 20
LINES = 20
POOL_PREFIX = "boardgate-worker"


def _contains(part: bytes, data: bytes) -> bool:
    return part in data


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _tasks_and_threads() -> tuple[int, list[str]]:
    """Live tasks and threads, less the executor's workers: the pool grows to its bound with
    load (a second worker under a busy CI machine is not a leak) and retires idle ones."""
    tasks = len([task for task in asyncio.all_tasks() if not task.done()])
    threads = [t.name for t in threading.enumerate() if not t.name.startswith(POOL_PREFIX)]
    return tasks, sorted(threads)


async def test_serial_unplugged_twenty_times_under_traffic(
    gw: Gateway,
    clock: FakeClock,
    device: PtyDevice,
    mqtt_broker: Mosquitto,
    mqtt_probe_factory: Callable[..., Any],
) -> None:
    data = await setup_mqtt(gw, mqtt_config(mqtt_broker.port))
    await serial_component.async_setup(gw, (port_config(device, bridge=True),))
    manager = serial_component.async_get_manager(gw, "dev")
    recorder = PortRecorder(manager)
    await wait_in_sync(data.connection)
    rx, tx = f"{data.node_base}/serial/dev/rx", f"{data.node_base}/serial/dev/tx"
    probe: MqttProbe = await mqtt_probe_factory(mqtt_broker.port)
    await probe.subscribe(rx)
    baseline: tuple[int, int, list[str]] | None = None

    for cycle in range(CYCLES):
        lines = b"".join(b"c%d-%d\n" % (cycle, i) for i in range(LINES))
        await device.write(lines)
        await probe.publish(tx, f"hello {cycle}")
        await probe.wait_for_value(rx, f"c{cycle}-{LINES - 1}")
        hello = b"hello %d\n" % cycle
        await device.wait_received(functools.partial(_contains, hello), "tx payload")
        if baseline is None:
            baseline = (await in_thread(_open_fds), *_tasks_and_threads())
        # Unplug in the middle of a line, with more lines still on their way.
        await device.write(b"late line\npartial li")
        device.unplug()
        await recorder.wait_available(manager, False)
        device.plug()
        clock.advance(BACKOFF_MAXIMUM)  # the reopen timer runs on the gateway's clock
        await recorder.wait_available(manager, True)

    await device.write(b"after\n")
    await probe.wait_for_value(rx, "after")
    after = (await in_thread(_open_fds), *_tasks_and_threads())
    assert baseline is not None
    assert after == baseline, f"leak: before {baseline}, after {after}"
    published = probe.values(rx)
    assert not [p for p in published if p.startswith(b"partial")], "a partial line went out"
    assert manager.stats.opens == CYCLES + 1
    assert manager.stats.disconnects == CYCLES
    assert recorder.availability == [False, True] * CYCLES
    figure(
        "7. serial unplug/replug x20 under traffic",
        f"recovered {CYCLES}/{CYCLES}; fds {baseline[0]} → {after[0]}, tasks {baseline[1]} → "
        f"{after[1]}, threads {len(baseline[2])} → {len(after[2])}; "
        f"{len(published)} rx frames published",
    )
