"""Pytest plugin: real Mosquitto brokers, TLS material, and a probe client for MQTT tests.

- `mqtt_broker` (session): one broker shared by ordinary tests; give each test its own topics.
- `private_broker` (function): a broker of its own, for tests that kill or restart it.
- `tls_material` (session): a CA, server and client certificates made with `openssl`.
- `MqttProbe`: a test-side client that records what it receives and waits for conditions.
- `real_gw`: a running gateway on the loop's clock (reconnect backoff needs real time).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import shutil
import socket
import subprocess
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiomqtt
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from gateway.blocking import SLOW_CALLBACK_SECONDS
from gateway.core import Gateway
from gateway.mqtt.client import guard_socket_registration
from tests.broker import MOSQUITTO, BrokerTls, Mosquitto
from tests.conftest import assert_stops_clean
from tests.helpers import Waiters

__all__ = ["MqttProbe", "TlsMaterial"]

WAIT_TIMEOUT = 20.0
_probe_ids = itertools.count()
_PROBE_LOGGER = logging.getLogger("tests.mqtt.probe")


def _demote_paho_errors(record: logging.LogRecord) -> bool:
    """paho logs a connection the broker dropped as ERROR; for a probe that is expected."""
    if record.levelno > logging.WARNING:
        record.levelno, record.levelname = logging.WARNING, "WARNING"
    return True


_PROBE_LOGGER.addFilter(_demote_paho_errors)


def _require_mosquitto() -> None:
    if not Path(MOSQUITTO).exists():
        pytest.skip("mosquitto is not installed")


@pytest.fixture
async def real_gw() -> AsyncIterator[Gateway]:
    """A running gateway on the loop's clock: reconnect backoff needs real time to pass."""
    loop = asyncio.get_running_loop()
    loop.set_debug(True)
    loop.slow_callback_duration = SLOW_CALLBACK_SECONDS
    gateway = Gateway(executor_workers=4, executor_timeout=5.0)
    await gateway.async_start()
    yield gateway
    await assert_stops_clean(gateway)


@pytest.fixture(scope="session")
def mqtt_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mosquitto]:
    """A broker for the whole session on a free loopback port."""
    _require_mosquitto()
    broker = Mosquitto(tmp_path_factory.mktemp("mosquitto-shared"))
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture
def private_broker(tmp_path: Path) -> Iterator[Mosquitto]:
    """A broker of the test's own, with persistence; the test may stop, kill or restart it."""
    _require_mosquitto()
    broker = Mosquitto(tmp_path / "mosquitto")
    broker.start()
    yield broker
    broker.kill()


@pytest.fixture
def private_broker_stopped(tmp_path: Path) -> Iterator[Mosquitto]:
    """Like `private_broker`, but not started: the test starts it (broker absent at start)."""
    _require_mosquitto()
    broker = Mosquitto(tmp_path / "mosquitto")
    yield broker
    broker.kill()


@dataclass(frozen=True, slots=True)
class TlsMaterial:
    """PEM files: a CA, a server certificate for 127.0.0.1/localhost, one for another host
    name, and a client certificate, all signed by the CA."""

    ca: Path
    server_cert: Path
    server_key: Path
    wrong_host_cert: Path
    wrong_host_key: Path
    client_cert: Path
    client_key: Path

    def broker_tls(
        self, *, wrong_host: bool = False, require_certificate: bool = False
    ) -> BrokerTls:
        return BrokerTls(
            cafile=self.ca,
            certfile=self.wrong_host_cert if wrong_host else self.server_cert,
            keyfile=self.wrong_host_key if wrong_host else self.server_key,
            require_certificate=require_certificate,
        )


def _openssl(command: str, *extra: str, cwd: Path) -> None:
    """Run `openssl` with a space-separated command (file names relative to `cwd`)."""
    args = ["openssl", *command.split(), *extra]
    subprocess.run(args, cwd=cwd, check=True, capture_output=True, timeout=60)


def _signed_cert(folder: Path, name: str, subject: str, san: str | None) -> tuple[Path, Path]:
    _openssl(
        f"req -new -newkey rsa:2048 -nodes -keyout {name}.key -out {name}.csr",
        "-subj",
        subject,
        cwd=folder,
    )
    extra: list[str] = []
    if san is not None:
        (folder / f"{name}.ext").write_text(f"subjectAltName={san}\n")
        extra = ["-extfile", f"{name}.ext"]
    _openssl(
        f"x509 -req -in {name}.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
        f"-out {name}.pem -days 2 -sha256",
        *extra,
        cwd=folder,
    )
    return folder / f"{name}.pem", folder / f"{name}.key"


