"""A connection of its own for an output convention (Homie, Sparkplug).

Each convention needs its own will (Homie `$state` = `lost`, Sparkplug an NDEATH whose bdSeq
changes on every connect) and Sparkplug forbids persistent sessions, so neither can share the
gateway's main connection. A `ConventionLink` connects with `<client_id>-<suffix>` and a clean
session, asks its `LinkSession` for the will before every attempt, lets it begin its session
(subscribe, then publish its birth), hands it every message, and at the stop publishes its last
words before a clean DISCONNECT. Nothing is queued while disconnected: every (re)connect
begins a new session that republishes the current state, which is what both conventions want.

The task lives through the gateway's final write (like the main connection's) and is
cancelled on `gateway_close` if it has not finished by then.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Protocol

import aiomqtt
from paho.mqtt.subscribeoptions import SubscribeOptions

from ...clock import async_sleep_unless
from ...const import EVENT_GATEWAY_CLOSE, EVENT_GATEWAY_FINAL_WRITE
from ...core import Event, Gateway, callback
from ...util.backoff import Backoff
from .. import DATA_MQTT
from ..client import GatewayClient, build_clean_client, dispatch_queue_type
from ..models import PublishMessage, ReceiveMessage

if TYPE_CHECKING:
    from ...config.model import MqttConfig

__all__ = ["ConventionLink", "LinkSession", "broker_address"]

_LOGGER = logging.getLogger(__name__)
GOODBYE_TIMEOUT = 0.6  # the last words and their PUBACKs (the final write has 1 s in all)


def broker_address(gw: Gateway, config: MqttConfig) -> tuple[str, int]:
    """The broker a convention connects to: the one the main connection uses now, so that a
    failover (`mqtt.host` as a list) takes the conventions along; while it is disconnected,
    the first of the list."""
    data = gw.data.get(DATA_MQTT)
    current = None if data is None else data.connection.broker
    if current is None:
        return config.host, config.port
    return current.host, current.port


class LinkSession(Protocol):
    """What a convention tells its link; every method runs in the loop."""

    async def async_prepare(self) -> None:
        """Before each connection attempt (Sparkplug records the next bdSeq on disk)."""

    def will(self) -> aiomqtt.Will | None:
        """The will for the next connection attempt (None: none)."""

    async def async_begin(self, link: ConventionLink) -> None:
        """A new connection: subscribe (awaited) and publish the birth."""

    def async_goodbye(self) -> Iterable[PublishMessage]:
        """The messages to publish, in order, before a clean disconnect."""

    def async_on_message(self, message: ReceiveMessage) -> None:
        """A message on one of the session's subscriptions."""

    def async_lost(self) -> None:
        """The connection is gone (lost, or closed at the stop)."""


