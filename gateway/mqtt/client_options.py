"""Building an aiomqtt `Client` from `MqttConfig`: credentials, TLS, protocol, session, will.

A fresh client is built for every connection attempt (reusing one after an unexpected
disconnect can report "connected" against a broker that never answered). TLS files are loaded
inside aiomqtt's connect, which runs in the executor, so nothing here touches the disk.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from collections.abc import Callable
from typing import TYPE_CHECKING

import aiomqtt
import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from .socket_guard import guard_socket_registration

if TYPE_CHECKING:
    from ..config.model import MqttConfig

__all__ = [
    "CONNECT_TIMEOUT",
    "build_client",
    "call_when_drained",
    "dispatch_queue_type",
    "outgoing_backlog",
]

CONNECT_TIMEOUT = 10.0
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


def build_client(
    config: MqttConfig,
    will_topic: str,
    queue_type: QueueType,
    connect_timeout: float = CONNECT_TIMEOUT,
) -> aiomqtt.Client:
    """A new, unconnected client for one attempt. Must be called in the event loop.

    `connect_timeout` bounds the wait for the CONNACK (aiomqtt does not notice a connection
    closed before it). The session is persistent (MQTT 5: clean start off plus
    `session_expiry`; 3.1.1: clean session off), so QoS 1 commands sent during a short outage
    are delivered afterwards.
    """
    tls_params, tls_insecure = _tls(config)
    v5 = config.protocol == "5"
    properties: Properties | None = None
    if v5:
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        properties.SessionExpiryInterval = config.session_expiry
    client = aiomqtt.Client(
        config.host,
        config.port,
        username=config.username,
        password=config.password,
        identifier=config.client_id,
        protocol=aiomqtt.ProtocolVersion.V5 if v5 else aiomqtt.ProtocolVersion.V311,
        clean_session=None if v5 else False,
        clean_start=False if v5 else mqtt.MQTT_CLEAN_START_FIRST_ONLY,
        properties=properties,
        will=aiomqtt.Will(will_topic, b"offline", qos=1, retain=True),
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
