"""TI ADS1115 (16-bit) and ADS1015 (12-bit) ADCs: the voltage of one single-ended channel.

Datasheets SBAS444D §9.6.3 (ADS1115) and SBAS473E §9.6.3 (ADS1015): write the config register
(0x01) with OS=1 (start a single-shot conversion), MUX = 100 + channel (AINx against GND), PGA
for the full-scale range (`gain` in volts: 6.144, 4.096, 2.048, 1.024, 0.512, 0.256), MODE=1
(single-shot), the data rate, comparator off; wait until OS reads 1, read the conversion
register (0x00). The result is two's complement; one count is FS/32768 (ADS1015: the 12-bit
result is left-justified, one count FS/2048). A saturated code (0x7FFF / 0x8000) is outside the
range. Addresses 0x48-0x4B (ADDR to GND, VDD, SDA, SCL).
"""

from __future__ import annotations

import time
from typing import Final

from .bus import BusHandle
from .errors import I2CError, OutOfRange
from .quantities import VOLTAGE, Quantity

__all__ = ["GAINS", "Ads1x15", "code_to_volts", "config_word"]

REG_CONVERSION: Final = 0x00
REG_CONFIG: Final = 0x01
GAINS: Final = {6.144: 0b000, 4.096: 0b001, 2.048: 0b010, 1.024: 0b011, 0.512: 0b100, 0.256: 0b101}
OS_START: Final = 0x8000
MODE_SINGLE: Final = 0x0100
COMPARATOR_OFF: Final = 0b11
DATA_RATE: Final = {"ads1115": 0b100, "ads1015": 0b100}  # 128 SPS / 1600 SPS
CONVERSION_TIMEOUT: Final = 0.05


def config_word(channel: int, gain: float, model: str) -> int:
    """The config register value that starts one conversion of `channel` at `gain`."""
    mux = 0b100 + channel
    return (
        OS_START
        | (mux << 12)
        | (GAINS[gain] << 9)
        | MODE_SINGLE
        | (DATA_RATE[model] << 5)
        | COMPARATOR_OFF
    )


def code_to_volts(word: int, gain: float, model: str) -> float:
    """Volts from the conversion register; raises OutOfRange at either end of the scale."""
    signed = word - 0x10000 if word & 0x8000 else word
    if model == "ads1015":
        signed >>= 4
        top = 2047
    else:
        top = 32767
    if signed >= top or signed <= -top - 1:
        raise OutOfRange(f"input saturates the ±{gain:g} V range")
    return signed * gain / (top + 1)


class Ads1x15:
    """One channel of an ADS1115/ADS1015; `read()` blocks a few ms (executor)."""

    quantities: tuple[Quantity, ...] = (VOLTAGE,)

    def __init__(
        self, handle: BusHandle, address: int, *, model: str, channel: int, gain: float
    ) -> None:
        self._handle = handle
        self._address = address
        self._model = model
        self._gain = gain
        self._config = config_word(channel, gain, model)

    def read(self) -> dict[str, float]:
        config = self._config
        with self._handle.transaction() as bus:
            bus.write_i2c_block_data(self._address, REG_CONFIG, [config >> 8, config & 0xFF])
            deadline = time.monotonic() + CONVERSION_TIMEOUT
            while not bus.read_i2c_block_data(self._address, REG_CONFIG, 2)[0] & 0x80:
                if time.monotonic() > deadline:
                    raise I2CError("conversion did not finish")
                time.sleep(0.001)
            high, low = bus.read_i2c_block_data(self._address, REG_CONVERSION, 2)
        return {"voltage": code_to_volts((high << 8) | low, self._gain, self._model)}