class ConventionLink:
    """Connects, serves and reconnects with backoff for one `LinkSession`."""

    def __init__(self, gw: Gateway, config: MqttConfig, suffix: str, session: LinkSession) -> None:
        self.gw = gw
        self.config = config
        self.client_id = f"{config.client_id}-{suffix}"
        self.session = session
        self._backoff = Backoff()
        self._client: GatewayClient | None = None
        self._ready = False
        self._restart: asyncio.Future[None] | None = None
        self._stop: asyncio.Future[None] = gw.loop.create_future()
        self._task: asyncio.Task[None] | None = None
        self._queue_type = dispatch_queue_type(self._async_dispatch)
        self._v5 = config.protocol == "5"
        self.connections = 0
        self.published = 0
        self.began = asyncio.Event()  # set while a session is under way (tests, diagnostics)
        self._listeners: list[Callable[[], None]] = []

    @property
    def connected(self) -> bool:
        """Connected and the session has begun (its birth is out)."""
        return self._ready

    @property
    def session_open(self) -> bool:
        """Connected, whether or not the session has begun."""
        return self._client is not None

    @callback
    def async_add_listener(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call `listener()` whenever a session begins or ends; returns its remover."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _notify(self) -> None:
        for listener in list(self._listeners):
            try:
                listener()
            except Exception:
                _LOGGER.exception("Error in %s listener %s", self.client_id, listener)

    # -- life cycle ---------------------------------------------------------------------------

    @callback
    def async_start(self) -> None:
        self._task = self.gw.loop.create_task(self._async_run(), name=f"{self.client_id} link")
        self.gw.bus.async_listen_once(EVENT_GATEWAY_FINAL_WRITE, self.async_final_write)
        self.gw.bus.async_listen_once(EVENT_GATEWAY_CLOSE, self._async_close)

    async def async_final_write(self, _event: Event | None = None) -> None:
        """Publish the last words, disconnect cleanly, and stop reconnecting."""
        if not self._stop.done():
            self._stop.set_result(None)
        if self._task is not None and not self._task.done():
            await asyncio.wait({self._task}, timeout=GOODBYE_TIMEOUT + 0.3)

    @callback
    def _async_close(self, _event: Event | None = None) -> None:
        if not self._stop.done():
            self._stop.set_result(None)
        if self._task is not None and not self._task.done():
            _LOGGER.warning("%s did not close in time; cancelling it", self.client_id)
            self._task.cancel()

    @callback
    def async_stop(self) -> None:
        """End after the current session (goodbye, clean disconnect), or now if none."""
        if not self._stop.done():
            self._stop.set_result(None)

    @callback
    def async_restart_session(self) -> None:
        """Say goodbye, disconnect and connect again at once: Sparkplug's answer to its
        primary host going offline."""
        if self._restart is not None and not self._restart.done():
            self._restart.set_result(None)

    # -- publishing and subscribing -----------------------------------------------------------

    @callback
    def async_publish(self, topic: str, payload: bytes, qos: int, retain: bool) -> bool:
        """Publish now; False when not connected (the next session republishes anyway)."""
        client = self._client
        if client is None:
            return False
        info = client.paho.publish(topic, payload, qos, retain)
        self.published += 1
        return info.rc == 0

    async def async_publish_acknowledged(self, topic: str, payload: bytes, retain: bool) -> None:
        """Publish at QoS 1 and wait for the broker's PUBACK: everything published before it
        has then reached the broker too. Raises MqttError (also when not connected)."""
        client = self._client
        if client is None:
            raise aiomqtt.MqttError("not connected")
        await client.publish(topic, payload, qos=1, retain=retain)
        self.published += 1

    async def async_subscribe(self, filters: list[tuple[str, int]]) -> None:
        """Subscribe and wait for the SUBACK. MQTT 5 keeps the retain flag as published, so a
        live retained command can be told from a fresh one."""
        client = self._client
        if client is None or not filters:
            return
        if self._v5:
            for topic, qos in filters:
                options = SubscribeOptions(qos=qos, retainAsPublished=True)
                await client.subscribe(topic, options=options)
        else:
            await client.subscribe(filters)

    @callback
    def _async_dispatch(self, message: aiomqtt.Message) -> None:
        payload = message.payload
        if not isinstance(payload, bytes):
            payload = str(payload).encode() if payload is not None else b""
        received = ReceiveMessage(message.topic.value, payload, message.qos, message.retain)
        try:
            self.session.async_on_message(received)
        except Exception:
            _LOGGER.exception("%s: error handling a message on %s", self.client_id, received.topic)

    # -- the connection task ------------------------------------------------------------------

    async def _async_run(self) -> None:
        failures = 0
        while not self._stop.done():
            await self.session.async_prepare()
            client = build_clean_client(
                self.config,
                broker_address(self.gw, self.config),
                self.client_id,
                self.session.will(),
                self._queue_type,
            )
            try:
                await self._async_connect_and_serve(client)
                failures = 0
            except aiomqtt.MqttError as err:
                if self._stop.done():
                    break
                failures += 1
                log = _LOGGER.warning if failures == 1 else _LOGGER.debug
                log("%s: MQTT connection failed or lost: %s", self.client_id, err)
            except Exception:
                _LOGGER.exception("%s: unexpected error in the connection", self.client_id)
                failures += 1
            if not self._stop.done():
                await self._async_wait_backoff(failures)

    async def _async_connect_and_serve(self, client: GatewayClient) -> None:
        connect = self.gw.loop.create_task(client.__aenter__(), name=f"{self.client_id} connect")
        await asyncio.wait((connect, self._stop), return_when=asyncio.FIRST_COMPLETED)
        if not connect.done():
            connect.cancel()
            with contextlib.suppress(asyncio.CancelledError, aiomqtt.MqttError):
                await connect
            return
        connect.result()
        self._client = client
        self._restart = self.gw.loop.create_future()
        self.connections += 1
        try:
            if not await self._async_begin(client):
                return
            self._ready = True
            self.began.set()
            self._notify()
            if await self._async_serve(client):
                await self._async_goodbye(client)
        finally:
            self._client = None
            self._ready = False
            self.began.clear()
            self.session.async_lost()
            self._notify()
            await client.__aexit__(None, None, None)

    async def _async_begin(self, client: GatewayClient) -> bool:
        """The session's beginning; False when a stop came first. Raises MqttError as soon as
        the connection is lost (aiomqtt would wait for a SUBACK until its timeout)."""
        begin = self.gw.loop.create_task(
            self.session.async_begin(self), name=f"{self.client_id} begin"
        )
        await asyncio.wait((begin, client.lost, self._stop), return_when=asyncio.FIRST_COMPLETED)
        if not begin.done():
            begin.cancel()
            with contextlib.suppress(asyncio.CancelledError, aiomqtt.MqttError):
                await begin
            if self._stop.done():
                return False
            raise aiomqtt.MqttError("Lost the connection while beginning the session")
        begin.result()
        return True

    async def _async_serve(self, client: GatewayClient) -> bool:
        """Until the connection drops (raises MqttError), or a stop or a restart is asked
        (True: say goodbye)."""
        assert self._restart is not None
        reader = self.gw.loop.create_task(_async_read(client), name=f"{self.client_id} reader")
        try:
            await asyncio.wait(
                (reader, self._stop, self._restart), return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            if not reader.done():
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reader
        if reader.done() and not reader.cancelled():
            reader.result()
        return True

    async def _async_goodbye(self, client: GatewayClient) -> None:
        last = list(self.session.async_goodbye())
        try:
            async with asyncio.timeout(GOODBYE_TIMEOUT):
                for message in last:
                    await client.publish(
                        message.topic, message.payload, qos=message.qos, retain=message.retain
                    )
        except (TimeoutError, aiomqtt.MqttError) as err:
            _LOGGER.warning(
                "%s: could not say goodbye before disconnecting: %s", self.client_id, err
            )
        client.timeout = 0.2

    async def _async_wait_backoff(self, failures: int) -> None:
        """After a session that ended (lost, or restarted), reconnect at once; after a failed
        attempt, wait the next backoff delay on the gateway clock, or until stopped."""
        if failures == 0:
            self._backoff.reset()
            return
        await async_sleep_unless(self.gw.clock, self._backoff.next_delay(), self._stop)


async def _async_read(client: GatewayClient) -> None:
    # Messages are dispatched by the queue as they arrive; this only ends on disconnect.
    async for _message in client.messages:
        pass
