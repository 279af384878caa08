"""`boardgate detect [-c CONFIG]`: print what the board has, with snippets to paste.

The scan itself is `hardware.detect` (read-only; I²C probed as `i2cdetect` does). CONFIG adds
its simulated I²C buses (`bus: simulated`) and its `gpio.pin_factory`. The root of the tree
scanned is `/`, or `$BOARDGATE_DETECT_ROOT` / the hidden `--root` (tests: a fake sysfs/dev).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from hardware.detect import Section, detect

if TYPE_CHECKING:
    from hardware.i2c.bus import I2CBus

    from .config.model import Config

__all__ = ["ROOT_ENV", "format_report", "run_detect"]

ROOT_ENV = "BOARDGATE_DETECT_ROOT"


def run_detect(config: Config | None, root: Path | None) -> int:
    """Scan and print; returns the exit code (0)."""
    root = root or Path(os.environ.get(ROOT_ENV) or "/")
    simulated = _simulated_buses(config)
    pin_factory = config.gpio.pin_factory if config is not None else None
    sections = detect(root, simulated, pin_factory=pin_factory, environ=os.environ)
    print(format_report(sections), flush=True)
    return 0


def _simulated_buses(config: Config | None) -> dict[str, I2CBus]:
    if config is None or not config.i2c:
        return {}
    from hardware.sim.i2c_devices import build_bus

    return {bus.id: build_bus(bus.id, bus.devices) for bus in config.i2c if bus.simulated}


def format_report(sections: list[Section]) -> str:
    """Each section: its findings, then its snippet as a YAML block to paste."""
    out: list[str] = []
    for section in sections:
        out.append(f"== {section.title}")
        out += [f"  {line}" for line in section.lines]
        if section.snippet:
            out.append("  # paste into your config:")
            out += [f"  {line}" for line in section.snippet]
        out.append("")
    return "\n".join(out)
