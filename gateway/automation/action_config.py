"""Automation actions as configured: typed, frozen, and their validators.

`action(value)` validates one step of an `action:` list; the runtime that runs them is
`gateway.automation.script`. `service: mqtt.publish` becomes an `MqttPublishAction`, every
other service a `ServiceAction`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final, TypeAlias

import voluptuous as vol

from gateway.config import cv

from .config_validators import (
    ENTITY_ID_RE,
    each,
    empty_mapping,
    entity_ids,
    frozen_mapping,
    mapping,
    payload_text,
)
from .trigger_config import Trigger, trigger

__all__ = [
    "MQTT_PUBLISH",
    "Action",
    "DelayAction",
    "MqttPublishAction",
    "ServiceAction",
    "WaitForTriggerAction",
    "action",
]

MQTT_PUBLISH: Final = "mqtt.publish"


@dataclass(frozen=True, slots=True)
class ServiceAction:
    """`service: domain.name` with `entity_id` and `data`."""

    domain: str
    service: str
    entity_ids: tuple[str, ...] = ()
    data: Mapping[str, Any] = field(default_factory=empty_mapping)


@dataclass(frozen=True, slots=True)
class MqttPublishAction:
    """`service: mqtt.publish`; qos and retain None mean the `mqtt:` section's defaults."""

    topic: str
    payload: str = ""
    qos: int | None = None
    retain: bool | None = None


@dataclass(frozen=True, slots=True)
class DelayAction:
    seconds: float


@dataclass(frozen=True, slots=True)
class WaitForTriggerAction:
    """Wait until one of `triggers` fires; `timeout` None waits for ever."""

    triggers: tuple[Trigger, ...]
    timeout: float | None = None
    continue_on_timeout: bool = True


Action: TypeAlias = ServiceAction | MqttPublishAction | DelayAction | WaitForTriggerAction


def _service_name(value: Any) -> str:
    text = cv.string(value)
    if not ENTITY_ID_RE.match(text):
        raise vol.Invalid("expected a service like switch.turn_on")
    return text


_SERVICE_ACTION: Final = vol.Schema(
    {
        vol.Required("service"): _service_name,
        vol.Optional("entity_id"): entity_ids,
        vol.Optional("data"): frozen_mapping,
    }
)
_MQTT_PUBLISH_DATA: Final = vol.Schema(
    {
        vol.Required("topic"): cv.publish_topic,
        vol.Optional("payload"): payload_text,
        vol.Optional("qos"): cv.int_range(0, 2),
        vol.Optional("retain"): cv.boolean,
    }
)
_DELAY_ACTION: Final = vol.Schema({vol.Required("delay"): cv.time_period})
_WAIT_ACTION: Final = vol.Schema(
    {
        vol.Required("wait_for_trigger"): each(trigger, at_least_one=True),
        vol.Optional("timeout"): cv.time_period,
        vol.Optional("continue_on_timeout"): cv.boolean,
    }
)


def _service_action(value: dict[Any, Any]) -> ServiceAction | MqttPublishAction:
    data = _SERVICE_ACTION(value)
    if data["service"] == MQTT_PUBLISH:
        return _mqtt_publish(data)
    if "entity_id" in data and "entity_id" in data.get("data", {}):
        raise vol.Invalid("entity_id given twice (here and in data)", path=["data", "entity_id"])
    domain, _, service = data["service"].partition(".")
    return ServiceAction(
        domain, service, data.get("entity_id", ()), data.get("data", MappingProxyType({}))
    )


def _mqtt_publish(data: dict[str, Any]) -> MqttPublishAction:
    if "entity_id" in data:
        raise vol.Invalid("mqtt.publish takes no entity_id", path=["entity_id"])
    if "data" not in data:
        raise vol.Invalid("required key not provided (topic, payload, qos, retain)", path=["data"])
    try:
        publish = _MQTT_PUBLISH_DATA(dict(data["data"]))
    except vol.Invalid as exc:
        exc.prepend(["data"])
        raise
    return MqttPublishAction(**publish)


def _delay_action(value: dict[Any, Any]) -> DelayAction:
    return DelayAction(_DELAY_ACTION(value)["delay"])


def _wait_action(value: dict[Any, Any]) -> WaitForTriggerAction:
    data = _WAIT_ACTION(value)
    return WaitForTriggerAction(
        data["wait_for_trigger"], data.get("timeout"), data.get("continue_on_timeout", True)
    )


_ACTIONS: Final[Mapping[str, Callable[[dict[Any, Any]], Action]]] = {
    "service": _service_action,
    "delay": _delay_action,
    "wait_for_trigger": _wait_action,
}


def action(value: Any) -> Action:
    data = mapping(value)
    kinds = [key for key in _ACTIONS if key in data]
    if len(kinds) != 1:
        listed = ", ".join(_ACTIONS)
        if not kinds:
            raise vol.Invalid(f"expected an action: one of {listed}")
        raise vol.Invalid(f"cannot be used together with {kinds[0]}", path=[kinds[1]])
    return _ACTIONS[kinds[0]](data)
