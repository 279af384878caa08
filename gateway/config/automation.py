"""The `automation:` section: typed triggers, conditions and actions, and their validators.

Each automation is validated on its own into an `AutomationConfig`; every list inside it
(triggers, conditions, actions, nested conditions) validates all of its items, so one run of
`check-config` reports every broken trigger, not only the first. Nothing here is evaluated as
code: values are compared as written (states exactly, numbers as numbers).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar, Final, Literal, TypeAlias, TypeVar

import voluptuous as vol

from gateway.config import cv

__all__ = [
    "AUTOMATION_KEYS",
    "DEFAULT_MAX_RUNS",
    "MAX_RUNS_LIMIT",
    "MODES",
    "Action",
    "AndCondition",
    "AutomationConfig",
    "Condition",
    "DelayAction",
    "EventTrigger",
    "IntervalTrigger",
    "Mode",
    "MqttPublishAction",
    "MqttTrigger",
    "NotCondition",
    "NumericStateCondition",
    "NumericStateTrigger",
    "OrCondition",
    "ServiceAction",
    "StateCondition",
    "StateTrigger",
    "Trigger",
    "WaitForTriggerAction",
    "mqtt_paths",
    "validate_automation",
]

Mode = Literal["single", "restart", "queued", "parallel"]
MODES: Final[tuple[Mode, ...]] = ("single", "restart", "queued", "parallel")
DEFAULT_MAX_RUNS: Final = 10
MAX_RUNS_LIMIT: Final = 1000

_T = TypeVar("_T")
_ENTITY_ID_RE: Final = re.compile(r"^[a-z0-9_]+\.[a-z0-9_]+$")
_SERVICE_RE: Final = _ENTITY_ID_RE
MQTT_PUBLISH: Final = "mqtt.publish"


def _empty() -> Mapping[str, Any]:
    return MappingProxyType({})


# --- triggers -------------------------------------------------------------------------------


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
    event_data: Mapping[str, Any] = field(default_factory=_empty)


Trigger: TypeAlias = (
    StateTrigger | NumericStateTrigger | MqttTrigger | IntervalTrigger | EventTrigger
)

# --- conditions -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StateCondition:
    """Holds when every entity's state is one of `states`."""

    entity_ids: tuple[str, ...]
    states: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NumericStateCondition:
    """Holds when every entity's value is in the range (`above` < value < `below`)."""

    entity_ids: tuple[str, ...]
    above: float | None = None
    below: float | None = None
    attribute: str | None = None


@dataclass(frozen=True, slots=True)
class AndCondition:
    conditions: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class OrCondition:
    conditions: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class NotCondition:
    """Holds when none of `conditions` holds."""

    conditions: tuple[Condition, ...]


Condition: TypeAlias = (
    StateCondition | NumericStateCondition | AndCondition | OrCondition | NotCondition
)

# --- actions --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServiceAction:
    """`service: domain.name` with `entity_id` and `data`."""

    domain: str
    service: str
    entity_ids: tuple[str, ...] = ()
    data: Mapping[str, Any] = field(default_factory=_empty)


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


@dataclass(frozen=True, slots=True)
class AutomationConfig:
    """One item of `automation:`. `max_runs` bounds queued and parallel runs."""

    id: str
    triggers: tuple[Trigger, ...]
    actions: tuple[Action, ...]
    conditions: tuple[Condition, ...] = ()
    alias: str | None = None
    mode: Mode = "single"
    max_runs: int = DEFAULT_MAX_RUNS
    source: str = ""  # "file:line", for log messages

    @property
    def entity_id(self) -> str:
        return f"automation.{self.id}"


# --- value validators -----------------------------------------------------------------------


def entity_ids(value: Any) -> tuple[str, ...]:
    """One entity id or a list of them (`switch.relay_1`)."""
    items = cv.ensure_list(value)
    if not items:
        raise vol.Invalid("expected an entity id or a list of them")
    for item in items:
        if not isinstance(item, str) or not _ENTITY_ID_RE.match(item):
            raise vol.Invalid("expected entity ids like switch.relay_1")
    return tuple(items)


def _states(value: Any) -> tuple[str, ...]:
    """A state or a list of states, as strings (`"ON"`, `"30"`)."""
    items = cv.ensure_list(value)
    if not items:
        raise vol.Invalid("expected a state or a list of states")
    return tuple(cv.string(item) for item in items)


def _plain(value: Any) -> Any:
    """A copy without the loader's position-carrying containers."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _frozen_mapping(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise vol.Invalid("expected a mapping")
    for key in value:
        if not isinstance(key, str):
            raise vol.Invalid("keys must be strings")
    return MappingProxyType(_plain(value))


def _payload(value: Any) -> str:
    """A string, a number as its text, or anything else as compact JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return json.dumps(_plain(value), separators=(",", ":"))


