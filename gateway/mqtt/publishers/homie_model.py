"""Homie 5 (convention v5.0) for our entities: ids, the `$description`, property values and
`.../set` payloads. Pure: no I/O.

One Homie node per entity (`switch-relay-1`); its properties: switch and binary_sensor
`state` (boolean), light `state` and `brightness` (integer `0:255`), sensor `value` (float,
integer or string, with `unit`), button `press` (boolean, settable, not retained).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final

from ...config.conventions import homie_id
from ...const import SERVICE_PRESS, SERVICE_TURN_OFF, SERVICE_TURN_ON, STATE_ON
from ...domains import wire
from ...domains.spec import Command, CommandInput, PayloadError
from .convention_entities import ConventionEntity, state_value

__all__ = [
    "HOMIE_VERSION",
    "HomieProperty",
    "build_description",
    "encode_value",
    "node_id",
    "properties_of",
]

HOMIE_VERSION: Final = "5.0"
_FLOAT = re.compile(r"^-?[0-9]+(\.[0-9]+)?([eE]-?[0-9]+)?$")
_INTEGER = re.compile(r"^-?[0-9]+$")
BRIGHTNESS_FORMAT: Final = "0:255"


@dataclass(frozen=True, slots=True)
class HomieProperty:
    """One property of an entity's node; `read(state)` gives its payload (None: no value)."""

    entity: ConventionEntity
    node: str
    id: str
    datatype: str
    read: Callable[[Any], bytes | None]
    format: str | None = None
    settable: bool = False
    retained: bool = True
    unit: str | None = None
    parse: Callable[[bytes], Command] | None = None
    accepted: str = ""

    def describe(self) -> dict[str, Any]:
        body: dict[str, Any] = {"datatype": self.datatype}
        if self.format is not None:
            body["format"] = self.format
        if self.settable:
            body["settable"] = True
        if not self.retained:
            body["retained"] = False
        if self.unit:
            body["unit"] = self.unit
        return body

    def commands(self) -> CommandInput | None:
        if self.parse is None:
            return None
        return CommandInput(self.parse, self.accepted)


def node_id(entity: ConventionEntity) -> str:
    """`switch.relay_1` → `switch-relay-1`."""
    return homie_id(f"{entity.domain}-{entity.object_id}")


def encode_value(kind: str, value: Any) -> bytes | None:
    """A Homie payload for a value of `kind`; None when there is none (or it does not fit)."""
    if value is None:
        return None
    if kind == "boolean":
        return b"true" if value else b"false"
    if kind == "integer":
        return str(int(value)).encode()
    if kind == "float":
        return _float(value)
    text = str(value)
    return text.encode() if text else b"\x00"  # Homie's empty string


def _float(value: Any) -> bytes | None:
    number = float(value)
    if not math.isfinite(number):
        return None
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number)).encode()
    text = repr(number).replace("+", "")
    return text.encode() if _FLOAT.match(text) else None


def _boolean(payload: bytes) -> bool:
    text = wire.text(payload)
    if text not in ("true", "false"):
        raise PayloadError("must be true or false")
    return text == "true"


def _parse_on_off(payload: bytes) -> Command:
    return Command(SERVICE_TURN_ON if _boolean(payload) else SERVICE_TURN_OFF)


def _parse_brightness(payload: bytes) -> Command:
    text = wire.text(payload)
    if not _INTEGER.match(text) or not 0 <= int(text) <= 255:
        raise PayloadError("must be an integer 0-255")
    return Command(SERVICE_TURN_ON, {"brightness": int(text)})


def _parse_press(payload: bytes) -> Command:
    if not _boolean(payload):
        raise PayloadError("only true presses the button")
    return Command(SERVICE_PRESS)


def properties_of(entity: ConventionEntity) -> list[HomieProperty]:
    """The properties of an entity's node."""
    node = node_id(entity)

    def value(state: Any) -> bytes | None:
        return encode_value(entity.kind, state_value(entity, state))

    if entity.domain in ("switch", "binary_sensor"):
        settable = entity.domain == "switch"
        return [
            HomieProperty(
                entity, node, "state", "boolean", value, settable=settable,
                parse=_parse_on_off if settable else None, accepted="true or false",
            )
        ]  # fmt: skip
    if entity.domain == "light":

        def brightness(state: Any) -> bytes | None:
            if state_value(entity, state) is None:
                return None
            level = state.attributes.get("brightness") if state.state == STATE_ON else 0
            return encode_value("integer", level if isinstance(level, int) else 0)

        return [
            HomieProperty(
                entity, node, "state", "boolean", value, settable=True,
                parse=_parse_on_off, accepted="true or false",
            ),
            HomieProperty(
                entity, node, "brightness", "integer", brightness, format=BRIGHTNESS_FORMAT,
                settable=True, parse=_parse_brightness, accepted="an integer 0-255",
            ),
        ]  # fmt: skip
    if entity.domain == "button":
        return [
            HomieProperty(
                entity, node, "press", "boolean", lambda _state: None, settable=True,
                retained=False, parse=_parse_press, accepted="true",
            )
        ]  # fmt: skip
    return [HomieProperty(entity, node, "value", entity.kind, value, unit=entity.unit)]


def build_description(
    name: str, version: int, properties: Iterable[HomieProperty]
) -> dict[str, Any]:
    """The `$description` document."""
    nodes: dict[str, dict[str, Any]] = {}
    for prop in properties:
        node = nodes.setdefault(prop.node, {"name": prop.entity.name, "properties": {}})
        node["properties"][prop.id] = prop.describe()
    return {"homie": HOMIE_VERSION, "version": version, "name": name, "nodes": nodes}
