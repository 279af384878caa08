"""The reusable validators and `platform_schema`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
import voluptuous as vol

from gateway.config import EntityConfig, cv, platform_schema


def invalid(validator: Any, value: Any, match: str | None = None) -> None:
    with pytest.raises(vol.Invalid, match=match):
        validator(value)


# --- scalars --------------------------------------------------------------------------------


def test_string_accepts_numbers_as_text() -> None:
    assert cv.string("a") == "a"
    assert cv.string(42) == "42"
    assert cv.string(1.5) == "1.5"
    values: list[Any] = [None, True, [], {}]
    for value in values:
        invalid(cv.string, value, "expected a string")


def test_non_empty_string() -> None:
    assert cv.non_empty_string(" x ") == " x "
    invalid(cv.non_empty_string, "  ", "must not be empty")


@pytest.mark.parametrize("value", [True, 1, "true", "Yes", "ON", "enable", " on "])
def test_boolean_true(value: Any) -> None:
    assert cv.boolean(value) is True


@pytest.mark.parametrize("value", [False, 0, "false", "no", "Off", "disable", "0"])
def test_boolean_false(value: Any) -> None:
    assert cv.boolean(value) is False


@pytest.mark.parametrize("value", [2, "maybe", None, 1.0, []])
def test_boolean_invalid(value: Any) -> None:
    invalid(cv.boolean, value, "expected a boolean")


def test_integer() -> None:
    assert cv.integer(5) == 5
    assert cv.integer(" -7 ") == -7  # from !env_var
    for value in (True, 1.5, "1.5", "x", None):
        invalid(cv.integer, value, "expected an integer")


def test_int_range_and_port() -> None:
    assert cv.int_range(0, 2)(2) == 2
    invalid(cv.int_range(0, 2), 3, "from 0 to 2")
    invalid(cv.int_range(minimum=1), 0, "at least 1")
    invalid(cv.int_range(maximum=9), 10, "at most 9")
    assert cv.port("1883") == 1883
    invalid(cv.port, 0, "from 1 to 65535")
    invalid(cv.port, 65536, "from 1 to 65535")
    assert cv.positive_int(1) == 1
    invalid(cv.non_negative_int, -1)


def test_number_and_positive_float() -> None:
    assert cv.number("2.5") == 2.5
    assert cv.number(3) == 3.0
    invalid(cv.number, True, "expected a number")
    invalid(cv.number, "inf", "finite")
    assert cv.positive_float(0.1) == 0.1
    invalid(cv.positive_float, 0, "greater than 0")


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (30, 30.0),
        (0.5, 0.5),
        ("30", 30.0),
        ("500ms", 0.5),
        ("30s", 30.0),
        ("2 min", 120.0),
        ("5m", 300.0),
        ("1h", 3600.0),
        ("01:30", 5400.0),
        ("00:01:30.5", 90.5),
        ({"minutes": 1, "seconds": 30}, 90.0),
        (0, 0.0),
    ],
)
def test_time_period(value: Any, seconds: float) -> None:
    assert cv.time_period(value) == seconds


@pytest.mark.parametrize("value", [-1, "soon", "5 parsecs", True, None, {"weeks": 1}, {}])
def test_time_period_invalid(value: Any) -> None:
    invalid(cv.time_period, value)


def test_positive_time_period() -> None:
    assert cv.positive_time_period("1s") == 1.0
    invalid(cv.positive_time_period, 0, "longer than 0")


# --- names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Relay 1", "relay_1"),
        ("Température extérieure", "temperature_exterieure"),
        ("  --Garage  Door!! ", "garage_door"),
        ("already_a_slug", "already_a_slug"),
        ("***", ""),
    ],
)
def test_slugify(text: str, slug: str) -> None:
    assert cv.slugify(text) == slug


def test_slugify_for_node_ids_keeps_dashes() -> None:
    assert cv.slugify("Garage-Pi 4", allow_dash=True) == "garage-pi_4"


@pytest.mark.parametrize(
    "text",
    ["", "_", "-a-", "ß straße", "Ǆemal", "ﬁle №5", "漢字", "a\tb\nc", "x" * 300, "İstanbul"],
)
def test_slugify_always_gives_a_valid_slug_or_nothing(text: str) -> None:
    slug = cv.slugify(text)
    assert slug == "" or cv.slug(slug) == slug
    assert cv.slugify(slug) == slug


def test_slug() -> None:
    assert cv.slug("relay_1") == "relay_1"
    invalid(cv.slug, "Relay 1", re.escape("(try 'relay_1')"))
    invalid(cv.slug, "relay-1", "invalid id")
    invalid(cv.slug, "", "invalid id")


def test_node_id() -> None:
    assert cv.node_id("garage-pi") == "garage-pi"
    invalid(cv.node_id, "Garage Pi", "try 'garage_pi'")


# --- choices and structure ------------------------------------------------------------------


def test_one_of_returns_the_option_as_declared() -> None:
    parity = cv.one_of("N", "E", "O", ignore_case=True)
    assert parity("e") == "E"
    invalid(parity, "X", "expected one of: N, E, O")
    invalid(cv.one_of("off", "on"), "Off")


def test_one_of_does_not_confuse_booleans_and_numbers() -> None:
    stopbits = cv.one_of(1, 1.5, 2)
    assert stopbits(1.0) == 1
    assert stopbits(1.5) == 1.5
    invalid(stopbits, True)
    invalid(cv.one_of(True, False), 1)


def test_ensure_list() -> None:
    assert cv.ensure_list(None) == []
    assert cv.ensure_list([1, 2]) == [1, 2]
    assert cv.ensure_list("a") == ["a"]


def test_optional() -> None:
    validate = cv.optional(cv.port)
    assert validate(None) is None
    assert validate(80) == 80
    invalid(validate, "x")


def test_exactly_one_of() -> None:
    check = cv.exactly_one_of("value_json", "value_regex")
    assert check({"value_json": "a"}) == {"value_json": "a"}
    invalid(check, {}, "one of value_json, value_regex is required")
    with pytest.raises(vol.Invalid) as info:
        check({"value_regex": "x", "value_json": "a"})
    assert info.value.path == ["value_regex"]
    assert "cannot be used together with value_json" in info.value.error_message


# --- domain values --------------------------------------------------------------------------


def test_topics() -> None:
    assert cv.publish_topic("a/b") == "a/b"
    invalid(cv.publish_topic, "a/+", "cannot contain")
    invalid(cv.publish_topic, "", "must not be empty")
    assert cv.subscribe_topic("a/+/c/#") == "a/+/c/#"
    invalid(cv.subscribe_topic, "a/b+", "whole topic level")
    invalid(cv.subscribe_topic, "a/#/c", "last")
    assert cv.topic_prefix("boardgate") == "boardgate"
    invalid(cv.topic_prefix, "boardgate/", "must not start or end with /")


def test_gpio_pin() -> None:
    assert cv.gpio_pin(17) == 17
    assert cv.gpio_pin("17") == 17
    assert cv.gpio_pin("gpio17") == "GPIO17"
    assert cv.gpio_pin("J8:11") == "J8:11"
    for value in (-1, 64, "pin 17", True):
        invalid(cv.gpio_pin, value, "GPIO number")


def test_encoding() -> None:
    assert cv.encoding("utf-8") == "utf-8"
    assert cv.encoding("latin-1") == "latin-1"
    assert cv.encoding("HEX") == "hex"
    invalid(cv.encoding, "klingon", "unknown encoding")


# --- platform_schema ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class RelayConfig(EntityConfig):
    pin: int
    initial: str = "off"
    payload_on: str = "ON"


RELAY = platform_schema(
    RelayConfig,
    {
        vol.Required("pin"): cv.int_range(0, 63),
        vol.Optional("initial"): cv.one_of("off", "on", "restore"),
        vol.Optional("payload_on"): cv.string,
    },
)


def test_platform_schema_builds_the_dataclass() -> None:
    config = RELAY({"platform": "relay", "name": "Relay 1", "pin": 5, "initial": "on"})
    assert config == RelayConfig(
        platform="relay", name="Relay 1", id="relay_1", pin=5, initial="on"
    )
    assert RELAY.known_keys == ("platform", "name", "id", "pin", "initial", "payload_on")


def test_platform_schema_keeps_an_explicit_id() -> None:
    assert RELAY({"platform": "relay", "name": "Relay 1", "id": "r1", "pin": 5}).id == "r1"


def test_platform_schema_reports_every_error_with_its_path() -> None:
    with pytest.raises(vol.MultipleInvalid) as info:
        RELAY({"platform": "relay", "id": "R 1", "pin": 99, "colour": "red"})
    errors = {tuple(str(part) for part in error.path): error.msg for error in info.value.errors}
    assert errors == {
        ("id",): "invalid id: use only a-z, 0-9 and _ (try 'r_1')",
        ("pin",): "expected an integer from 0 to 63",
        ("colour",): "extra keys not allowed",
        ("name",): "required key not provided",
    }


def test_platform_schema_name_without_slug_needs_an_id() -> None:
    with pytest.raises(vol.Invalid, match="add an id") as info:
        RELAY({"platform": "relay", "name": "?!", "pin": 1})
    assert info.value.path == ["name"]


def test_platform_schema_runs_checks_on_the_validated_mapping() -> None:
    @dataclass(frozen=True, slots=True, kw_only=True)
    class ValueConfig(EntityConfig):
        value_json: str | None = None
        value_regex: str | None = None

    schema = platform_schema(
        ValueConfig,
        {vol.Optional("value_json"): cv.string, vol.Optional("value_regex"): cv.string},
        cv.exactly_one_of("value_json", "value_regex"),
    )
    assert schema({"platform": "p", "name": "n", "value_json": "a.b"}).value_json == "a.b"
    invalid(schema, {"platform": "p", "name": "n"}, "one of value_json, value_regex")


def test_platform_schema_refuses_fields_the_dataclass_lacks() -> None:
    with pytest.raises(TypeError, match=r"has no field for \['colour'\]"):
        platform_schema(RelayConfig, {vol.Required("pin"): int, vol.Optional("colour"): str})


def test_platform_schema_refuses_a_required_field_left_optional() -> None:
    with pytest.raises(TypeError, match=r"RelayConfig\.pin has no default"):
        platform_schema(RelayConfig, {vol.Optional("pin"): int})


def test_platform_schema_accepts_an_optional_key_with_a_default() -> None:
    schema = platform_schema(RelayConfig, {vol.Optional("pin", default=4): int})
    assert schema({"platform": "p", "name": "n"}).pin == 4


def test_platform_schema_refuses_redeclared_base_keys() -> None:
    with pytest.raises(TypeError, match="base keys"):
        platform_schema(RelayConfig, {vol.Required("pin"): int, vol.Optional("name"): str})


def test_platform_schema_needs_an_entity_config() -> None:
    @dataclass(frozen=True)
    class NotAnEntity:
        pin: int

    with pytest.raises(TypeError, match="not a subclass of EntityConfig"):
        platform_schema(NotAnEntity, {vol.Required("pin"): int})  # type: ignore[type-var]
