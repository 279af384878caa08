"""TI INA219 current and power monitor (bus voltage V, current A, power W).

Datasheet SBOS448G §8.6: the shunt voltage register (0x01) is two's complement with an LSB of
10 µV (e.g. +320 mV = 0x7D00, -320 mV = 0x8300); the bus voltage register (0x02) holds the
voltage in bits 15-3 with an LSB of 4 mV, bit 0 (OVF) set when the math overflowed. Current is
the shunt voltage over `shunt_ohms` (the red breakout boards carry 0.1 Ω), power their product,
so no calibration register is needed. The part runs continuously (power-on default).
Addresses 0x40-0x4F (A0, A1). Wiring: VIN+ to the supply, VIN- to the load.
"""

from __future__ import annotations

from typing import Final

from .bus import BusHandle
from .errors import OutOfRange
from .quantities import CURRENT, POWER, VOLTAGE, Quantity

__all__ = ["Ina219", "bus_volts", "shunt_volts"]

REG_SHUNT: Final = 0x01
REG_BUS: Final = 0x02
BUS_OVERFLOW: Final = 0x0001


def shunt_volts(word: int) -> float:
    """Volts across the shunt from register 0x01."""
    signed = word - 0x10000 if word & 0x8000 else word
    return signed * 10e-6


def bus_volts(word: int) -> float:
    """Volts on VIN- from register 0x02; raises OutOfRange when OVF is set."""
    if word & BUS_OVERFLOW:
        raise OutOfRange("INA219 overflow: current or power beyond the range")
    return (word >> 3) * 0.004


class Ina219:
    """One INA219 with a shunt of `shunt_ohms`; `read()` blocks (executor)."""

    quantities: tuple[Quantity, ...] = (VOLTAGE, CURRENT, POWER)

    def __init__(self, handle: BusHandle, address: int, *, shunt_ohms: float = 0.1) -> None:
        self._handle = handle
        self._address = address
        self._shunt_ohms = shunt_ohms

    def read(self) -> dict[str, float]:
        with self._handle.transaction() as bus:
            shunt_h, shunt_l = bus.read_i2c_block_data(self._address, REG_SHUNT, 2)
            bus_h, bus_l = bus.read_i2c_block_data(self._address, REG_BUS, 2)
        volts = bus_volts((bus_h << 8) | bus_l)
        amps = shunt_volts((shunt_h << 8) | shunt_l) / self._shunt_ohms
        return {"voltage": volts, "current": amps, "power": volts * amps}
