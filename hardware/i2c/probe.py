"""Which addresses answer on a bus, probed as `i2cdetect` probes by default (never a write of
data), and what part each one probably is.

i2cdetect's default ("auto") mode reads a byte at 0x30-0x37 and 0x50-0x5F (a quick write could
corrupt an EEPROM or lock some parts there) and sends an SMBus quick write (the address with
the write bit and no data) everywhere else; addresses 0x03-0x77 are scanned. The model is then
guessed from the address; at 0x76/0x77 the chip id register (0xD0) is read (a register-pointer
write followed by a read, as `i2cget` does: the BME280/BMP280 have no side effect on it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from .bme280 import BME280_CHIP_ID, BMP280_CHIP_IDS, REG_CHIP_ID
from .bus import I2CBus

__all__ = ["FIRST", "LAST", "Found", "guess_models", "probe_address", "scan"]

FIRST: Final = 0x03
LAST: Final = 0x77
BMP180_CHIP_ID: Final = 0x55


def probe_address(bus: I2CBus, address: int) -> bool:
    """True when a part acknowledges at `address` (any OSError: nothing there). Blocking."""
    try:
        if 0x30 <= address <= 0x37 or 0x50 <= address <= 0x5F:
            bus.read_byte(address)
        else:
            bus.write_quick(address)
    except OSError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class Found:
    """An address that answered and the models that could be there (best guess first)."""

    address: int
    models: tuple[str, ...]
    note: str = ""


def guess_models(bus: I2CBus, address: int) -> Found:
    """The models we support that live at `address`, narrowed by a chip id where safe."""
    if address in (0x76, 0x77):
        try:
            chip_id = bus.read_byte_data(address, REG_CHIP_ID)
        except OSError:
            return Found(address, ("bme280",), "chip id unreadable")
        if chip_id == BME280_CHIP_ID:
            return Found(address, ("bme280",), "chip id 0x60")
        if chip_id in BMP280_CHIP_IDS:
            return Found(address, ("bmp280",), f"chip id 0x{chip_id:02X}")
        if chip_id == BMP180_CHIP_ID:
            return Found(address, (), "BMP180 (chip id 0x55): not supported")
        return Found(address, (), f"unknown part (chip id 0x{chip_id:02X})")
    models: list[str] = []
    if 0x20 <= address <= 0x27:
        models += ["mcp23017", "pcf8574", "pcf8575"]
    if 0x38 <= address <= 0x3F:
        models += ["pcf8574"]  # the PCF8574A's addresses
    if address in (0x23, 0x5C):
        models += ["bh1750"]
    if address in (0x44, 0x45, 0x46):
        models += ["sht4x"]
    if 0x48 <= address <= 0x4B:
        models += ["ads1115", "ads1015"]
    if 0x40 <= address <= 0x4F:
        models += ["ina219"]
    return Found(address, tuple(models), "" if models else "no supported model at this address")


def scan(bus: I2CBus) -> list[Found]:
    """Every address that answers, with its guess. Blocking (~117 transactions)."""
    return [guess_models(bus, a) for a in range(FIRST, LAST + 1) if probe_address(bus, a)]