def _each(
    validator: Callable[[Any], _T], *, at_least_one: bool = False
) -> Callable[[Any], tuple[_T, ...]]:
    """A list (or one item) where every item is validated and every error kept."""

    def validate(value: Any) -> tuple[_T, ...]:
        items = cv.ensure_list(value)
        if at_least_one and not items:
            raise vol.Invalid("expected at least one item")
        results: list[_T] = []
        errors: list[vol.Invalid] = []
        for index, item in enumerate(items):
            try:
                results.append(validator(item))
            except vol.Invalid as exc:
                exc.prepend([index])
                errors.extend(exc.errors if isinstance(exc, vol.MultipleInvalid) else [exc])
        if errors:
            raise vol.MultipleInvalid(errors)
        return tuple(results)

    return validate


def _mapping(value: Any) -> dict[Any, Any]:
    if not isinstance(value, dict):
        raise vol.Invalid("expected a mapping")
    return value


def _dispatch(
    value: Any, key: str, table: Mapping[str, Callable[[dict[Any, Any]], _T]], what: str
) -> _T:
    data = _mapping(value)
    if key not in data:
        raise vol.Invalid("required key not provided", path=[key])
    kind = data[key]
    validator = table.get(kind) if isinstance(kind, str) else None
    if validator is None:
        known = ", ".join(table)
        raise vol.Invalid(f"unknown {what} {kind!r} (expected one of: {known})", path=[key])
    return validator(data)


def _range(data: dict[str, Any]) -> dict[str, Any]:
    if "above" not in data and "below" not in data:
        raise vol.Invalid("needs above, below or both")
    if "above" in data and "below" in data and data["above"] >= data["below"]:
        raise vol.Invalid("above must be less than below", path=["above"])
    return data


_FOR: Final[dict[Any, Any]] = {vol.Optional("for"): cv.time_period}
_RANGE: Final[dict[Any, Any]] = {
    vol.Optional("above"): cv.number,
    vol.Optional("below"): cv.number,
    vol.Optional("attribute"): cv.non_empty_string,
}

# --- trigger validators ---------------------------------------------------------------------

_STATE_TRIGGER: Final = vol.Schema(
    {
        vol.Required("platform"): cv.string,
        vol.Required("entity_id"): entity_ids,
        vol.Optional("from"): _states,
        vol.Optional("to"): _states,
        **_FOR,
    }
)
_NUMERIC_TRIGGER: Final = vol.Schema(
    {
        vol.Required("platform"): cv.string,
        vol.Required("entity_id"): entity_ids,
        **_RANGE,
        **_FOR,
    }
)
_MQTT_TRIGGER: Final = vol.Schema(
    {
        vol.Required("platform"): cv.string,
        vol.Required("topic"): cv.subscribe_topic,
        vol.Optional("payload"): _payload,
    }
)
_INTERVAL_TRIGGER: Final = vol.Schema(
    {vol.Required("platform"): cv.string, vol.Required("seconds"): cv.positive_time_period}
)
_EVENT_TRIGGER: Final = vol.Schema(
    {
        vol.Required("platform"): cv.string,
        vol.Required("event_type"): cv.non_empty_string,
        vol.Optional("event_data"): _frozen_mapping,
    }
)


def _state_trigger(value: dict[Any, Any]) -> StateTrigger:
    data = _STATE_TRIGGER(value)
    return StateTrigger(data["entity_id"], data.get("from"), data.get("to"), data.get("for"))


def _numeric_trigger(value: dict[Any, Any]) -> NumericStateTrigger:
    data = _range(_NUMERIC_TRIGGER(value))
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
    return _dispatch(value, "platform", _TRIGGERS, "trigger platform")


# --- condition validators -------------------------------------------------------------------

_STATE_CONDITION: Final = vol.Schema(
    {
        vol.Required("condition"): cv.string,
        vol.Required("entity_id"): entity_ids,
        vol.Required("state"): _states,
    }
)
_NUMERIC_CONDITION: Final = vol.Schema(
    {vol.Required("condition"): cv.string, vol.Required("entity_id"): entity_ids, **_RANGE}
)


def _state_condition(value: dict[Any, Any]) -> StateCondition:
    data = _STATE_CONDITION(value)
    return StateCondition(data["entity_id"], data["state"])


def _numeric_condition(value: dict[Any, Any]) -> NumericStateCondition:
    data = _range(_NUMERIC_CONDITION(value))
    return NumericStateCondition(
        data["entity_id"], data.get("above"), data.get("below"), data.get("attribute")
    )


