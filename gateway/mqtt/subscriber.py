"""Local subscriptions and their mirror on the broker.

Every `async_subscribe` lands in the `SubscriptionIndex`; the broker is asked once per distinct
filter (again for a higher QoS), on every connect for all filters, and while connected for
changes, batched by one task per burst. Incoming messages are matched against the same index
and delivered with `run_job` (`gw.async_run_job`), each callback's `Job` built once at
subscribe time.

MQTT 5 brokers may send one copy of a message per matching subscription (mosquitto does), so
overlapping filters would deliver duplicates. Each filter therefore carries a subscription
identifier derived from the filter itself (stable across restarts, so messages queued in the
persistent session still find their filter) and a copy goes only to the subscriptions whose
identifier it carries.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiomqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from ..core import Job, callback
from .models import ReceiveMessage
from .subscriptions import SubscriptionIndex

__all__ = ["Subscriber", "Subscription", "subscription_id"]

_LOGGER = logging.getLogger(__name__)

MAX_SUBSCRIPTION_ID = 268_435_455
SUBSCRIBE_BATCH = 100  # filters per SUBSCRIBE packet (MQTT 3.1.1)
SUBSCRIBE_WINDOW = 32  # SUBSCRIBE packets in flight at once (MQTT 5: one filter per packet)
_FAILED_SUBACK = 0x80


def subscription_id(topic_filter: str) -> int:
    """A stable MQTT 5 subscription identifier for a filter (1 to 268,435,455)."""
    return zlib.crc32(topic_filter.encode()) % MAX_SUBSCRIPTION_ID + 1


@dataclass(slots=True, eq=False)
class Subscription:
    """One `async_subscribe` call: its filter, QoS, identifier and the callback's job."""

    topic_filter: str
    qos: int
    job: Job[Any]
    identifier: int


def _refused(code: object) -> bool:
    """Whether a SUBACK entry is a failure (paho gives ReasonCodes, or ints)."""
    value = code.value if isinstance(code, ReasonCode) else code
    return isinstance(value, int) and value >= _FAILED_SUBACK


