"""Conditions as pure functions of the states (unit and property tests)."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from gateway.automation.conditions import condition_holds, numeric_value
from gateway.automation.config import (
    AndCondition,
    Condition,
    NotCondition,
    NumericStateCondition,
    OrCondition,
    StateCondition,
)
from gateway.core import State

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _state(entity_id: str, value: str, **attributes: object) -> State:
    return State(entity_id, value, attributes, NOW, NOW)


STATES = {
    "switch.a": _state("switch.a", "ON"),
    "switch.b": _state("switch.b", "OFF"),
    "sensor.t": _state("sensor.t", "21.5", humidity=55),
    "sensor.dead": _state("sensor.dead", "unavailable"),
}
get = STATES.get


def test_state_condition() -> None:
    assert condition_holds(StateCondition(("switch.a",), ("ON",)), get)
    assert condition_holds(StateCondition(("switch.a", "switch.b"), ("ON", "OFF")), get)
    assert not condition_holds(StateCondition(("switch.a", "switch.b"), ("ON",)), get)
    assert not condition_holds(StateCondition(("switch.a",), ("on",)), get)  # exact
    assert not condition_holds(StateCondition(("switch.missing",), ("ON",)), get)


def test_numeric_state_condition() -> None:
    assert condition_holds(NumericStateCondition(("sensor.t",), above=21, below=22), get)
    assert not condition_holds(NumericStateCondition(("sensor.t",), above=21.5), get)  # strict
    assert condition_holds(
        NumericStateCondition(("sensor.t",), below=60, attribute="humidity"), get
    )
    assert not condition_holds(NumericStateCondition(("sensor.t",), above=0, attribute="x"), get)
    assert not condition_holds(NumericStateCondition(("sensor.dead",), above=0), get)
    assert not condition_holds(NumericStateCondition(("switch.a",), above=0), get)
    assert not condition_holds(NumericStateCondition(("sensor.none",), above=0), get)


def test_and_or_not() -> None:
    yes = StateCondition(("switch.a",), ("ON",))
    no = StateCondition(("switch.b",), ("ON",))
    assert condition_holds(AndCondition((yes, yes)), get)
    assert not condition_holds(AndCondition((yes, no)), get)
    assert condition_holds(OrCondition((no, yes)), get)
    assert not condition_holds(OrCondition((no, no)), get)
    assert condition_holds(NotCondition((no,)), get)
    assert not condition_holds(NotCondition((no, yes)), get)
    assert condition_holds(NotCondition((AndCondition((yes, no)),)), get)


def test_numeric_value() -> None:
    assert numeric_value(_state("sensor.x", "3")) == 3.0
    assert numeric_value(_state("sensor.x", "nan-ish")) is None
    assert numeric_value(_state("sensor.x", "nan")) is None
    assert numeric_value(_state("sensor.x", "inf")) is None
    assert numeric_value(_state("sensor.x", "1", flag=True), "flag") is None
    assert numeric_value(_state("sensor.x", "1", level=7), "level") == 7.0


def _leaf() -> st.SearchStrategy[Condition]:
    return st.builds(
        StateCondition,
        st.just(("switch.a",)),
        st.sampled_from([("ON",), ("OFF",), ("ON", "OFF")]),
    )


conditions: st.SearchStrategy[Condition] = st.recursive(
    _leaf(),
    lambda inner: st.one_of(
        st.builds(AndCondition, st.lists(inner, min_size=1, max_size=3).map(tuple)),
        st.builds(OrCondition, st.lists(inner, min_size=1, max_size=3).map(tuple)),
        st.builds(NotCondition, st.lists(inner, min_size=1, max_size=3).map(tuple)),
    ),
    max_leaves=8,
)


@given(conditions)
def test_not_is_the_negation_of_or(condition: Condition) -> None:
    """`not: [c1, c2]` holds exactly when `or: [c1, c2]` does not (De Morgan)."""
    inner = (condition, StateCondition(("switch.b",), ("ON",)))
    assert condition_holds(NotCondition(inner), get) is not condition_holds(OrCondition(inner), get)


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, width=32), min_size=1))
def test_numeric_range_matches_the_comparison(values: list[float]) -> None:
    above, below = -10.0, 10.0
    for value in values:
        states = {"sensor.v": _state("sensor.v", repr(value))}
        holds = condition_holds(
            NumericStateCondition(("sensor.v",), above=above, below=below), states.get
        )
        assert holds is (above < value < below)
