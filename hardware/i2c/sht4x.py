"""Sensirion SHT4x (SHT40/41/45) temperature and humidity, CRC-8 checked.

Datasheet v6.6 §4.4-4.6: command 0xFD measures with high repeatability (≤ 8.3 ms), then six
bytes arrive: T (2 bytes, CRC), RH (2 bytes, CRC). CRC-8: polynomial 0x31, init 0xFF, the
datasheet's example CRC(0xBEEF) = 0x92. T = -45 + 175·S/65535 °C, RH = -6 + 125·S/65535 %
(cropped to 0-100). Address 0x44 (SHT40-AD1B), 0x45 or 0x46 for other variants.
"""

from __future__ import annotations

import time
from typing import Final

from .bus import BusHandle
from .errors import CrcMismatch
from .quantities import HUMIDITY, TEMPERATURE, Quantity, check_range

__all__ = ["Sht4x", "convert_humidity", "convert_temperature", "crc8"]

MEASURE_HIGH: Final = 0xFD
MEASURE_TIME: Final = 0.01


def crc8(data: bytes) -> int:
    """Sensirion's CRC-8 (poly 0x31, init 0xFF, no reflection, no final xor)."""
    crc = 0xFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x31) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def convert_temperature(ticks: int) -> float:
    return -45.0 + 175.0 * ticks / 65535.0


def convert_humidity(ticks: int) -> float:
    return min(100.0, max(0.0, -6.0 + 125.0 * ticks / 65535.0))


def check_words(frame: bytes) -> tuple[int, int]:
    """The two 16-bit words of a 6-byte frame; raises CrcMismatch."""
    if len(frame) != 6:
        raise CrcMismatch(f"expected 6 bytes, got {len(frame)}")
    for start in (0, 3):
        if crc8(frame[start : start + 2]) != frame[start + 2]:
            raise CrcMismatch("CRC mismatch in the SHT4x reply")
    return (frame[0] << 8) | frame[1], (frame[3] << 8) | frame[4]


class Sht4x:
    """One SHT4x; `read()` blocks ~10 ms (executor)."""

    quantities: tuple[Quantity, ...] = (TEMPERATURE, HUMIDITY)

    def __init__(self, handle: BusHandle, address: int, measure_time: float = MEASURE_TIME):
        self._handle = handle
        self._address = address
        self._measure_time = measure_time

    def read(self) -> dict[str, float]:
        with self._handle.transaction() as bus:
            bus.write_byte(self._address, MEASURE_HIGH)
            time.sleep(self._measure_time)
            frame = bus.read_bytes(self._address, 6)
        t_ticks, rh_ticks = check_words(frame)
        celsius = check_range("temperature", convert_temperature(t_ticks), -40.0, 125.0)
        return {"temperature": celsius, "humidity": convert_humidity(rh_ticks)}
