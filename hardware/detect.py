"""`boardgate detect`: what the board has, each with a config snippet ready to paste.

Read-only. I²C buses are probed as `i2cdetect` does by default (`hardware.i2c.probe`); sysfs
and /dev are only listed and read. `root` is `/` on a board; tests pass a fake tree (with
`sys/`, `dev/`) and simulated buses. Blocking throughout: the CLI runs it before any loop.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from .gpio.factories import AUTO_ORDER
from .i2c.bus import I2CBus
from .onewire import is_sensor_id
from .sysfs_sensors import list_hwmon, list_iio

__all__ = ["Section", "detect"]

FACTORY_LIBRARIES: Final = {"lgpio": "lgpio", "rpigpio": "RPi", "pigpio": "pigpio"}
SENSOR_MODELS: Final = ("bme280", "bmp280", "bh1750", "sht4x", "ads1115", "ads1015", "ina219")


@dataclass(slots=True)
class Section:
    """One heading of the report: lines of findings and a YAML snippet."""

    title: str
    lines: list[str]
    snippet: list[str]


def detect(
    root: Path,
    simulated: Mapping[str, I2CBus],
    *,
    pin_factory: str | None = None,
    environ: Mapping[str, str] | None = None,
    open_bus: Callable[[int], I2CBus] | None = None,
) -> list[Section]:
    """Everything found under `root`, plus the `simulated` buses (by config id)."""
    return [
        _i2c(root, simulated, open_bus),
        _iio(root),
        _hwmon(root),
        _onewire(root),
        _serial(root),
        _gpio(root, pin_factory, environ or {}),
    ]


def _i2c(
    root: Path, simulated: Mapping[str, I2CBus], open_bus: Callable[[int], I2CBus] | None
) -> Section:
    from .i2c.probe import scan

    section = Section("I²C", [], [])
    devices = sorted((root / "dev").glob("i2c-*"), key=_number)
    if not devices and not simulated:
        section.lines.append("no I²C bus (enable it: dtparam=i2c_arm=on, then reboot)")
    sensors: list[str] = []
    expanders: list[str] = []
    declared: list[str] = []
    for bus_id, bus, label in _buses(devices, simulated, open_bus or _smbus2, section.lines):
        try:
            found = scan(bus)
        finally:
            if bus_id not in simulated:
                bus.close()
        addresses = ", ".join(f"0x{f.address:02X}" for f in found) or "nothing answered"
        section.lines.append(f"{label} (id {bus_id}): {addresses}")
        if bus_id not in simulated:  # the config declares its simulated buses already
            declared.append(f"  - {{id: {bus_id}, bus: {bus_id.removeprefix('bus')}}}")
        for item in found:
            guess = " or ".join(item.models) or "?"
            note = f" ({item.note})" if item.note else ""
            section.lines.append(f"  0x{item.address:02X}: {guess}{note}")
            sensors += _sensor_snippet(bus_id, item.address, item.models)
            expanders += _expander_snippet(bus_id, item.address, item.models, len(expanders))
    if declared:
        section.snippet += ["i2c:", *declared]
    if expanders:
        section.snippet += ["expander:", *expanders]
    if sensors:
        section.snippet += ["sensor:", *sensors]
    return section


def _buses(
    devices: list[Path],
    simulated: Mapping[str, I2CBus],
    open_bus: Callable[[int], I2CBus],
    lines: list[str],
) -> Iterator[tuple[str, I2CBus, str]]:
    """(id, bus, label) of each bus that opens, in order; a line for each that does not."""
    for device in devices:
        number = _number(device)
        try:
            bus = open_bus(number)
        except OSError as exc:
            lines.append(f"{device}: cannot open ({exc.strerror or exc})")
            continue
        yield f"bus{number}", bus, str(device)
    for name, bus in simulated.items():
        yield name, bus, f"simulated bus {name}"


def _smbus2(number: int) -> I2CBus:
    from .i2c.bus import Smbus2Bus

    return Smbus2Bus(number)


def _number(path: Path) -> int:
    tail = path.name.rpartition("-")[2]
    return int(tail) if tail.isdigit() else -1


def _sensor_snippet(bus_id: str, address: int, models: tuple[str, ...]) -> list[str]:
    model = next((m for m in models if m in SENSOR_MODELS), None)
    if model is None:
        return []
    return [
        f"  - {{platform: i2c, i2c_id: {bus_id}, model: {model}, address: 0x{address:02X}, "
        f"name: {model.upper()} {bus_id} 0x{address:02X}}}"
    ]


def _expander_snippet(bus_id: str, address: int, models: tuple[str, ...], n: int) -> list[str]:
    model = next((m for m in models if m in ("mcp23017", "pcf8574", "pcf8575")), None)
    if model is None:
        return []
    return [f"  - {{id: ext{n + 1}, model: {model}, i2c_id: {bus_id}, address: 0x{address:02X}}}"]


def _iio(root: Path) -> Section:
    section = Section("IIO devices", [], [])
    for folder, name, channels in list_iio(root / "sys"):
        section.lines.append(f"{folder.name}: {name} ({', '.join(channels) or 'no channels'})")
        for channel in channels:
            section.snippet.append(
                f"  - {{platform: iio, device: {name}, channel: {channel}, name: {name} {channel}}}"
            )
    _finish(section, "sensor:", "none")
    return section


def _hwmon(root: Path) -> Section:
    section = Section("hwmon chips", [], [])
    for folder, name, sensors in list_hwmon(root / "sys"):
        section.lines.append(f"{folder.name}: {name} ({', '.join(sensors) or 'no inputs'})")
        for sensor in sensors:
            section.snippet.append(
                f"  - {{platform: hwmon, chip: {name}, sensor: {sensor}, name: {name} {sensor}}}"
            )
    _finish(section, "sensor:", "none")
    return section


def _onewire(root: Path) -> Section:
    section = Section("1-wire sensors", [], [])
    for folder in sorted((root / "sys/bus/w1/devices").glob("*")):
        if is_sensor_id(folder.name) and folder.name.startswith("28-"):
            section.lines.append(f"{folder.name}: DS18B20")
            section.snippet.append(
                f"  - {{platform: onewire, sensor_id: {folder.name}, name: {folder.name}}}"
            )
    _finish(section, "sensor:", "none (dtoverlay=w1-gpio enables the bus on GPIO4)")
    return section


def _serial(root: Path) -> Section:
    section = Section("Serial ports", [], [])
    for index, link in enumerate(sorted((root / "dev/serial/by-id").glob("*"))):
        target = os.path.realpath(link) if link.is_symlink() else str(link)
        section.lines.append(f"{link.name} -> {Path(target).name}")
        section.snippet.append(
            f"  - {{id: port{index + 1}, port: /dev/serial/by-id/{link.name}, baudrate: 9600}}"
        )
    _finish(section, "serial:", "no USB serial device in /dev/serial/by-id")
    return section


def _gpio(root: Path, configured: str | None, environ: Mapping[str, str]) -> Section:
    """The factory gpiozero would load (predicted: starting one would claim the pins)."""
    chosen = configured or environ.get("GPIOZERO_PIN_FACTORY", "").strip().lower() or None
    reason = "configured" if chosen else ""
    if chosen is None:
        chosen, reason = next(_usable_factories(root), (None, ""))
    section = Section("GPIO", [], [])
    chips = sorted(path.name for path in (root / "dev").glob("gpiochip*"))
    section.lines.append(f"GPIO chips: {', '.join(chips) or 'none'}")
    if chosen is None:
        section.lines.append("pin factory: none would load (not a Pi? pin_factory: mock to try)")
    else:
        section.lines.append(f"pin factory: {chosen} ({reason})")
        section.snippet = ["gpio:", f"  pin_factory: {chosen}"]
    return section


def _usable_factories(root: Path) -> Iterator[tuple[str, str]]:
    has_chip = any((root / "dev").glob("gpiochip*"))
    for name in AUTO_ORDER:
        library = FACTORY_LIBRARIES.get(name)
        if library is not None and importlib.util.find_spec(library) is None:
            continue
        if name == "native" and not (root / "dev/gpiomem").exists():
            continue
        if name in ("lgpio", "rpigpio") and not has_chip:
            continue
        yield name, "the first of gpiozero's order whose library and device are present"


def _finish(section: Section, heading: str, nothing: str) -> None:
    if not section.lines:
        section.lines.append(nothing)
    if section.snippet:
        section.snippet.insert(0, heading)
