"""Mirroring the state machine onto `<e>/state`, `<e>/attributes` and `<e>/availability`.

While disconnected nothing is queued for entities: the state machine already holds the latest
state, and every (re)connect republishes all of it. While connected but backed up (the socket
takes less than the entities change), the same holds: changed entities are only noted, and
their current state is published once the connection has room again. Per topic, the order of
changes is kept and the last one always goes out; memory is bounded by the number of entities.

A removed entity's retained topics are cleared (an empty retained payload), through the outbox
if need be, so that a clear made while disconnected still reaches the broker before anything
newer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..const import EVENT_STATE_CHANGED
from ..core import Event, Gateway, State, callback
from ..event_data import StateChangedData
from .connection import MqttConnection
from .state_payload import attributes_payload, availability_payload, state_payload
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
        base = entity_topic(node_base, entity_id)
        return cls(base, f"{base}/state", f"{base}/attributes", f"{base}/availability")


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
        self._topics: dict[str, EntityTopics] = {}
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
        topics = self._topics.get(entity_id)
        if topics is None:
            topics = self._topics[entity_id] = EntityTopics.for_entity(self._node_base, entity_id)
        return topics

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
        elif not self._conn.connected:
            return
        elif new.entity_id in self._deferred or self._conn.backed_up:
            self._deferred.setdefault(new.entity_id, event.data["old_state"])
            self._async_wait_for_room()
        else:
            self._async_publish(new, event.data["old_state"])

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
                self._async_publish(state, published)

    @callback
    def _async_publish(self, new: State, old: State | None) -> None:
        """Publish each topic whose payload differs from the old state's."""
        topics = self.async_topics(new.entity_id)
        send = self._conn.async_publish
        availability = availability_payload(new)
        if old is None or availability != availability_payload(old):
            send(topics.availability, availability, self._qos, self._retain)
        payload = state_payload(new)
        if payload is not None and (old is None or payload != state_payload(old)):
            send(topics.state, payload, self._qos, self._retain)
        if old is None or new.attributes != old.attributes:
            send(topics.attributes, attributes_payload(new), self._qos, self._retain)

    @callback
    def _async_clear(self, entity_id: str) -> None:
        topics = self._topics.pop(entity_id, None) or EntityTopics.for_entity(
            self._node_base, entity_id
        )
        for topic in (topics.state, topics.attributes, topics.availability):
            self._conn.async_publish(topic, b"", self._qos, True)
