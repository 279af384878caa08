"""The `homie:` and `sparkplug:` sections (optional output conventions, DESIGN "Homie 5 and
Sparkplug B 3.0"). Pure validation; the conventions themselves live in
`gateway.mqtt.publishers` and are imported only when their section is present.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

import voluptuous as vol

from gateway.config import cv

__all__ = [
    "CONVENTION_KEYS",
    "HomieConfig",
    "SparkplugConfig",
    "homie_id",
    "validate_homie",
    "validate_sparkplug",
]

_HOMIE_ID = re.compile(r"^[a-z0-9-]+$")
_SPARKPLUG_RESERVED = frozenset("+/#")


@dataclass(frozen=True, slots=True)
class HomieConfig:
    """`homie:` — devices under `<prefix>/5/<device id>`; the device id defaults to the
    node id with `_` turned into `-` (Homie ids are `[a-z0-9-]`)."""

    prefix: str = "homie"
    device_id: str = ""


@dataclass(frozen=True, slots=True)
class SparkplugConfig:
    """`sparkplug:` — the gateway as the edge node `<group_id>/<edge_node_id>`."""

    group_id: str
    edge_node_id: str
    primary_host: str | None = None


def homie_id(text: str) -> str:
    """A Homie topic id from a node or entity id: lower case, `_` (and anything else not
    allowed) becomes `-`."""
    cleaned = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    return cleaned or "boardgate"


def _homie_segment(value: Any) -> str:
    text = cv.non_empty_string(value)
    if not _HOMIE_ID.match(text):
        raise vol.Invalid("must contain only a-z, 0-9 and -")
    return text


def _sparkplug_id(value: Any) -> str:
    text = cv.non_empty_string(value)
    if _SPARKPLUG_RESERVED & set(text):
        raise vol.Invalid("must not contain +, / or #")
    return text


_HOMIE: Final = vol.Schema(
    {vol.Optional("prefix"): _homie_segment, vol.Optional("device_id"): _homie_segment}
)
_SPARKPLUG: Final = vol.Schema(
    {
        vol.Required("group_id"): _sparkplug_id,
        vol.Optional("edge_node_id"): _sparkplug_id,
        vol.Optional("primary_host"): _sparkplug_id,
    }
)

CONVENTION_KEYS: Final = {
    "homie": ("prefix", "device_id"),
    "sparkplug": ("group_id", "edge_node_id", "primary_host"),
}


def validate_homie(value: Any, node_id: str) -> HomieConfig:
    data = _HOMIE(value)
    data.setdefault("device_id", homie_id(node_id))
    return HomieConfig(**data)


def validate_sparkplug(value: Any, node_id: str) -> SparkplugConfig:
    data = _SPARKPLUG(value)
    data.setdefault("edge_node_id", node_id)
    return SparkplugConfig(**data)
