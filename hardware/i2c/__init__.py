"""I²C: the bus seam (`bus`), sensor drivers with their datasheets' conversions, GPIO
expanders, and what `boardgate detect` probes (`probe`).

Nothing here is imported unless the config has an `i2c:` or `expander:` section (or the user
runs `boardgate detect`): smbus2 itself only when a real bus is opened.
"""

from __future__ import annotations

from .bus import BusHandle, I2CBus, Smbus2Bus, open_smbus2
from .errors import BadChipId, CrcMismatch, I2CBusError, I2CError, OutOfRange
from .quantities import Quantity, SensorDriver

__all__ = [
    "BadChipId",
    "BusHandle",
    "CrcMismatch",
    "I2CBus",
    "I2CBusError",
    "I2CError",
    "OutOfRange",
    "Quantity",
    "SensorDriver",
    "Smbus2Bus",
    "open_smbus2",
]
