"""Bosch BME280 (temperature, humidity, pressure) and BMP280 (no humidity).

Datasheets: BME280 rev 1.23 §4.2 and §8.1; BMP280 rev 1.19 §3.11. The chip id (register 0xD0)
says which part it is: 0x60 BME280, 0x56-0x58 BMP280. Each read starts one forced-mode
measurement (oversampling x1, ~10 ms), waits for it, then reads the ADC values and turns them
into units with the part's own calibration registers (the double-precision formulas of the
datasheets). Wiring: SDA to GPIO2, SCL to GPIO3, 3.3 V; SDO low = address 0x76, high = 0x77.
"""

from __future__ import annotations

import struct
import time
from dataclasses import dataclass
from typing import Final

from .bus import BusHandle, I2CBus
from .errors import BadChipId, I2CError
from .quantities import HUMIDITY, PRESSURE, TEMPERATURE, Quantity, check_range

__all__ = [
    "BME280_CHIP_ID",
    "BMP280_CHIP_IDS",
    "Bme280",
    "Calibration",
    "compensate_humidity",
    "compensate_pressure",
    "compensate_temperature",
    "parse_calibration",
]

REG_CHIP_ID: Final = 0xD0
REG_CALIB_TP: Final = 0x88  # 26 bytes: T1-T3, P1-P9, reserved, H1 (0xA1)
REG_CALIB_H: Final = 0xE1  # 7 bytes: H2-H6
REG_CTRL_HUM: Final = 0xF2
REG_STATUS: Final = 0xF3
REG_CTRL_MEAS: Final = 0xF4
REG_DATA: Final = 0xF7  # press[3], temp[3], hum[2]
BME280_CHIP_ID: Final = 0x60
BMP280_CHIP_IDS: Final = (0x56, 0x57, 0x58)
FORCED_X1: Final = 0b001_001_01  # osrs_t x1, osrs_p x1, forced mode
STATUS_MEASURING: Final = 0x08
SKIPPED: Final = 0x80000  # what a skipped (or never run) measurement reads
MEASURE_TIMEOUT: Final = 0.05


@dataclass(frozen=True, slots=True)
class Calibration:
    """The trimming parameters (dig_T1...dig_H6); `h` is empty on a BMP280."""

    t: tuple[int, int, int]
    p: tuple[int, int, int, int, int, int, int, int, int]
    h: tuple[int, ...] = ()


def parse_calibration(tp: bytes, h1: int | None = None, h: bytes = b"") -> Calibration:
    """From registers 0x88-0x9F (24 bytes), and for a BME280 0xA1 and 0xE1-0xE7."""
    values = struct.unpack("<HhhHhhhhhhhh", tp[:24])
    t = (values[0], values[1], values[2])
    p = (values[3], *values[4:12])
    if h1 is None or len(h) < 7:
        return Calibration(t, p)
    h2 = struct.unpack("<h", h[0:2])[0]
    h3 = h[2]
    h4 = (_signed8(h[3]) << 4) | (h[4] & 0x0F)
    h5 = (_signed8(h[5]) << 4) | (h[4] >> 4)
    h6 = _signed8(h[6])
    return Calibration(t, p, (h1, h2, h3, h4, h5, h6))


def _signed8(value: int) -> int:
    return value - 256 if value > 127 else value


def compensate_temperature(adc_t: int, cal: Calibration) -> tuple[float, float]:
    """(°C, t_fine): the datasheet's double-precision formula. t_fine is kept as a double, as
    in the datasheet's worked example (table 16: t_fine = 128422.2869 -> p = 100653.27 Pa)."""
    t1, t2, t3 = cal.t
    var1 = (adc_t / 16384.0 - t1 / 1024.0) * t2
    var2 = (adc_t / 131072.0 - t1 / 8192.0) ** 2 * t3
    t_fine = var1 + var2
    return t_fine / 5120.0, t_fine


def compensate_pressure(adc_p: int, t_fine: float, cal: Calibration) -> float:
    """Pa; raises I2CError for calibration that would divide by zero."""
    p1, p2, p3, p4, p5, p6, p7, p8, p9 = cal.p
    var1 = t_fine / 2.0 - 64000.0
    var2 = var1 * var1 * p6 / 32768.0
    var2 = var2 + var1 * p5 * 2.0
    var2 = var2 / 4.0 + p4 * 65536.0
    var1 = (p3 * var1 * var1 / 524288.0 + p2 * var1) / 524288.0
    var1 = (1.0 + var1 / 32768.0) * p1
    if var1 == 0:
        raise I2CError("pressure calibration is zero (no calibration data)")
    pressure = 1048576.0 - adc_p
    pressure = (pressure - var2 / 4096.0) * 6250.0 / var1
    var1 = p9 * pressure * pressure / 2147483648.0
    var2 = pressure * p8 / 32768.0
    return pressure + (var1 + var2 + p7) / 16.0


