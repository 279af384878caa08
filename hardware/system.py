"""Readers for the board's own health: CPU temperature, load, memory, disk.

All of them read files under `/sys` or `/proc` (or stat a file system) and may block, so callers
run them in the executor. The roots are parameters so tests can point them at a fake tree.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SystemReader", "SystemReading"]


@dataclass(frozen=True, slots=True)
class SystemReading:
    """A value with optional extra attributes."""

    value: float
    attributes: dict[str, float]


@dataclass(frozen=True, slots=True)
class SystemReader:
    """Reads one kind of system value; raises OSError or ValueError when it cannot."""

    sys_root: Path = Path("/sys")
    proc_root: Path = Path("/proc")

    def cpu_temperature(self) -> SystemReading:
        """°C from the first thermal zone (the SoC on a Pi)."""
        raw = (self.sys_root / "class/thermal/thermal_zone0/temp").read_text()
        return SystemReading(int(raw.strip()) / 1000.0, {})

    def load(self) -> SystemReading:
        """1-minute load average, with the 5- and 15-minute ones as attributes."""
        fields = (self.proc_root / "loadavg").read_text().split()
        one, five, fifteen = (float(value) for value in fields[:3])
        return SystemReading(one, {"load_5m": five, "load_15m": fifteen})

    def memory(self) -> SystemReading:
        """Percentage of memory in use (MemTotal minus MemAvailable)."""
        info = parse_meminfo((self.proc_root / "meminfo").read_text())
        total, available = info["MemTotal"], info["MemAvailable"]
        used = 100.0 * (total - available) / total
        return SystemReading(round(used, 1), {"total_mb": round(total / 1024, 1)})

    def disk(self, path: Path) -> SystemReading:
        """Percentage of the file system holding `path` in use."""
        usage = shutil.disk_usage(path)
        used = 100.0 * usage.used / usage.total
        return SystemReading(round(used, 1), {"free_mb": round(usage.free / 2**20, 1)})


def parse_meminfo(text: str) -> dict[str, int]:
    """`/proc/meminfo` as kB values by name."""
    values: dict[str, int] = {}
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            values[name.strip()] = int(parts[0])
    return values
