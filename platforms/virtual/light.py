"""`light` platform `virtual`: an in-memory dimmable light.

```yaml
light:
  - {platform: virtual, name: Desk lamp}
```
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gateway.config.cv import platform_schema
from gateway.config.model import EntityConfig
from gateway.core import Gateway
from gateway.domains.light import LightEntity
from gateway.entity_platform import AsyncAddEntitiesCallback


@dataclass(frozen=True, slots=True, kw_only=True)
class VirtualLightConfig(EntityConfig):
    pass


PLATFORM_SCHEMA = platform_schema(VirtualLightConfig, {})


class VirtualLight(LightEntity):
    def __init__(self, config: VirtualLightConfig) -> None:
        self.set_identity("light", config)
        self._attr_is_on = False
        self._attr_brightness = 255

    async def async_turn_on(self, **kwargs: Any) -> None:
        self._attr_is_on = True
        if (brightness := kwargs.get("brightness")) is not None:
            self._attr_brightness = brightness

    async def async_turn_off(self, **kwargs: Any) -> None:
        self._attr_is_on = False


async def async_setup_platform(
    gw: Gateway,
    config: VirtualLightConfig,
    async_add_entities: AsyncAddEntitiesCallback,
    discovery_info: Any = None,
) -> None:
    await async_add_entities([VirtualLight(config)])
