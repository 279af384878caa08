"""Sensors with a Linux kernel driver, read through sysfs: IIO channels and hwmon inputs.

Any part the kernel already drives (a DHT22 through the `dht11` overlay, a BME280 through
`bmp280`, an ADS1115 through `ads1015`, the SoC's thermal sensor) shows up here, so no I²C
code of ours runs. Reads are file reads that may block (a DHT read takes ~100 ms and often
fails with EIO): run them in the executor. Devices are looked up by name on every read, so a
device that re-probes under another number is found again.

IIO (Documentation/ABI/testing/sysfs-bus-iio): `in_<channel>_input` is already in the ABI's
unit; otherwise (`in_<channel>_raw` + `in_<channel>_offset`) * `in_<channel>_scale`, where
offset and scale may be shared by the channel type (`in_voltage_scale` for `in_voltage0_raw`).
hwmon (Documentation/hwmon/sysfs-interface.rst): `<sensor>_input` in milli-units (fans in
RPM, power and energy in micro-units).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from .errors import HardwareError

__all__ = [
    "HWMON_UNITS",
    "IIO_UNITS",
    "HwmonSensor",
    "IioChannel",
    "SysfsSensorError",
    "SysfsUnit",
    "hwmon_unit",
    "iio_unit",
    "list_hwmon",
    "list_iio",
]


class SysfsSensorError(HardwareError):
    """A device or file is missing, unreadable, or holds no number."""


@dataclass(frozen=True, slots=True)
class SysfsUnit:
    """How a kernel value becomes ours: multiply by `factor`; unit and device class."""

    factor: float
    unit: str | None
    device_class: str | None


# IIO channel type -> (kernel unit -> ours)
IIO_UNITS: Final[dict[str, SysfsUnit]] = {
    "temp": SysfsUnit(0.001, "°C", "temperature"),  # milli °C
    "humidityrelative": SysfsUnit(0.001, "%", "humidity"),  # milli %RH
    "pressure": SysfsUnit(10.0, "hPa", "pressure"),  # kPa
    "voltage": SysfsUnit(0.001, "V", "voltage"),  # mV
    "current": SysfsUnit(0.001, "A", "current"),  # mA
    "power": SysfsUnit(0.001, "W", "power"),  # mW
    "illuminance": SysfsUnit(1.0, "lx", "illuminance"),
    "intensity": SysfsUnit(1.0, None, None),
    "proximity": SysfsUnit(1.0, None, None),
    "concentration": SysfsUnit(1.0, "%", None),
    "resistance": SysfsUnit(1.0, "Ω", None),
}
# hwmon sensor type -> (kernel unit -> ours)
HWMON_UNITS: Final[dict[str, SysfsUnit]] = {
    "temp": SysfsUnit(0.001, "°C", "temperature"),
    "in": SysfsUnit(0.001, "V", "voltage"),
    "curr": SysfsUnit(0.001, "A", "current"),
    "power": SysfsUnit(1e-6, "W", "power"),
    "energy": SysfsUnit(1e-6, "J", "energy"),
    "humidity": SysfsUnit(0.001, "%", "humidity"),
    "fan": SysfsUnit(1.0, "RPM", None),
    "pwm": SysfsUnit(1.0, None, None),
}
_IIO_CHANNEL_RE: Final = re.compile(r"^([a-z]+?)(\d*)(?:_[a-z0-9]+)?$")
_HWMON_SENSOR_RE: Final = re.compile(r"^([a-z]+)(\d+)$")


def iio_unit(channel: str) -> SysfsUnit:
    """The conversion of an IIO channel by its type (`voltage0` -> `voltage`)."""
    match = _IIO_CHANNEL_RE.match(channel)
    kind = match[1] if match else channel
    return IIO_UNITS.get(kind, SysfsUnit(1.0, None, None))


def hwmon_unit(sensor: str) -> SysfsUnit:
    match = _HWMON_SENSOR_RE.match(sensor)
    return HWMON_UNITS.get(match[1] if match else sensor, SysfsUnit(1.0, None, None))


def _read_number(path: Path) -> float:
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise SysfsSensorError(f"{path} is missing") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SysfsSensorError(f"cannot read {path}: {exc}") from exc
    try:
        return float(text)
    except ValueError:
        raise SysfsSensorError(f"{path} holds no number") from None


def _read_name(folder: Path) -> str | None:
    try:
        return (folder / "name").read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None


def _find(root: Path, pattern: str, device: str, what: str) -> Path:
    """A device folder by path (`device` absolute) or by the content of its `name` file."""
    if device.startswith("/"):
        folder = Path(device)
        if root != Path("/sys") and folder.is_relative_to("/sys"):
            folder = root / folder.relative_to("/sys")  # a fake /sys in tests
        if not folder.is_dir():
            raise SysfsSensorError(f"{what} {device} not found")
        return folder
    for folder in sorted(root.glob(pattern)):
        if _read_name(folder) == device:
            return folder
    raise SysfsSensorError(f"no {what} named {device!r}")


@dataclass(frozen=True, slots=True)
class IioChannel:
    """One channel of an IIO device. `read()` blocks (executor)."""

    device: str  # a name (matched on the `name` file) or a path
    channel: str  # `temp`, `humidityrelative`, `voltage0`, ...
    root: Path = Path("/sys")  # a fake /sys in tests

    @property
    def unit(self) -> SysfsUnit:
        return iio_unit(self.channel)

    def read(self) -> float:
        """The value in our units; raises SysfsSensorError."""
        folder = _find(self.root, "bus/iio/devices/iio:device*", self.device, "IIO device")
        prefix = folder / f"in_{self.channel}"
        factor = self.unit.factor
        if Path(f"{prefix}_input").exists():
            return _read_number(Path(f"{prefix}_input")) * factor
        raw = _read_number(Path(f"{prefix}_raw"))
        offset = self._shared(folder, "offset", 0.0)
        scale = self._shared(folder, "scale", 1.0)
        return (raw + offset) * scale * factor

    def _shared(self, folder: Path, attribute: str, default: float) -> float:
        """`in_voltage0_scale`, else the type's `in_voltage_scale`, else `default`."""
        kind = _IIO_CHANNEL_RE.match(self.channel)
        names = [f"in_{self.channel}_{attribute}"]
        if kind is not None and kind[1] != self.channel:
            names.append(f"in_{kind[1]}_{attribute}")
        for name in names:
            if (folder / name).exists():
                return _read_number(folder / name)
        return default


