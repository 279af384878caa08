"""`sensor` platform `serial`: a value taken from each frame a serial port receives.

```yaml
serial:
  - {id: arduino, port: /dev/ttyUSB0, baudrate: 9600}
sensor:
  - {platform: serial, name: Thermometer, serial_id: arduino,
     value_regex: 'T=([-0-9.]+)', unit_of_measurement: "°C", precision: 1}
  - {platform: serial, name: Humidity, serial_id: arduino, value_json: env.humidity}
  - {platform: serial, name: Last line, serial_id: arduino}       # the raw frame
```
Push-driven: the port's single reader hands every frame to every sensor on that port. A frame
the sensor cannot use (no match, not JSON, not a number for a numeric sensor) is ignored with a
debug log. The sensor is unavailable while the device is unplugged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import voluptuous as vol

from gateway.config.cv import (
    SENSOR_FIELDS,
    VALUE_FIELDS,
    StateClass,
    at_most_one_extractor,
    platform_schema,
    slug,
)
from gateway.config.model import EntityConfig
from gateway.core import Gateway, callback
from gateway.domains.sensor import SensorEntity, SensorValue
from gateway.entity_platform import AsyncAddEntitiesCallback
from gateway.filters import FilterSpec
from gateway.util.extract import ValueExtractor, ValueNotFound, to_state_value
from hardware.serial_port import SerialPortManager

from . import async_get_manager

__all__ = ["PLATFORM_SCHEMA", "SerialSensor", "SerialSensorConfig", "async_setup_platform"]

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class SerialSensorConfig(EntityConfig):
    serial_id: str
    value_regex: str | None = None
    value_json: str | None = None
    unit_of_measurement: str | None = None
    device_class: str | None = None
    state_class: StateClass | None = None
    precision: int | None = None
    filters: tuple[FilterSpec, ...] = ()


PLATFORM_SCHEMA = platform_schema(
    SerialSensorConfig,
    {
        vol.Required("serial_id"): slug,
        **VALUE_FIELDS,
        **SENSOR_FIELDS,
    },
    at_most_one_extractor,
)


class SerialSensor(SensorEntity):
    """Updates on every usable frame of its port; never polled."""

    _attr_should_poll = False

    def __init__(self, config: SerialSensorConfig, manager: SerialPortManager) -> None:
        self.set_identity("sensor", config)
        self._manager = manager
        self._extractor = ValueExtractor.build(config.value_regex, config.value_json)
        self._attr_unit_of_measurement = config.unit_of_measurement
        self._attr_device_class = config.device_class
        self._attr_state_class = config.state_class
        self._attr_precision = config.precision
        self._numeric = any(
            option is not None
            for option in (config.unit_of_measurement, config.state_class, config.precision)
        )
        self._attr_available = manager.available

    async def async_added(self) -> None:
        self.async_on_remove(self._manager.async_add_frame_listener(self._async_frame))
        self.async_on_remove(
            self._manager.async_add_availability_listener(self._async_availability)
        )
        self._async_availability(self._manager.available)

    @callback
    def _async_availability(self, available: bool) -> None:
        if available != self._attr_available:
            self._attr_available = available
            self.async_write_state()

    @callback
    def _async_frame(self, frame: bytes) -> None:
        text = self._manager.decode(frame)
        try:
            value = self._value(self._extractor.extract(text))
        except ValueNotFound as exc:
            _LOGGER.debug("%s: ignoring frame %r: %s", self.entity_id, text[:80], exc)
            return
        self._attr_native_value = value
        self.async_write_state()

    def _value(self, raw: Any) -> SensorValue:
        """The reading for a raw extracted value; raises ValueNotFound when unusable."""
        return to_state_value(raw, numeric=self._numeric, as_float=self._attr_precision is not None)


async def async_setup_platform(
    gw: Gateway,
    config: SerialSensorConfig,
    async_add_entities: AsyncAddEntitiesCallback,
    discovery_info: Any = None,
) -> None:
    """Raises GatewayError when the `serial` component has no port `serial_id`."""
    manager = async_get_manager(gw, config.serial_id)
    await async_add_entities([SerialSensor(config, manager)])