class Subscriber:
    """The index of local subscriptions, keeping the broker's side in step, and delivery."""

    def __init__(
        self,
        v5: bool,
        on_synced: Callable[[], None],
        run_job: Callable[[Job[Any], ReceiveMessage], object],
    ) -> None:
        self._v5 = v5
        self._on_synced = on_synced
        self._run_job = run_job
        self.received = 0
        self.index: SubscriptionIndex[Subscription] = SubscriptionIndex()
        self._filter_qos: dict[str, int] = {}
        self._client: aiomqtt.Client | None = None
        self._pending: dict[str, bool] = {}  # filter -> subscribe (True) or unsubscribe
        self._sync_task: asyncio.Task[None] | None = None

    @property
    def in_sync(self) -> bool:
        """No subscription change is waiting for the broker."""
        return not self._pending and self._sync_task is None

    def filters(self) -> list[str]:
        return self.index.filters()

    @callback
    def async_add(
        self, topic_filter: str, msg_callback: Callable[..., Any], qos: int
    ) -> Callable[[], None]:
        """Add a subscription; returns its idempotent remover. Raises ValueError."""
        if qos not in (0, 1, 2):
            raise ValueError(f"invalid QoS {qos!r}")
        subscription = Subscription(
            topic_filter, qos, Job(msg_callback), subscription_id(topic_filter)
        )
        self.index.add(topic_filter, subscription)
        if qos > self._filter_qos.get(topic_filter, -1):
            self._filter_qos[topic_filter] = qos
            self._async_queue(topic_filter, subscribe=True)
        removed = False

        @callback
        def remove() -> None:
            nonlocal removed
            if removed:
                return
            removed = True
            if self.index.remove(topic_filter, subscription):
                del self._filter_qos[topic_filter]
                self._async_queue(topic_filter, subscribe=False)

        return remove

    def match(self, topic: str, identifiers: list[int] | None) -> list[Subscription]:
        """The subscriptions a message (copy) is for."""
        matches = self.index.match(topic)
        if identifiers and matches:
            return [sub for sub in matches if sub.identifier in identifiers]
        return matches

    @callback
    def async_dispatch(self, message: aiomqtt.Message) -> None:
        """Deliver one message to every matching subscription (called from paho's read)."""
        self.received += 1
        try:
            topic = message.topic.value
            properties = message.properties
            identifiers = (
                getattr(properties, "SubscriptionIdentifier", None) if properties else None
            )
            matches = self.match(topic, identifiers)
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
                self._run_job(subscription.job, msg)
            except Exception:
                _LOGGER.exception("Error in %s handling %s", subscription.job.name, topic)

    async def async_attach(self, client: aiomqtt.Client) -> None:
        """A new connection: subscribe every filter; later changes go to this client."""
        self._client = client
        self._pending.clear()
        await self._async_subscribe(client, list(self._filter_qos))

    @callback
    def async_detach(self) -> None:
        """The connection is gone: drop pending changes (the next connect covers them)."""
        self._client = None
        self._pending.clear()
        # Forget the task here: cancelled before its first step, it never runs its `finally`.
        task, self._sync_task = self._sync_task, None
        if task is not None:
            task.cancel()

    def _async_queue(self, topic_filter: str, *, subscribe: bool) -> None:
        if self._client is None:
            return  # the next connect subscribes everything
        self._pending.pop(topic_filter, None)
        self._pending[topic_filter] = subscribe
        if self._sync_task is None:
            self._sync_task = asyncio.get_running_loop().create_task(
                self._async_sync(self._client), name="mqtt subscription sync"
            )

    async def _async_sync(self, client: aiomqtt.Client) -> None:
        """Send queued changes until none are left (the first run batches a whole burst)."""
        try:
            while self._pending:
                ops, self._pending = self._pending, {}
                await self._async_subscribe(client, [topic for topic, add in ops.items() if add])
                # A filter added back during the SUBSCRIBE above stays: it is queued again.
                removed = [t for t, add in ops.items() if not add and t not in self._filter_qos]
                if removed:
                    await client.unsubscribe(removed)
        except aiomqtt.MqttError as err:
            _LOGGER.debug("Subscription change failed (the connection is going): %s", err)
        except Exception:
            _LOGGER.exception("Subscription change failed; the broker may miss some filters")
        finally:
            if self._sync_task is asyncio.current_task():
                self._sync_task = None
                self._on_synced()

    async def _async_subscribe(self, client: aiomqtt.Client, filters: list[str]) -> None:
        """Subscribe `filters` in batches (3.1.1) or windows (5).

        Every await lets subscriptions come and go: each batch reads the filters' QoS when it
        is sent and skips the filters removed meanwhile (their UNSUBSCRIBE is queued after).
        """
        if not self._v5:
            for start in range(0, len(filters), SUBSCRIBE_BATCH):
                batch = self._still_wanted(filters[start : start + SUBSCRIBE_BATCH])
                if batch:
                    self._check(batch, await client.subscribe(batch))
            return
        for start in range(0, len(filters), SUBSCRIBE_WINDOW):
            window = self._still_wanted(filters[start : start + SUBSCRIBE_WINDOW])
            results = await asyncio.gather(
                *(self._async_subscribe_v5(client, topic, qos) for topic, qos in window),
                return_exceptions=True,
            )
            for result in results:
                if isinstance(result, BaseException):
                    raise result

    def _still_wanted(self, filters: list[str]) -> list[tuple[str, int]]:
        """The filters still subscribed locally, with their QoS as of now."""
        return [(topic, self._filter_qos[topic]) for topic in filters if topic in self._filter_qos]

    async def _async_subscribe_v5(
        self, client: aiomqtt.Client, topic_filter: str, qos: int
    ) -> None:
        properties = Properties(PacketTypes.SUBSCRIBE)  # type: ignore[no-untyped-call]
        properties.SubscriptionIdentifier = subscription_id(topic_filter)
        # Retain-as-published keeps the retain flag, so a live retained command is spotted.
        options = SubscribeOptions(qos=qos, retainAsPublished=True)
        granted = await client.subscribe(topic_filter, options=options, properties=properties)
        self._check([(topic_filter, options)], granted)

    @staticmethod
    def _check(requested: list[tuple[str, Any]], granted: Any) -> None:
        for (topic, _), code in zip(requested, granted, strict=False):
            if _refused(code):
                _LOGGER.warning("The broker refused the subscription to %s: %s", topic, code)
