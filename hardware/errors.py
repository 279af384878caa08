"""The errors drivers raise on purpose: one base, small subclasses.

`HardwareError` is not a `GatewayError`: hardware knows nothing of the core. The core and the
platforms catch `HardwareError` where a driver saying no is a user-level failure (a missing
device, a permission), logged as one line.
"""

from __future__ import annotations

__all__ = ["HardwareError", "SerialPortOpenError"]


class HardwareError(Exception):
    """Base of every error a driver raises on purpose."""


class SerialPortOpenError(HardwareError):
    """A serial port could not be opened (absent, busy, no permission, bad settings)."""
