"""Announce the board's entities to Home Assistant over MQTT discovery.

The device config is sent right after `<b>/status` = `online` on every (re)connect, after a
reload, and when Home Assistant says `online` on `<prefix>/status` (after a random 1-5 s delay,
so a fleet of gateways does not answer at the same instant). The unique ids announced are kept
in `state_dir`, so an entity removed from the config, even across restarts, is removed from
Home Assistant too.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from ... import mqtt
from ...const import EVENT_GATEWAY_STOP, EVENT_RELOAD_FINISHED
from ...core import Event, Gateway, callback
from ...domains.registry import DOMAINS
from ...entity import Entity
from ...entity_component import async_get_component
from ...event import async_call_later
from ...gateway_data import DataKey
from ...state_store import read_json, write_json_atomic
from .discovery_payloads import (
    DiscoveryEntity,
    DiscoveryNode,
    build_device_config,
    component_platforms,
    discovery_topic,
)

if TYPE_CHECKING:
    from ...config.model import CoreConfig, DiscoveryConfig

__all__ = ["Announcer", "async_setup"]

_LOGGER = logging.getLogger(__name__)
DATA_ANNOUNCE: Final[DataKey[Announcer]] = DataKey("announce")
ANNOUNCED_FILE = "discovery.json"
BIRTH_DELAY = (1.0, 5.0)


def describe(entity: Entity) -> DiscoveryEntity:
    """What discovery needs from an entity (its properties; no I/O)."""
    return DiscoveryEntity(
        domain=entity.domain,
        object_id=entity.object_id,
        name=entity.name or entity.object_id,
        device_class=entity.device_class,
        unit_of_measurement=getattr(entity, "unit_of_measurement", None),
        state_class=getattr(entity, "state_class", None),
        event_types=tuple(getattr(entity, "event_types", ())),
    )


class Announcer:
    """Publishes the device discovery config and remembers what it announced."""

    def __init__(self, gw: Gateway, core: CoreConfig, discovery: DiscoveryConfig) -> None:
        self.gw = gw
        self.prefix = discovery.prefix
        data = mqtt.get_data(gw)
        self.node = DiscoveryNode(core.node_id, core.name, data.node_base)
        self.store = Path(core.state_dir) / ANNOUNCED_FILE
        self.announced: dict[str, str] = {}
        self._cancel_delayed: Callable[[], None] | None = None

    async def async_start(self) -> None:
        stored = await self.gw.async_add_executor_job(read_json, self.store)
        self.announced = dict((stored or {}).get("components", {}))
        data = mqtt.get_data(self.gw)
        removers = [
            data.connection.async_on_online(self.async_announce),
            mqtt.async_subscribe(self.gw, f"{self.prefix}/status", self._async_on_birth),
            self.gw.bus.async_listen(EVENT_RELOAD_FINISHED, self._async_on_reload),
        ]

        @callback
        def stop(_event: Event) -> None:
            self._async_cancel_delayed()
            for remove in removers:
                remove()

        self.gw.bus.async_listen_once(EVENT_GATEWAY_STOP, stop)
        # Discovery follows `online` (DESIGN "`online` means ready"): at start-up the hook
        # above announces; a gateway already online (set up later, in tests) announces now.
        if data.connection.online:
            self.async_announce()

    @callback
    def async_entities(self) -> list[DiscoveryEntity]:
        entities: list[DiscoveryEntity] = []
        for domain in DOMAINS:
            if (component := async_get_component(self.gw, domain)) is not None:
                entities.extend(describe(entity) for entity in component.entities.values())
        return entities

    @callback
    def async_announce(self) -> None:
        """Publish the device config now (retained), including removals."""
        entities = self.async_entities()
        current = component_platforms(self.node, entities)
        removed = {uid: p for uid, p in self.announced.items() if uid not in current}
        payload = build_device_config(self.node, entities, removed)
        mqtt.async_publish(
            self.gw,
            discovery_topic(self.prefix, self.node.node_id),
            json.dumps(payload, separators=(",", ":"), ensure_ascii=False),
            qos=1,
            retain=True,
        )
        if current != self.announced:
            self.announced = current
            self.gw.async_add_executor_job(self._save, dict(current))

    def _save(self, components: dict[str, Any]) -> None:
        try:
            write_json_atomic(self.store, {"components": components})
        except OSError as exc:
            _LOGGER.warning("Cannot record announced discovery ids in %s: %s", self.store, exc)

    @callback
    def _async_on_birth(self, message: mqtt.ReceiveMessage) -> None:
        if message.payload.strip().lower() != b"online":
            return
        self._async_cancel_delayed()
        delay = random.uniform(*BIRTH_DELAY)

        @callback
        def announce(_now: float) -> None:
            self._cancel_delayed = None
            self._async_announce_if_online()

        self._cancel_delayed = async_call_later(self.gw, delay, announce)

    @callback
    def _async_on_reload(self, _event: Event) -> None:
        self._async_announce_if_online()

    @callback
    def _async_announce_if_online(self) -> None:
        """Announce now if `online` is out; otherwise the next `online` announces (discovery
        never goes ahead of `online`, not even from the outbox)."""
        if mqtt.get_data(self.gw).connection.online:
            self.async_announce()

    @callback
    def _async_cancel_delayed(self) -> None:
        if self._cancel_delayed is not None:
            self._cancel_delayed()
            self._cancel_delayed = None


async def async_setup(gw: Gateway, core: CoreConfig, discovery: DiscoveryConfig) -> None:
    """Start announcing (requires MQTT to be set up). Bootstrap sets this component up only
    with discovery enabled, so a gateway without discovery never imports it."""
    announcer = Announcer(gw, core, discovery)
    gw.data[DATA_ANNOUNCE] = announcer
    await announcer.async_start()
