"""Home Assistant MQTT discovery payloads (pure: no I/O).

One device-based discovery message per board on `<prefix>/device/<node_id>/config`: a `dev`
block, an `o` (origin) block and `cmps` with one component per entity. Components that were
announced before but are gone from the config are sent once as `{"p": platform}`, which tells
Home Assistant to remove them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ...const import __version__
from ...domains.registry import domain_spec

__all__ = [
    "DiscoveryEntity",
    "DiscoveryNode",
    "build_device_config",
    "component_platforms",
    "default_entity_id",
    "discovery_topic",
    "entity_components",
    "unique_id",
]


@dataclass(frozen=True, slots=True)
class DiscoveryNode:
    """The board: ids and topics shared by every component."""

    node_id: str
    name: str
    base: str  # `<base_topic>/<node_id>`
    model: str = "Boardgate gateway"


@dataclass(frozen=True, slots=True)
class DiscoveryEntity:
    """What discovery needs to know about one entity."""

    domain: str
    object_id: str
    name: str
    device_class: str | None = None
    unit_of_measurement: str | None = None
    state_class: str | None = None
    payload_on: str = "ON"
    payload_off: str = "OFF"
    event_types: tuple[str, ...] = ()


def discovery_topic(prefix: str, node_id: str) -> str:
    return f"{prefix}/device/{node_id}/config"


def unique_id(node_id: str, domain: str, object_id: str) -> str:
    return f"{node_id}_{domain}_{object_id}"


def default_entity_id(node_id: str, domain: str, object_id: str) -> str:
    """`switch.garage_pi_relay_1`: Home Assistant entity ids allow no dashes."""
    return f"{domain}.{node_id.replace('-', '_')}_{object_id}"


def build_device_config(
    node: DiscoveryNode,
    entities: Iterable[DiscoveryEntity],
    removed: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The device discovery payload; `removed` maps unique ids to their platform."""
    components: dict[str, dict[str, Any]] = {
        uid: {"p": platform} for uid, platform in sorted((removed or {}).items())
    }
    for entity in entities:
        components.update(entity_components(node, entity))
    return {
        "dev": {
            "identifiers": [f"boardgate_{node.node_id}"],
            "name": node.name,
            "manufacturer": "Boardgate",
            "model": node.model,
            "sw_version": __version__,
        },
        "o": {"name": "boardgate", "sw_version": __version__},
        "qos": 1,
        "cmps": components,
    }


def component_platforms(node: DiscoveryNode, entities: Iterable[DiscoveryEntity]) -> dict[str, str]:
    """Unique id -> platform of every component the entities make (to spot removals)."""
    return {
        uid: component["p"]
        for entity in entities
        for uid, component in entity_components(node, entity).items()
    }


def entity_components(node: DiscoveryNode, entity: DiscoveryEntity) -> dict[str, dict[str, Any]]:
    """The entity's component by unique id, and any its domain adds (device triggers)."""
    uid = unique_id(node.node_id, entity.domain, entity.object_id)
    main = _component(node, entity)
    spec = domain_spec(entity.domain)
    extras = spec.discovery_extras if spec is not None else None
    if extras is None or "state_topic" not in main:
        return {uid: main}
    added = extras(entity, main["state_topic"])
    return {uid: main, **{f"{uid}_{suffix}": extra for suffix, extra in added.items()}}


def _component(node: DiscoveryNode, entity: DiscoveryEntity) -> dict[str, Any]:
    topic = f"{node.base}/{entity.domain}/{entity.object_id}"
    component: dict[str, Any] = {
        "p": entity.domain,
        "name": entity.name,
        "unique_id": unique_id(node.node_id, entity.domain, entity.object_id),
        "default_entity_id": default_entity_id(node.node_id, entity.domain, entity.object_id),
        "availability": [{"topic": f"{node.base}/status"}, {"topic": f"{topic}/availability"}],
        "availability_mode": "all",
    }
    spec = domain_spec(entity.domain)
    if spec is None:
        raise ValueError(f"no discovery for domain {entity.domain}")
    if spec.state is not None:
        component["state_topic"] = f"{topic}/{spec.state.suffix}"
        component["json_attributes_topic"] = f"{topic}/attributes"
    if spec.commands is not None:
        component["command_topic"] = f"{topic}/set"
    component.update(spec.discovery(entity))
    for key in ("device_class", "unit_of_measurement", "state_class"):
        if (value := getattr(entity, key)) is not None:
            component[key] = value
    return component
