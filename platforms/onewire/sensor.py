"""`sensor` platform `onewire`: a DS18B20 temperature sensor.

```yaml
sensor:
  - {platform: onewire, name: Boiler, sensor_id: 28-0316a2795eff, scan_interval: 30}
```
Wiring: data to GPIO4 with a 4.7 kΩ pull-up to 3.3 V, `dtoverlay=w1-gpio` in
`/boot/firmware/config.txt`. Reads (~750 ms each) run in the executor every `scan_interval`
seconds; a CRC failure, a missing sensor or a garbled reading makes the entity unavailable
until a later read succeeds. `sys_root` (default `/sys`) points elsewhere for tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import voluptuous as vol

from gateway.config.cv import (
    FILTER_FIELDS,
    int_range,
    non_empty_string,
    platform_schema,
    positive_time_period,
)
from gateway.config.model import EntityConfig
from gateway.core import Gateway
from gateway.domains.sensor import SensorEntity
from gateway.entity_platform import AsyncAddEntitiesCallback
from gateway.filters import FilterSpec
from hardware.onewire import OneWireError, OneWireReader, is_sensor_id

DOMAIN = "sensor"


def sensor_id(value: Any) -> str:
    text = non_empty_string(value).strip().lower()
    if not is_sensor_id(text):
        raise vol.Invalid("expected a 1-wire id like 28-0316a2795eff")
    return text


@dataclass(frozen=True, slots=True, kw_only=True)
class OneWireSensorConfig(EntityConfig):
    sensor_id: str
    scan_interval: float = 30.0
    precision: int = 1
    sys_root: str = "/sys"
    filters: tuple[FilterSpec, ...] = ()


PLATFORM_SCHEMA = platform_schema(
    OneWireSensorConfig,
    {
        vol.Required("sensor_id"): sensor_id,
        vol.Optional("scan_interval"): positive_time_period,
        vol.Optional("precision"): int_range(0, 3),
        vol.Optional("sys_root"): non_empty_string,
        **FILTER_FIELDS,
    },
)


class OneWireSensor(SensorEntity):
    """Polled in the executor; unavailable while reads fail."""

    _attr_unit_of_measurement = "°C"
    _attr_device_class = "temperature"
    _attr_state_class = "measurement"

    def __init__(self, config: OneWireSensorConfig) -> None:
        self.set_identity(DOMAIN, config)
        self._reader = OneWireReader(config.sensor_id, Path(config.sys_root))
        self._attr_scan_interval = config.scan_interval
        self._attr_precision = config.precision
        self._attr_extra_state_attributes = {"sensor_id": config.sensor_id}

    def update(self) -> None:
        """Blocking read (executor)."""
        self.apply_reading(self._reader.read, OneWireError)


async def async_setup_platform(
    gw: Gateway,
    config: OneWireSensorConfig,
    async_add_entities: AsyncAddEntitiesCallback,
    discovery_info: Any = None,
) -> None:
    """Adds the entity after a first read in the executor (unavailable if it fails)."""
    await async_add_entities([OneWireSensor(config)], True)
