"""The broker connection: one owned task that connects, serves, and reconnects with backoff.

The gateway never waits for the broker. While connected, publishes go straight to paho's
non-blocking `publish` (aiomqtt drives paho's socket from the loop with add_reader/add_writer);
while disconnected, or while paho already holds `BACKLOG_LIMIT` messages the socket has not
taken, they wait in the `Outbox` (coalesced per retained topic), refilled as the socket drains.
Incoming messages are matched against a `SubscriptionIndex` and delivered with
`gw.async_run_job`, each callback's `Job` built once at subscribe time.

The task is not a gateway background task: those are cancelled right after `gateway_stop`, and
the connection must live through the final write (flush, `offline`, clean disconnect). It is
cancelled on `gateway_close` if it has not finished by then.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import aiomqtt
import paho.mqtt.client as mqtt

from ..core import Event, Gateway, Job, callback
from ..util.backoff import Backoff
from .client_options import (
    CONNECT_TIMEOUT,
    build_client,
    call_when_drained,
    dispatch_queue_type,
    outgoing_backlog,
)
from .models import MqttStats, PublishMessage, ReceiveMessage
from .outbox import Outbox
from .subscriber import SUBSCRIBE_WINDOW, Subscriber

if TYPE_CHECKING:
    from ..config.model import MqttConfig

__all__ = ["MqttConnection"]

_LOGGER = logging.getLogger(__name__)

GOODBYE_TIMEOUT = 0.6  # publish `offline` and wait for its PUBACK (the final write has 1 s)
DISCONNECT_TIMEOUT = 0.2
FINAL_WRITE_BUDGET = 0.9
# Messages paho may hold (unwritten or unacknowledged) before publishes wait in the outbox.
# Above paho's 20 in-flight QoS 1 messages, so that a refill always leaves one to come.
BACKLOG_LIMIT = 100


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class MqttConnection:
    """Owns the client, the subscriptions and the outbox; see the module docstring."""

    def __init__(
        self, gw: Gateway, config: MqttConfig, status_topic: str, backoff: Backoff | None = None
    ) -> None:
        self.gw = gw
        self.config = config
        self.status_topic = status_topic
        self._backoff = backoff or Backoff()
        self._subscriber = Subscriber(config.protocol == "5", self._async_subscriptions_synced)
        self._held: deque[PublishMessage] = deque()
        self._outbox = Outbox(config.outbox_size)
        self._refill_scheduled = False
        self._writable_waiters: list[Callable[[], None]] = []
        self._queue_type = dispatch_queue_type(self._async_dispatch)
        self._client: aiomqtt.Client | None = None
        self._paho: mqtt.Client | None = None
        self._ready = False
        self._on_connect: list[Job[Any]] = []
        self._listeners: list[Callable[[], None]] = []
        self._task: asyncio.Task[None] | None = None
        self._stop: asyncio.Future[None] = gw.loop.create_future()
        self._connections = 0
        self._published = 0
        self._received = 0
        self._failures = 0
        self.last_error: Exception | None = None
        self.connect_timeout = CONNECT_TIMEOUT

    # -- state --------------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """True from the CONNACK until the connection is lost."""
        return self._paho is not None

    @property
    def backed_up(self) -> bool:
        """Connected, but paho holds `BACKLOG_LIMIT` messages or the outbox is not empty."""
        paho = self._paho
        return paho is not None and (bool(self._outbox) or outgoing_backlog(paho) >= BACKLOG_LIMIT)

    @property
    def ready(self) -> bool:
        """Connected, resubscribed and republished."""
        return self._ready

    @property
    def in_sync(self) -> bool:
        """Ready, and every subscription change has been acknowledged by the broker."""
        return self._ready and self._subscriber.in_sync

    @property
    def failures(self) -> int:
        """Connection attempts that failed since the last successful one."""
        return self._failures

    @callback
    def async_stats(self) -> MqttStats:
        """A snapshot of the counters for the health topic."""
        return MqttStats(
            connected=self.connected,
            reconnects=max(0, self._connections - 1),
            published=self._published,
            received=self._received,
            dropped=self._outbox.dropped,
            queued=len(self._outbox) + len(self._held),
        )

    @callback
    def async_add_listener(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call `listener()` whenever `ready`, `in_sync` or `failures` may have changed."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    @callback
    def async_on_connect(self, target: Callable[[], Any]) -> Callable[[], None]:
        """Run `target()` after every (re)connect, once resubscribed (e.g. to republish)."""
        job: Job[Any] = Job(target)
        self._on_connect.append(job)
        return lambda: self._on_connect.remove(job) if job in self._on_connect else None

    def _notify(self) -> None:
        for listener in list(self._listeners):
            try:
                listener()
            except Exception:
                _LOGGER.exception("Error in MQTT connection listener %s", listener)

    # -- publishing ---------------------------------------------------------------------------

    @callback
    def async_publish(self, topic: str, payload: bytes, qos: int, retain: bool) -> None:
        """Publish without waiting; queued in the outbox while disconnected.

        While a subscription change is on its way to the broker, publishes wait for its
        acknowledgement: whatever is published after `async_subscribe` returns reaches the
        broker after the subscription is active (a state seen means its commands are heard).
        """
        if self._paho is None:
            self._outbox.put(PublishMessage(topic, payload, qos, retain))
        elif self._held or not self._subscriber.in_sync:
            self._held.append(PublishMessage(topic, payload, qos, retain))
        else:
            self._async_send(topic, payload, qos, retain)

    def _async_send(self, topic: str, payload: bytes, qos: int, retain: bool) -> None:
        """Hand to paho, unless the socket is backed up: then wait in the outbox (coalesced)."""
        paho = self._paho
        if paho is not None and not self._outbox and outgoing_backlog(paho) < BACKLOG_LIMIT:
            info = paho.publish(topic, payload, qos, retain)
            if info.rc == mqtt.MQTT_ERR_SUCCESS:
                self._published += 1
                return
        self._outbox.put(PublishMessage(topic, payload, qos, retain))

    @callback
    def async_when_writable(self, target: Callable[[], None]) -> None:
        """Call `target()` once, when the connection is no longer `backed_up` (or at stop)."""
        self._writable_waiters.append(target)

    @callback
    def _async_socket_drained(self) -> None:
        """paho wrote everything it had: catch up, once per loop turn."""
        if self._paho is None or self._refill_scheduled:
            return
        if self._outbox or self._writable_waiters:
            self._refill_scheduled = True
            self.gw.loop.call_soon(self._async_catch_up)

    @callback
    def _async_catch_up(self) -> None:
        """Refill paho from the outbox; once it has room to spare, wake the waiters."""
        self._refill_scheduled = False
        self._async_refill(BACKLOG_LIMIT)
        if self._paho is not None and not self.backed_up:
            self._async_wake_writable_waiters()

    @callback
    def _async_wake_writable_waiters(self) -> None:
        waiters, self._writable_waiters = self._writable_waiters, []
        for waiter in waiters:
            try:
                waiter()
            except Exception:
                _LOGGER.exception("Error in MQTT writable waiter %s", waiter)

    @callback
    def _async_refill(self, limit: int) -> None:
        """Move waiting messages to paho until its backlog reaches `limit`, in order."""
        paho = self._paho
        if paho is None:
            return
        while self._outbox and (room := limit - outgoing_backlog(paho)) > 0:
            messages = self._outbox.take(room)
            for index, message in enumerate(messages):
                info = paho.publish(message.topic, message.payload, message.qos, message.retain)
                if info.rc != mqtt.MQTT_ERR_SUCCESS:
                    self._outbox.restore(messages[index:])
                    return
                self._published += 1

    @callback
    def _async_subscriptions_synced(self) -> None:
        """Release the publishes held during a subscription change, in order."""
        if self._subscriber.in_sync:
            held, self._held = self._held, deque()
            for message in held:
                self._async_send(message.topic, message.payload, message.qos, message.retain)
        self._notify()

    # -- subscriptions ------------------------------------------------------------------------

    @callback
    def async_subscribe(
        self, topic_filter: str, msg_callback: Callable[[ReceiveMessage], Any], qos: int = 1
    ) -> Callable[[], None]:
        """Deliver messages matching `topic_filter` to `msg_callback`; returns an unsubscriber.

        Raises ValueError for an invalid filter or QoS. Subscriptions survive reconnects.
        """
        return self._subscriber.async_add(topic_filter, msg_callback, qos)

    @callback
    def async_filters(self) -> list[str]:
        """The distinct filters subscribed (for diagnostics and tests)."""
        return self._subscriber.filters()

    @callback
    def _async_dispatch(self, message: aiomqtt.Message) -> None:
        """Deliver one message to every matching subscription (called from paho's read)."""
        self._received += 1
        try:
            topic = message.topic.value
            properties = message.properties
            identifiers = (
                getattr(properties, "SubscriptionIdentifier", None) if properties else None
            )
            matches = self._subscriber.match(topic, identifiers)
            if not matches:
                return
            payload = message.payload
            if not isinstance(payload, bytes):
                payload = str(payload).encode() if payload is not None else b""
            msg = ReceiveMessage(topic, payload, message.qos, message.retain)
        except Exception:
            _LOGGER.exception("Cannot deliver a message on %s", message.topic)
            return
        for subscription in matches:
            try:
                self.gw.async_run_job(subscription.job, msg)
            except Exception:
                _LOGGER.exception("Error in %s handling %s", subscription.job.name, topic)

    # -- life cycle ---------------------------------------------------------------------------

    @callback
    def async_start(self) -> None:
        """Start connecting in the background; returns at once."""
        self._task = self.gw.loop.create_task(self._async_run(), name="mqtt connection")

    async def async_final_write(self, _event: Event | None = None) -> None:
        """Flush, publish `offline` and disconnect; gives up after `FINAL_WRITE_BUDGET`."""
        if not self._stop.done():
            self._stop.set_result(None)
        if self._task is not None and not self._task.done():
            await asyncio.wait({self._task}, timeout=FINAL_WRITE_BUDGET)

    @callback
    def async_close(self, _event: Event | None = None) -> None:
        """Cancel whatever is left of the connection task."""
        if not self._stop.done():
            self._stop.set_result(None)
        if self._task is not None and not self._task.done():
            _LOGGER.warning("MQTT connection did not close in time; cancelling it")
            self._task.cancel()

    async def _async_run(self) -> None:
        while not self._stop.done():
            connections = self._connections
            try:
                await self._async_connect_and_serve()
            except aiomqtt.MqttError as err:
                if connections == self._connections and not self._stop.done():
                    self._async_failed(err)
            except Exception as err:
                _LOGGER.exception("Unexpected error in the MQTT connection")
                self._async_failed(err)
            if self._stop.done():
                break
            await self._async_wait_backoff()

    async def _async_connect_and_serve(self) -> None:
        client = build_client(
            self.config, self.status_topic, self._queue_type, self.connect_timeout
        )
        call_when_drained(client, self._async_socket_drained)
        async with client:
            try:
                await self._async_connected(client)
                if await self._async_serve(client):
                    await self._async_goodbye(client)
            finally:
                self._async_disconnected()

    async def _async_connected(self, client: aiomqtt.Client) -> None:
        """Announce, flush what waited, resubscribe, then let listeners republish."""
        self._client = client
        self._paho = client._client  # paho itself: non-blocking publish (module docstring)
        self._connections += 1
        if self._failures or self._connections > 1:
            _LOGGER.info("Connected to the MQTT broker at %s", self._address)
        self._failures = 0
        self.last_error = None
        self._backoff.reset()
        self.async_publish(self.status_topic, b"online", 1, True)
        for message in self._outbox.drain():
            self.async_publish(message.topic, message.payload, message.qos, message.retain)
        client.pending_calls_threshold = 2 * SUBSCRIBE_WINDOW
        await self._subscriber.async_attach(client)
        for job in list(self._on_connect):
            try:
                self.gw.async_run_job(job)
            except Exception:
                _LOGGER.exception("Error in MQTT on-connect hook %s", job.name)
        self._ready = True
        self._notify()

    async def _async_serve(self, client: aiomqtt.Client) -> bool:
        """Wait until the connection drops (raises MqttError) or a stop is asked (True)."""
        reader = self.gw.loop.create_task(self._async_read(client), name="mqtt reader")
        try:
            await asyncio.wait((reader, self._stop), return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not reader.done():
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reader
        if reader.done() and not reader.cancelled():
            reader.result()  # raises the MqttError that ended the iteration
        return self._stop.done()

    @staticmethod
    async def _async_read(client: aiomqtt.Client) -> None:
        # Messages are dispatched by the queue as they arrive; this only ends on disconnect.
        async for _message in client.messages:
            pass

    async def _async_goodbye(self, client: aiomqtt.Client) -> None:
        """Publish `offline` and wait for its PUBACK: everything before it is then flushed."""
        held, self._held = self._held, deque()
        for message in held:  # no point waiting for a SUBACK now; keep them before `offline`
            self._async_send(message.topic, message.payload, message.qos, message.retain)
        self._async_wake_writable_waiters()  # deferred states, then everything, before `offline`
        self._async_refill(sys.maxsize)
        self._paho = None
        try:
            await client.publish(
                self.status_topic, b"offline", qos=1, retain=True, timeout=GOODBYE_TIMEOUT
            )
        except aiomqtt.MqttError as err:
            _LOGGER.warning("Could not publish offline before disconnecting: %s", err)
            await self._async_say_offline_at_qos0(client)
        client.timeout = DISCONNECT_TIMEOUT

    async def _async_say_offline_at_qos0(self, client: aiomqtt.Client) -> None:
        """`offline` again, at QoS 0: it skips paho's in-flight window (full when PUBACKs are
        stuck behind an incoming flood) and is written before the DISCONNECT, which would
        otherwise leave `online` retained with no will sent."""
        with contextlib.suppress(aiomqtt.MqttError):
            await client.publish(
                self.status_topic, b"offline", qos=0, retain=True, timeout=DISCONNECT_TIMEOUT
            )

    @callback
    def _async_disconnected(self) -> None:
        was_ready = self._ready
        self._client = None
        self._paho = None
        self._ready = False
        self._subscriber.async_detach()
        held, self._held = self._held, deque()
        for message in held:
            self._outbox.put(message)
        if was_ready and not self._stop.done():
            _LOGGER.warning("Lost the connection to the MQTT broker at %s", self._address)
        self._notify()

    @callback
    def _async_failed(self, err: Exception) -> None:
        # paho leaves the socket of a failed TLS handshake in the chained exception's
        # traceback; let it go now rather than whenever `last_error` is replaced.
        err.__context__ = None
        self._failures += 1
        self.last_error = err
        log = _LOGGER.warning if self._failures == 1 else _LOGGER.debug
        reason = str(err) or type(err).__name__
        log("Cannot connect to the MQTT broker at %s: %s", self._address, reason)
        self._notify()

    async def _async_wait_backoff(self) -> None:
        """Sleep the next backoff delay on the gateway clock, or until stopped."""
        delay = self._backoff.next_delay()
        due: asyncio.Future[None] = self.gw.loop.create_future()
        handle = self.gw.clock.call_at(self.gw.clock.time() + delay, _resolve, due)
        try:
            await asyncio.wait((due, self._stop), return_when=asyncio.FIRST_COMPLETED)
        finally:
            handle.cancel()
            due.cancel()

    @property
    def _address(self) -> str:
        return f"{self.config.host}:{self.config.port}"
