"""The sensor models `platform: i2c` knows: how to make each driver, and what it measures."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from .ads1x15 import Ads1x15
from .bh1750 import Bh1750
from .bme280 import Bme280
from .bus import BusHandle
from .ina219 import Ina219
from .quantities import (
    CURRENT,
    HUMIDITY,
    ILLUMINANCE,
    POWER,
    PRESSURE,
    TEMPERATURE,
    VOLTAGE,
    Quantity,
    SensorDriver,
)
from .sht4x import Sht4x

__all__ = ["SENSOR_MODELS", "DriverOptions", "SensorModel", "make_driver"]


@dataclass(frozen=True, slots=True)
class DriverOptions:
    """The per-model settings of a sensor entry (each model uses its own)."""

    channel: int = 0
    gain: float = 4.096
    shunt_ohms: float = 0.1


@dataclass(frozen=True, slots=True)
class SensorModel:
    quantities: tuple[Quantity, ...]
    make: Callable[[BusHandle, int, DriverOptions], SensorDriver]


SENSOR_MODELS: Final[dict[str, SensorModel]] = {
    "bme280": SensorModel(
        (TEMPERATURE, HUMIDITY, PRESSURE), lambda handle, address, _: Bme280(handle, address)
    ),
    "bmp280": SensorModel(
        (TEMPERATURE, PRESSURE), lambda handle, address, _: Bme280(handle, address)
    ),
    "bh1750": SensorModel((ILLUMINANCE,), lambda handle, address, _: Bh1750(handle, address)),
    "sht4x": SensorModel(
        (TEMPERATURE, HUMIDITY), lambda handle, address, _: Sht4x(handle, address)
    ),
    "ads1115": SensorModel(
        (VOLTAGE,),
        lambda handle, address, o: Ads1x15(
            handle, address, model="ads1115", channel=o.channel, gain=o.gain
        ),
    ),
    "ads1015": SensorModel(
        (VOLTAGE,),
        lambda handle, address, o: Ads1x15(
            handle, address, model="ads1015", channel=o.channel, gain=o.gain
        ),
    ),
    "ina219": SensorModel(
        (VOLTAGE, CURRENT, POWER),
        lambda handle, address, o: Ina219(handle, address, shunt_ohms=o.shunt_ohms),
    ),
}


def make_driver(
    model: str, handle: BusHandle, address: int, options: DriverOptions
) -> SensorDriver:
    return SENSOR_MODELS[model].make(handle, address, options)
