"""The outgoing side of the connection: every publish, whether the broker is there or not.

While a paho client is attached, publishes go straight to paho's non-blocking `publish`
(aiomqtt drives paho's socket from the loop with add_reader/add_writer). While none is, or while
paho already holds `BACKLOG_LIMIT` messages the socket has not taken, they wait in the `Outbox`
(coalesced per retained topic), refilled as the socket drains. While a subscription change is
on its way to the broker, publishes are held back in order until it is acknowledged, so a state
seen means its commands are heard.

The connection attaches a paho client once its subscriptions are acknowledged, and detaches it
when the connection is lost or says goodbye.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections import deque
from collections.abc import Callable

import paho.mqtt.client as mqtt

from ..core import callback
from .client import outgoing_backlog
from .models import PublishMessage
from .outbox import Outbox

__all__ = ["BACKLOG_LIMIT", "Outgoing"]

_LOGGER = logging.getLogger(__name__)

# Messages paho may hold (unwritten or unacknowledged) before publishes wait in the outbox.
# Above paho's 20 in-flight QoS 1 messages, so that a refill always leaves one to come.
BACKLOG_LIMIT = 100


class Outgoing:
    """Publishes to an attached paho client, else to the outbox; see the module docstring."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, outbox_size: int, in_sync: Callable[[], bool]
    ) -> None:
        self._loop = loop
        self._in_sync = in_sync
        self._paho: mqtt.Client | None = None
        self._held: deque[PublishMessage] = deque()
        self._outbox = Outbox(outbox_size)
        self._refill_scheduled = False
        self._writable_waiters: list[Callable[[], None]] = []
        self.published = 0

    @property
    def attached(self) -> bool:
        """A paho client takes publishes."""
        return self._paho is not None

    @property
    def backed_up(self) -> bool:
        """Attached, but paho holds `BACKLOG_LIMIT` messages or the outbox is not empty."""
        paho = self._paho
        return paho is not None and (bool(self._outbox) or outgoing_backlog(paho) >= BACKLOG_LIMIT)

    @property
    def dropped(self) -> int:
        """Messages the outbox dropped (oldest first) when it was full."""
        return self._outbox.dropped

    @property
    def queued(self) -> int:
        """Messages waiting: in the outbox, or held during a subscription change."""
        return len(self._outbox) + len(self._held)

    # -- publishing ---------------------------------------------------------------------------

    @callback
    def async_publish(self, topic: str, payload: bytes, qos: int, retain: bool) -> None:
        """Publish without waiting; see the module docstring for where the message waits."""
        if self._paho is None:
            self._outbox.put(PublishMessage(topic, payload, qos, retain))
        elif self._held or not self._in_sync():
            self._held.append(PublishMessage(topic, payload, qos, retain))
        else:
            self._async_send(topic, payload, qos, retain)

    def _async_send(self, topic: str, payload: bytes, qos: int, retain: bool) -> None:
        """Hand to paho, unless the socket is backed up: then wait in the outbox (coalesced)."""
        paho = self._paho
        if paho is not None and not self._outbox and outgoing_backlog(paho) < BACKLOG_LIMIT:
            info = paho.publish(topic, payload, qos, retain)
            if info.rc == mqtt.MQTT_ERR_SUCCESS:
                self.published += 1
                return
        self._outbox.put(PublishMessage(topic, payload, qos, retain))

    @callback
    def async_release_held(self) -> None:
        """Subscriptions are in sync: send what waited for their acknowledgement, in order."""
        if self._in_sync():
            self._async_send_held()

    def _async_send_held(self) -> None:
        held, self._held = self._held, deque()
        for message in held:
            self._async_send(message.topic, message.payload, message.qos, message.retain)

    # -- back-pressure ------------------------------------------------------------------------

    @callback
    def async_when_writable(self, target: Callable[[], None]) -> None:
        """Call `target()` once, when no longer `backed_up`, when the connection is lost, or at
        the goodbye."""
        self._writable_waiters.append(target)

    @callback
    def async_socket_drained(self) -> None:
        """paho wrote everything it had: catch up, once per loop turn."""
        if self._paho is None or self._refill_scheduled:
            return
        if self._outbox or self._writable_waiters:
            self._refill_scheduled = True
            self._loop.call_soon(self._async_catch_up)

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
                self.published += 1

    # -- attach and detach --------------------------------------------------------------------

    @callback
    def async_attach(self, paho: mqtt.Client) -> None:
        """A connection is ready for publishes: send what waited in the outbox, in order."""
        self._paho = paho
        for message in self._outbox.drain():
            self.async_publish(message.topic, message.payload, message.qos, message.retain)

    @callback
    def async_flush_and_detach(self) -> None:
        """The goodbye: hand paho everything (held, deferred, outbox), then take no more."""
        self._async_send_held()  # no point waiting for a SUBACK now; keep them before `offline`
        self._async_wake_writable_waiters()  # deferred states, then everything, before `offline`
        self._async_send_held()  # what the waiters published while a SUBACK was still due
        self._async_refill(sys.maxsize)
        self._paho = None

    @callback
    def async_detach(self) -> None:
        """The connection is gone: what was held waits in the outbox for the next one, and
        nobody waits for room any more (a paused producer must not stay paused through an
        outage)."""
        self._paho = None
        held, self._held = self._held, deque()
        for message in held:
            self._outbox.put(message)
        self._async_wake_writable_waiters()
