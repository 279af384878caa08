"""Parsing command payloads (`<e>/set`) into service calls. Pure: no I/O, never raises
anything but `PayloadError`, whatever the bytes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..const import SERVICE_PRESS, SERVICE_TOGGLE, SERVICE_TURN_OFF, SERVICE_TURN_ON

__all__ = [
    "ACCEPTED_FORMS",
    "CONTROLLABLE_DOMAINS",
    "MAX_PAYLOAD_BYTES",
    "Command",
    "PayloadError",
    "parse_command",
]

MAX_PAYLOAD_BYTES = 1024

ACCEPTED_FORMS: Mapping[str, str] = {
    "switch": 'ON, OFF or TOGGLE (any case), or JSON {"state": "ON", "for": 2.5}',
    "light": (
        'ON, OFF or TOGGLE (any case), or JSON {"state": "ON", "brightness": 0-255, '
        '"transition": 1.5, "for": 2.5} (OFF takes only "transition")'
    ),
    "button": "PRESS (any case)",
}

_SERVICES = {"ON": SERVICE_TURN_ON, "OFF": SERVICE_TURN_OFF, "TOGGLE": SERVICE_TOGGLE}


class PayloadError(ValueError):
    """The payload is not a command this entity accepts."""


@dataclass(frozen=True, slots=True)
class Command:
    """A service of the entity's domain to call, with its data (without `entity_id`)."""

    service: str
    data: Mapping[str, Any] = field(default_factory=dict)


def _text(payload: bytes) -> str:
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise PayloadError(f"payload longer than {MAX_PAYLOAD_BYTES} bytes")
    try:
        return payload.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise PayloadError("payload is not UTF-8") from None


def _json_object(text: str) -> dict[str, Any] | None:
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


def _number(obj: Mapping[str, Any], key: str, low: float, *, open_low: bool) -> float | None:
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


def _state_service(value: Any) -> str:
    if not isinstance(value, str) or value.upper() not in _SERVICES:
        raise PayloadError('"state" must be ON, OFF or TOGGLE')
    return _SERVICES[value.upper()]


def _check_keys(obj: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(obj) - allowed)
    if unknown:
        raise PayloadError(f"unknown keys: {', '.join(unknown)}")


def _simple(text: str) -> Command:
    service = _SERVICES.get(text.upper())
    if service is None:
        raise PayloadError(f"unknown command {text[:40]!r}")
    return Command(service)


def parse_switch(payload: bytes) -> Command:
    """`ON`/`OFF`/`TOGGLE` or `{"state": ..., "for": seconds}`."""
    text = _text(payload)
    obj = _json_object(text)
    if obj is None:
        return _simple(text)
    _check_keys(obj, frozenset({"state", "for"}))
    if "state" not in obj:
        raise PayloadError('"state" is required')
    service = _state_service(obj["state"])
    duration = _number(obj, "for", 0, open_low=True)
    return Command(service, {} if duration is None else {"for": duration})


def parse_light(payload: bytes) -> Command:
    """The switch forms plus `brightness` (0-255) and `transition` (seconds)."""
    text = _text(payload)
    obj = _json_object(text)
    if obj is None:
        return _simple(text)
    _check_keys(obj, frozenset({"state", "for", "brightness", "transition"}))
    if "state" in obj:
        service = _state_service(obj["state"])
    elif "brightness" in obj:
        service = SERVICE_TURN_ON
    else:
        raise PayloadError('"state" is required')
    data: dict[str, Any] = {}
    transition = _number(obj, "transition", 0, open_low=False)
    if transition is not None:
        data["transition"] = transition
    if service == SERVICE_TURN_OFF:
        if "for" in obj or "brightness" in obj:
            raise PayloadError('OFF takes only "transition"')
        return Command(service, data)
    brightness = _number(obj, "brightness", 0, open_low=False)
    if brightness is not None:
        if brightness > 255 or brightness != int(brightness):
            raise PayloadError('"brightness" must be an integer 0-255')
        data["brightness"] = int(brightness)
    duration = _number(obj, "for", 0, open_low=True)
    if duration is not None:
        data["for"] = duration
    return Command(service, data)


def parse_button(payload: bytes) -> Command:
    """`PRESS`."""
    text = _text(payload)
    if text.upper() != "PRESS":
        raise PayloadError(f"unknown command {text[:40]!r}")
    return Command(SERVICE_PRESS)


_PARSERS: Mapping[str, Callable[[bytes], Command]] = {
    "switch": parse_switch,
    "light": parse_light,
    "button": parse_button,
}

CONTROLLABLE_DOMAINS = frozenset(_PARSERS)


def parse_command(domain: str, payload: bytes) -> Command:
    """The command `payload` asks of an entity of `domain`; raises PayloadError."""
    parser = _PARSERS.get(domain)
    if parser is None:
        raise PayloadError(f"{domain} entities take no commands")
    return parser(payload)
