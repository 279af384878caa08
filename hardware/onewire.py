"""DS18B20 temperature sensors through the kernel's w1 sysfs tree.

With `dtoverlay=w1-gpio` (GPIO4 by default) the kernel lists each sensor under
`/sys/bus/w1/devices/<id>/w1_slave`; reading that file starts a conversion and takes ~750 ms,
so every read here blocks and runs in the executor. The file has two lines::

    72 01 4b 46 7f ff 0e 10 57 : crc=57 YES
    72 01 4b 46 7f ff 0e 10 57 t=23125

`NO` on the first line is a CRC failure; `t=` is millidegrees Celsius.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from .errors import HardwareError

__all__ = [
    "OneWireCrcError",
    "OneWireError",
    "OneWireMissing",
    "OneWireReader",
    "parse_w1_slave",
]

POWER_ON_RESET_MILLI: Final = 85000  # what a DS18B20 reports before its first conversion
_SENSOR_ID_RE: Final = re.compile(r"^[0-9a-f]{2}-[0-9a-f]{12}$")
_TEMP_RE: Final = re.compile(r"\bt=(-?\d+)\s*$")


class OneWireError(HardwareError):
    """A sensor could not be read; the entity becomes unavailable."""


class OneWireMissing(OneWireError):
    """The sensor is not on the bus (or the w1 overlay is not loaded)."""


class OneWireCrcError(OneWireError):
    """The reading failed its CRC check (a noisy or long bus, a weak pull-up)."""


def is_sensor_id(value: str) -> bool:
    """`28-0316a2795eff`: family code, dash, 12 hex digits (lower case)."""
    return bool(_SENSOR_ID_RE.match(value))


def parse_w1_slave(text: str) -> float:
    """°C from the contents of `w1_slave`. Raises OneWireCrcError or OneWireError."""
    lines = text.strip().splitlines()
    if len(lines) < 2:
        raise OneWireError("truncated reading")
    first = lines[0].strip()
    if first.endswith("NO"):
        raise OneWireCrcError("CRC check failed")
    if not first.endswith("YES"):
        raise OneWireError("unrecognised reading")
    match = _TEMP_RE.search(lines[1])
    if match is None:
        raise OneWireError("no temperature in reading")
    milli = int(match[1])
    if milli == POWER_ON_RESET_MILLI:
        raise OneWireError("power-on reset value (85 °C): the sensor lost power")
    if not -55000 <= milli <= 125000:
        raise OneWireError("temperature out of the DS18B20 range")
    return milli / 1000.0


@dataclass(frozen=True, slots=True)
class OneWireReader:
    """Reads one sensor under `root` (default `/sys`). Every call blocks."""

    sensor_id: str
    root: Path = Path("/sys")

    @property
    def path(self) -> Path:
        return self.root / "bus" / "w1" / "devices" / self.sensor_id / "w1_slave"

    def read(self) -> float:
        """°C. Raises OneWireMissing, OneWireCrcError or OneWireError."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            raise OneWireMissing(f"sensor {self.sensor_id} not found at {self.path}") from None
        except OSError as exc:
            raise OneWireError(f"cannot read sensor {self.sensor_id}: {exc}") from exc
        return parse_w1_slave(raw.decode("ascii", errors="replace"))
