"""`sensor` platform `virtual`: a value fixed by the config.

```yaml
sensor:
  - {platform: virtual, name: Setpoint, value: 21.5, unit_of_measurement: "°C"}
```
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import voluptuous as vol

from gateway.config.cv import STATE_CLASSES, StateClass, choice, platform_schema
from gateway.config.model import EntityConfig
from gateway.core import Gateway
from gateway.domains.sensor import SensorEntity
from gateway.entity_platform import AsyncAddEntitiesCallback


@dataclass(frozen=True, slots=True, kw_only=True)
class VirtualSensorConfig(EntityConfig):
    value: float | int | str | None = None
    unit_of_measurement: str | None = None
    device_class: str | None = None
    state_class: StateClass | None = None


PLATFORM_SCHEMA = platform_schema(
    VirtualSensorConfig,
    {
        vol.Optional("value"): vol.Any(int, float, str),
        vol.Optional("unit_of_measurement"): str,
        vol.Optional("device_class"): str,
        vol.Optional("state_class"): choice(STATE_CLASSES),
    },
)


class VirtualSensor(SensorEntity):
    _attr_should_poll = False

    def __init__(self, config: VirtualSensorConfig) -> None:
        self.set_identity("sensor", config)
        self._attr_native_value = config.value
        self._attr_unit_of_measurement = config.unit_of_measurement
        self._attr_device_class = config.device_class
        self._attr_state_class = config.state_class


async def async_setup_platform(
    gw: Gateway,
    config: VirtualSensorConfig,
    async_add_entities: AsyncAddEntitiesCallback,
    discovery_info: Any = None,
) -> None:
    await async_add_entities([VirtualSensor(config)])
