"""Issue 12.4 and 12.12: connect attempts that end before the CONNACK, and broker restarts.

A broker (or anything on its port) that closes or resets the connection before its CONNACK
fails the attempt at once, followed by the usual backoff; a connect attempt that times out
closes its socket at once; five broker restarts are five reconnects, each back within the
backoff, not after the 10 s CONNACK timeout.
"""

from __future__ import annotations

import os
import signal
import socket
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.core import Gateway
from gateway.mqtt.client import CONNECT_TIMEOUT
from gateway.mqtt.connection import MqttConnection
from gateway.util.backoff import Backoff
from tests.broker import Mosquitto
from tests.helpers import in_thread
from tests.mqtt.conftest import mqtt_config, setup_mqtt, wait_for_connection, wait_in_sync

from .conftest import figure

ATTEMPTS = 3
RESTARTS = 5
FAST_BACKOFF = (0.05, 0.1)


class HandshakeServer:
    """A loopback TCP server, in a thread, that never answers an MQTT CONNECT.

    `close`: accepts and closes at once; `reset`: accepts and resets (RST); `hold`: accepts
    and keeps the connection, recording when the client closes it (`closed_at`).
    """

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.accepted = 0
        self.closed_at: list[float] = []
        self.closed = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._threads = [threading.Thread(target=self._serve, name=f"handshake-{mode}")]
        self._threads[0].start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return  # the listener was shut down
            self.accepted += 1
            if self.mode == "hold":
                thread = threading.Thread(target=self._hold, args=(conn,), name="handshake-hold")
                self._threads.append(thread)
                thread.start()
                continue
            if self.mode == "reset":
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()

    def _hold(self, conn: socket.socket) -> None:
        with conn:
            while conn.recv(4096):
                pass  # the CONNECT, never answered
            self.closed_at.append(time.monotonic())
            self.closed.set()

    def close(self) -> None:
        self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        for thread in self._threads:
            thread.join(5)


@pytest.fixture
def handshake_server(request: pytest.FixtureRequest) -> Iterator[HandshakeServer]:
    server = HandshakeServer(request.param)
    yield server
    server.close()


async def _stop(connection: MqttConnection) -> None:
    await connection.async_final_write()
    connection.async_close()


@pytest.mark.parametrize("handshake_server", ["close", "reset"], indirect=True)
async def test_socket_closed_before_connack_fails_the_attempt_at_once(
    real_gw: Gateway, handshake_server: HandshakeServer, caplog: pytest.LogCaptureFixture
) -> None:
    connection = MqttConnection(
        real_gw, mqtt_config(handshake_server.port), "bg/status", Backoff(*FAST_BACKOFF)
    )
    started = time.monotonic()
    connection.async_start()
    try:
        # Before the fix each attempt waited for the CONNACK timeout (10 s).
        await wait_for_connection(
            connection, lambda conn: conn.failures >= ATTEMPTS, CONNECT_TIMEOUT / 2
        )
    finally:
        await _stop(connection)
    seconds = time.monotonic() - started
    assert connection.attempts >= ATTEMPTS
    assert handshake_server.accepted >= ATTEMPTS
    assert not connection.connected
    figure(
        f"12.4 socket {handshake_server.mode} before CONNACK",
        f"{ATTEMPTS} failed attempts in {seconds:.2f} s (each waited {CONNECT_TIMEOUT:.0f} s)",
    )


@pytest.mark.parametrize("handshake_server", ["hold"], indirect=True)
async def test_timed_out_attempt_closes_its_socket_at_once(
    real_gw: Gateway, handshake_server: HandshakeServer
) -> None:
    connection = MqttConnection(
        real_gw, mqtt_config(handshake_server.port), "bg/status", Backoff(5.0, 5.0)
    )
    connection.connect_timeout = 0.2
    connection.async_start()
    try:
        await wait_for_connection(connection, lambda conn: conn.failures >= 1)
        failed_at = time.monotonic()
        await in_thread(handshake_server.closed.wait, 5.0)
    finally:
        await _stop(connection)
    assert handshake_server.closed_at, "the timed-out attempt kept its socket open"
    lag = handshake_server.closed_at[0] - failed_at
    assert lag < 1.0
    figure("12.12 timed-out connect attempt", f"socket closed {max(lag, 0) * 1000:.0f} ms after")


async def test_broker_restarts_are_each_a_prompt_reconnect(
    real_gw: Gateway, private_broker: Mosquitto
) -> None:
    data = await setup_mqtt(real_gw, mqtt_config(private_broker.port))
    connection = data.connection
    await wait_in_sync(connection)
    offline: list[float] = []
    for restart in range(1, RESTARTS + 1):
        await private_broker.async_stop()
        stopped = time.monotonic()
        await private_broker.async_start()
        await wait_for_connection(
            connection, lambda conn, n=restart: conn.ready and conn.async_stats().reconnects == n
        )
        offline.append(time.monotonic() - stopped)
    stats = connection.async_stats()
    figure(
        "12.4 broker restarts",
        f"{stats.reconnects} reconnects for {RESTARTS} restarts, {stats.attempts} attempts; "
        f"offline after the broker was back: max {max(offline):.2f} s, "
        f"total {sum(offline):.2f} s",
    )
    assert stats.reconnects == RESTARTS
    assert stats.attempts >= RESTARTS + 1  # every attempt is counted, failed ones too
    assert max(offline) < CONNECT_TIMEOUT / 2


def _wait_established(port: int, timeout: float = 10.0) -> None:
    """Block until a TCP connection to loopback `port` is established (from /proc/net/tcp):
    the kernel accepts it into the listener's backlog even while the broker is frozen."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[2].split(":")[1], 16) == port and fields[3] == "01":
                return
        time.sleep(0.01)  # polling the kernel's table, not letting things settle
    raise AssertionError(f"no connection to port {port} within {timeout} s")


async def test_broker_dying_during_the_handshake_is_a_prompt_failure(
    real_gw: Gateway, private_broker: Mosquitto
) -> None:
    """A real mosquitto, frozen while the gateway's CONNECT waits in its backlog, then killed
    (the connection is reset before any CONNACK) and started again."""
    assert private_broker.process is not None
    os.kill(private_broker.process.pid, signal.SIGSTOP)
    data = await setup_mqtt(real_gw, mqtt_config(private_broker.port))
    await in_thread(_wait_established, private_broker.port)
    killed = time.monotonic()
    await private_broker.async_kill()
    await private_broker.async_start()
    await wait_for_connection(data.connection, lambda conn: conn.ready, 2 * CONNECT_TIMEOUT)
    offline = time.monotonic() - killed
    figure(
        "12.4 mosquitto killed during the handshake",
        f"online again {offline:.2f} s after the kill ({data.connection.attempts} attempts)",
    )
    assert data.connection.attempts >= 2
    assert offline < CONNECT_TIMEOUT / 2
