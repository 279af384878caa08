"""The board as a Homie 5 device (`homie:`), on its own connection (`<client_id>-homie`).

On every connect, in this order: `$state` = `init`, the retained topics of nodes that no longer
exist cleared, `$description`, every property value, the subscription to `.../set` (SUBACK
awaited), `$state` = `ready`. The will is `$state` = `lost`; a clean stop says `disconnected`.
An unavailable entity keeps its last values and raises the alert `$alert/<node id>` until
it is back. When the entity set changes (a reload) the device goes back to `init`, clears what was
removed, publishes a `$description` with a higher `version`, the new values, then `ready`.
A `.../set` goes through the gateway's command router, under the rules of `<e>/set`.

The description's version and the retained topics published are kept in `state_dir`, so a node
removed while the gateway was stopped is still cleared, and an unchanged device keeps its
version across restarts. When the `homie:` section is gone, `homie_removal` uses that record
to remove the device from the broker.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import aiomqtt

from ... import mqtt
from ...const import (
    EVENT_GATEWAY_CLOSE,
    EVENT_GATEWAY_FINAL_WRITE,
    EVENT_RELOAD_FINISHED,
    EVENT_RELOAD_STARTED,
    EVENT_STATE_CHANGED,
    STATE_UNAVAILABLE,
)
from ...core import Event, Gateway, callback
from ...event_data import StateChangedData
from ...gateway_data import DataKey
from ...state_store import StateFile
from ..models import PublishMessage, ReceiveMessage
from .convention_entities import async_convention_entities, widen
from .convention_link import ConventionLink
from .homie_model import HomieProperty, build_description, properties_of

if TYPE_CHECKING:
    from ...config.conventions import HomieConfig
    from ...config.model import CoreConfig, MqttConfig

__all__ = ["DATA_HOMIE", "HomieDevice", "async_setup"]

_LOGGER = logging.getLogger(__name__)
DATA_HOMIE: Final[DataKey[HomieDevice]] = DataKey("homie")
STORE_FILE = "homie.json"  # also read by bootstrap and homie_removal


class HomieDevice:
    """Publishes the device and routes its `.../set` commands; a `LinkSession`."""

    def __init__(
        self, gw: Gateway, core: CoreConfig, config: MqttConfig, homie: HomieConfig
    ) -> None:
        self.gw = gw
        self.base = f"{homie.prefix}/5/{homie.device_id}"
        self.name = core.name
        self.qos = config.qos
        self.store = StateFile(gw, Path(core.state_dir) / STORE_FILE)
        self.link = ConventionLink(gw, config, "homie", self)
        self.version = 0
        self.description: dict[str, Any] = {}
        self.properties: dict[tuple[str, str], HomieProperty] = {}
        self._by_entity: dict[str, list[HomieProperty]] = {}
        self._key = ""
        self._known_topics: set[str] = set()  # retained value topics published, ever
        self._published: dict[str, bytes] = {}  # this session's retained values
        self._reloading = False
        self._refresh_scheduled = False
        self._removers: list[Callable[[], None]] = []

    # -- start and stop -----------------------------------------------------------------------

    async def async_start(self) -> None:
        stored = await self.store.async_load() or {}
        # Without a record (a first start, or a lost state_dir) the version starts from the
        # time, so that it is still higher than any a controller may have seen.
        self.version = int(stored.get("version", time.time() - 1))
        self._key = str(stored.get("key", ""))
        self._known_topics = set(stored.get("topics", []))
        self._async_rebuild()
        bus = self.gw.bus
        self._removers = [
            bus.async_listen(EVENT_STATE_CHANGED, self._async_state_changed),
            bus.async_listen(EVENT_RELOAD_STARTED, self._async_reload_started),
            bus.async_listen(EVENT_RELOAD_FINISHED, self._async_reload_finished),
        ]
        bus.async_listen_once(EVENT_GATEWAY_FINAL_WRITE, self._async_flush)
        bus.async_listen_once(EVENT_GATEWAY_CLOSE, self._async_close)
        self.link.async_start()

    async def _async_flush(self, _event: Event) -> None:
        await self.store.async_flush()

    @callback
    def _async_close(self, _event: Event) -> None:
        for remove in self._removers:
            remove()

    # -- the description ----------------------------------------------------------------------

    @callback
    def _async_rebuild(self) -> bool:
        """Describe the current entities; True when the description changed (new version)."""
        entities = [
            widen(entity, self.gw.states.get(entity.entity_id))
            for entity in async_convention_entities(self.gw)
        ]
        props = [prop for entity in entities for prop in properties_of(entity)]
        self.properties = {(prop.node, prop.id): prop for prop in props}
        self._by_entity = {}
        for prop in props:
            self._by_entity.setdefault(prop.entity.entity_id, []).append(prop)
        body = build_description(self.name, 0, props)
        key = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
        changed = key != self._key
        if changed:
            self._key = key
            self.version += 1
        self.description = {**body, "version": self.version}
        topics = {self._topic(prop) for prop in props if prop.retained}
        if changed or not topics <= self._known_topics:
            self._known_topics |= topics
            self._async_save()
        return changed

    def _topic(self, prop: HomieProperty) -> str:
        return f"{self.base}/{prop.node}/{prop.id}"

    @callback
    def _async_save(self) -> None:
        """Record the device (coalesced writes in the pool; the latest always lands)."""
        self.store.async_save(
            {
                "base": self.base,
                "version": self.version,
                "key": self._key,
                "topics": sorted(self._known_topics),
            }
        )

    # -- the session (LinkSession) ------------------------------------------------------------

    async def async_prepare(self) -> None:
        pass

    def will(self) -> aiomqtt.Will:
        return aiomqtt.Will(f"{self.base}/$state", b"lost", qos=1, retain=True)

    async def async_begin(self, link: ConventionLink) -> None:
        self._published.clear()
        self._async_publish_device()
        await link.async_subscribe([(f"{self.base}/+/+/set", self.qos)])
        self._async_send(f"{self.base}/$state", b"ready")

    def async_goodbye(self) -> Iterable[PublishMessage]:
        return [PublishMessage(f"{self.base}/$state", b"disconnected", 1, True)]

    def async_lost(self) -> None:
        self._published.clear()

    @callback
    def _async_publish_device(self) -> None:
        """`init`, clear what is gone, `$description`, every value and alert (the caller
        says `ready`)."""
        self._async_send(f"{self.base}/$state", b"init")
        current = {self._topic(prop) for prop in self.properties.values() if prop.retained}
        current |= {self._alert_topic(props[0]) for props in self._unavailable()}
        stale = self._known_topics - current
        for topic in sorted(stale):
            self._async_send(topic, b"")
        if stale:
            self._known_topics -= stale
            self._async_save()
        description = json.dumps(self.description, separators=(",", ":"), ensure_ascii=False)
        self._async_send(f"{self.base}/$description", description.encode())
        for props in self._by_entity.values():
            self._async_publish_alert(props[0])
            for prop in props:
                self._async_publish_value(prop)

    def _unavailable(self) -> list[list[HomieProperty]]:
        return [
            props
            for entity_id, props in self._by_entity.items()
            if (state := self.gw.states.get(entity_id)) is not None
            and state.state == STATE_UNAVAILABLE
        ]

    def _alert_topic(self, prop: HomieProperty) -> str:
        return f"{self.base}/$alert/{prop.node}"

    @callback
    def _async_publish_alert(self, prop: HomieProperty) -> None:
        """An unavailable entity raises the alert `$alert/<node>` (its values stay as they
        were); the alert is removed when it is back."""
        state = self.gw.states.get(prop.entity.entity_id)
        unavailable = state is not None and state.state == STATE_UNAVAILABLE
        topic = self._alert_topic(prop)
        payload = f"{prop.entity.name} is unavailable".encode() if unavailable else b""
        if self._published.get(topic, b"") == payload:
            return
        self._published[topic] = payload
        self._async_send(topic, payload)
        if unavailable != (topic in self._known_topics):
            self._known_topics.symmetric_difference_update({topic})
            self._async_save()

    @callback
    def _async_send(self, topic: str, payload: bytes, *, retain: bool = True) -> None:
        self.link.async_publish(topic, payload, self.qos if retain else 0, retain)

    @callback
    def _async_publish_value(self, prop: HomieProperty) -> None:
        if not prop.retained:
            return
        state = self.gw.states.get(prop.entity.entity_id)
        if state is not None and state.state == STATE_UNAVAILABLE:
            return  # the last value stays; the alert says why it is not updated
        payload = prop.read(state) if state is not None else None
        payload = b"" if payload is None else payload  # no value: clear the retained one
        topic = self._topic(prop)
        if self._published.get(topic) == payload:
            return
        self._published[topic] = payload
        self._async_send(topic, payload)

    # -- commands -----------------------------------------------------------------------------

    def async_on_message(self, message: ReceiveMessage) -> None:
        parts = message.topic[len(self.base) + 1 :].split("/")
        prop = self.properties.get((parts[0], parts[1])) if len(parts) == 3 else None
        commands = prop.commands() if prop is not None else None
        if prop is None or commands is None:
            _LOGGER.debug("Homie: no settable property for %s", message.topic)
            return
        mqtt.get_data(self.gw).commands.async_handle_set(prop.entity.entity_id, commands, message)

    # -- changes ------------------------------------------------------------------------------

    @callback
    def _async_state_changed(self, event: Event[StateChangedData]) -> None:
        new, old = event.data["new_state"], event.data["old_state"]
        if new is None or old is None:
            self._async_schedule_refresh()  # an entity came or went
            return
        entity_id = event.data["entity_id"]
        props = self._by_entity.get(entity_id, ())
        if props and widen(props[0].entity, new) != props[0].entity:
            self._async_schedule_refresh()  # its value no longer fits its datatype
            return
        if not self.link.connected or not props:
            return
        self._async_publish_alert(props[0])
        for prop in props:
            if prop.retained:
                self._async_publish_value(prop)
            elif new.state != old.state:  # a button press: a momentary event
                self._async_send(self._topic(prop), b"true", retain=False)

    @callback
    def _async_reload_started(self, _event: Event) -> None:
        self._reloading = True

    @callback
    def _async_reload_finished(self, _event: Event) -> None:
        self._reloading = False
        self._async_refresh()

    @callback
    def _async_schedule_refresh(self) -> None:
        if self._reloading or self._refresh_scheduled:
            return
        self._refresh_scheduled = True
        self.gw.loop.call_soon(self._async_refresh)

    @callback
    def _async_refresh(self) -> None:
        """A new description when the entities changed: `init`, ..., `ready` again."""
        self._refresh_scheduled = False
        if self._async_rebuild() and self.link.connected:
            self._async_publish_device()
            self._async_send(f"{self.base}/$state", b"ready")


async def async_setup(
    gw: Gateway, core: CoreConfig, config: MqttConfig, homie: HomieConfig
) -> None:
    """Start the Homie device (requires MQTT to be set up: its command router)."""
    device = HomieDevice(gw, core, config, homie)
    gw.data[DATA_HOMIE] = device
    await device.async_start()
