"""`button` platform `virtual`: a button whose presses only show in its state.

```yaml
button:
  - {platform: virtual, name: Test button}
```
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gateway.config.cv import platform_schema
from gateway.config.model import EntityConfig
from gateway.core import Gateway
from gateway.domains.button import ButtonEntity
from gateway.entity_platform import AsyncAddEntitiesCallback


@dataclass(frozen=True, slots=True, kw_only=True)
class VirtualButtonConfig(EntityConfig):
    pass


PLATFORM_SCHEMA = platform_schema(VirtualButtonConfig, {})


class VirtualButton(ButtonEntity):
    def __init__(self, config: VirtualButtonConfig) -> None:
        self.set_identity("button", config)
        self.presses = 0

    async def async_press(self) -> None:
        self.presses += 1


async def async_setup_platform(
    gw: Gateway,
    config: VirtualButtonConfig,
    async_add_entities: AsyncAddEntitiesCallback,
    discovery_info: Any = None,
) -> None:
    await async_add_entities([VirtualButton(config)])
