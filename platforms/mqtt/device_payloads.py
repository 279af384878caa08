"""Payloads of remote MQTT devices: decoding, comparing by value, light JSON. Pure: no I/O,
never raises anything but `ValueNotFound`, whatever the bytes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from gateway.util.extract import ValueExtractor, ValueNotFound

__all__ = [
    "FULL_BRIGHTNESS",
    "LIGHT_OFF",
    "LIGHT_ON",
    "MAX_PAYLOAD_BYTES",
    "LightReport",
    "Scalar",
    "decode",
    "encode",
    "extract",
    "extracts_text",
    "light_command",
    "match_on_off",
    "parse_light_report",
    "same_value",
]

# A message handler runs in the loop: a payload larger than this is not parsed at all.
MAX_PAYLOAD_BYTES: Final = 64 * 1024
LIGHT_ON: Final = "ON"
LIGHT_OFF: Final = "OFF"
FULL_BRIGHTNESS: Final = 255

# A configured payload: YAML gives a string, a number or true/false.
Scalar = str | bool | int | float


def decode(payload: bytes) -> str:
    """The payload as text; raises ValueNotFound when too long or not UTF-8."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise ValueNotFound(f"payload longer than {MAX_PAYLOAD_BYTES} bytes")
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueNotFound("payload is not UTF-8") from None


def same_value(found: Any, expected: Scalar, *, from_text: bool = False) -> bool:
    """Whether an extracted value is the configured one, compared by value.

    A JSON `true` matches a YAML `true` and `1.0` matches `1`, but `true` never matches `1`;
    strings compare exactly. With `from_text` (a raw payload or a regex group, as opposed to a
    value out of a JSON document), text compared with a number or boolean is read as a JSON
    scalar first, so a raw `true` payload matches `payload_on: true`.
    """
    if from_text and isinstance(found, str) and not isinstance(expected, str):
        try:
            found = json.loads(found)
        except (ValueError, RecursionError):
            return False
    if isinstance(found, bool) or isinstance(expected, bool):
        return isinstance(found, bool) and isinstance(expected, bool) and found is expected
    if isinstance(found, str) or isinstance(expected, str):
        return isinstance(found, str) and isinstance(expected, str) and found == expected
    if isinstance(found, int | float):
        return bool(found == expected)
    return False


def match_on_off(found: Any, on: Scalar, off: Scalar, *, from_text: bool = False) -> bool:
    """True for `on`, False for `off`; raises ValueNotFound for anything else."""
    if same_value(found, on, from_text=from_text):
        return True
    if same_value(found, off, from_text=from_text):
        return False
    if isinstance(found, str):
        shown = repr(found[:40])
    elif found is None or isinstance(found, int | float):
        shown = repr(found)
    else:
        shown = f"a JSON {type(found).__name__}"
    raise ValueNotFound(f"{shown} is neither {on!r} nor {off!r}")


def encode(value: Scalar) -> str:
    """A configured payload as published: booleans as JSON `true`/`false`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def extract(extractor: ValueExtractor, payload: bytes) -> Any:
    """The value a payload carries; raises ValueNotFound."""
    return extractor.extract(decode(payload))


def extracts_text(extractor: ValueExtractor) -> bool:
    """Whether `extractor` gives text (raw payload, regex group) rather than a JSON value."""
    return extractor.json_path is None


# --- JSON lights (zigbee2mqtt style) ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LightReport:
    """What a light reported; None where the payload did not say."""

    is_on: bool | None
    brightness: int | None  # 0-255


def parse_light_report(payload: bytes, brightness_scale: int) -> LightReport:
    """`{"state": "ON", "brightness": 120}` (brightness on the device's 0-`brightness_scale`).

    Either key may be missing but not both; a `state` other than ON/OFF, or a brightness that
    is not a number in range, makes the whole payload unusable (raises ValueNotFound).
    """
    try:
        document = json.loads(decode(payload))
    except (ValueError, RecursionError):
        raise ValueNotFound("not JSON") from None
    if not isinstance(document, Mapping):
        raise ValueNotFound("not a JSON object")
    is_on: bool | None = None
    if "state" in document:
        is_on = match_on_off(document["state"], LIGHT_ON, LIGHT_OFF)
    brightness = _brightness(document.get("brightness"), brightness_scale)
    if is_on is None and brightness is None:
        raise ValueNotFound("no state and no brightness")
    return LightReport(is_on, brightness)


def _brightness(value: Any, scale: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueNotFound("brightness is not a number")
    if not 0 <= value <= scale:
        raise ValueNotFound(f"brightness out of range 0-{scale}")
    return round(value * FULL_BRIGHTNESS / scale)


def light_command(
    turn_on: bool,
    brightness: int | None,
    transition: float | None,
    brightness_scale: int,
) -> str:
    """The JSON command: `{"state": "ON", "brightness": N}` (N on the device's scale)."""
    body: dict[str, Any] = {"state": LIGHT_ON if turn_on else LIGHT_OFF}
    if turn_on and brightness is not None:
        body["brightness"] = round(brightness * brightness_scale / FULL_BRIGHTNESS)
    if transition is not None:
        body["transition"] = transition
    return json.dumps(body, separators=(",", ":"))
