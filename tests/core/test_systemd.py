"""systemd notify over a datagram socket the test owns."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.clock import FakeClock
from gateway.core import Gateway
from gateway.systemd import Notifier, async_setup_systemd

RECV_TIMEOUT = 5.0


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.setblocking(False)
    yield sock, path
    sock.close()


async def _receive(sock: socket.socket) -> str:
    loop = asyncio.get_running_loop()
    return (await asyncio.wait_for(loop.sock_recv(sock, 256), RECV_TIMEOUT)).decode()


async def test_ready_watchdog_stopping(
    gw: Gateway, clock: FakeClock, notify_socket: tuple[socket.socket, str]
) -> None:
    sock, path = notify_socket
    notifier = Notifier({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "10000000"})
    assert notifier.watchdog_interval == 5.0
    async_setup_systemd(gw, notifier)
    assert await _receive(sock) == "READY=1"
    clock.advance(5)
    assert await _receive(sock) == "WATCHDOG=1"
    clock.advance(5)
    assert await _receive(sock) == "WATCHDOG=1"
    await gw.async_stop()
    assert await _receive(sock) == "STOPPING=1"
    clock.advance(60)
    assert clock.pending() == 0


async def test_watchdog_for_another_pid_is_ignored(
    notify_socket: tuple[socket.socket, str],
) -> None:
    _, path = notify_socket
    notifier = Notifier({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "1000", "WATCHDOG_PID": "1"})
    assert notifier.watchdog_interval is None
    notifier.close()


async def test_without_notify_socket_nothing_happens(gw: Gateway, clock: FakeClock) -> None:
    async_setup_systemd(gw, Notifier({}))
    assert clock.pending() == 0
