"""`switch` platform `virtual`: an in-memory on/off flag.

```yaml
switch:
  - {platform: virtual, name: Holiday mode, initial: "off"}
```
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import voluptuous as vol

from gateway.config.cv import ON_OFF, OnOff, choice, platform_schema
from gateway.config.model import EntityConfig
from gateway.core import Gateway
from gateway.domains.switch import SwitchEntity
from gateway.entity_platform import AsyncAddEntitiesCallback


@dataclass(frozen=True, slots=True, kw_only=True)
class VirtualSwitchConfig(EntityConfig):
    initial: OnOff = "off"


PLATFORM_SCHEMA = platform_schema(
    VirtualSwitchConfig, {vol.Optional("initial", default="off"): choice(ON_OFF)}
)


class VirtualSwitch(SwitchEntity):
    """Remembers the last command; never touches hardware, so it runs in the loop."""

    def __init__(self, config: VirtualSwitchConfig) -> None:
        self.set_identity("switch", config)
        self._attr_is_on = config.initial == "on"

    async def async_turn_on(self, **kwargs: Any) -> None:
        self._attr_is_on = True

    async def async_turn_off(self, **kwargs: Any) -> None:
        self._attr_is_on = False


async def async_setup_platform(
    gw: Gateway,
    config: VirtualSwitchConfig,
    async_add_entities: AsyncAddEntitiesCallback,
    discovery_info: Any = None,
) -> None:
    await async_add_entities([VirtualSwitch(config)])
