"""ROHM BH1750FVI ambient light sensor (illuminance, lx).

Datasheet rev. D, p. 7 and p. 10: one-time H-resolution mode (0x20) measures for up to 180 ms
and powers down; the two bytes read are the count, and lx = count / 1.2 (at the default
measurement time, MTreg 69). Address 0x23 with ADDR low, 0x5C with ADDR high. The part has no
id to check. Wiring: VCC 3.3 V, SDA GPIO2, SCL GPIO3, ADDR to GND.
"""

from __future__ import annotations

import time
from typing import Final

from .bus import BusHandle
from .quantities import ILLUMINANCE, Quantity

__all__ = ["Bh1750", "counts_to_lux"]

POWER_ON: Final = 0x01
ONE_TIME_H_RES: Final = 0x20
MEASURE_TIME: Final = 0.18


def counts_to_lux(high: int, low: int) -> float:
    """The datasheet's conversion: (high << 8 | low) / 1.2."""
    return ((high << 8) | low) / 1.2


class Bh1750:
    """One BH1750; `read()` blocks ~180 ms (executor) and holds the bus meanwhile."""

    quantities: tuple[Quantity, ...] = (ILLUMINANCE,)

    def __init__(self, handle: BusHandle, address: int, measure_time: float = MEASURE_TIME):
        self._handle = handle
        self._address = address
        self._measure_time = measure_time

    def read(self) -> dict[str, float]:
        with self._handle.transaction() as bus:
            bus.write_byte(self._address, POWER_ON)
            bus.write_byte(self._address, ONE_TIME_H_RES)
            time.sleep(self._measure_time)
            high, low = bus.read_bytes(self._address, 2)
        return {"illuminance": counts_to_lux(high, low)}
