"""What a sensor part measures: one `Quantity` per entity it makes, and the driver seam."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from .errors import OutOfRange

__all__ = ["Quantity", "SensorDriver", "check_range"]


@dataclass(frozen=True, slots=True)
class Quantity:
    """A reading's key, unit and Home Assistant device class (entities: one per quantity)."""

    key: str
    unit: str
    device_class: str | None
    precision: int


TEMPERATURE = Quantity("temperature", "°C", "temperature", 1)
HUMIDITY = Quantity("humidity", "%", "humidity", 1)
PRESSURE = Quantity("pressure", "hPa", "pressure", 1)
ILLUMINANCE = Quantity("illuminance", "lx", "illuminance", 1)
VOLTAGE = Quantity("voltage", "V", "voltage", 4)
CURRENT = Quantity("current", "A", "current", 4)
POWER = Quantity("power", "W", "power", 3)


class SensorDriver(Protocol):
    """A part on a bus. `read` blocks (run it in the executor) and raises an `I2CError`."""

    @property
    def quantities(self) -> tuple[Quantity, ...]: ...

    def read(self) -> dict[str, float]:
        """Every quantity the part measures, keyed by `Quantity.key`."""
        ...


def check_range(what: str, value: float, low: float, high: float) -> float:
    """`value`, or OutOfRange when it is outside the part's physical range [low, high]."""
    if not low <= value <= high:
        raise OutOfRange(f"{what} {value:g} outside the part's range {low:g} to {high:g}")
    return value