def compensate_humidity(adc_h: int, t_fine: float, cal: Calibration) -> float:
    """%RH, limited to 0-100 as the datasheet does."""
    h1, h2, h3, h4, h5, h6 = cal.h
    var_h = t_fine - 76800.0
    var_h = (adc_h - (h4 * 64.0 + h5 / 16384.0 * var_h)) * (
        h2 / 65536.0 * (1.0 + h6 / 67108864.0 * var_h * (1.0 + h3 / 67108864.0 * var_h))
    )
    var_h = var_h * (1.0 - h1 * var_h / 524288.0)
    return min(100.0, max(0.0, var_h))


class Bme280:
    """A BME280 or BMP280 at `address`; `read()` blocks about 10 ms (executor)."""

    def __init__(self, handle: BusHandle, address: int) -> None:
        self._handle = handle
        self._address = address
        self._calibration: Calibration | None = None
        self._chip_id: int | None = None

    @property
    def quantities(self) -> tuple[Quantity, ...]:
        if self._chip_id is not None and self._chip_id != BME280_CHIP_ID:
            return (TEMPERATURE, PRESSURE)
        return (TEMPERATURE, HUMIDITY, PRESSURE)

    def read(self) -> dict[str, float]:
        with self._handle.transaction() as bus:
            humid = self._identify(bus)
            cal = self._calibration or self._read_calibration(bus, humid)
            raw = self._measure(bus, humid)
        self._calibration = cal
        return self._convert(raw, cal, humid)

    def _identify(self, bus: I2CBus) -> bool:
        chip_id = bus.read_byte_data(self._address, REG_CHIP_ID)
        if chip_id != BME280_CHIP_ID and chip_id not in BMP280_CHIP_IDS:
            self._calibration = None
            raise BadChipId(f"chip id 0x{chip_id:02X} at 0x{self._address:02X} is no BME/BMP280")
        if chip_id != self._chip_id:
            self._calibration = None  # another part was plugged in
        self._chip_id = chip_id
        return chip_id == BME280_CHIP_ID

    def _read_calibration(self, bus: I2CBus, humid: bool) -> Calibration:
        tp = bytes(bus.read_i2c_block_data(self._address, REG_CALIB_TP, 26))
        if not humid:
            return parse_calibration(tp)
        h = bytes(bus.read_i2c_block_data(self._address, REG_CALIB_H, 7))
        return parse_calibration(tp, tp[25], h)

    def _measure(self, bus: I2CBus, humid: bool) -> bytes:
        if humid:
            bus.write_byte_data(self._address, REG_CTRL_HUM, 0x01)  # before ctrl_meas
        bus.write_byte_data(self._address, REG_CTRL_MEAS, FORCED_X1)
        deadline = time.monotonic() + MEASURE_TIMEOUT
        while bus.read_byte_data(self._address, REG_STATUS) & STATUS_MEASURING:
            if time.monotonic() > deadline:
                raise I2CError("measurement did not finish")
            time.sleep(0.002)
        return bytes(bus.read_i2c_block_data(self._address, REG_DATA, 8 if humid else 6))

    @staticmethod
    def _convert(raw: bytes, cal: Calibration, humid: bool) -> dict[str, float]:
        adc_p = (raw[0] << 12) | (raw[1] << 4) | (raw[2] >> 4)
        adc_t = (raw[3] << 12) | (raw[4] << 4) | (raw[5] >> 4)
        if adc_t == SKIPPED or adc_p == SKIPPED:
            raise I2CError("no measurement (the part reset?)")
        celsius, t_fine = compensate_temperature(adc_t, cal)
        pascal = compensate_pressure(adc_p, t_fine, cal)
        values = {
            "temperature": check_range("temperature", celsius, -40.0, 85.0),
            "pressure": check_range("pressure", pascal / 100.0, 300.0, 1100.0),
        }
        if humid:
            values["humidity"] = compensate_humidity((raw[6] << 8) | raw[7], t_fine, cal)
        return values
