"""Reusable config validators, and `platform_schema` for platform modules.

Each validator takes a raw YAML value and returns the clean one, or raises `vol.Invalid` with a
short message; the caller adds the path and the file position. Values from `!env_var` arrive as
strings, so numeric validators accept numeric strings. Messages do not repeat the value, which
may have come from `!secret`.

A platform module declares::

    Initial = Literal["off", "on", "restore"]
    INITIAL_OPTIONS: Final[tuple[Initial, ...]] = ("off", "on", "restore")

    @dataclass(frozen=True, slots=True, kw_only=True)
    class GpioSwitchConfig(EntityConfig):
        pin: int | str
        initial: Initial = "off"

    PLATFORM_SCHEMA = platform_schema(GpioSwitchConfig, {
        vol.Required("pin"): cv.gpio_pin,
        vol.Optional("initial"): cv.choice(INITIAL_OPTIONS),
    })

Each field's type is what its validator returns: `platform_schema` refuses, at import, a
validator whose declared result does not fit its field (`field_types.py`).
"""

from __future__ import annotations

import codecs
import dataclasses
import math
import re
import unicodedata
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Generic, Literal, TypeVar, get_type_hints

import voluptuous as vol

from gateway.config.field_types import (
    declared_type,
    declares,
    literal_of,
    mismatched_fields,
    optional_of,
)
from gateway.config.model import EntityConfig
from gateway.util.extract import JsonPath

__all__ = [
    "FILTER_FIELDS",
    "ON_OFF",
    "SENSOR_FIELDS",
    "STATE_CLASSES",
    "VALUE_FIELDS",
    "OnOff",
    "PlatformSchema",
    "StateClass",
    "at_most_one_extractor",
    "boolean",
    "choice",
    "encoding",
    "ensure_list",
    "exactly_one_of",
    "gpio_pin",
    "int_range",
    "integer",
    "json_path",
    "node_id",
    "non_empty_string",
    "non_negative_int",
    "number",
    "one_of",
    "optional",
    "platform_schema",
    "port",
    "positive_float",
    "positive_int",
    "positive_time_period",
    "publish_topic",
    "regex",
    "sensor_filters",
    "slug",
    "slugify",
    "split_expander_pin",
    "string",
    "subscribe_topic",
    "time_period",
    "topic_prefix",
]

if TYPE_CHECKING:
    from gateway.filters import FilterSpec  # loaded with the sensor platforms that use it

T = TypeVar("T", bound=EntityConfig)
_Option = TypeVar("_Option", bound=str | int)

OnOff = Literal["off", "on"]
ON_OFF: Final[tuple[OnOff, ...]] = ("off", "on")
StateClass = Literal["measurement", "total", "total_increasing"]
STATE_CLASSES: Final[tuple[StateClass, ...]] = ("measurement", "total", "total_increasing")
M = TypeVar("M", bound=Mapping[Any, Any])
Validator = Callable[[Any], Any]

