"""The broker connection: one owned task that connects, serves, and reconnects with backoff.

The gateway never waits for the broker. While connected, publishes go straight to paho's
non-blocking `publish` (aiomqtt drives paho's socket from the loop with add_reader/add_writer);
while disconnected they wait in the `Outbox`. Incoming messages are matched against a
`SubscriptionIndex` and delivered with `gw.async_run_job`, each callback's `Job` built once at
subscribe time.

The task is not a gateway background task: those are cancelled right after `gateway_stop`, and
the connection must live through the final write (flush, `offline`, clean disconnect). It is
cancelled on `gateway_close` if it has not finished by then.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiomqtt
import paho.mqtt.client as mqtt
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from ..core import Event, Gateway, Job, callback
from .backoff import Backoff
from .client_options import build_client, dispatch_queue_type
from .models import MqttStats, PublishMessage, ReceiveMessage
from .outbox import Outbox
from .subscriptions import SubscriptionIndex

if TYPE_CHECKING:
    from ..config.model import MqttConfig

__all__ = ["MqttConnection", "Subscription"]

_LOGGER = logging.getLogger(__name__)

GOODBYE_TIMEOUT = 0.6  # publish `offline` and wait for its PUBACK (the final write has 1 s)
DISCONNECT_TIMEOUT = 0.2
FINAL_WRITE_BUDGET = 0.9
SUBSCRIBE_BATCH = 100
_FAILED_SUBACK = 0x80


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _refused(code: object) -> bool:
    """Whether a SUBACK entry is a failure (paho gives ReasonCodes, or ints for 3.1.1)."""
    value = code.value if isinstance(code, ReasonCode) else code
    return isinstance(value, int) and value >= _FAILED_SUBACK


@dataclass(slots=True, eq=False)
class Subscription:
    """One `async_subscribe` call: its filter, QoS and the callback's job."""

    topic_filter: str
    qos: int
    job: Job[Any]