@dataclass(frozen=True, slots=True)
class HwmonSensor:
    """One `<sensor>_input` of a hwmon chip. `read()` blocks (executor)."""

    chip: str  # a name (the `name` file, e.g. cpu_thermal) or a path
    sensor: str  # temp1, in0, fan1, ...
    root: Path = Path("/sys")

    @property
    def unit(self) -> SysfsUnit:
        return hwmon_unit(self.sensor)

    def read(self) -> float:
        folder = _find(self.root, "class/hwmon/hwmon*", self.chip, "hwmon chip")
        return _read_number(folder / f"{self.sensor}_input") * self.unit.factor


def list_iio(root: Path = Path("/sys")) -> list[tuple[Path, str, list[str]]]:
    """Every IIO device: (folder, name, channels), for `boardgate detect`. Blocking."""
    found = []
    for folder in sorted(root.glob("bus/iio/devices/iio:device*")):
        channels = set()
        for file in folder.glob("in_*"):
            match = re.match(r"^in_(.+)_(input|raw)$", file.name)
            if match:
                channels.add(match[1])
        found.append((folder, _read_name(folder) or folder.name, sorted(channels)))
    return found


def list_hwmon(root: Path = Path("/sys")) -> list[tuple[Path, str, list[str]]]:
    """Every hwmon chip: (folder, name, sensors). Blocking."""
    found = []
    for folder in sorted(root.glob("class/hwmon/hwmon*")):
        sensors = sorted(file.name.removesuffix("_input") for file in folder.glob("*_input"))
        found.append((folder, _read_name(folder) or folder.name, sensors))
    return found
