"""Validators and config dataclasses must agree on types: `platform_schema` checks it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, get_type_hints

import pytest
import voluptuous as vol

from gateway.config.cv import choice, gpio_pin, platform_schema, positive_time_period
from gateway.config.field_types import fits, literal_of, mismatched_fields
from gateway.config.model import EntityConfig, MqttConfig
from hardware.gpio import Pull
from platforms.gpio.binary_sensor import pull_option
from platforms.gpio.entity import INITIAL_OPTIONS, on_off_option

if TYPE_CHECKING:
    from pathlib import Path

Colour = Literal["red", "green"]
COLOURS: tuple[Colour, ...] = ("red", "green")


@dataclass(frozen=True, slots=True, kw_only=True)
class _PullAsBool(EntityConfig):
    pull_up: bool = True  # what a reader might guess; the validator gives "up"/"down"/"floating"


@dataclass(frozen=True, slots=True, kw_only=True)
class _InitialNarrower(EntityConfig):
    initial: Literal["off", "on"] = "off"  # the validator also gives "restore"


@dataclass(frozen=True, slots=True, kw_only=True)
class _Agreeing(EntityConfig):
    pin: int | str
    pull_up: Pull = "up"
    initial: Literal["off", "on", "restore"] = "off"
    colour: Colour | None = None
    delay: float = 1.0
    anything: Any = None


@pytest.mark.parametrize(
    ("config_cls", "fields", "wrong"),
    [
        (_PullAsBool, {vol.Optional("pull_up"): pull_option}, "pull_up"),
        (_InitialNarrower, {vol.Optional("initial"): on_off_option(INITIAL_OPTIONS)}, "initial"),
    ],
)
def test_a_validator_that_does_not_fit_its_field_is_refused_at_import(
    config_cls: type[EntityConfig], fields: dict[Any, Any], wrong: str
) -> None:
    with pytest.raises(TypeError, match=f"validator and field disagree: .*{wrong}"):
        platform_schema(config_cls, fields)


def test_agreeing_validators_build_typed_values() -> None:
    schema = platform_schema(
        _Agreeing,
        {
            vol.Required("pin"): gpio_pin,
            vol.Optional("pull_up"): pull_option,
            vol.Optional("initial"): on_off_option(INITIAL_OPTIONS),
            vol.Optional("colour"): choice(COLOURS, ignore_case=True),
            vol.Optional("delay"): positive_time_period,
            vol.Optional("anything"): vol.All(str),
        },
    )
    config = schema(
        {"platform": "x", "name": "n", "pin": 17, "pull_up": False, "initial": True}
        | {"colour": "RED", "delay": "250ms", "anything": "a"}
    )
    assert (config.pull_up, config.initial, config.colour, config.delay) == (
        "down",
        "on",
        "red",
        0.25,
    )


def test_fits_follows_unions_literals_and_the_numeric_tower() -> None:
    assert fits(literal_of(("up",)), Pull)
    assert fits(int, float | None)
    assert fits(literal_of(("a", "b")), str)
    assert not fits(str, Pull)
    assert not fits(float, int)
    assert not fits(int | None, int)


def _as_text(value: Any) -> str:
    return str(value)


def test_core_sections_are_checked_too() -> None:
    """The mqtt section's `protocol` validator used to declare `str`; the field is a Literal."""
    hints = get_type_hints(MqttConfig)
    assert mismatched_fields(hints, {"protocol": _as_text}) == [
        "protocol: Literal['5', '3.1.1'] <- str"
    ]
    assert mismatched_fields(hints, {"protocol": choice(("5",))}) == []


@dataclass(frozen=True, slots=True, kw_only=True)
class _OnlyForMypy(EntityConfig):
    where: Path | None = None  # Path is imported only under TYPE_CHECKING


def test_field_types_that_only_mypy_can_resolve_are_refused_with_the_reason() -> None:
    with pytest.raises(TypeError, match="must resolve at import"):
        platform_schema(_OnlyForMypy, {vol.Optional("where"): str})
