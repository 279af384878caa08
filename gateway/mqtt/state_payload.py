"""What an entity's state looks like on its topics. Pure: a `State` in, payload bytes out.

`<e>/state`: switch and binary_sensor `ON`/`OFF`, sensor the value, light JSON
`{"state": "ON", "brightness": 0-255}`, button none. An unknown state is `None` (Home
Assistant's "no value" payload). `<e>/attributes`: JSON of the attributes.
`<e>/availability`: `online`, or `offline` while the state is `unavailable`.
"""

from __future__ import annotations

import json
from typing import Any

from ..const import STATE_ON, STATE_UNAVAILABLE, STATE_UNKNOWN
from ..core import State

__all__ = [
    "PAYLOAD_NONE",
    "attributes_payload",
    "availability_payload",
    "state_payload",
]

PAYLOAD_NONE = b"None"
ONLINE = b"online"
OFFLINE = b"offline"
_NO_STATE_TOPIC = frozenset({"button"})


def _dumps(value: Any) -> bytes:
    # `default=str` turns datetimes and other odd attribute values into text, never an error.
    return json.dumps(value, separators=(",", ":"), default=str, ensure_ascii=False).encode()


def availability_payload(state: State) -> bytes:
    return OFFLINE if state.state == STATE_UNAVAILABLE else ONLINE


def attributes_payload(state: State) -> bytes:
    return _dumps(dict(state.attributes))


def state_payload(state: State) -> bytes | None:
    """The `<e>/state` payload, or None when nothing is to be written there."""
    domain = state.domain
    if domain in _NO_STATE_TOPIC or state.state == STATE_UNAVAILABLE:
        return None
    if domain == "light":
        return _light_payload(state)
    if state.state == STATE_UNKNOWN:
        return PAYLOAD_NONE
    return state.state.encode()


def _light_payload(state: State) -> bytes:
    if state.state == STATE_UNKNOWN:
        return _dumps({"state": None})
    body: dict[str, Any] = {"state": state.state}
    brightness = state.attributes.get("brightness")
    if state.state == STATE_ON and brightness is not None:
        body["brightness"] = brightness
    return _dumps(body)
