"""`sensor` platform `i2c`: a part on an I²C bus, one entity per quantity it measures.

```yaml
sensor:
  - {platform: i2c, i2c_id: main, model: bme280, address: 0x76, name: Attic, scan_interval: 30}
  - {platform: i2c, i2c_id: main, model: ads1115, address: 0x48, channel: 0, gain: 4.096,
     name: Soil, unit_of_measurement: V}
  - {platform: i2c, i2c_id: main, model: ina219, name: Solar, shunt_ohms: 0.1,
     quantities: [current, power]}
```
`sensor.attic_temperature`, `sensor.attic_humidity`, `sensor.attic_pressure`: each with its
unit, device class and `state_class: measurement` (in discovery too); `quantities` picks a
subset. The part is read once per scan, in the executor, with the entity timeout; a failed
read (unplugged, bad chip id, CRC, out of range, hung) makes its entities unavailable until a
later read succeeds. Models, addresses and wiring: README, "I²C sensors".
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Any, Final

import voluptuous as vol

from gateway.config.cv import (
    SENSOR_FIELDS,
    StateClass,
    choice,
    ensure_list,
    int_range,
    one_of,
    platform_schema,
    positive_float,
    positive_time_period,
    slug,
)
from gateway.config.field_types import declares
from gateway.config.i2c_config import i2c_address
from gateway.config.model import EntityConfig
from gateway.core import Gateway
from gateway.domains.sensor import SensorEntity
from gateway.entity_platform import AsyncAddEntitiesCallback
from gateway.filters import FilterSpec
from hardware.i2c import Quantity
from hardware.i2c.ads1x15 import GAINS
from hardware.i2c.models import SENSOR_MODELS, DriverOptions, make_driver

from . import get_bus
from .part import PartUnavailable, PolledPart

_LOGGER = logging.getLogger(__name__)
DOMAIN = "sensor"
MODELS: Final = tuple(SENSOR_MODELS)
DEFAULT_ADDRESSES: Final = {
    "bme280": 0x76, "bmp280": 0x76, "bh1750": 0x23, "sht4x": 0x44,
    "ads1115": 0x48, "ads1015": 0x48, "ina219": 0x40,
}  # fmt: skip
QUANTITY_NAMES: Final = ("temperature", "humidity", "pressure", "illuminance", "voltage",
                         "current", "power")  # fmt: skip


def _quantities(value: Any) -> tuple[str, ...]:
    names = tuple(one_of(*QUANTITY_NAMES)(item) for item in ensure_list(value))
    if not names:
        raise vol.Invalid("expected at least one quantity")
    return names


@dataclass(frozen=True, slots=True, kw_only=True)
class I2CPartConfig(EntityConfig):
    i2c_id: str
    model: str
    address: int | None = None
    quantities: tuple[str, ...] | None = None
    channel: int = 0
    gain: float = 4.096
    shunt_ohms: float = 0.1
    scan_interval: float = 60.0
    unit_of_measurement: str | None = None
    device_class: str | None = None
    state_class: StateClass | None = None
    precision: int | None = None
    filters: tuple[FilterSpec, ...] = ()


def _check_part(data: dict[str, Any]) -> dict[str, Any]:
    model = data["model"]
    offered = [quantity.key for quantity in SENSOR_MODELS[model].quantities]
    for index, name in enumerate(data.get("quantities") or ()):
        if name not in offered:
            raise vol.Invalid(f"a {model} measures {', '.join(offered)}", ["quantities", index])
    for key, models in (("channel", ("ads1115", "ads1015")), ("gain", ("ads1115", "ads1015")),
                        ("shunt_ohms", ("ina219",))):  # fmt: skip
        if key in data and model not in models:
            raise vol.Invalid(f"only used with {' or '.join(models)}", [key])
    return data


def _gain(value: Any) -> float:
    number = positive_float(value)
    if number not in GAINS:
        raise vol.Invalid(f"expected a full-scale range: {', '.join(f'{g:g}' for g in GAINS)}")
    return number


PLATFORM_SCHEMA = platform_schema(
    I2CPartConfig,
    {
        vol.Required("i2c_id"): slug,
        vol.Required("model"): choice(MODELS, ignore_case=True),
        vol.Optional("address"): i2c_address,
        vol.Optional("quantities"): declares(tuple[str, ...], _quantities),
        vol.Optional("channel"): int_range(0, 3),
        vol.Optional("gain"): _gain,
        vol.Optional("shunt_ohms"): positive_float,
        vol.Optional("scan_interval"): positive_time_period,
        **SENSOR_FIELDS,
    },
    _check_part,
)


class I2CSensor(SensorEntity):
    """One quantity of a part; polled, the part is read once per scan for all of them."""

    _attr_state_class = "measurement"

    def __init__(self, config: I2CPartConfig, part: PolledPart, quantity: Quantity) -> None:
        own = dataclasses.replace(
            config,
            id=f"{config.id}_{quantity.key}",
            name=f"{config.name} {quantity.key.capitalize()}",
        )
        self.set_identity(DOMAIN, own)
        self.entry_entity_id = f"{DOMAIN}.{config.id}"
        self._part = part
        self._key = quantity.key
        self._attr_scan_interval = config.scan_interval
        self._attr_unit_of_measurement = config.unit_of_measurement or quantity.unit
        self._attr_device_class = config.device_class or quantity.device_class
        self._attr_state_class = config.state_class or "measurement"
        self._attr_precision = (
            config.precision if config.precision is not None else (quantity.precision)
        )
        address = config.address or DEFAULT_ADDRESSES[config.model]
        self._attr_extra_state_attributes = {
            "model": config.model,
            "i2c_id": config.i2c_id,
            "address": f"0x{address:02x}",
        }

    @property
    def part(self) -> PolledPart:
        """The part this quantity comes from (shared with the part's other entities)."""
        return self._part

    async def async_update(self) -> None:
        try:
            values = await self._part.async_read()
        except PartUnavailable:
            self._attr_available = False
            return
        value = values.get(self._key)
        if value is None:  # `model: bme280` on a BMP280: no humidity
            if self._attr_available:
                _LOGGER.warning(
                    "%s: %s measures no %s; unavailable", self.entity_id, self._part.label,
                    self._key,
                )  # fmt: skip
            self._attr_available = False
            return
        self._attr_available = True
        self._attr_native_value = value


def make_entities(gw: Gateway, config: I2CPartConfig) -> list[I2CSensor]:
    address = config.address or DEFAULT_ADDRESSES[config.model]
    options = DriverOptions(channel=config.channel, gain=config.gain, shunt_ohms=config.shunt_ohms)
    driver = make_driver(config.model, get_bus(gw, config.i2c_id), address, options)
    label = f"sensor.{config.id} ({config.model} at 0x{address:02X} on {config.i2c_id})"
    part = PolledPart(gw, driver, label, config.scan_interval)
    wanted = config.quantities or tuple(q.key for q in SENSOR_MODELS[config.model].quantities)
    return [
        I2CSensor(config, part, quantity)
        for quantity in SENSOR_MODELS[config.model].quantities
        if quantity.key in wanted
    ]


async def async_setup_platform(
    gw: Gateway,
    config: I2CPartConfig,
    async_add_entities: AsyncAddEntitiesCallback,
    discovery_info: Any = None,
) -> None:
    """Adds the part's entities after a first read (unavailable if it fails)."""
    await async_add_entities(make_entities(gw, config), True)
