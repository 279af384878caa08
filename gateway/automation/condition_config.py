"""Automation conditions as configured: typed, frozen, and their validators.

`condition(value)` validates one item of a `condition:` list (nested `and`/`or`/`not`
included); the runtime that evaluates them is `gateway.automation.conditions`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeAlias

import voluptuous as vol

from gateway.config import cv

from .config_validators import RANGE_FIELDS, check_range, dispatch, each, entity_ids, states

__all__ = [
    "AndCondition",
    "Condition",
    "NotCondition",
    "NumericStateCondition",
    "OrCondition",
    "StateCondition",
    "condition",
]


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


_STATE_CONDITION: Final = vol.Schema(
    {
        vol.Required("condition"): cv.string,
        vol.Required("entity_id"): entity_ids,
        vol.Required("state"): states,
    }
)
_NUMERIC_CONDITION: Final = vol.Schema(
    {vol.Required("condition"): cv.string, vol.Required("entity_id"): entity_ids, **RANGE_FIELDS}
)


def _state_condition(value: dict[Any, Any]) -> StateCondition:
    data = _STATE_CONDITION(value)
    return StateCondition(data["entity_id"], data["state"])


def _numeric_condition(value: dict[Any, Any]) -> NumericStateCondition:
    data = check_range(_NUMERIC_CONDITION(value))
    return NumericStateCondition(
        data["entity_id"], data.get("above"), data.get("below"), data.get("attribute")
    )


def _nested(
    build: Callable[[tuple[Condition, ...]], Condition],
) -> Callable[[dict[Any, Any]], Condition]:
    schema = vol.Schema(
        {
            vol.Required("condition"): cv.string,
            vol.Required("conditions"): each(condition, at_least_one=True),
        }
    )

    def validate(value: dict[Any, Any]) -> Condition:
        return build(schema(value)["conditions"])

    return validate


def condition(value: Any) -> Condition:
    return dispatch(value, "condition", _CONDITIONS, "condition")


_CONDITIONS: Final[Mapping[str, Callable[[dict[Any, Any]], Condition]]] = {
    "state": _state_condition,
    "numeric_state": _numeric_condition,
    "and": _nested(AndCondition),
    "or": _nested(OrCondition),
    "not": _nested(NotCondition),
}
