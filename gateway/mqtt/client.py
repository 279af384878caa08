"""Our aiomqtt client: built from `MqttConfig` (credentials, TLS, protocol, session, will),
and the one module that reaches into aiomqtt's and paho's privates.

A fresh client is built for every connection attempt (reusing one after an unexpected
disconnect can report "connected" against a broker that never answered). TLS files are loaded
inside aiomqtt's connect, which runs in the executor, so nothing here touches the disk.

This is the one module that reaches into aiomqtt's and paho's privates (written for aiomqtt
`SUPPORTED_AIOMQTT`; a test fails on another version): `GatewayClient` fails a connect attempt
as soon as the socket closes before the CONNACK, closes the socket of an attempt that failed,
keeps the reason a connection was lost, and retrieves aiomqtt's disconnection error so that a
connection lost during the goodbye is not reported as "Future exception was never retrieved".
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import threading
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

import aiomqtt
import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

if TYPE_CHECKING:
    from ..config.model import BrokerAddress, MqttConfig

__all__ = [
    "CONNECT_TIMEOUT",
    "SESSION_TAKEN_OVER",
    "SUPPORTED_AIOMQTT",
    "SUPPORTED_PAHO",
    "ClosedBeforeConnack",
    "GatewayClient",
    "build_clean_client",
    "build_client",
    "call_when_drained",
    "dispatch_queue_type",
    "guard_socket_registration",
    "outgoing_backlog",
]

CONNECT_TIMEOUT = 10.0
SUPPORTED_AIOMQTT = "2.5"  # the minor versions whose privates this module relies on
SUPPORTED_PAHO = "2.2"
SESSION_TAKEN_OVER = 0x8E  # MQTT 5 DISCONNECT reason: another client took our client id
_CLIENT_LOGGER = logging.getLogger("gateway.mqtt.client")


def _demote_errors(record: logging.LogRecord) -> bool:
    """paho logs a lost or refused connection as ERROR; for a gateway that reconnects on its
    own it is a WARNING (the connection manager reports the failure itself)."""
    if record.levelno > logging.WARNING:
        record.levelno = logging.WARNING
        record.levelname = logging.getLevelName(logging.WARNING)
    return True


_CLIENT_LOGGER.addFilter(_demote_errors)
# Nagle's algorithm delays a small publish that follows a PUBACK by ~40 ms.
_NODELAY = (socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

QueueType = type[asyncio.Queue[aiomqtt.Message]]


def dispatch_queue_type(dispatch: Callable[[aiomqtt.Message], None]) -> QueueType:
    """A queue class whose `put_nowait` hands each message straight to `dispatch`.

    aiomqtt puts every message into its queue from paho's read callback, in the loop. Passing
    this class as `queue_type` delivers messages right there: no queue, no task per message.
    Iterating `client.messages` then only waits for the disconnection.
    """

    class DispatchQueue(asyncio.Queue[aiomqtt.Message]):
        def put_nowait(self, item: aiomqtt.Message) -> None:
            dispatch(item)

    return DispatchQueue


def _tls(config: MqttConfig) -> tuple[aiomqtt.TLSParameters | None, bool | None]:
    if config.tls is None:
        return None, None
    params = aiomqtt.TLSParameters(
        ca_certs=config.tls.ca_certs,
        certfile=config.tls.certfile,
        keyfile=config.tls.keyfile,
        cert_reqs=ssl.CERT_REQUIRED,
    )
    # `insecure` skips the host name check only; the chain is still verified.
    return params, config.tls.insecure or None


class ClosedBeforeConnack(aiomqtt.MqttError):
    """The broker closed (or reset) the connection before it acknowledged the CONNECT."""


class GatewayClient(aiomqtt.Client):
    """An aiomqtt client with the fixes the gateway needs (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.disconnect_reason: int | None = None  # from the broker's DISCONNECT (MQTT 5)
        self._connecting = False

    @property
    def lost(self) -> asyncio.Future[None]:
        """Done when the connection is gone (its exception, if any, is already retrieved)."""
        return self._disconnected

    @property
    def paho(self) -> mqtt.Client:
        """paho's client, for non-blocking publishes from the loop."""
        return self._client

    async def __aenter__(self) -> GatewayClient:
        """Connect; raises MqttError at once when the socket closes before the CONNACK."""
        self._connecting = True
        disconnected = self._disconnected
        try:
            await super().__aenter__()
        except BaseException:
            self._abandon()
            raise
        finally:
            self._connecting = False
        if disconnected.done():
            # Lost in the same read as the CONNACK (a takeover): aiomqtt would replace the
            # future and forget the loss, leaving the message iteration waiting forever.
            self._disconnected = disconnected
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await super().__aexit__(exc_type, exc, tb)
        finally:
            self._retrieve(self._disconnected)
            self._client._sock_close()

    def _on_disconnect(
        self,
        client: mqtt.Client,
        userdata: Any,
        flags: mqtt.DisconnectFlags,
        reason_code: ReasonCode,
        properties: Properties | None = None,
    ) -> None:
        # paho calls this in the loop: aiomqtt drives its socket with add_reader/add_writer.
        if flags.is_disconnect_packet_from_server and self.disconnect_reason is None:
            self.disconnect_reason = _reason_value(reason_code)  # the broker's DISCONNECT
        if self._connecting and not self._connected.done():
            # aiomqtt ignores a disconnection before the CONNACK and waits for its timeout.
            self._connected.set_exception(
                ClosedBeforeConnack("The connection was closed before the CONNACK")
            )
        super()._on_disconnect(client, userdata, flags, reason_code, properties)
        # The loss reaches the gateway through the message iteration (or not at all when it
        # happens during the goodbye); either way it must not be "never retrieved".
        self._retrieve(self._disconnected)

    def drop(self) -> None:
        """Close the socket without a DISCONNECT, so that the broker publishes our will
        (`offline`): for a stop that could not publish `offline` itself, where a clean
        DISCONNECT would leave `online` retained. aiomqtt then sees a lost connection."""
        self._client._sock_close()
        if not self._disconnected.done():
            self._disconnected.set_exception(aiomqtt.MqttError("Connection dropped at stop"))
        self._retrieve(self._disconnected)

    def _abandon(self) -> None:
        """A failed attempt: close its socket now (paho keeps it until the client is freed)."""
        self._retrieve(self._connected)
        self._retrieve(self._disconnected)
        self._client._sock_close()

    @staticmethod
    def _retrieve(future: asyncio.Future[None]) -> None:
        if future.done() and not future.cancelled():
            future.exception()


def _reason_value(reason_code: ReasonCode | int) -> int:
    value = reason_code.value if isinstance(reason_code, ReasonCode) else reason_code
    return int(value)


def build_client(
    config: MqttConfig,
    will_topic: str,
    queue_type: QueueType,
    connect_timeout: float = CONNECT_TIMEOUT,
    broker: BrokerAddress | None = None,
) -> GatewayClient:
    """A new, unconnected client for one attempt at `broker` (default: the first of
    `config.brokers`), with the section's credentials and TLS. Must be called in the loop.

    `connect_timeout` bounds the wait for the CONNACK from a broker that accepted the
    connection but does not answer; one that closes it fails the attempt at once. The session
    is persistent (MQTT 5: clean start off plus `session_expiry`; 3.1.1: clean session off),
    so QoS 1 commands sent during a short outage are delivered afterwards.
    """
    address = broker or config.brokers[0]
    will = aiomqtt.Will(will_topic, b"offline", qos=1, retain=True)
    host_port = (address.host, address.port)
    return _new_client(
        config, host_port, config.client_id, will, queue_type, connect_timeout, persistent=True
    )


def build_clean_client(
    config: MqttConfig,
    broker: tuple[str, int],
    client_id: str,
    will: aiomqtt.Will | None,
    queue_type: QueueType,
    connect_timeout: float = CONNECT_TIMEOUT,
) -> GatewayClient:
    """A new client for a connection of its own (an output convention): `client_id`, `will`,
    the credentials and TLS of `config`, and a clean session (3.1.1: clean session; 5: clean
    start with no session expiry), as Sparkplug requires. Must be called in the event loop."""
    return _new_client(
        config, broker, client_id, will, queue_type, connect_timeout, persistent=False
    )


def _new_client(
    config: MqttConfig,
    broker: tuple[str, int],
    client_id: str,
    will: aiomqtt.Will | None,
    queue_type: QueueType,
    connect_timeout: float,
    *,
    persistent: bool,
) -> GatewayClient:
    """The one place a client is made: TCP_NODELAY, TLS, credentials, the socket guard."""
    tls_params, tls_insecure = _tls(config)
    v5 = config.protocol == "5"
    properties: Properties | None = None
    if v5 and persistent:
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        properties.SessionExpiryInterval = config.session_expiry
    client = GatewayClient(
        broker[0],
        broker[1],
        username=config.username,
        password=config.password,
        identifier=client_id,
        protocol=aiomqtt.ProtocolVersion.V5 if v5 else aiomqtt.ProtocolVersion.V311,
        clean_session=None if v5 else not persistent,
        clean_start=(not persistent) if v5 else mqtt.MQTT_CLEAN_START_FIRST_ONLY,
        properties=properties,
        will=will,
        keepalive=config.keepalive,
        timeout=connect_timeout,
        tls_params=tls_params,
        tls_insecure=tls_insecure,
        socket_options=[_NODELAY],
        queue_type=queue_type,
        logger=_CLIENT_LOGGER,
    )
    guard_socket_registration(client)
    return client


def outgoing_backlog(paho: mqtt.Client) -> int:
    """What paho still holds: packets not yet written plus QoS > 0 messages not yet acknowledged.

    paho keeps both without bound (`_out_packet`, `_out_messages`; queued QoS 1 messages beyond
    `max_inflight_messages` wait in the latter, which paho scans on every PUBACK), so the
    gateway measures them to hold back what the socket cannot take.
    """
    return len(paho._out_packet) + len(paho._out_messages)


def call_when_drained(client: aiomqtt.Client, drained: Callable[[], None]) -> None:
    """Call `drained()` (in the loop) each time paho has written all it had queued.

    paho reports it by unregistering its socket for writing; aiomqtt's own handler (which
    removes the loop's writer) still runs first.
    """
    paho = client._client
    unregister = paho.on_socket_unregister_write

    def on_unregister_write(paho_client: mqtt.Client, userdata: object, sock: object) -> None:
        if unregister is not None:
            unregister(paho_client, userdata, sock)  # type: ignore[arg-type]
        drained()

    paho.on_socket_unregister_write = on_unregister_write


# -- registering paho's socket with the loop ----------------------------------------------
#
# aiomqtt hands `loop.add_writer(fd, ...)` and `loop.add_reader(fd, ...)` to the loop with
# `call_soon_threadsafe`, even when it is already running in the loop thread. When the connection
# drops in between (a publish registers the writer, then the reader finds the socket closed),
# the late `add_writer` meets a closed descriptor: asyncio logs an error, and a descriptor number
# reused meanwhile would get the dead client's callback. The proxy below registers only while
# the descriptor is still the client's socket, and does it at once in the loop thread, which also
# saves a self-pipe wake-up and a loop iteration per publish burst.


class _GuardedLoop:
    """Stands in for the loop inside one aiomqtt client; everything else is delegated."""

    def __init__(self, loop: asyncio.AbstractEventLoop, paho: mqtt.Client) -> None:
        self._loop = loop
        self._paho = paho
        self._thread_id = threading.get_ident()
        self._registrations = (loop.add_reader, loop.add_writer)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loop, name)

    def call_soon_threadsafe(self, callback: Callable[..., Any], *args: Any) -> Any:
        if callback not in self._registrations:
            return self._loop.call_soon_threadsafe(callback, *args)
        if threading.get_ident() == self._thread_id:
            self._register_if_current(callback, *args)
            return None
        return self._loop.call_soon_threadsafe(self._register_if_current, callback, *args)

    def _register_if_current(self, register: Callable[..., Any], fd: int, *args: Any) -> None:
        sock = self._paho.socket()
        if sock is not None and sock.fileno() == fd:
            register(fd, *args)


def guard_socket_registration(client: aiomqtt.Client) -> None:
    """Install the guard on a new client (before it connects), in the event loop."""
    paho = client._client
    client._loop = _GuardedLoop(asyncio.get_running_loop(), paho)  # type: ignore[assignment]
