"""Config fields every MQTT platform shares, their validators and cross-field checks.

Each platform module builds its `PLATFORM_SCHEMA` from `ENTITY_FIELDS` (topics, availability,
expiry, QoS), `VALUE_FIELDS` (`value_json`/`value_regex`) and, for outputs, `COMMAND_FIELDS`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

import voluptuous as vol

from gateway.config.cv import (  # the value fields are shared with serial sensors
    VALUE_FIELDS,
    at_most_one_extractor,
    boolean,
    choice,
    json_path,
    positive_time_period,
    publish_topic,
    regex,
    subscribe_topic,
)
from gateway.config.model import EntityConfig

from .device_payloads import Scalar

__all__ = [
    "COMMAND_FIELDS",
    "ENTITY_FIELDS",
    "VALUE_FIELDS",
    "MqttCommandConfig",
    "MqttEntityConfig",
    "MqttValueConfig",
    "at_most_one_extractor",
    "json_path",
    "needs_state_topic",
    "optimistic_needs_state_topic",
    "payload",
    "regex",
]

Qos = Literal[0, 1, 2]
QOS_LEVELS: Final[tuple[Qos, ...]] = (0, 1, 2)
DEFAULT_QOS: Final[Qos] = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class MqttEntityConfig(EntityConfig):
    """What every MQTT entity has: where its state and availability come from."""

    state_topic: str | None = None
    availability_topic: str | None = None
    payload_available: Scalar = "online"
    payload_not_available: Scalar = "offline"
    expire_after: float | None = None
    qos: Qos = DEFAULT_QOS


@dataclass(frozen=True, slots=True, kw_only=True)
class MqttValueConfig(MqttEntityConfig):
    """An entity whose state is one value taken out of each payload."""

    value_json: str | None = None
    value_regex: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MqttCommandConfig(MqttEntityConfig):
    """An output: commands go to `command_topic`; `optimistic` None means "no state_topic"."""

    command_topic: str = ""
    optimistic: bool | None = None
    retain: bool = False

    @property
    def is_optimistic(self) -> bool:
        return self.state_topic is None if self.optimistic is None else self.optimistic


def payload(value: Any) -> Scalar:
    """A payload to compare with or to publish: a string, a finite number or true/false."""
    if isinstance(value, bool | str):
        return value
    if isinstance(value, int | float) and math.isfinite(value):
        return value
    raise vol.Invalid("expected a string, a number or true/false")


ENTITY_FIELDS: Final[Mapping[Hashable, Any]] = {
    vol.Optional("availability_topic"): subscribe_topic,
    vol.Optional("payload_available"): payload,
    vol.Optional("payload_not_available"): payload,
    vol.Optional("expire_after"): positive_time_period,
    vol.Optional("qos"): choice(QOS_LEVELS),
}
COMMAND_FIELDS: Final[Mapping[Hashable, Any]] = {
    vol.Optional("state_topic"): subscribe_topic,
    vol.Required("command_topic"): publish_topic,
    vol.Optional("optimistic"): boolean,
    vol.Optional("retain"): boolean,
}


def needs_state_topic(*keys: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A check: each of `keys` is only meaningful with a `state_topic`."""

    def check(data: dict[str, Any]) -> dict[str, Any]:
        if "state_topic" not in data:
            for key in keys:
                if key in data:
                    raise vol.Invalid("only works with a state_topic", path=[key])
        return data

    return check


def optimistic_needs_state_topic(data: dict[str, Any]) -> dict[str, Any]:
    """Without a state_topic nothing would ever change the state but the commands."""
    if data.get("optimistic") is False and "state_topic" not in data:
        raise vol.Invalid("optimistic: false needs a state_topic", path=["optimistic"])
    return data
