"""`sensor` platform `iio`: a channel of a Linux IIO device (any part with a kernel driver).

```yaml
sensor:
  - {platform: iio, device: bme280, channel: temp, name: Attic T}    # matched on the name file
  - {platform: iio, device: /sys/bus/iio/devices/iio:device0, channel: humidityrelative,
     name: RH, scan_interval: 30}
  - {platform: iio, device: dht11, channel: temp, name: Porch}  # dtoverlay=dht11,gpiopin=4
```
Reads `in_<channel>_input`, else (raw + offset) * scale; kernel units become ours (milli-°C
→ °C, milli-%RH → %, kPa → hPa, mV → V). `sys_root` (default `/sys`) points at a fake tree
in tests.
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
from hardware.sysfs_sensors import IioChannel

from .entity import SYSFS_FIELDS, SysfsSensor

DOMAIN = "sensor"


@dataclass(frozen=True, slots=True, kw_only=True)
class IioSensorConfig(EntityConfig):
    device: str
    channel: str
    scan_interval: float = 60.0
    sys_root: str = "/sys"
    unit_of_measurement: str | None = None
    device_class: str | None = None
    state_class: StateClass | None = None
    precision: int | None = None
    filters: tuple[FilterSpec, ...] = ()


PLATFORM_SCHEMA = platform_schema(
    IioSensorConfig,
    {
        vol.Required("device"): non_empty_string,
        vol.Required("channel"): non_empty_string,
        **SYSFS_FIELDS,
    },
)


class IioSensor(SysfsSensor):
    def __init__(self, config: IioSensorConfig) -> None:
        self.set_identity(DOMAIN, config)
        super().__init__(config, IioChannel(config.device, config.channel, Path(config.sys_root)))
        self._attr_extra_state_attributes = {"device": config.device, "channel": config.channel}


async def async_setup_platform(
    gw: Gateway,
    config: IioSensorConfig,
    async_add_entities: AsyncAddEntitiesCallback,
    discovery_info: Any = None,
) -> None:
    """Adds the entity after a first read in the executor (unavailable if it fails)."""
    await async_add_entities([IioSensor(config)], True)
