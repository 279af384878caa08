"""The MQTT integration: broker connection, subscriptions, state publishing and commands.

`async_setup` starts everything without waiting for the broker. The rest of the gateway uses
`async_subscribe`/`subscribe` and `async_publish`/`publish`; `async_*` functions run in the
loop (they are `@callback`s, not coroutines), the plain ones are thread-safe.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from ..const import EVENT_GATEWAY_CLOSE, EVENT_GATEWAY_FINAL_WRITE
from ..core import Gateway, callback
from ..exceptions import GatewayError
from ..gateway_data import DataKey
from ..util.async_ import run_callback_threadsafe
from .commands import CommandRouter
from .connection import MqttConnection
from .models import MqttStats, ReceiveMessage
from .state_publisher import EntityTopics, StatePublisher
from .topic import node_topic, validate_topic

if TYPE_CHECKING:
    from ..config.model import CoreConfig, MqttConfig

__all__ = [
    "DATA_MQTT",
    "EntityTopics",
    "MqttData",
    "MqttStats",
    "ReceiveMessage",
    "async_backed_up",
    "async_entity_topics",
    "async_get_stats",
    "async_publish",
    "async_setup",
    "async_subscribe",
    "async_when_writable",
    "get_data",
    "publish",
    "subscribe",
]

DATA_MQTT: Final[DataKey[MqttData]] = DataKey("mqtt")
PayloadLike = str | bytes | bytearray | int | float | None


@dataclass(frozen=True, slots=True)
class MqttData:
    """What `async_setup` keeps in `gw.data[DATA_MQTT]`."""

    config: MqttConfig
    node_base: str
    connection: MqttConnection
    publisher: StatePublisher
    commands: CommandRouter


async def async_setup(gw: Gateway, config: MqttConfig, core: CoreConfig) -> None:
    """Start the connection and the state/command plumbing; never waits for the broker."""
    node_base = node_topic(config.base_topic, core.node_id)
    connection = MqttConnection(gw, config, f"{node_base}/status")
    publisher = StatePublisher(gw, connection, node_base, config.qos, config.retain)
    commands = CommandRouter(gw, connection, publisher)
    gw.data[DATA_MQTT] = MqttData(config, node_base, connection, publisher, commands)
    # Commands first: an entity's command topics are subscribed before its state is published.
    commands.async_start()
    publisher.async_start()
    gw.bus.async_listen_once(EVENT_GATEWAY_FINAL_WRITE, connection.async_final_write)
    gw.bus.async_listen_once(EVENT_GATEWAY_CLOSE, connection.async_close)
    connection.async_start()


def get_data(gw: Gateway) -> MqttData:
    """The integration's objects; raises GatewayError when MQTT is not set up."""
    data: MqttData | None = gw.data.get(DATA_MQTT)
    if data is None:
        raise GatewayError("MQTT is not set up (no mqtt: section in the config)")
    return data


@callback
def async_subscribe(
    gw: Gateway,
    topic_filter: str,
    msg_callback: Callable[[ReceiveMessage], Any],
    qos: int = 1,
) -> Callable[[], None]:
    """Call `msg_callback(message)` for each message matching `topic_filter`.

    The callback's kind (`@callback`, coroutine function, or blocking) is decided once, here.
    Returns an unsubscribe callable (idempotent, loop only). Raises ValueError for an invalid
    filter, GatewayError when MQTT is not set up.
    """
    return get_data(gw).connection.async_subscribe(topic_filter, msg_callback, qos)


def subscribe(
    gw: Gateway,
    topic_filter: str,
    msg_callback: Callable[[ReceiveMessage], Any],
    qos: int = 1,
) -> Callable[[], None]:
    """Thread-safe `async_subscribe`; the unsubscribe callable it returns is thread-safe."""
    remove = run_callback_threadsafe(
        gw.loop, async_subscribe, gw, topic_filter, msg_callback, qos
    ).result()

    def unsubscribe() -> None:
        run_callback_threadsafe(gw.loop, remove).result()

    return unsubscribe


def _to_bytes(payload: PayloadLike) -> bytes:
    if payload is None:
        return b""
    if isinstance(payload, bytes | bytearray):
        return bytes(payload)
    if isinstance(payload, str):
        return payload.encode()
    if isinstance(payload, int | float):
        return str(payload).encode()
    raise TypeError(f"cannot publish a {type(payload).__name__}")


@callback
def async_publish(
    gw: Gateway,
    topic: str,
    payload: PayloadLike,
    qos: int | None = None,
    retain: bool | None = None,
) -> None:
    """Publish without waiting (QoS and retain default to the config's).

    While the broker is away a retained message replaces the previous one for its topic and
    anything else waits in a bounded FIFO. Raises ValueError for an invalid topic or QoS.
    """
    data = get_data(gw)
    qos = data.config.qos if qos is None else qos
    if qos not in (0, 1, 2):
        raise ValueError(f"invalid QoS {qos!r}")
    retain = data.config.retain if retain is None else retain
    data.connection.async_publish(validate_topic(topic), _to_bytes(payload), qos, retain)


def publish(
    gw: Gateway,
    topic: str,
    payload: PayloadLike,
    qos: int | None = None,
    retain: bool | None = None,
) -> concurrent.futures.Future[None]:
    """Thread-safe `async_publish`; the future reports a ValueError from validation."""
    return run_callback_threadsafe(gw.loop, async_publish, gw, topic, payload, qos, retain)


@callback
def async_backed_up(gw: Gateway) -> bool:
    """Connected, but the socket cannot take more now (publishes are being held back).

    A producer that can wait (a serial port's reader) pauses until `async_when_writable`."""
    return get_data(gw).connection.backed_up


@callback
def async_when_writable(gw: Gateway, target: Callable[[], None]) -> None:
    """Call `target()` once, when the connection has room again, is lost, or stops."""
    get_data(gw).connection.async_when_writable(target)


@callback
def async_entity_topics(gw: Gateway, entity_id: str) -> EntityTopics:
    """The entity's topics: `base` (`<e>`), `state`, `attributes`, `availability`."""
    return get_data(gw).publisher.async_topics(entity_id)


@callback
def async_get_stats(gw: Gateway) -> MqttStats:
    """The connection counters for the health topic."""
    return get_data(gw).connection.async_stats()
