"""The `automation:` section: each automation validated on its own into an `AutomationConfig`.

This module and the ones it imports (`trigger_config`, `condition_config`, `action_config`,
`config_validators`) are the schema only: config validation imports them for a config with
automations, and they import nothing of the automation runtime, which loads only when
automations are set up (see the package docstring). Every list inside an automation validates
all of its items, so one run of `check-config` reports every broken trigger, not only the first.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Final, Literal

import voluptuous as vol

from gateway.config import cv

from .action_config import (
    Action,
    DelayAction,
    MqttPublishAction,
    ServiceAction,
    WaitForTriggerAction,
    action,
)
from .condition_config import (
    AndCondition,
    Condition,
    NotCondition,
    NumericStateCondition,
    OrCondition,
    StateCondition,
    condition,
)
from .config_validators import each
from .trigger_config import (
    EventTrigger,
    IntervalTrigger,
    MqttTrigger,
    NumericStateTrigger,
    StateTrigger,
    Trigger,
    trigger,
)

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


_AUTOMATION: Final = vol.Schema(
    {
        vol.Required("id"): cv.slug,
        vol.Optional("alias"): cv.non_empty_string,
        vol.Optional("mode"): cv.choice(MODES),
        vol.Optional("max"): cv.int_range(1, MAX_RUNS_LIMIT),
        vol.Required("trigger"): each(trigger, at_least_one=True),
        vol.Optional("condition"): each(condition),
        vol.Required("action"): each(action, at_least_one=True),
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
