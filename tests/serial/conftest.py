"""Pseudo-terminal devices for the serial suite.

The test holds the master side of an `os.openpty()` pair: it plays the device. The gateway opens
a symlink in `tmp_path` (like `/dev/serial/by-id/...`) that points at the slave. Unplugging
closes the master (the gateway's reads then fail with EIO, as with a pulled USB adapter);
the symlink is removed, as udev does; replugging makes a new pair and a new symlink.

The master is non-blocking and read with `loop.add_reader`, written with `loop.add_writer`:
test I/O never blocks the loop, and waits are on conditions, never on sleeps.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import tty
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis.configuration import set_hypothesis_home_dir

from gateway.config.model import SerialPortConfig
from gateway.core import Gateway, callback
from hardware.serial_port import SerialPortManager
from platforms.serial import port_settings
from tests.helpers import Waiters

WAIT_TIMEOUT = 10.0


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems() -> Iterator[None]:
    """Hypothesis' pytest plugin caches the constants of local modules on disk while items are
    collected, even with `database=None`; send that cache to a throw-away directory instead of
    `.hypothesis` in the checkout (test_framing.py does the same while its tests run)."""
    with tempfile.TemporaryDirectory(prefix="hypothesis-") as folder:
        set_hypothesis_home_dir(folder)
        try:
            return (yield)
        finally:
            set_hypothesis_home_dir(None)


@pytest.fixture
def hypothesis_storage(tmp_path: Path) -> Iterator[None]:
    """Hypothesis caches source constants on disk even without a database: keep that cache
    in the test's tmp_path, not in a .hypothesis folder of the checkout."""
    set_hypothesis_home_dir(tmp_path / "hypothesis")
    yield
    set_hypothesis_home_dir(None)


class PtyDevice:
    """The device end of a pseudo-terminal, behind a re-pointable symlink."""

    def __init__(self, link: Path) -> None:
        self.link = link
        self.master = -1
        self.slave = -1
        self.received = bytearray()
        self.waiters = Waiters()
        self._loop = asyncio.get_running_loop()

    @property
    def plugged(self) -> bool:
        return self.master >= 0

    def plug(self) -> None:
        assert not self.plugged
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        os.set_blocking(self.master, False)
        temporary = self.link.with_name(self.link.name + ".new")
        os.symlink(os.ttyname(self.slave), temporary)
        os.replace(temporary, self.link)
        self._loop.add_reader(self.master, self._readable)

    def unplug(self) -> None:
        assert self.plugged
        self._loop.remove_reader(self.master)
        self._loop.remove_writer(self.master)
        os.close(self.master)
        os.close(self.slave)
        self.master = self.slave = -1
        # udev removes /dev/serial/by-id links too; a stale link could meet a reused pts number.
        self.link.unlink()

    def _readable(self) -> None:
        try:
            data = os.read(self.master, 65536)
        except BlockingIOError:
            return
        except OSError:  # EIO: no slave open any more
            data = b""
        if data:
            self.received += data
            self.waiters.check()

    async def write(self, data: bytes) -> None:
        """Write all of `data`, waiting for room when the tty buffer is full."""
        view = memoryview(data)
        while view:
            try:
                written = os.write(self.master, view)
            except BlockingIOError:
                written = 0
            view = view[written:]
            if view:
                ready: asyncio.Future[None] = self._loop.create_future()
                self._loop.add_writer(self.master, _set_done, ready)
                try:
                    await ready
                finally:
                    self._loop.remove_writer(self.master)

    async def wait_received(self, predicate: Callable[[bytes], bool], what: str) -> None:
        await self.waiters.wait(lambda: predicate(bytes(self.received)), what)


def _set_done(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class PortRecorder:
    """Records a manager's frames and availability changes."""

    def __init__(self, manager: SerialPortManager) -> None:
        self.frames: list[bytes] = []
        self.availability: list[bool] = []
        self.waiters = Waiters()
        manager.async_add_frame_listener(self._frame)
        manager.async_add_availability_listener(self._available)

    @callback
    def _frame(self, frame: bytes) -> None:
        self.frames.append(frame)
        self.waiters.check()

    @callback
    def _available(self, available: bool) -> None:
        self.availability.append(available)
        self.waiters.check()

    async def wait_frames(self, count: int) -> None:
        await self.waiters.wait(lambda: len(self.frames) >= count, f"{count} frames")

    async def wait_available(self, manager: SerialPortManager, available: bool) -> None:
        await self.waiters.wait(lambda: manager.available is available, f"available={available}")


@pytest.fixture
async def device(tmp_path: Path) -> AsyncIterator[PtyDevice]:
    pty = PtyDevice(tmp_path / "usb-Test_Device-if00")
    pty.plug()
    yield pty
    if pty.plugged:
        pty.unplug()


def port_config(device: PtyDevice, **overrides: Any) -> SerialPortConfig:
    fields: dict[str, Any] = {"id": "dev", "port": str(device.link), "baudrate": 115200}
    fields.update(overrides)
    return SerialPortConfig(**fields)


@pytest.fixture
async def make_manager(gw: Gateway) -> AsyncIterator[MakeManager]:
    """Start managers for the test; each is stopped afterwards (before the gateway)."""
    managers: list[SerialPortManager] = []

    async def make(
        config: SerialPortConfig, **kwargs: Any
    ) -> tuple[SerialPortManager, PortRecorder]:
        manager = SerialPortManager(gw, port_settings(config), **kwargs)
        recorder = PortRecorder(manager)
        managers.append(manager)
        await manager.async_start()
        return manager, recorder

    yield make
    for manager in managers:
        await manager.async_stop()


MakeManager = Callable[..., Awaitable[tuple[SerialPortManager, PortRecorder]]]
