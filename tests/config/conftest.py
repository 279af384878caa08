"""A tiny platform registry, and a fixed host, for the configuration tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import voluptuous as vol

from gateway.config import EntityConfig, HostInfo, ResolveSchema, cv, platform_schema


@dataclass(frozen=True, slots=True, kw_only=True)
class VirtualConfig(EntityConfig):
    initial: str = "off"
    unit_of_measurement: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class GpioConfig(EntityConfig):
    pin: int | str
    active_high: bool = True
    bounce_time: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class SerialSensorConfig(EntityConfig):
    serial_id: str
    value_regex: str | None = None
    value_json: str | None = None


VIRTUAL = platform_schema(
    VirtualConfig,
    {
        vol.Optional("initial"): cv.one_of("off", "on", "restore"),
        vol.Optional("unit_of_measurement"): cv.string,
    },
)
GPIO = platform_schema(
    GpioConfig,
    {
        vol.Required("pin"): cv.gpio_pin,
        vol.Optional("active_high"): cv.boolean,
        vol.Optional("bounce_time"): cv.time_period,
    },
)
SERIAL = platform_schema(
    SerialSensorConfig,
    {
        vol.Required("serial_id"): cv.slug,
        vol.Optional("value_regex"): cv.non_empty_string,
        vol.Optional("value_json"): cv.non_empty_string,
    },
    cv.exactly_one_of("value_regex", "value_json"),
)

PLATFORMS: dict[tuple[str, str], Callable[[Any], EntityConfig]] = {
    **{(domain, "virtual"): VIRTUAL for domain in ("switch", "binary_sensor", "sensor", "light")},
    ("button", "virtual"): VIRTUAL,
    ("switch", "gpio"): GPIO,
    ("binary_sensor", "gpio"): GPIO,
    ("sensor", "serial"): SERIAL,
}


def resolve(domain: str, platform: str) -> Callable[[Any], EntityConfig]:
    """What the platform loader does: a schema, or LookupError with a message."""
    try:
        return PLATFORMS[domain, platform]
    except KeyError:
        raise LookupError(f"unknown platform {platform!r} for {domain}") from None


@pytest.fixture
def resolve_schema() -> ResolveSchema:
    return resolve


@pytest.fixture
def host() -> HostInfo:
    return HostInfo("Garage-Pi.local", False, Path("/home/pi"), {"BOARDGATE_TOKEN": "s3cret"})