@pytest.fixture(scope="session")
def tls_material(tmp_path_factory: pytest.TempPathFactory) -> TlsMaterial:
    """A throw-away CA and certificates, made with the `openssl` command."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed")
    folder = tmp_path_factory.mktemp("tls")
    _openssl(
        "req -x509 -new -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2",
        "-subj",
        "/CN=Boardgate Test CA",
        cwd=folder,
    )
    server_cert, server_key = _signed_cert(
        folder, "server", "/CN=localhost", "IP:127.0.0.1,DNS:localhost"
    )
    wrong_cert, wrong_key = _signed_cert(folder, "wrong", "/CN=wrong.example", "DNS:wrong.example")
    client_cert, client_key = _signed_cert(folder, "client", "/CN=boardgate-client", None)
    return TlsMaterial(
        folder / "ca.pem", server_cert, server_key, wrong_cert, wrong_key, client_cert, client_key
    )


def make_password_file(folder: Path, users: dict[str, str]) -> Path:
    """A mosquitto password file made with `mosquitto_passwd -b` (call outside the loop)."""
    tool = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
    if not Path(tool).exists():
        pytest.skip("mosquitto_passwd is not installed")
    path = folder / "passwords"
    path.touch()
    for user, password in users.items():
        subprocess.run([tool, "-b", str(path), user, password], check=True, capture_output=True)
    path.chmod(0o600)
    return path


class MqttProbe:
    """A test-side MQTT client: records messages and waits for conditions on them.

    `latest` holds the last payload per topic, `messages` every message in arrival order.
    """

    def __init__(
        self,
        port: int,
        *,
        identifier: str | None = None,
        protocol: aiomqtt.ProtocolVersion = aiomqtt.ProtocolVersion.V5,
        persistent: bool = False,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self.port = port
        self.username = username
        self.password = password
        self.identifier = identifier or f"probe-{next(_probe_ids)}"
        self.protocol = protocol
        self.persistent = persistent
        self.messages: list[aiomqtt.Message] = []
        self.latest: dict[str, bytes] = {}
        self.waiters = Waiters()
        self._client: aiomqtt.Client | None = None
        self._reader: asyncio.Task[None] | None = None

    def _new_client(self) -> aiomqtt.Client:
        client = self._build_client()
        guard_socket_registration(client)  # aiomqtt's add_writer race, see gateway.mqtt.client
        return client

    def _build_client(self) -> aiomqtt.Client:
        v5 = self.protocol is aiomqtt.ProtocolVersion.V5
        properties = None
        if v5 and self.persistent:
            properties = Properties(PacketTypes.CONNECT)
            properties.SessionExpiryInterval = 600
        return aiomqtt.Client(
            "127.0.0.1",
            self.port,
            identifier=self.identifier,
            username=self.username,
            password=self.password,
            protocol=self.protocol,
            clean_session=None if v5 else not self.persistent,
            clean_start=(not self.persistent) if v5 else mqtt.MQTT_CLEAN_START_FIRST_ONLY,
            properties=properties,
            socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)],
            logger=_PROBE_LOGGER,
        )

    async def connect(self) -> None:
        self._client = self._new_client()
        await self._client.__aenter__()
        self._reader = asyncio.get_running_loop().create_task(self._read(self._client))

    async def disconnect(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
            self._reader = None
        if self._client is not None:
            client, self._client = self._client, None
            with contextlib.suppress(aiomqtt.MqttError):
                await client.__aexit__(None, None, None)

    async def __aenter__(self) -> MqttProbe:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.disconnect()

    @property
    def client(self) -> aiomqtt.Client:
        assert self._client is not None, "probe is not connected"
        return self._client

    async def _read(self, client: aiomqtt.Client) -> None:
        try:
            async for message in client.messages:
                self.messages.append(message)
                self.latest[message.topic.value] = bytes(message.payload)  # type: ignore[arg-type]
                self.waiters.check()
        except aiomqtt.MqttError:
            pass

    async def subscribe(self, topic_filter: str, qos: int = 1) -> None:
        await self.client.subscribe(topic_filter, qos)

    async def publish(
        self, topic: str, payload: str | bytes, qos: int = 1, retain: bool = False
    ) -> None:
        """Publish and wait for the PUBACK (QoS 1)."""
        await self.client.publish(topic, payload, qos=qos, retain=retain)

    async def wait_until(
        self, predicate: Callable[[], bool], timeout: float = WAIT_TIMEOUT, what: str = ""
    ) -> None:
        """Wait until `predicate()` holds, re-checked on every message (and `waiters.check()`)."""
        try:
            await self.waiters.wait(predicate, what or str(predicate), timeout)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; latest: {self.latest}") from None

    async def wait_for_value(
        self, topic: str, payload: bytes | str, timeout: float = WAIT_TIMEOUT
    ) -> None:
        """Wait until the last payload seen on `topic` is `payload`."""
        expected = payload.encode() if isinstance(payload, str) else payload
        await self.wait_until(
            lambda: self.latest.get(topic) == expected, timeout, f"{topic} = {expected!r}"
        )

    def values(self, topic: str) -> list[bytes]:
        """Every payload received on `topic`, in order."""
        return [bytes(m.payload) for m in self.messages if m.topic.value == topic]  # type: ignore[arg-type]


@pytest.fixture
async def mqtt_probe_factory() -> AsyncIterator[Callable[..., Any]]:
    """Make connected probes; all are disconnected after the test."""
    probes: list[MqttProbe] = []

    async def make(port: int, **kwargs: Any) -> MqttProbe:
        probe = MqttProbe(port, **kwargs)
        await probe.connect()
        probes.append(probe)
        return probe

    yield make
    for probe in probes:
        await probe.disconnect()
