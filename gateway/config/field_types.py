"""Whether a validator's result fits the dataclass field it fills.

mypy checks that each validator returns what its annotation says, and that the core reads a
config field as its annotation says; this closes the gap between the two, which a voluptuous
mapping hides from mypy: `platform_schema` compares, at import time, the type each validator
declares (its return annotation, or the `Literal` of a `choice`) with the field's annotation.
A validator that declares nothing it can compare (`vol.All`, `Any`) is not checked.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar, cast, get_args, get_origin

__all__ = [
    "declared_type",
    "declares",
    "fits",
    "literal_of",
    "mismatched_fields",
    "optional_of",
]

_V = TypeVar("_V", bound=Callable[..., Any])
_DECLARED = "_boardgate_declares"


def declares(result_type: object, validator: _V) -> _V:
    """Record what `validator` returns when its annotation cannot say it (a closure)."""
    setattr(validator, _DECLARED, result_type)
    return validator


def literal_of(values: tuple[object, ...]) -> object:
    """`Literal[values]`, for `declares` (a validator choosing among `values`)."""
    return cast(Any, Literal)[values]


def optional_of(type_: object) -> object:
    """`type_ | None`, for `declares` (a validator that also lets None through)."""
    return cast(Any, typing.Optional)[type_]


def declared_type(validator: object) -> object | None:
    """What `validator` says it returns, or None when it says nothing comparable."""
    declared: object | None = getattr(validator, _DECLARED, None)
    if declared is not None:
        return declared
    if isinstance(validator, type):  # `str`, `int`: voluptuous checks the value is one
        return validator
    if not isinstance(validator, types.FunctionType):
        return None
    try:
        result: object | None = typing.get_type_hints(validator).get("return")
    except (NameError, TypeError):
        return None
    if result is None or result is Any or isinstance(result, TypeVar):
        return None
    return result


def fits(produced: object, field_type: object) -> bool:
    """Whether every value of type `produced` is a valid value of `field_type`."""
    if field_type is Any:
        return True
    allowed = _members(field_type)
    return all(_member_fits(member, allowed) for member in _members(produced))


def mismatched_fields(
    field_types: Mapping[str, object], validators: Mapping[str, object]
) -> list[str]:
    """`name: field type <- validator type` for each validator whose result does not fit."""
    wrong = []
    for name, validator in validators.items():
        produced = declared_type(validator)
        field_type = field_types.get(name)
        if produced is not None and field_type is not None and not fits(produced, field_type):
            wrong.append(f"{name}: {_show(field_type)} <- {_show(produced)}")
    return wrong


def _members(type_: object) -> set[object]:
    """A union as its members; a `Literal` as ("literal", value) pairs."""
    origin = get_origin(type_)
    if origin is typing.Union or origin is types.UnionType:
        return set().union(*(_members(arg) for arg in get_args(type_)))
    if origin is Literal:
        return {("literal", value) for value in get_args(type_)}
    if type_ is None:
        return {type(None)}
    return {type_}


def _member_fits(member: object, allowed: set[object]) -> bool:
    if member in allowed:
        return True
    if isinstance(member, tuple) and member[0] == "literal":
        return type(member[1]) in allowed
    return member is int and float in allowed  # the numeric tower: an int is a valid float


def _show(type_: object) -> str:
    return type_.__name__ if isinstance(type_, type) else str(type_).replace("typing.", "")
