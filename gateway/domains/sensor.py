"""The `sensor` domain: readings (temperature, counters, load).

No services of its own and no `<e>/set`; `<e>/state` is the value (`None` while unknown).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..core import Gateway
from ..entity import Entity
from . import async_setup_domain, wire
from .spec import DomainSpec, StateOutput

if TYPE_CHECKING:
    from ..config.model import PlatformEntry

DOMAIN = "sensor"
__all__ = ["DOMAIN", "SPEC", "SensorEntity", "async_setup", "format_value"]

SensorValue = int | float | str | None


def format_value(value: SensorValue, precision: int | None) -> str | None:
    """The state string for a reading, rounded to `precision` decimals when numeric."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and precision is not None:
        return f"{value:.{precision}f}"
    return str(value)


class SensorEntity(Entity):
    """A reading with an optional unit, device class and state class."""

    _attr_native_value: SensorValue = None
    _attr_unit_of_measurement: str | None = None
    _attr_state_class: str | None = None
    _attr_precision: int | None = None

    @property
    def native_value(self) -> SensorValue:
        return self._attr_native_value

    @property
    def unit_of_measurement(self) -> str | None:
        return self._attr_unit_of_measurement

    @property
    def state_class(self) -> str | None:
        return self._attr_state_class

    @property
    def state(self) -> str | None:
        return format_value(self.native_value, self._attr_precision)

    @property
    def state_attributes(self) -> dict[str, Any]:
        attributes: dict[str, Any] = {}
        if self.unit_of_measurement is not None:
            attributes["unit_of_measurement"] = self.unit_of_measurement
        if self.state_class is not None:
            attributes["state_class"] = self.state_class
        return attributes


SPEC = DomainSpec(
    name=DOMAIN,
    services={},
    commands=None,
    state=StateOutput(wire.encode_plain_state),
    discovery=lambda _entity: {},
)


async def async_setup(gw: Gateway, entries: Sequence[PlatformEntry]) -> None:
    await async_setup_domain(gw, SPEC, entries)
