"""Getting a value out of a frame or an MQTT payload without evaluating code: pure, never
raises anything but `ValueNotFound`.

Shared by the serial sensors (`platforms/serial`) and the MQTT platforms (`platforms/mqtt`).

- `value_regex`: the first group of the first match (the whole match if it has no group);
- `value_json`: a dotted path into a JSON document, list indices allowed (`temp.current`,
  `sensors.0.t`, `sensors[0].t`);
- neither: the frame's text, stripped.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any, Final

__all__ = [
    "MAX_STATE_LENGTH",
    "JsonPath",
    "ValueExtractor",
    "ValueNotFound",
    "to_number",
    "to_state_value",
]

_TOKEN_RE: Final = re.compile(r"\[(-?\d+)\]|([^.\[\]]+)")
MAX_STATE_LENGTH: Final = 255  # Home Assistant rejects longer states


class ValueNotFound(ValueError):
    """The frame does not contain the value (no match, not JSON, no such key)."""


@dataclass(frozen=True, slots=True)
class JsonPath:
    """A parsed `value_json` path: keys (str) and list indices (int)."""

    text: str
    parts: tuple[str | int, ...]

    @classmethod
    def parse(cls, text: str) -> JsonPath:
        """Raises ValueError for an empty or malformed path (`a..b`, `a[x]`, `a[0`)."""
        parts: list[str | int] = []
        position = 0
        expect_key = True
        while position < len(text):
            if text[position] == "." and not expect_key and position + 1 < len(text):
                position += 1
                expect_key = True
                continue
            match = _TOKEN_RE.match(text, position)
            if match is None or (match[2] is not None and not expect_key):
                raise ValueError(f"invalid JSON path at character {position + 1}")
            parts.append(int(match[1]) if match[1] is not None else match[2])
            position = match.end()
            expect_key = False
        if not parts or expect_key:
            raise ValueError("invalid JSON path")
        return cls(text, tuple(parts))

    def find(self, document: Any) -> Any:
        """The value at this path; raises ValueNotFound."""
        current = document
        for part in self.parts:
            if isinstance(current, dict):
                key = str(part)
                if key not in current:
                    raise ValueNotFound(f"no key {key!r}")
                current = current[key]
            elif isinstance(current, list):
                index = _index(part)
                if not -len(current) <= index < len(current):
                    raise ValueNotFound(f"no index {index}")
                current = current[index]
            else:
                raise ValueNotFound(f"cannot look up {part!r} in a {type(current).__name__}")
        return current


def _index(part: str | int) -> int:
    if isinstance(part, int):
        return part
    if re.fullmatch(r"-?\d+", part):
        return int(part)
    raise ValueNotFound(f"{part!r} is not a list index")


@dataclass(frozen=True, slots=True)
class ValueExtractor:
    """Extracts the value from a frame's text, as the config says."""

    regex: re.Pattern[str] | None = None
    json_path: JsonPath | None = None

    @classmethod
    def build(cls, value_regex: str | None, value_json: str | None) -> ValueExtractor:
        """Raises ValueError (re.error is one) for an invalid pattern or path."""
        return cls(
            re.compile(value_regex) if value_regex is not None else None,
            JsonPath.parse(value_json) if value_json is not None else None,
        )

    def extract(self, text: str) -> Any:
        """str for regex and raw frames; any JSON value for `value_json`."""
        if self.regex is not None:
            match = self.regex.search(text)
            if match is None:
                raise ValueNotFound("no match")
            found = match.group(1) if self.regex.groups else match.group(0)
            if found is None:
                raise ValueNotFound("the group did not take part in the match")
            return found
        if self.json_path is not None:
            try:
                document = json.loads(text)
            except (ValueError, RecursionError):  # `[[[[...` nested too deep is not JSON for us
                raise ValueNotFound("not JSON") from None
            return self.json_path.find(document)
        return text.strip()


def to_number(value: Any) -> int | float | None:
    """An int or finite float from a number or numeric text; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def to_state_value(raw: Any, *, numeric: bool, as_float: bool) -> int | float | str:
    """A sensor reading from an extracted value; raises ValueNotFound when unusable.

    Numbers (and numeric text) are kept as numbers (as float when `as_float`, for a sensor
    with a precision); other text is kept as text unless the sensor is `numeric`. Anything
    else (true/false, null, objects, lists, empty or over-long text) is unusable.
    """
    if isinstance(raw, str) and len(raw) > MAX_STATE_LENGTH:
        raise ValueNotFound(f"longer than {MAX_STATE_LENGTH} characters")
    number = to_number(raw)
    if number is not None:
        return float(number) if as_float else number
    if numeric:
        raise ValueNotFound("not a number")
    if not isinstance(raw, str) or not raw:
        raise ValueNotFound(f"not a usable value ({type(raw).__name__})")
    return raw
