"""`sensor` platform `system`: CPU temperature, load, memory and disk use, polled.

```yaml
sensor:
  - {platform: system, type: cpu_temperature, name: CPU}
  - {platform: system, type: disk, name: SD card, path: /, scan_interval: 300}
```
Reads run in the executor (sysfs and procfs reads can block) on `scan_interval` (default 60 s).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import voluptuous as vol

from gateway.config.cv import FILTER_FIELDS, choice, platform_schema, positive_float
from gateway.config.model import EntityConfig
from gateway.core import Gateway
from gateway.domains.sensor import SensorEntity
from gateway.entity_platform import AddEntitiesCallback
from gateway.filters import FilterSpec
from hardware.system import SystemReader, SystemReading

_LOGGER = logging.getLogger(__name__)

SystemType = Literal["cpu_temperature", "load", "memory", "disk"]
SYSTEM_TYPES: Final[tuple[SystemType, ...]] = ("cpu_temperature", "disk", "load", "memory")
TYPES: Final[dict[SystemType, tuple[str | None, str | None]]] = {
    # type: (unit, device_class)
    "cpu_temperature": ("°C", "temperature"),
    "load": (None, None),
    "memory": ("%", None),
    "disk": ("%", None),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class SystemSensorConfig(EntityConfig):
    type: SystemType
    path: str = "/"
    scan_interval: float = 60.0
    sys_root: str = "/sys"
    proc_root: str = "/proc"
    filters: tuple[FilterSpec, ...] = ()


PLATFORM_SCHEMA = platform_schema(
    SystemSensorConfig,
    {
        vol.Required("type"): choice(SYSTEM_TYPES),
        vol.Optional("path", default="/"): str,
        vol.Optional("scan_interval", default=60.0): positive_float,
        vol.Optional("sys_root", default="/sys"): str,
        vol.Optional("proc_root", default="/proc"): str,
        **FILTER_FIELDS,
    },
)


class SystemSensor(SensorEntity):
    """Polls one system value in the executor."""

    _attr_state_class = "measurement"

    def __init__(self, config: SystemSensorConfig) -> None:
        self.set_identity("sensor", config)
        self._type = config.type
        self._path = Path(config.path)
        self._reader = SystemReader(Path(config.sys_root), Path(config.proc_root))
        self._attr_scan_interval = config.scan_interval
        self._attr_unit_of_measurement, self._attr_device_class = TYPES[config.type]
        self._attr_precision = 1 if config.type == "cpu_temperature" else 2

    def update(self) -> None:
        """Blocking read (executor)."""
        try:
            reading = self._read()
        except (OSError, ValueError, KeyError, ZeroDivisionError) as exc:
            if self._attr_available:
                _LOGGER.warning("%s: cannot read %s: %s", self.entity_id, self._type, exc)
            self._attr_available = False
            return
        self._attr_available = True
        self._attr_native_value = reading.value
        self._attr_extra_state_attributes = reading.attributes

    def _read(self) -> SystemReading:
        if self._type == "disk":
            return self._reader.disk(self._path)
        reading: SystemReading = getattr(self._reader, self._type)()
        return reading


def setup_platform(
    gw: Gateway,
    config: SystemSensorConfig,
    add_entities: AddEntitiesCallback,
    discovery_info: Any = None,
) -> None:
    """Runs in the executor; the first reading is taken before the entity is added."""
    add_entities([SystemSensor(config)], True)
