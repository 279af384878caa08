"""What the `iio` and `hwmon` sensors share: a sysfs reader polled in the executor, the shared
sensor fields, and unavailability (logged once) while the device or its file is missing."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any, Final, Protocol

import voluptuous as vol

from gateway.config.cv import SENSOR_FIELDS, non_empty_string, positive_time_period
from gateway.domains.sensor import SensorEntity
from hardware.sysfs_sensors import SysfsSensorError, SysfsUnit

__all__ = ["SYSFS_FIELDS", "SysfsReader", "SysfsSensor", "SysfsSensorConfig"]


SYSFS_FIELDS: Final[Mapping[Hashable, Any]] = {
    vol.Optional("scan_interval"): positive_time_period,
    vol.Optional("sys_root"): non_empty_string,
    **SENSOR_FIELDS,
}


class SysfsReader(Protocol):
    @property
    def unit(self) -> SysfsUnit: ...

    def read(self) -> float: ...


class SysfsSensorConfig(Protocol):
    """The fields both platforms' configs have."""

    @property
    def scan_interval(self) -> float: ...
    @property
    def unit_of_measurement(self) -> str | None: ...
    @property
    def device_class(self) -> str | None: ...
    @property
    def state_class(self) -> str | None: ...
    @property
    def precision(self) -> int | None: ...


class SysfsSensor(SensorEntity):
    """Polled in the executor; unavailable (one WARNING) until a read succeeds again."""

    def __init__(self, config: SysfsSensorConfig, reader: SysfsReader) -> None:
        self._reader = reader
        unit = reader.unit
        self._attr_scan_interval = config.scan_interval
        self._attr_unit_of_measurement = config.unit_of_measurement or unit.unit
        self._attr_device_class = config.device_class or unit.device_class
        self._attr_state_class = config.state_class or "measurement"
        self._attr_precision = 2 if config.precision is None else config.precision

    def update(self) -> None:
        """Blocking read (executor)."""
        self.apply_reading(self._reader.read, SysfsSensorError)
