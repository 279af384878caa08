"""Checking conditions against the state machine: pure functions of the current states."""

from __future__ import annotations

import math
from collections.abc import Callable

from ..core import State
from .condition_config import (
    AndCondition,
    Condition,
    NotCondition,
    NumericStateCondition,
    OrCondition,
    StateCondition,
)

__all__ = ["GetState", "condition_holds", "numeric_value"]

GetState = Callable[[str], State | None]
"""How conditions read a state: `gw.states.get`."""


def numeric_value(state: State, attribute: str | None = None) -> float | None:
    """The state (or one attribute) as a finite number; None when it is not one
    (`unavailable`, `unknown`, `nan`, a boolean attribute)."""
    raw = state.attributes.get(attribute) if attribute is not None else state.state
    if raw is None or isinstance(raw, bool):
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def condition_holds(condition: Condition, get_state: GetState) -> bool:
    """Whether `condition` holds now. An entity without a state fails every check on it."""
    if isinstance(condition, StateCondition):
        return all(
            (state := get_state(entity_id)) is not None and state.state in condition.states
            for entity_id in condition.entity_ids
        )
    if isinstance(condition, NumericStateCondition):
        return all(_in_range(get_state(entity_id), condition) for entity_id in condition.entity_ids)
    if isinstance(condition, AndCondition):
        return all(condition_holds(inner, get_state) for inner in condition.conditions)
    if isinstance(condition, OrCondition):
        return any(condition_holds(inner, get_state) for inner in condition.conditions)
    if isinstance(condition, NotCondition):
        return not any(condition_holds(inner, get_state) for inner in condition.conditions)
    raise TypeError(f"not a condition: {condition!r}")


def _in_range(state: State | None, condition: NumericStateCondition) -> bool:
    value = numeric_value(state, condition.attribute) if state is not None else None
    if value is None:
        return False
    above, below = condition.above, condition.below
    return (above is None or value > above) and (below is None or value < below)
