"""Config fields of the input behaviours: `delayed_on`, `delayed_off` and `clicks`.

A binary sensor platform adds `BINARY_SENSOR_BEHAVIOUR_FIELDS` to its schema and the matching
fields to its config class (`delayed_on: float = 0.0`, `delayed_off: float = 0.0`,
`clicks: ClickConfig | None = None`); `BinarySensorEntity` does the rest.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any, Final

import voluptuous as vol

from gateway.config import cv
from gateway.input_patterns import CLICK_TYPES, ClickConfig

__all__ = ["BINARY_SENSOR_BEHAVIOUR_FIELDS", "clicks"]

_CLICKS = vol.Schema(
    {
        vol.Optional("single"): cv.boolean,
        vol.Optional("double"): cv.boolean,
        vol.Optional("long"): cv.boolean,
        vol.Optional("double_gap"): cv.positive_time_period,
        vol.Optional("long_min"): cv.positive_time_period,
    }
)


def clicks(value: Any) -> ClickConfig:
    """`true` (every pattern, default timings) or a mapping; patterns left out are on."""
    if value is True or (isinstance(value, str) and value.strip().lower() == "true"):
        return ClickConfig()
    if not isinstance(value, dict):
        raise vol.Invalid(
            "expected true or a mapping of single, double, long, double_gap, long_min"
        )
    config = ClickConfig(**_CLICKS(value))
    if not any(getattr(config, kind) for kind in CLICK_TYPES):
        raise vol.Invalid("at least one of single, double, long must be true")
    return config


BINARY_SENSOR_BEHAVIOUR_FIELDS: Final[Mapping[Hashable, Any]] = {
    vol.Optional("delayed_on"): cv.time_period,
    vol.Optional("delayed_off"): cv.time_period,
    vol.Optional("clicks"): clicks,
}
