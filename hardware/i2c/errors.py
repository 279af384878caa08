"""What an I²C driver raises: a bus error, or a part that answered with something wrong.

Every one of them makes the sensor unavailable for one read; the next read tries again.
"""

from __future__ import annotations

from ..errors import HardwareError

__all__ = ["BadChipId", "CrcMismatch", "I2CBusError", "I2CError", "OutOfRange"]


class I2CError(HardwareError):
    """Base of the I²C errors: the reading is not usable."""


class I2CBusError(I2CError):
    """The transaction failed (errno 121: nothing acknowledged, e.g. unplugged; errno 5: I/O)."""

    def __init__(self, message: str, errno: int | None = None) -> None:
        super().__init__(message)
        self.errno = errno


class BadChipId(I2CError):
    """The chip id register does not hold the model's id: another part, or a glitch."""


class CrcMismatch(I2CError):
    """A checksum sent by the part does not match its data (noise on the bus)."""


class OutOfRange(I2CError):
    """A value outside the part's physical range (or a saturated converter)."""
