"""`binary_sensor` platform `virtual`: an on/off value fixed by the config.

```yaml
binary_sensor:
  - {platform: virtual, name: Always open, initial: "on", device_class: door}
```
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import voluptuous as vol

from gateway.config.cv import ON_OFF, OnOff, choice, platform_schema
from gateway.config.model import EntityConfig
from gateway.core import Gateway
from gateway.domains.binary_sensor import BinarySensorEntity
from gateway.entity_platform import AsyncAddEntitiesCallback


@dataclass(frozen=True, slots=True, kw_only=True)
class VirtualBinarySensorConfig(EntityConfig):
    initial: OnOff = "off"
    device_class: str | None = None


PLATFORM_SCHEMA = platform_schema(
    VirtualBinarySensorConfig,
    {
        vol.Optional("initial", default="off"): choice(ON_OFF),
        vol.Optional("device_class"): str,
    },
)


class VirtualBinarySensor(BinarySensorEntity):
    def __init__(self, config: VirtualBinarySensorConfig) -> None:
        self.set_identity("binary_sensor", config)
        self._attr_is_on = config.initial == "on"
        self._attr_device_class = config.device_class


async def async_setup_platform(
    gw: Gateway,
    config: VirtualBinarySensorConfig,
    async_add_entities: AsyncAddEntitiesCallback,
    discovery_info: Any = None,
) -> None:
    await async_add_entities([VirtualBinarySensor(config)])
