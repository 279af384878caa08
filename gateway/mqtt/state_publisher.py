"""Mirroring the state machine onto `<e>/state`, `<e>/attributes` and `<e>/availability`.

While disconnected nothing is queued for entities: the state machine already holds the latest
state, and every (re)connect republishes all of it. While connected but backed up (the socket
takes less than the entities change), the same holds: changed entities are only noted, and
their current state is published once the connection has room again. Per topic, the order of
changes is kept and the last one always goes out; memory is bounded by the number of entities.

The state topic and its encoding are the entity's domain's (`DomainSpec.state`): a domain whose
output is a stream of events (not retained) publishes each change once and never republishes.
Events are not coalesced: while disconnected or backed up each one goes to the outbox's bounded
FIFO (oldest dropped and counted), as every message that is not a state does.

A removed entity's retained topics are cleared (an empty retained payload), through the outbox
if need be, so that a clear made while disconnected still reaches the broker before anything
newer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..const import EVENT_STATE_CHANGED
from ..core import Event, Gateway, State, callback, split_entity_id
from ..domains.spec import StateOutput
from ..event_data import StateChangedData
from .connection import MqttConnection
from .state_payload import attributes_payload, availability_payload, encode_with, state_output
from .topic import entity_topic

__all__ = ["EntityTopics", "StatePublisher"]


@dataclass(frozen=True, slots=True)
class EntityTopics:
    """The outgoing topics of one entity."""

    base: str
    state: str
    attributes: str
    availability: str

    @classmethod
    def for_entity(cls, node_base: str, entity_id: str) -> EntityTopics:
        return cls.for_output(node_base, entity_id, state_output(split_entity_id(entity_id)[0]))

    @classmethod
    def for_output(cls, node_base: str, entity_id: str, output: StateOutput | None) -> EntityTopics:
        """The topics, given the entity's domain's state output (None: it has none)."""
        base = entity_topic(node_base, entity_id)
        state = f"{base}/{output.suffix if output is not None else 'state'}"
        return cls(base, state, f"{base}/attributes", f"{base}/availability")


@dataclass(frozen=True, slots=True)
class _Outlet:
    """Where and how one entity's state goes out: its topics and its domain's encoding."""

    topics: EntityTopics
    encode_state: Callable[[State], bytes | None]
    state_retained: bool

    @classmethod
    def for_entity(cls, node_base: str, entity_id: str) -> _Outlet:
        output = state_output(split_entity_id(entity_id)[0])
        return cls(
            EntityTopics.for_output(node_base, entity_id, output),
            encode_with(output),
            output is None or output.retained,
        )

    def is_news(self, payload: bytes, new: State, old: State | None) -> bool:
        """Whether the state topic gets `payload` for this change.

        A retained state goes out when it differs from the old one (and on every connect, where
        `old` is None). A stream of events (not retained) goes out once per state change, each
        change being one event, and never again on a connect or an `<e>/get`.
        """
        if self.state_retained:
            # A change that changes nothing was forced (a sensor's heartbeat): send it again.
            unchanged = (
                old is not None and new.state == old.state and new.attributes == old.attributes
            )
            return unchanged or old is None or payload != self.encode_state(old)
        return old is not None and new.state != old.state


class StatePublisher:
    """Publishes what changed on each `state_changed`, and everything on each connect."""

    def __init__(
        self, gw: Gateway, connection: MqttConnection, node_base: str, qos: int, retain: bool
    ) -> None:
        self._gw = gw
        self._conn = connection
        self._node_base = node_base
        self._qos = qos
        self._retain = retain
        self._outlets: dict[str, _Outlet] = {}
        self._removers: list[Callable[[], None]] = []
        # Entities changed while backed up, in order, with the state last published for each.
        self._deferred: dict[str, State | None] = {}
        self._waiting = False

    @callback
    def async_start(self) -> None:
        self._removers = [
            self._gw.bus.async_listen(EVENT_STATE_CHANGED, self._async_state_changed),
            self._conn.async_on_connect(self.async_republish_all),
        ]

    @callback
    def async_stop(self) -> None:
        for remove in self._removers:
            remove()
        self._removers = []

    @callback
    def async_topics(self, entity_id: str) -> EntityTopics:
        """The entity's topics (cached: built once per entity)."""
        return self._async_outlet(entity_id).topics

    @callback
    def _async_outlet(self, entity_id: str) -> _Outlet:
        outlet = self._outlets.get(entity_id)
        if outlet is None:
            outlet = self._outlets[entity_id] = _Outlet.for_entity(self._node_base, entity_id)
        return outlet

    @callback
    def async_republish_all(self) -> None:
        self._deferred.clear()
        for state in self._gw.states.async_all():
            self._async_publish(state, None)

    @callback
    def async_republish(self, entity_id: str) -> None:
        """Publish the entity's current state again (an `<e>/get` request)."""
        state = self._gw.states.get(entity_id)
        if state is not None and self._conn.connected:
            self._async_publish(state, None)

    @callback
    def _async_state_changed(self, event: Event[StateChangedData]) -> None:
        new: State | None = event.data["new_state"]
        if new is None:
            self._deferred.pop(event.data["entity_id"], None)
            self._async_clear(event.data["entity_id"])
            return
        old = event.data["old_state"]
        waiting = new.entity_id in self._deferred or self._conn.backed_up
        if not self._conn.connected or waiting:
            self._async_queue_event(new, old)
        if not self._conn.connected:
            return
        if waiting:
            self._deferred.setdefault(new.entity_id, old)
            self._async_wait_for_room()
        else:
            self._async_publish(new, old)

    @callback
    def _async_queue_event(self, new: State, old: State | None) -> None:
        """An event stream's change, sent now (to the outbox FIFO when it cannot go out):
        each event is news, unlike a state, which only needs its latest value."""
        outlet = self._async_outlet(new.entity_id)
        if outlet.state_retained:
            return
        payload = outlet.encode_state(new)
        if payload is not None and outlet.is_news(payload, new, old):
            self._conn.async_publish(outlet.topics.state, payload, self._qos, False)

    @callback
    def _async_wait_for_room(self) -> None:
        if not self._waiting:
            self._waiting = True
            self._conn.async_when_writable(self._async_publish_deferred)

    @callback
    def _async_publish_deferred(self) -> None:
        """Publish what changed, for each entity that changed while backed up."""
        self._waiting = False
        if not self._conn.connected:
            return  # the reconnect republishes everything
        deferred, self._deferred = self._deferred, {}
        for entity_id, published in deferred.items():
            state = self._gw.states.get(entity_id)
            if state is not None:
                self._async_publish(state, published, events=False)  # already queued

    @callback
    def _async_publish(self, new: State, old: State | None, *, events: bool = True) -> None:
        """Publish each topic whose payload differs from the old state's (an event stream's
        only with `events`)."""
        outlet = self._async_outlet(new.entity_id)
        topics = outlet.topics
        send = self._conn.async_publish
        availability = availability_payload(new)
        if old is None or availability != availability_payload(old):
            send(topics.availability, availability, self._qos, self._retain)
        payload = outlet.encode_state(new) if events or outlet.state_retained else None
        if payload is not None and outlet.is_news(payload, new, old):
            send(topics.state, payload, self._qos, self._retain and outlet.state_retained)
        if old is None or new.attributes != old.attributes:
            send(topics.attributes, attributes_payload(new), self._qos, self._retain)

    @callback
    def _async_clear(self, entity_id: str) -> None:
        outlet = self._outlets.pop(entity_id, None)
        topics = outlet.topics if outlet else EntityTopics.for_entity(self._node_base, entity_id)
        retained = (topics.state,) if outlet is None or outlet.state_retained else ()
        for topic in (*retained, topics.attributes, topics.availability):
            self._conn.async_publish(topic, b"", self._qos, True)
