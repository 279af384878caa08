"""The serial driver's seam to its host: `LoopServices`, declared in hardware, which the
Gateway satisfies (mypy checks it where `platforms/serial` passes the Gateway in) and which any
other host can satisfy too."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest

from gateway.clock import FakeClock
from gateway.core import Gateway
from hardware.loop_services import LoopServices
from hardware.serial_port import BACKOFF_MAXIMUM, SerialPortManager, SerialPortSettings
from tests.helpers import in_thread
from tests.serial.conftest import PortRecorder, PtyDevice

pytestmark = pytest.mark.timeout(60)

_R = TypeVar("_R")


def _contains(part: bytes, data: bytes) -> bool:
    return part in data


class PlainHost:
    """A host that is not the Gateway: the loop, a fake clock, its own thread pool."""

    executor_timeout = 5.0

    def __init__(self, clock: FakeClock, executor: ThreadPoolExecutor) -> None:
        self.loop = asyncio.get_running_loop()
        self.clock = clock
        self._executor = executor
        self.tasks: set[asyncio.Task[Any]] = set()

    def async_add_executor_job(self, target: Callable[..., _R], *args: Any) -> asyncio.Future[_R]:
        return self.loop.run_in_executor(self._executor, target, *args)

    def async_untrack(self, future: asyncio.Future[Any]) -> None:
        """Nothing tracked here."""

    def async_create_task(
        self, coro: Coroutine[Any, Any, _R], name: str | None = None
    ) -> asyncio.Task[_R]:
        task = self.loop.create_task(coro, name=name)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task


async def test_the_gateway_is_a_loop_services(gw: Gateway) -> None:
    assert isinstance(gw, LoopServices)


async def test_the_serial_driver_runs_on_a_host_that_is_not_the_gateway(
    device: PtyDevice, clock: FakeClock
) -> None:
    executor = ThreadPoolExecutor(2, thread_name_prefix="plain-host")
    host = PlainHost(clock, executor)
    assert isinstance(host, LoopServices)
    settings = SerialPortSettings(name="dev", port=str(device.link), baudrate=115200)
    manager = SerialPortManager(host, settings)
    recorder = PortRecorder(manager)
    try:
        await manager.async_start()
        await device.write(b"hello\n")
        await recorder.wait_frames(1)
        device.unplug()
        await recorder.wait_available(manager, False)
        device.plug()
        clock.advance(BACKOFF_MAXIMUM)  # the reopen timer runs on the host's clock
        await recorder.wait_available(manager, True)
        assert manager.async_write(b"ping\n")
        await device.wait_received(functools.partial(_contains, b"ping\n"), "the write")
    finally:
        await manager.async_stop()
        await in_thread(executor.shutdown)
    assert recorder.frames == [b"hello"]
    assert recorder.availability == [True, False, True]
    assert not host.tasks
    assert clock.pending() == 0