def _nested(
    build: Callable[[tuple[Condition, ...]], Condition],
) -> Callable[[dict[Any, Any]], Condition]:
    schema = vol.Schema(
        {
            vol.Required("condition"): cv.string,
            vol.Required("conditions"): _each(condition, at_least_one=True),
        }
    )

    def validate(value: dict[Any, Any]) -> Condition:
        return build(schema(value)["conditions"])

    return validate


def condition(value: Any) -> Condition:
    return _dispatch(value, "condition", _CONDITIONS, "condition")


_CONDITIONS: Final[Mapping[str, Callable[[dict[Any, Any]], Condition]]] = {
    "state": _state_condition,
    "numeric_state": _numeric_condition,
    "and": _nested(AndCondition),
    "or": _nested(OrCondition),
    "not": _nested(NotCondition),
}

# --- action validators ----------------------------------------------------------------------


def _service_name(value: Any) -> str:
    text = cv.string(value)
    if not _SERVICE_RE.match(text):
        raise vol.Invalid("expected a service like switch.turn_on")
    return text


_SERVICE_ACTION: Final = vol.Schema(
    {
        vol.Required("service"): _service_name,
        vol.Optional("entity_id"): entity_ids,
        vol.Optional("data"): _frozen_mapping,
    }
)
_MQTT_PUBLISH_DATA: Final = vol.Schema(
    {
        vol.Required("topic"): cv.publish_topic,
        vol.Optional("payload"): _payload,
        vol.Optional("qos"): cv.int_range(0, 2),
        vol.Optional("retain"): cv.boolean,
    }
)
_DELAY_ACTION: Final = vol.Schema({vol.Required("delay"): cv.time_period})
_WAIT_ACTION: Final = vol.Schema(
    {
        vol.Required("wait_for_trigger"): _each(trigger, at_least_one=True),
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
    data = _mapping(value)
    kinds = [key for key in _ACTIONS if key in data]
    if len(kinds) != 1:
        listed = ", ".join(_ACTIONS)
        if not kinds:
            raise vol.Invalid(f"expected an action: one of {listed}")
        raise vol.Invalid(f"cannot be used together with {kinds[0]}", path=[kinds[1]])
    return _ACTIONS[kinds[0]](data)


# --- the automation -------------------------------------------------------------------------

_AUTOMATION: Final = vol.Schema(
    {
        vol.Required("id"): cv.slug,
        vol.Optional("alias"): cv.non_empty_string,
        vol.Optional("mode"): cv.one_of(*MODES),
        vol.Optional("max"): cv.int_range(1, MAX_RUNS_LIMIT),
        vol.Required("trigger"): _each(trigger, at_least_one=True),
        vol.Optional("condition"): _each(condition),
        vol.Required("action"): _each(action, at_least_one=True),
    }
)


def _key_name(key: Hashable) -> str:
    return str(key.schema if isinstance(key, vol.Marker) else key)


AUTOMATION_KEYS: Final = tuple(_key_name(key) for key in _AUTOMATION.schema)
"""The keys an automation accepts, to suggest one when a key is misspelt."""


def validate_automation(value: Any, source: str = "") -> AutomationConfig:
    """One item of `automation:`; raises `vol.Invalid` (often `MultipleInvalid`)."""
    data = _AUTOMATION(value)
    mode: Mode = data.get("mode", "single")
    if "max" in data and mode not in ("queued", "parallel"):
        raise vol.Invalid("max is only used with mode: queued or parallel", path=["max"])
    return AutomationConfig(
        id=data["id"],
        triggers=data["trigger"],
        actions=data["action"],
        conditions=data.get("condition", ()),
        alias=data.get("alias"),
        mode=mode,
        max_runs=data.get("max", DEFAULT_MAX_RUNS),
        source=source,
    )


def mqtt_paths(config: AutomationConfig) -> list[tuple[Hashable, ...]]:
    """Where `config` uses MQTT (mqtt triggers, `mqtt.publish`), as paths into its item."""
    found: list[tuple[Hashable, ...]] = [
        ("trigger", index, "platform")
        for index, item in enumerate(config.triggers)
        if isinstance(item, MqttTrigger)
    ]
    for index, step in enumerate(config.actions):
        if isinstance(step, MqttPublishAction):
            found.append(("action", index, "service"))
        elif isinstance(step, WaitForTriggerAction):
            found.extend(
                ("action", index, "wait_for_trigger", inner, "platform")
                for inner, item in enumerate(step.triggers)
                if isinstance(item, MqttTrigger)
            )
    return found
