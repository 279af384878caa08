"""`sensor` platform `hwmon`: one input of a hardware monitoring chip.

```yaml
sensor:
  - {platform: hwmon, chip: cpu_thermal, sensor: temp1, name: SoC}
  - {platform: hwmon, chip: /sys/class/hwmon/hwmon2, sensor: fan1, name: Case fan}
```
Reads `<sensor>_input` (milli-units: temp1 in milli-°C, in0 in mV; fans in RPM), found by the
chip's `name` file or its path. `sys_root` (default `/sys`) points at a fake tree in tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import voluptuous as vol

from gateway.config.cv import StateClass, non_empty_string, platform_schema
from gateway.config.model import EntityConfig
from gateway.core import Gateway
from gateway.entity_platform import AsyncAddEntitiesCallback
from gateway.filters import FilterSpec
from hardware.sysfs_sensors import HwmonSensor
from platforms.iio.entity import SYSFS_FIELDS, SysfsSensor

DOMAIN = "sensor"


@dataclass(frozen=True, slots=True, kw_only=True)
class HwmonSensorConfig(EntityConfig):
    chip: str
    sensor: str
    scan_interval: float = 60.0
    sys_root: str = "/sys"
    unit_of_measurement: str | None = None
    device_class: str | None = None
    state_class: StateClass | None = None
    precision: int | None = None
    filters: tuple[FilterSpec, ...] = ()


PLATFORM_SCHEMA = platform_schema(
    HwmonSensorConfig,
    {
        vol.Required("chip"): non_empty_string,
        vol.Required("sensor"): non_empty_string,
        **SYSFS_FIELDS,
    },
)


class HwmonSensorEntity(SysfsSensor):
    def __init__(self, config: HwmonSensorConfig) -> None:
        self.set_identity(DOMAIN, config)
        super().__init__(config, HwmonSensor(config.chip, config.sensor, Path(config.sys_root)))
        self._attr_extra_state_attributes = {"chip": config.chip, "sensor": config.sensor}


async def async_setup_platform(
    gw: Gateway,
    config: HwmonSensorConfig,
    async_add_entities: AsyncAddEntitiesCallback,
    discovery_info: Any = None,
) -> None:
    """Adds the entity after a first read in the executor (unavailable if it fails)."""
    await async_add_entities([HwmonSensorEntity(config)], True)
