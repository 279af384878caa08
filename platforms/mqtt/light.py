"""`light` platform `mqtt`: a remote dimmable light with JSON state and commands, the way
zigbee2mqtt speaks.

```yaml
light:
  - {platform: mqtt, name: Lamp, state_topic: zigbee2mqtt/lamp,
     command_topic: zigbee2mqtt/lamp/set, brightness_scale: 254}
```
The device reports `{"state": "ON", "brightness": 120}` (either key alone is fine; other keys
are ignored); commands are `{"state": "ON", "brightness": N}` with N on the device's
`brightness_scale` (default 255), plus `"transition"` when the command has one, and
`{"state": "OFF"}`. A report whose `state` is not ON/OFF or whose brightness is out of range
is ignored as a whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import voluptuous as vol

from gateway import mqtt
from gateway.config.cv import int_range, platform_schema
from gateway.core import Gateway
from gateway.domains.light import LightEntity
from gateway.entity_platform import AsyncAddEntitiesCallback

from .device_payloads import FULL_BRIGHTNESS, light_command, parse_light_report
from .entity import MqttEntity, async_require_mqtt
from .schema import (
    COMMAND_FIELDS,
    ENTITY_FIELDS,
    MqttCommandConfig,
    needs_state_topic,
    optimistic_needs_state_topic,
)

__all__ = ["PLATFORM_SCHEMA", "MqttLight", "MqttLightConfig", "async_setup_platform"]

DOMAIN = "light"


@dataclass(frozen=True, slots=True, kw_only=True)
class MqttLightConfig(MqttCommandConfig):
    brightness_scale: int = FULL_BRIGHTNESS


PLATFORM_SCHEMA = platform_schema(
    MqttLightConfig,
    {
        **COMMAND_FIELDS,
        **ENTITY_FIELDS,
        vol.Optional("brightness_scale"): int_range(1, 65535),
    },
    optimistic_needs_state_topic,
    needs_state_topic("expire_after"),
)


class MqttLight(MqttEntity, LightEntity):
    """Publishes JSON commands; its state is what the device reports (or, optimistic, the
    last command). Brightness is 0-255 here whatever the device's scale."""

    def __init__(self, config: MqttLightConfig) -> None:
        self._setup_mqtt(DOMAIN, config)
        self._config = config
        self._optimistic = config.is_optimistic

    @property
    def optimistic(self) -> bool:
        return self._optimistic

    def _async_apply(self, payload: bytes) -> None:
        report = parse_light_report(payload, self._config.brightness_scale)
        if report.is_on is not None:
            self._attr_is_on = report.is_on
        if report.brightness is not None:
            self._attr_brightness = report.brightness

    async def async_turn_on(self, **kwargs: Any) -> None:
        brightness: int | None = kwargs.get("brightness")
        if brightness == 0:
            await self.async_turn_off(**kwargs)
            return
        self._async_publish(True, brightness, kwargs.get("transition"))
        if self._optimistic:
            self._attr_is_on = True
            if brightness is not None:
                self._attr_brightness = brightness

    async def async_turn_off(self, **kwargs: Any) -> None:
        self._async_publish(False, None, kwargs.get("transition"))
        if self._optimistic:
            self._attr_is_on = False

    def _async_publish(self, turn_on: bool, brightness: int | None, transition: Any) -> None:
        config = self._config
        command = light_command(turn_on, brightness, transition, config.brightness_scale)
        mqtt.async_publish(
            self._require_gw(), config.command_topic, command, config.qos, config.retain
        )


async def async_setup_platform(
    gw: Gateway,
    config: MqttLightConfig,
    async_add_entities: AsyncAddEntitiesCallback,
    discovery_info: Any = None,
) -> None:
    """Raises GatewayError when MQTT is not set up."""
    async_require_mqtt(gw)
    await async_add_entities([MqttLight(config)])