_TRUE: Final = frozenset({"true", "yes", "on", "enable", "enabled", "1"})
_FALSE: Final = frozenset({"false", "no", "off", "disable", "disabled", "0"})
_SLUG_RE: Final = re.compile(r"^[a-z0-9_]+$")
_NODE_ID_RE: Final = re.compile(r"^[a-z0-9_-]+$")
_DURATION_RE: Final = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(ms|s|sec|m|min|h)?\s*$")
_CLOCK_RE: Final = re.compile(r"^\s*(\d+):(\d{1,2})(?::(\d{1,2}(?:\.\d+)?))?\s*$")
_UNIT_SECONDS: Final = {"ms": 0.001, "s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}
_PERIOD_KEYS: Final = {"hours": 3600.0, "minutes": 60.0, "seconds": 1.0, "milliseconds": 0.001}
_PIN_NAME_RE: Final = re.compile(r"^(?:GPIO|BCM|WPI|BOARD)\d+$|^(?:J8|P1):\d+$", re.IGNORECASE)
# `<expander id>:<pin>`: A0-A7/B0-B7 (MCP23017), P0-P7 or P00-P17 (PCF857x), or 0-15.
_EXPANDER_PIN_RE: Final = re.compile(
    r"^([a-z0-9_]+):(?:([AB])([0-7])|P([01])?([0-7])|(\d{1,2}))$", re.IGNORECASE
)


# --- scalars --------------------------------------------------------------------------------


def string(value: Any) -> str:
    """A string; numbers are accepted as their text (`name: 42`)."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise vol.Invalid("expected a string")


def non_empty_string(value: Any) -> str:
    text = string(value)
    if not text.strip():
        raise vol.Invalid("must not be empty")
    return text


def boolean(value: Any) -> bool:
    """true/false, yes/no, on/off, enable/disable, 1/0 (any case)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise vol.Invalid("expected a boolean (true or false)")


def integer(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*[-+]?\d+\s*", value):
        return int(value)
    raise vol.Invalid("expected an integer")


def int_range(minimum: int | None = None, maximum: int | None = None) -> Callable[[Any], int]:
    """An integer within [minimum, maximum] (either bound may be open)."""

    def validate(value: Any) -> int:
        number = integer(value)
        if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
            raise vol.Invalid(f"expected an integer {_describe_range(minimum, maximum)}")
        return number

    return validate


def _describe_range(minimum: int | None, maximum: int | None) -> str:
    if minimum is not None and maximum is not None:
        return f"from {minimum} to {maximum}"
    return f"at least {minimum}" if minimum is not None else f"at most {maximum}"


positive_int = int_range(1)
non_negative_int = int_range(0)
port = int_range(1, 65535)
_bcm_pin = int_range(0, 63)


def number(value: Any) -> float:
    """A finite number (int, float or numeric string)."""
    if isinstance(value, bool):
        raise vol.Invalid("expected a number")
    try:
        result = float(value)
    except (TypeError, ValueError):
        raise vol.Invalid("expected a number") from None
    if not math.isfinite(result):
        raise vol.Invalid("expected a finite number")
    return result


def positive_float(value: Any) -> float:
    result = number(value)
    if result <= 0:
        raise vol.Invalid("expected a number greater than 0")
    return result


def time_period(value: Any) -> float:
    """Seconds, from a number (`30`, `0.5`), a string with a unit (`500ms`, `30s`, `5m`, `1h`),
    a clock (`HH:MM` or `HH:MM:SS`) or a mapping (`{minutes: 5, seconds: 30}`)."""
    if isinstance(value, Mapping):
        seconds = _period_mapping(value)
    elif isinstance(value, str) and (match := _DURATION_RE.match(value)):
        seconds = float(match[1]) * _UNIT_SECONDS[match[2] or "s"]
    elif isinstance(value, str) and (match := _CLOCK_RE.match(value)):
        seconds = int(match[1]) * 3600 + int(match[2]) * 60 + float(match[3] or 0)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        raise vol.Invalid("expected a time period (seconds, or e.g. 500ms, 30s, 5m, 1h, 01:30)")
    if not math.isfinite(seconds) or seconds < 0:
        raise vol.Invalid("expected a time period of 0 or more seconds")
    return seconds


def _period_mapping(value: Mapping[Any, Any]) -> float:
    unknown = set(value) - set(_PERIOD_KEYS)
    if unknown or not value:
        raise vol.Invalid(f"expected a mapping of {', '.join(_PERIOD_KEYS)}")
    return sum(number(amount) * _PERIOD_KEYS[unit] for unit, amount in value.items())


def positive_time_period(value: Any) -> float:
    seconds = time_period(value)
    if seconds <= 0:
        raise vol.Invalid("expected a time period longer than 0")
    return seconds


# --- names ----------------------------------------------------------------------------------


def slugify(text: str, *, allow_dash: bool = False) -> str:
    """`"Relay 1"` -> `"relay_1"`; accents are dropped, other runs of characters become `_`."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    kept = r"[^a-z0-9_-]+" if allow_dash else r"[^a-z0-9]+"
    return re.sub(kept, "_", ascii_text.lower()).strip("_-")


def slug(value: Any) -> str:
    """An entity or serial port id: lower-case letters, digits and underscores."""
    text = string(value)
    if not _SLUG_RE.match(text):
        suggestion = slugify(text)
        hint = f" (try {suggestion!r})" if suggestion else ""
        raise vol.Invalid(f"invalid id: use only a-z, 0-9 and _{hint}")
    return text


def node_id(value: Any) -> str:
    """A node id: lower-case letters, digits, `_` and `-` (it is an MQTT topic level)."""
    text = string(value)
    if not _NODE_ID_RE.match(text):
        suggestion = slugify(text, allow_dash=True)
        hint = f" (try {suggestion!r})" if suggestion else ""
        raise vol.Invalid(f"invalid node id: use only a-z, 0-9, _ and -{hint}")
    return text


# --- choices and structure ------------------------------------------------------------------


def one_of(*options: Any, ignore_case: bool = False) -> Validator:
    """One of `options`, returned as written in `options` (so `ignore_case` also normalises)."""
    listed = ", ".join(str(option) for option in options)

    def validate(value: Any) -> Any:
        for option in options:
            if _same(value, option, ignore_case=ignore_case):
                return option
        raise vol.Invalid(f"expected one of: {listed}")

    return validate


def choice(options: tuple[_Option, ...], *, ignore_case: bool = False) -> Callable[[Any], _Option]:
    """`one_of` for a `Literal` type's values (strings or ints): `choice(PULLS)` with
    `PULLS: tuple[Pull, ...]` returns a `Pull` to mypy, and declares `Literal[...]` for
    `platform_schema`'s check."""
    validate: Callable[[Any], _Option] = one_of(*options, ignore_case=ignore_case)
    return declares(literal_of(options), validate)


def _same(value: Any, option: Any, *, ignore_case: bool) -> bool:
    if isinstance(value, bool) != isinstance(option, bool):
        return False  # `True == 1`, but `qos: true` is not `qos: 1`
    if ignore_case and isinstance(value, str) and isinstance(option, str):
        return value.casefold() == option.casefold()
    return bool(value == option)


def ensure_list(value: Any) -> list[Any]:
    """None -> [], a list stays, anything else becomes a one-item list."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def optional(validator: Validator) -> Validator:
    """Let an explicit null through (`certfile: null`), validate anything else."""

    def validate(value: Any) -> Any:
        return None if value is None else validator(value)

    inner = declared_type(validator)
    return validate if inner is None else declares(optional_of(inner), validate)


def exactly_one_of(*keys: str) -> Callable[[M], M]:
    """A mapping check: one of `keys` must be present, and only one (`vol.Exclusive` only
    enforces the second half)."""
    listed = ", ".join(keys)

    def validate(value: M) -> M:
        present = [key for key in keys if key in value]
        if not present:
            raise vol.Invalid(f"one of {listed} is required")
        if len(present) > 1:
            raise vol.Invalid(f"cannot be used together with {present[0]}", path=[present[1]])
        return value

    return validate


# --- domain values --------------------------------------------------------------------------


def publish_topic(value: Any) -> str:
    """An MQTT topic to publish to: not empty, no wildcards."""
    topic = non_empty_string(value)
    if "+" in topic or "#" in topic or "\0" in topic:
        raise vol.Invalid("a topic to publish to cannot contain +, # or NUL")
    if len(topic.encode()) > 65535:
        raise vol.Invalid("topic too long")
    return topic


def subscribe_topic(value: Any) -> str:
    """An MQTT topic filter: wildcards only as whole levels, `#` only last."""
    topic = non_empty_string(value)
    levels = topic.split("/")
    for index, level in enumerate(levels):
        if ("+" in level and level != "+") or ("#" in level and level != "#"):
            raise vol.Invalid("wildcards + and # must fill a whole topic level")
        if level == "#" and index != len(levels) - 1:
            raise vol.Invalid("# must be the last topic level")
    if "\0" in topic or len(topic.encode()) > 65535:
        raise vol.Invalid("invalid topic")
    return topic


def topic_prefix(value: Any) -> str:
    """A topic that others are appended to (base_topic, discovery prefix): no edge slashes."""
    topic = publish_topic(value)
    if topic.startswith("/") or topic.endswith("/"):
        raise vol.Invalid("must not start or end with /")
    return topic


def gpio_pin(value: Any) -> int | str:
    """A pin as gpiozero names it: a BCM number (17) or a name (GPIO17, BOARD11, J8:11); or an
    expander's pin, `<expander id>:<pin>` (`ext1:A3`), checked against `expander:` later."""
    if isinstance(value, str) and _PIN_NAME_RE.match(value.strip()):
        return value.strip().upper()
    if isinstance(value, str) and split_expander_pin(value) is not None:
        return value.strip()
    try:
        return _bcm_pin(value)
    except vol.Invalid:
        raise vol.Invalid(
            "expected a GPIO number (0-63), a pin name like GPIO17 or an expander pin like ext1:A3"
        ) from None


def split_expander_pin(pin: int | str) -> tuple[str, int] | None:
    """`"ext1:A3"` -> `("ext1", 3)`, `"ext2:B0"` -> `("ext2", 8)`, `"ext3:P12"` -> 10; None
    for a board pin. The index is the bit in the expander's port (0-15)."""
    if not isinstance(pin, str) or _PIN_NAME_RE.match(pin.strip()):
        return None
    match = _EXPANDER_PIN_RE.match(pin.strip())
    if match is None:
        return None
    name, bank, bank_bit, port, port_bit, number = match.groups()
    if bank is not None:
        return name, (8 if bank.upper() == "B" else 0) + int(bank_bit)
    if port_bit is not None:
        return name, 8 * int(port or 0) + int(port_bit)
    return (name, int(number)) if int(number) < 16 else None


def encoding(value: Any) -> str:
    """A Python codec name, or `hex` (frames published as hexadecimal digits)."""
    name = non_empty_string(value)
    if name.lower() == "hex":
        return "hex"
    try:
        codecs.lookup(name)
    except LookupError:
        raise vol.Invalid("unknown encoding (use a Python codec name or hex)") from None
    return name


# --- platform schemas -----------------------------------------------------------------------

BASE_KEYS: Final = ("platform", "name", "id")


class PlatformSchema(Generic[T]):
    """Validates one item of a domain list into a `T` (raising `vol.Invalid` otherwise).

    The base keys `platform` and `name` are required, `id` is an optional slug that defaults to
    the slug of `name`; any key not declared is an error.
    """

    __slots__ = ("_checks", "_config_cls", "_schema", "known_keys")

    def __init__(
        self,
        config_cls: type[T],
        fields: Mapping[Hashable, Any],
        checks: Sequence[Callable[[dict[str, Any]], dict[str, Any]]] = (),
    ) -> None:
        _check_fields(config_cls, fields)
        self._config_cls = config_cls
        self._checks = tuple(checks)
        self._schema = vol.Schema(
            {
                vol.Required("platform"): non_empty_string,
                vol.Required("name"): non_empty_string,
                vol.Optional("id"): slug,
                **fields,
            }
        )
        self.known_keys: tuple[str, ...] = (*BASE_KEYS, *(_key_name(key) for key in fields))

    def __call__(self, value: Any) -> T:
        data = dict(self._schema(value))
        for check in self._checks:
            data = check(data)
        if "id" not in data:
            data["id"] = slugify(data["name"])
            if not data["id"]:
                raise vol.Invalid("no id can be made from this name: add an id", path=["name"])
        return self._config_cls(**data)

    def __repr__(self) -> str:
        return f"PlatformSchema({self._config_cls.__name__})"


def platform_schema(
    config_cls: type[T],
    fields: Mapping[Hashable, Any],
    *checks: Callable[[dict[str, Any]], dict[str, Any]],
) -> PlatformSchema[T]:
    """The `PLATFORM_SCHEMA` of a platform: the base keys plus `fields`, built into
    `config_cls`; `checks` (e.g. `exactly_one_of(...)`) then see the validated mapping.

    Raises TypeError at import time when `fields` and `config_cls` do not match.
    """
    return PlatformSchema(config_cls, fields, checks)


def _key_name(key: Hashable) -> str:
    return str(key.schema if isinstance(key, vol.Marker) else key)


def _check_fields(config_cls: type[EntityConfig], fields: Mapping[Hashable, Any]) -> None:
    """Catch a schema that cannot build its dataclass when the platform is imported, not when a
    user's config happens to use it."""
    if not (isinstance(config_cls, type) and issubclass(config_cls, EntityConfig)):
        raise TypeError(f"{config_cls!r} is not a subclass of EntityConfig")
    names = {field.name for field in dataclasses.fields(config_cls)}
    declared = {_key_name(key): key for key in fields}
    if clash := sorted(set(declared) & set(BASE_KEYS)):
        raise TypeError(f"{config_cls.__name__}: {clash} are base keys, declared already")
    if unknown := sorted(set(declared) - names):
        hint = (
            " (SENSOR_FIELDS brings `filters`: declare filters: tuple[FilterSpec, ...] = ())"
            if "filters" in unknown
            else ""
        )
        raise TypeError(f"{config_cls.__name__} has no field for {unknown}{hint}")
    validators = {_key_name(key): validator for key, validator in fields.items()}
    if wrong := mismatched_fields(_field_types(config_cls), validators):
        raise TypeError(f"{config_cls.__name__}: validator and field disagree: {wrong}")
    for field in dataclasses.fields(config_cls):
        required = field.default is dataclasses.MISSING and (
            field.default_factory is dataclasses.MISSING
        )
        if required and field.name not in BASE_KEYS and not _always_set(declared.get(field.name)):
            raise TypeError(
                f"{config_cls.__name__}.{field.name} has no default: "
                f"declare vol.Required({field.name!r}) or a default in the schema"
            )


def _field_types(config_cls: type[EntityConfig]) -> dict[str, Any]:
    try:
        return get_type_hints(config_cls)
    except NameError as exc:
        raise TypeError(
            f"{config_cls.__name__}: field types must resolve at import, not only under "
            f"TYPE_CHECKING ({exc})"
        ) from exc


def _always_set(key: Hashable | None) -> bool:
    if isinstance(key, vol.Required):
        return True
    return isinstance(key, vol.Optional) and not isinstance(key.default, vol.Undefined)


def regex(value: Any) -> str:
    """A regular expression that compiles (`value_regex`: its first group is the value)."""
    text = string(value)
    try:
        re.compile(text)
    except re.error as exc:
        raise vol.Invalid(f"invalid regular expression: {exc}") from None
    return text


def json_path(value: Any) -> str:
    """A dotted path into JSON, list indices allowed (`value_json`)."""
    text = string(value)
    try:
        JsonPath.parse(text)
    except ValueError as exc:
        raise vol.Invalid(f"{exc} (expected e.g. temp.current or sensors.0.t)") from None
    return text


def at_most_one_extractor(data: dict[str, Any]) -> dict[str, Any]:
    """`value_json` and `value_regex` exclude each other (neither: the raw payload)."""
    if "value_regex" in data and "value_json" in data:
        raise vol.Invalid("cannot be used together with value_regex", path=["value_json"])
    return data


# How serial and MQTT entities take their value out of a payload.
VALUE_FIELDS: Final[Mapping[Hashable, Any]] = {
    vol.Optional("value_json"): json_path,
    vol.Optional("value_regex"): regex,
}


def sensor_filters(value: Any) -> tuple[FilterSpec, ...]:
    """`filters:` of a numeric sensor (`gateway.filters`); errors name each bad filter."""
    from gateway.config.filters_schema import validate_filters  # only when a sensor has filters

    return validate_filters(value)


# What every numeric sensor platform accepts: its config class declares
# `filters: tuple[FilterSpec, ...] = ()` and `SensorEntity` applies them (no platform code).
FILTER_FIELDS: Final[Mapping[Hashable, Any]] = {vol.Optional("filters"): sensor_filters}

# The reading's presentation, for every sensor platform that parses values.
SENSOR_FIELDS: Final[Mapping[Hashable, Any]] = {
    vol.Optional("unit_of_measurement"): string,
    vol.Optional("device_class"): string,
    vol.Optional("state_class"): choice(STATE_CLASSES),
    vol.Optional("precision"): non_negative_int,
    **FILTER_FIELDS,
}
