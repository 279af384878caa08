"""Automation triggers as configured: typed, frozen, and their validators.

`trigger(value)` validates one item of a `trigger:` list (or of `wait_for_trigger:`); the
runtime that attaches them is `gateway.automation.triggers`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar, Final, TypeAlias

import voluptuous as vol

from gateway.config import cv

from .config_validators import (
    FOR_FIELD,
    RANGE_FIELDS,
    check_range,
    dispatch,
    empty_mapping,
    entity_ids,
    frozen_mapping,
    payload_text,
    states,
)

__all__ = [
    "EventTrigger",
    "IntervalTrigger",
    "MqttTrigger",
    "NumericStateTrigger",
    "StateTrigger",
    "Trigger",
    "trigger",
]


@dataclass(frozen=True, slots=True)
class StateTrigger:
    """Fires when one of `entity_ids` changes state (from/to match exactly, when given);
    with `for_seconds`, only once the new state has held that long."""

    platform: ClassVar[str] = "state"
    entity_ids: tuple[str, ...]
    from_states: tuple[str, ...] | None = None
    to_states: tuple[str, ...] | None = None
    for_seconds: float | None = None


@dataclass(frozen=True, slots=True)
class NumericStateTrigger:
    """Fires when a value crosses into the range (`above` < value < `below`)."""

    platform: ClassVar[str] = "numeric_state"
    entity_ids: tuple[str, ...]
    above: float | None = None
    below: float | None = None
    attribute: str | None = None
    for_seconds: float | None = None


@dataclass(frozen=True, slots=True)
class MqttTrigger:
    """Fires for each message on `topic` (wildcards allowed), or only those whose payload is
    exactly `payload`."""

    platform: ClassVar[str] = "mqtt"
    topic: str
    payload: str | None = None


@dataclass(frozen=True, slots=True)
class IntervalTrigger:
    """Fires every `seconds`."""

    platform: ClassVar[str] = "interval"
    seconds: float


@dataclass(frozen=True, slots=True)
class EventTrigger:
    """Fires for each bus event of `event_type` whose data contains `event_data`."""

    platform: ClassVar[str] = "event"
    event_type: str
    event_data: Mapping[str, Any] = field(default_factory=empty_mapping)


Trigger: TypeAlias = (
    StateTrigger | NumericStateTrigger | MqttTrigger | IntervalTrigger | EventTrigger
)


_STATE_TRIGGER: Final = vol.Schema(
    {
        vol.Required("platform"): cv.string,
        vol.Required("entity_id"): entity_ids,
        vol.Optional("from"): states,
        vol.Optional("to"): states,
        **FOR_FIELD,
    }
)
_NUMERIC_TRIGGER: Final = vol.Schema(
    {
        vol.Required("platform"): cv.string,
        vol.Required("entity_id"): entity_ids,
        **RANGE_FIELDS,
        **FOR_FIELD,
    }
)
_MQTT_TRIGGER: Final = vol.Schema(
    {
        vol.Required("platform"): cv.string,
        vol.Required("topic"): cv.subscribe_topic,
        vol.Optional("payload"): payload_text,
    }
)
_INTERVAL_TRIGGER: Final = vol.Schema(
    {vol.Required("platform"): cv.string, vol.Required("seconds"): cv.positive_time_period}
)
_EVENT_TRIGGER: Final = vol.Schema(
    {
        vol.Required("platform"): cv.string,
        vol.Required("event_type"): cv.non_empty_string,
        vol.Optional("event_data"): frozen_mapping,
    }
)


def _state_trigger(value: dict[Any, Any]) -> StateTrigger:
    data = _STATE_TRIGGER(value)
    return StateTrigger(data["entity_id"], data.get("from"), data.get("to"), data.get("for"))


def _numeric_trigger(value: dict[Any, Any]) -> NumericStateTrigger:
    data = check_range(_NUMERIC_TRIGGER(value))
    return NumericStateTrigger(
        data["entity_id"], data.get("above"), data.get("below"), data.get("attribute"),
        data.get("for"),
    )  # fmt: skip


def _mqtt_trigger(value: dict[Any, Any]) -> MqttTrigger:
    data = _MQTT_TRIGGER(value)
    return MqttTrigger(data["topic"], data.get("payload"))


def _interval_trigger(value: dict[Any, Any]) -> IntervalTrigger:
    return IntervalTrigger(_INTERVAL_TRIGGER(value)["seconds"])


def _event_trigger(value: dict[Any, Any]) -> EventTrigger:
    data = _EVENT_TRIGGER(value)
    return EventTrigger(data["event_type"], data.get("event_data", MappingProxyType({})))


_TRIGGERS: Final[Mapping[str, Callable[[dict[Any, Any]], Trigger]]] = {
    "state": _state_trigger,
    "numeric_state": _numeric_trigger,
    "mqtt": _mqtt_trigger,
    "interval": _interval_trigger,
    "event": _event_trigger,
}


def trigger(value: Any) -> Trigger:
    return dispatch(value, "platform", _TRIGGERS, "trigger platform")
