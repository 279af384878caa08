"""Value validators the trigger, condition and action schemas share.

Every list validates all of its items (`each`), so one run of `check-config` reports every
broken item, not only the first. Nothing here is evaluated as code: values are kept as written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final, TypeVar

import voluptuous as vol

from gateway.config import cv

__all__ = [
    "ENTITY_ID_RE",
    "FOR_FIELD",
    "RANGE_FIELDS",
    "check_range",
    "dispatch",
    "each",
    "empty_mapping",
    "entity_ids",
    "frozen_mapping",
    "mapping",
    "payload_text",
    "plain",
    "states",
]

_T = TypeVar("_T")
ENTITY_ID_RE: Final = re.compile(r"^[a-z0-9_]+\.[a-z0-9_]+$")


def empty_mapping() -> Mapping[str, Any]:
    """The default of a dataclass field holding a read-only mapping."""
    return MappingProxyType({})


def entity_ids(value: Any) -> tuple[str, ...]:
    """One entity id or a list of them (`switch.relay_1`)."""
    items = cv.ensure_list(value)
    if not items:
        raise vol.Invalid("expected an entity id or a list of them")
    for item in items:
        if not isinstance(item, str) or not ENTITY_ID_RE.match(item):
            raise vol.Invalid("expected entity ids like switch.relay_1")
    return tuple(items)


def states(value: Any) -> tuple[str, ...]:
    """A state or a list of states, as strings (`"ON"`, `"30"`)."""
    items = cv.ensure_list(value)
    if not items:
        raise vol.Invalid("expected a state or a list of states")
    return tuple(cv.string(item) for item in items)


def plain(value: Any) -> Any:
    """A copy without the loader's position-carrying containers."""
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def frozen_mapping(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise vol.Invalid("expected a mapping")
    for key in value:
        if not isinstance(key, str):
            raise vol.Invalid("keys must be strings")
    return MappingProxyType(plain(value))


def payload_text(value: Any) -> str:
    """A string, a number as its text, or anything else as compact JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return json.dumps(plain(value), separators=(",", ":"))


def each(
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


def mapping(value: Any) -> dict[Any, Any]:
    if not isinstance(value, dict):
        raise vol.Invalid("expected a mapping")
    return value


def dispatch(
    value: Any, key: str, table: Mapping[str, Callable[[dict[Any, Any]], _T]], what: str
) -> _T:
    data = mapping(value)
    if key not in data:
        raise vol.Invalid("required key not provided", path=[key])
    kind = data[key]
    validator = table.get(kind) if isinstance(kind, str) else None
    if validator is None:
        known = ", ".join(table)
        raise vol.Invalid(f"unknown {what} {kind!r} (expected one of: {known})", path=[key])
    return validator(data)


def check_range(data: dict[str, Any]) -> dict[str, Any]:
    if "above" not in data and "below" not in data:
        raise vol.Invalid("needs above, below or both")
    if "above" in data and "below" in data and data["above"] >= data["below"]:
        raise vol.Invalid("above must be less than below", path=["above"])
    return data


FOR_FIELD: Final[dict[Any, Any]] = {vol.Optional("for"): cv.time_period}
RANGE_FIELDS: Final[dict[Any, Any]] = {
    vol.Optional("above"): cv.number,
    vol.Optional("below"): cv.number,
    vol.Optional("attribute"): cv.non_empty_string,
}