class MqttConnection:
    """Owns the client, the subscriptions and the outbox; see the module docstring."""

    def __init__(
        self, gw: Gateway, config: MqttConfig, status_topic: str, backoff: Backoff | None = None
    ) -> None:
        self.gw = gw
        self.config = config
        self.status_topic = status_topic
        self._backoff = backoff or Backoff()
        self._index: SubscriptionIndex[Subscription] = SubscriptionIndex()
        self._filter_qos: dict[str, int] = {}
        self._outbox = Outbox(config.outbox_size)
        self._queue_type = dispatch_queue_type(self._async_dispatch)
        self._client: aiomqtt.Client | None = None
        self._paho: mqtt.Client | None = None
        self._ready = False
        self._pending_ops: dict[str, bool] = {}  # filter -> subscribe (True) / unsubscribe
        self._sync_task: asyncio.Task[None] | None = None
        self._on_connect: list[Job[Any]] = []
        self._listeners: list[Callable[[], None]] = []
        self._task: asyncio.Task[None] | None = None
        self._stop: asyncio.Future[None] = gw.loop.create_future()
        self._connections = 0
        self._published = 0
        self._received = 0
        self._failures = 0
        self.last_error: Exception | None = None

    # -- state --------------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """True from the CONNACK until the connection is lost."""
        return self._paho is not None

    @property
    def ready(self) -> bool:
        """Connected, resubscribed and republished."""
        return self._ready

    @property
    def in_sync(self) -> bool:
        """Ready, and every subscription change has been acknowledged by the broker."""
        return self._ready and not self._pending_ops and self._sync_task is None

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
            queued=len(self._outbox),
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
        """Publish without waiting; queued in the outbox while disconnected."""
        paho = self._paho
        if paho is not None:
            info = paho.publish(topic, payload, qos, retain)
            if info.rc == mqtt.MQTT_ERR_SUCCESS:
                self._published += 1
                return
        self._outbox.put(PublishMessage(topic, payload, qos, retain))

    # -- subscriptions ------------------------------------------------------------------------

    @callback
    def async_subscribe(
        self, topic_filter: str, msg_callback: Callable[[ReceiveMessage], Any], qos: int = 1
    ) -> Callable[[], None]:
        """Deliver messages matching `topic_filter` to `msg_callback`; returns an unsubscriber.

        Raises ValueError for an invalid filter or QoS. The broker is asked once per distinct
        filter (again when a higher QoS is wanted), and again after every reconnect.
        """
        if qos not in (0, 1, 2):
            raise ValueError(f"invalid QoS {qos!r}")
        subscription = Subscription(topic_filter, qos, Job(msg_callback))
        self._index.add(topic_filter, subscription)
        if qos > self._filter_qos.get(topic_filter, -1):
            self._filter_qos[topic_filter] = qos
            self._async_queue_op(topic_filter, subscribe=True)
        removed = False

        @callback
        def unsubscribe() -> None:
            nonlocal removed
            if removed:
                return
            removed = True
            if self._index.remove(topic_filter, subscription):
                del self._filter_qos[topic_filter]
                self._async_queue_op(topic_filter, subscribe=False)

        return unsubscribe

    def _async_queue_op(self, topic_filter: str, *, subscribe: bool) -> None:
        """Remember a change for the broker; a reconnect resubscribes everything anyway."""
        if self._client is None:
            return
        self._pending_ops.pop(topic_filter, None)
        self._pending_ops[topic_filter] = subscribe
        if self._sync_task is None:
            self._sync_task = self.gw.loop.create_task(
                self._async_sync(self._client), name="mqtt subscription sync"
            )

    async def _async_sync(self, client: aiomqtt.Client) -> None:
        """Send the queued subscription changes, batched, until none are left."""
        try:
            while self._pending_ops:
                ops, self._pending_ops = self._pending_ops, {}
                await self._async_subscribe_filters(
                    client, [topic for topic, add in ops.items() if add]
                )
                removed = [topic for topic, add in ops.items() if not add]
                if removed:
                    await client.unsubscribe(removed)
        except aiomqtt.MqttError as err:
            _LOGGER.debug("Subscription change failed (the connection is going): %s", err)
        finally:
            self._sync_task = None
            self._notify()

    async def _async_subscribe_filters(self, client: aiomqtt.Client, filters: list[str]) -> None:
        v5 = self.config.protocol == "5"
        for start in range(0, len(filters), SUBSCRIBE_BATCH):
            batch = filters[start : start + SUBSCRIBE_BATCH]
            topics: list[Any] = [
                # Retain-as-published keeps the retain flag, so retained commands are spotted.
                (topic, SubscribeOptions(qos=self._filter_qos[topic], retainAsPublished=True))
                if v5
                else (topic, self._filter_qos[topic])
                for topic in batch
                if topic in self._filter_qos
            ]
            if not topics:
                continue
            granted = await client.subscribe(topics)
            for (topic, _), code in zip(topics, granted, strict=False):
                if _refused(code):
                    _LOGGER.warning("The broker refused the subscription to %s: %s", topic, code)

    @callback
    def _async_dispatch(self, message: aiomqtt.Message) -> None:
        """Deliver one message to every matching subscription (called from paho's read)."""
        self._received += 1
        try:
            topic = message.topic.value
            matches = self._index.match(topic)
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
        client = build_client(self.config, self.status_topic, self._queue_type)
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
        self._pending_ops.clear()
        await self._async_subscribe_filters(client, list(self._filter_qos))
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
        self._paho = None
        try:
            await client.publish(
                self.status_topic, b"offline", qos=1, retain=True, timeout=GOODBYE_TIMEOUT
            )
        except aiomqtt.MqttError as err:
            _LOGGER.warning("Could not publish offline before disconnecting: %s", err)
        client.timeout = DISCONNECT_TIMEOUT

    @callback
    def _async_disconnected(self) -> None:
        was_ready = self._ready
        self._client = None
        self._paho = None
        self._ready = False
        self._pending_ops.clear()
        if self._sync_task is not None:
            self._sync_task.cancel()
        if was_ready and not self._stop.done():
            _LOGGER.warning("Lost the connection to the MQTT broker at %s", self._address)
        self._notify()

    @callback
    def _async_failed(self, err: Exception) -> None:
        self._failures += 1
        self.last_error = err
        log = _LOGGER.warning if self._failures == 1 else _LOGGER.debug
        log("Cannot connect to the MQTT broker at %s: %s", self._address, err or type(err))
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
