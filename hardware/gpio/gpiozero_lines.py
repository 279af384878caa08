"""The line Protocols backed by gpiozero's pin layer: thin adapters, one per kind of line.

Each adapter owns one gpiozero `Pin` of the driver's pin factory (`factory.pin(n)`, with
`function`, `pull`, `state`, `frequency`, `when_changed` — the layer gpiozero's own devices are
built on). Its devices would add nothing we use (polarity, values and events are ours) and cost
about 4 kB and three `threading.Event`s per pin on a small board. The pin is reserved with the
factory as a gpiozero device reserves it, so a pin cannot be driven twice. When an adapter is
closed it tells its driver (`forget`), so the driver only closes, at stop, lines still open.
gpiozero itself is untyped: its objects are `Any` here and nowhere above.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .lines import EdgeCallback, ReachableCallback

__all__ = [
    "GpiozeroDigitalInput",
    "GpiozeroDigitalOutput",
    "GpiozeroLine",
    "GpiozeroPwmOutput",
]

ForgetLine = Callable[["GpiozeroLine"], None]


class GpiozeroLine:
    """One reserved gpiozero pin behind a line Protocol (the shared part)."""

    __slots__ = ("__weakref__", "_factory", "_forget", "_pin", "blocking")

    def __init__(self, factory: Any, *, blocking: bool, forget: ForgetLine) -> None:
        """A line with no pin yet: `open` reserves one for it."""
        self._factory = factory
        self._pin: Any = None
        self._forget = forget
        self.blocking = blocking

    def open(self, spec: int | str) -> Any:
        """Reserve `spec` for this line and return its pin, as a gpiozero device does:
        GPIOPinInUse when another line has it, PinInvalidPin when the board lacks it."""
        self._factory.reserve_pins(self, spec)
        try:
            self._pin = self._factory.pin(spec)
        except BaseException:
            self._factory.release_pins(self, spec)
            raise
        return self._pin

    @property
    def closed(self) -> bool:
        return self._pin is None

    def close(self) -> None:
        """Release the pin (it returns to an input) and leave the driver's registry."""
        pin, self._pin = self._pin, None
        if pin is None:
            return
        self._forget(self)
        self._factory.release_pins(self, pin.info.name)
        pin.close()

    def _conflicts_with(self, _other: object) -> bool:
        """gpiozero's reservation question: may another user share our pin? Never."""
        return True

    def __repr__(self) -> str:
        name = "closed" if self._pin is None else self._pin.info.name
        return f"<{type(self).__name__} {name}>"


class GpiozeroDigitalInput(GpiozeroLine):
    """A `DigitalInput` over an input pin; `active_high` False for a pulled-up button."""

    __slots__ = ("_active_high", "_when_changed", "when_reachable")

    def __init__(
        self, factory: Any, *, active_high: bool, blocking: bool, forget: ForgetLine
    ) -> None:
        super().__init__(factory, blocking=blocking, forget=forget)
        self._active_high = active_high
        self._when_changed: EdgeCallback | None = None
        self.when_reachable: ReachableCallback | None = None  # a board pin is always there

    @property
    def when_changed(self) -> EdgeCallback | None:
        return self._when_changed

    @when_changed.setter
    def when_changed(self, callback: EdgeCallback | None) -> None:
        """The pin calls `_edge` in gpiozero's thread (or the one driving a mock pin). It
        keeps only a weak reference to that bound method: the entity holding this line keeps
        it alive, and a dropped line stops calling back by itself."""
        self._when_changed = callback
        if self._pin is not None:
            self._pin.when_changed = None if callback is None else self._edge

    def _edge(self, _ticks: object, state: object) -> None:
        callback = self._when_changed
        if callback is not None:
            callback(bool(state) == self._active_high)

    def read(self) -> bool:
        return bool(self._pin.state) == self._active_high

    def close(self) -> None:
        """No edge callback after close (the Protocol's rule), then release the pin."""
        self._when_changed = None
        if self._pin is not None:
            self._pin.when_changed = None
        super().close()


class GpiozeroDigitalOutput(GpiozeroLine):
    """A `DigitalOutput` over an output pin."""

    __slots__ = ("_active_high",)

    def __init__(
        self, factory: Any, *, active_high: bool, blocking: bool, forget: ForgetLine
    ) -> None:
        super().__init__(factory, blocking=blocking, forget=forget)
        self._active_high = active_high

    def write(self, active: bool) -> None:
        self._pin.state = active == self._active_high

    def read(self) -> bool:
        return bool(self._pin.state) == self._active_high


class GpiozeroPwmOutput(GpiozeroLine):
    """A `PwmOutput` over a pin in PWM mode (`frequency` set): the duty cycle is its state."""

    __slots__ = ("_active_high",)

    def __init__(
        self, factory: Any, *, active_high: bool, blocking: bool, forget: ForgetLine
    ) -> None:
        super().__init__(factory, blocking=blocking, forget=forget)
        self._active_high = active_high

    def write(self, duty: float) -> None:
        self._pin.state = duty if self._active_high else 1.0 - duty

    def read(self) -> float:
        state = float(self._pin.state)
        return state if self._active_high else 1.0 - state

    def close(self) -> None:
        """Stop the PWM before the pin returns to an input, as gpiozero's device does."""
        if self._pin is not None:
            self._pin.frequency = None
        super().close()
