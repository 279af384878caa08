"""A private Mosquitto for tests: its own config, port, persistence and log in a folder.

`start`/`stop`/`kill` are for synchronous fixtures; `async_*` twins are for tests that kill
and restart the broker from inside the event loop (no blocking calls there: the process is
waited for in a helper thread, readiness is polled with non-blocking connects).
Restarts keep the same port and the same persistence file.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tests.helpers import in_thread

__all__ = ["MOSQUITTO", "BrokerTls", "Mosquitto", "free_port"]

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
READY_TIMEOUT = 10.0
POLL_INTERVAL = 0.01


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True, slots=True)
class BrokerTls:
    """The server side of a TLS listener."""

    cafile: Path
    certfile: Path
    keyfile: Path
    require_certificate: bool = False


class Mosquitto:
    """One mosquitto process on 127.0.0.1; the plain listener is `port`, TLS is `tls_port`."""

    def __init__(
        self,
        directory: Path,
        *,
        port: int | None = None,
        tls: BrokerTls | None = None,
        password_file: Path | None = None,
        persistence: bool = True,
    ) -> None:
        self.directory = directory
        self.port = port or free_port()
        self.tls = tls
        self.tls_port = free_port() if tls is not None else None
        self.password_file = password_file
        self.persistence = persistence
        self.config_file = directory / "mosquitto.conf"
        self.log_file = directory / "mosquitto.log"
        self.process: subprocess.Popen[bytes] | None = None
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "data").mkdir(exist_ok=True)
        self.config_file.write_text(self.config_text())

    def config_text(self) -> str:
        lines = [
            f"listener {self.port} 127.0.0.1",
            "set_tcp_nodelay true",
            f"allow_anonymous {'false' if self.password_file else 'true'}",
            f"log_dest file {self.log_file}",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "log_type information",
            "connection_messages true",
            "log_timestamp_format %H:%M:%S",
            # A session (and its queued QoS 1 messages) must outlive our outages.
            "persistent_client_expiration 1h",
            "max_queued_messages 10000",
        ]
        if os.geteuid() == 0:
            # As root mosquitto switches to the user `mosquitto`, which cannot write here.
            lines.append("user root")
        if self.persistence:
            lines += ["persistence true", f"persistence_location {self.directory / 'data'}/"]
        if self.password_file is not None:
            lines.append(f"password_file {self.password_file}")
        if self.tls is not None:
            lines += [
                f"listener {self.tls_port} 127.0.0.1",
                f"cafile {self.tls.cafile}",
                f"certfile {self.tls.certfile}",
                f"keyfile {self.tls.keyfile}",
                f"require_certificate {'true' if self.tls.require_certificate else 'false'}",
            ]
        return "\n".join(lines) + "\n"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        """The broker's log so far (for assertion messages)."""
        try:
            return self.log_file.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    # -- synchronous (fixtures) ---------------------------------------------------------------

    def start(self) -> None:
        """Start and wait until the broker accepts connections."""
        self._spawn()
        deadline = time.monotonic() + READY_TIMEOUT
        while not self._accepts_now():
            self._check_alive()
            if time.monotonic() > deadline:
                raise TimeoutError(f"mosquitto did not start on {self.port}:\n{self.log()}")
            time.sleep(POLL_INTERVAL)

    def stop(self) -> None:
        """SIGTERM (the broker saves its persistence file) and wait."""
        self._signal_and_wait(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL: nothing is saved, connections just vanish."""
        self._signal_and_wait(signal.SIGKILL)

    # -- asynchronous (tests that restart the broker) -----------------------------------------

    async def async_start(self) -> None:
        self._spawn()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + READY_TIMEOUT
        while not await self._async_accepts():
            self._check_alive()
            if loop.time() > deadline:
                raise TimeoutError(f"mosquitto did not start on {self.port}")
            await asyncio.sleep(POLL_INTERVAL)

    async def async_stop(self) -> None:
        await self._async_signal_and_wait(signal.SIGTERM)

    async def async_kill(self) -> None:
        await self._async_signal_and_wait(signal.SIGKILL)

    async def async_restart(self, *, kill: bool = False) -> None:
        await (self.async_kill() if kill else self.async_stop())
        await self.async_start()

    # -- internals ----------------------------------------------------------------------------

    def _spawn(self) -> None:
        if self.running:
            raise RuntimeError("mosquitto is already running")
        self.process = subprocess.Popen(
            [MOSQUITTO, "-c", str(self.config_file)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def _check_alive(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(
                f"mosquitto exited with {self.process.returncode}; see {self.log_file}"
            )

    def _accepts_now(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    async def _async_accepts(self) -> bool:
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        except OSError:
            return False
        writer.close()
        await writer.wait_closed()
        return True

    def _signal_and_wait(self, signum: int) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signum)
        process.wait(READY_TIMEOUT)

    async def _async_signal_and_wait(self, signum: int) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signum)
        await in_thread(process.wait, READY_TIMEOUT, name="wait-mosquitto")
