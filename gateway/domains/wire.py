"""The building blocks of the domains' MQTT payloads. Pure: no I/O.

The parsers never raise anything but `PayloadError`, whatever the bytes; the encoders turn a
`State` into payload bytes. Each domain combines them in its own module.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..const import SERVICE_TOGGLE, SERVICE_TURN_OFF, SERVICE_TURN_ON, STATE_UNKNOWN
from .spec import Command, PayloadError

if TYPE_CHECKING:
    from ..core import State

__all__ = [
    "MAX_PAYLOAD_BYTES",
    "PAYLOAD_NONE",
    "check_keys",
    "dumps",
    "encode_plain_state",
    "json_object",
    "number",
    "on_off_toggle",
    "simple_command",
    "state_service",
    "text",
]

MAX_PAYLOAD_BYTES = 1024
PAYLOAD_NONE = b"None"

_ON_OFF_TOGGLE = {"ON": SERVICE_TURN_ON, "OFF": SERVICE_TURN_OFF, "TOGGLE": SERVICE_TOGGLE}


def text(payload: bytes) -> str:
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise PayloadError(f"payload longer than {MAX_PAYLOAD_BYTES} bytes")
    try:
        return payload.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise PayloadError("payload is not UTF-8") from None


def json_object(text: str) -> dict[str, Any] | None:
    """The JSON object in `text`, None if `text` is not JSON at all."""
    if not text.startswith("{"):
        return None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise PayloadError("invalid JSON") from None
    if not isinstance(value, dict):
        raise PayloadError("JSON must be an object")
    return value


def number(obj: Mapping[str, Any], key: str, low: float, *, open_low: bool) -> float | None:
    if key not in obj:
        return None
    value = obj[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PayloadError(f'"{key}" must be a number')
    try:
        value = float(value)
    except OverflowError:
        raise PayloadError(f'"{key}" is out of range') from None
    if not math.isfinite(value):
        raise PayloadError(f'"{key}" must be a finite number')
    if value < low or (open_low and value == low):
        raise PayloadError(f'"{key}" must be {">" if open_low else ">="} {low:g}')
    return value


def state_service(value: Any) -> str:
    """The service a JSON `"state"` of ON, OFF or TOGGLE (any case) asks for."""
    if not isinstance(value, str) or value.upper() not in _ON_OFF_TOGGLE:
        raise PayloadError('"state" must be ON, OFF or TOGGLE')
    return _ON_OFF_TOGGLE[value.upper()]


def check_keys(obj: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(obj) - allowed)
    if unknown:
        raise PayloadError(f"unknown keys: {', '.join(unknown)}")


def on_off_toggle(text: str) -> Command:
    """`ON`, `OFF` or `TOGGLE` (any case) as a command."""
    service = _ON_OFF_TOGGLE.get(text.upper())
    if service is None:
        raise PayloadError(f"unknown command {text[:40]!r}")
    return Command(service)


def simple_command(text: str, word: str, service: str) -> Command:
    """`word` (any case) as a command of `service`."""
    if text.upper() != word:
        raise PayloadError(f"unknown command {text[:40]!r}")
    return Command(service)


def dumps(value: Any) -> bytes:
    # `default=str` turns datetimes and other odd attribute values into text, never an error.
    return json.dumps(value, separators=(",", ":"), default=str, ensure_ascii=False).encode()


def encode_plain_state(state: State) -> bytes:
    """The state string itself; `None` (Home Assistant's "no value") while unknown."""
    if state.state == STATE_UNKNOWN:
        return PAYLOAD_NONE
    return state.state.encode()
