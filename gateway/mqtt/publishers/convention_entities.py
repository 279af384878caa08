"""What the output conventions (Homie, Sparkplug) need to know of each entity, and its value.

Both describe every entity up front (Homie's `$description`, Sparkplug's NBIRTH) with a data
type that must hold for every later value, so the type is decided here once per entity:
on/off domains are boolean, a sensor is an integer (a counter), a float (it has a unit, a
state class, a precision or a numeric value) or a string. Pure: reads entity properties and
`State`s, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from ...const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE, STATE_UNKNOWN
from ...domains.registry import DOMAINS
from ...entity_component import async_get_component

if TYPE_CHECKING:
    from ...core import Gateway, State
    from ...entity import Entity

__all__ = [
    "ConventionEntity",
    "Value",
    "ValueKind",
    "async_convention_entities",
    "describe_entity",
    "state_value",
    "widen",
]

ValueKind = Literal["boolean", "integer", "float", "string"]
Value = bool | int | float | str | None
ON_OFF_DOMAINS = frozenset({"switch", "binary_sensor", "light"})
SETTABLE_DOMAINS = frozenset({"switch", "light", "button"})
_COUNTER_CLASSES = frozenset({"total_increasing"})


@dataclass(frozen=True, slots=True)
class ConventionEntity:
    """An entity as a convention describes it."""

    entity_id: str
    domain: str
    object_id: str
    name: str
    kind: ValueKind
    unit: str | None = None

    @property
    def settable(self) -> bool:
        return self.domain in SETTABLE_DOMAINS


def _sensor_kind(entity: Entity) -> ValueKind:
    value = getattr(entity, "native_value", None)
    precision = getattr(entity, "_attr_precision", None)
    state_class = getattr(entity, "state_class", None)
    if isinstance(value, bool):
        return "string"
    if isinstance(value, int) and precision is None and state_class in _COUNTER_CLASSES:
        return "integer"
    numeric_hint = (
        precision is not None
        or state_class is not None
        or entity.device_class is not None
        or getattr(entity, "unit_of_measurement", None) is not None
    )
    if numeric_hint or isinstance(value, int | float):
        return "float"
    return "string"


def describe_entity(entity: Entity) -> ConventionEntity | None:
    """The description of an entity; None for a domain the conventions do not show."""
    domain = entity.domain
    if domain in ON_OFF_DOMAINS or domain == "button":
        kind: ValueKind = "boolean"
    elif domain == "sensor":
        kind = _sensor_kind(entity)
    else:
        return None
    return ConventionEntity(
        entity_id=entity.entity_id,
        domain=domain,
        object_id=entity.object_id,
        name=entity.name or entity.object_id,
        kind=kind,
        unit=getattr(entity, "unit_of_measurement", None),
    )


def async_convention_entities(gw: Gateway) -> Iterator[ConventionEntity]:
    """Every entity the conventions show, domain by domain in registry order."""
    for domain in DOMAINS:
        component = async_get_component(gw, domain)
        if component is None:
            continue
        for entity in component.entities.values():
            described = describe_entity(entity)
            if described is not None:
                yield described


def state_value(entity: ConventionEntity, state: State | None) -> Value:
    """The entity's current value in its kind; None while unknown or unavailable (a button
    has no value: it is `False` between presses)."""
    if entity.domain == "button":
        return False
    if state is None or state.state in (STATE_UNKNOWN, STATE_UNAVAILABLE):
        return None
    text = state.state
    if entity.kind == "boolean":
        return {STATE_ON: True, STATE_OFF: False}.get(text)
    if entity.kind == "string":
        return text
    try:
        number = float(text)
    except ValueError:
        return None
    if not math.isfinite(number):
        return None
    if entity.kind == "integer":
        return int(number) if number.is_integer() else None
    return number


def widen(entity: ConventionEntity, state: State | None) -> ConventionEntity:
    """The entity with a kind that holds this state's value: a sensor described as an integer
    that reads 2.5 becomes a float, one described as a number that reads text a string."""
    if entity.domain != "sensor" or state is None:
        return entity
    if state.state in (STATE_UNKNOWN, STATE_UNAVAILABLE) or state_value(entity, state) is not None:
        return entity
    for kind in ("float", "string"):
        wider = ConventionEntity(
            entity.entity_id, entity.domain, entity.object_id, entity.name, kind, entity.unit
        )
        if state_value(wider, state) is not None:
            return wider
    return entity
