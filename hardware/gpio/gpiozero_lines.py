"""The line Protocols backed by gpiozero devices: thin adapters, one per kind of line.

Each adapter owns one gpiozero device made with the driver's pin factory and translates the
Protocol's calls into gpiozero's (`on`/`off`, `value`, `is_active`, `when_activated`). When it
is closed it tells its driver (`forget`), so the driver only closes, at stop, lines that are
still open. gpiozero itself is untyped: its objects are `Any` here and nowhere above.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .lines import EdgeCallback

__all__ = ["GpiozeroDigitalInput", "GpiozeroDigitalOutput", "GpiozeroLine", "GpiozeroPwmOutput"]

_EDGE_ATTRIBUTES = ("when_activated", "when_deactivated")


class GpiozeroLine:
    """One gpiozero device behind a line Protocol (the shared part)."""

    __slots__ = ("_device", "_forget", "blocking")

    def __init__(
        self, device: Any, *, blocking: bool, forget: Callable[[GpiozeroLine], None]
    ) -> None:
        self._device = device
        self._forget = forget
        self.blocking = blocking

    @property
    def closed(self) -> bool:
        return bool(self._device.closed)

    def close(self) -> None:
        """Close the device (its pin returns to an input) and leave the driver's registry."""
        self._forget(self)
        self._device.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._device!r}>"


class GpiozeroDigitalInput(GpiozeroLine):
    """A `DigitalInput` over a gpiozero `DigitalInputDevice`."""

    __slots__ = ("_when_changed",)

    def __init__(
        self, device: Any, *, blocking: bool, forget: Callable[[GpiozeroLine], None]
    ) -> None:
        super().__init__(device, blocking=blocking, forget=forget)
        self._when_changed: EdgeCallback | None = None

    @property
    def when_changed(self) -> EdgeCallback | None:
        return self._when_changed

    @when_changed.setter
    def when_changed(self, callback: EdgeCallback | None) -> None:
        """gpiozero calls `when_activated`/`when_deactivated` in its own thread (or the one
        driving a mock pin); both become `callback(level)`. No I/O: the device registered its
        pin callback when it was made, and these are plain attributes it reads per edge."""
        self._when_changed = callback
        if callback is None:
            for name in _EDGE_ATTRIBUTES:  # only those set: gpiozero warns otherwise
                if getattr(self._device, name, None) is not None:
                    setattr(self._device, name, None)
            return

        def activated() -> None:
            callback(True)

        def deactivated() -> None:
            callback(False)

        self._device.when_activated = activated
        self._device.when_deactivated = deactivated

    def read(self) -> bool:
        return bool(self._device.is_active)


class GpiozeroDigitalOutput(GpiozeroLine):
    """A `DigitalOutput` over a gpiozero `DigitalOutputDevice`."""

    __slots__ = ()

    def write(self, active: bool) -> None:
        if active:
            self._device.on()
        else:
            self._device.off()

    def read(self) -> bool:
        return bool(self._device.is_active)


class GpiozeroPwmOutput(GpiozeroLine):
    """A `PwmOutput` over a gpiozero `PWMOutputDevice`."""

    __slots__ = ()

    def write(self, duty: float) -> None:
        self._device.value = duty

    def read(self) -> float:
        return float(self._device.value)
