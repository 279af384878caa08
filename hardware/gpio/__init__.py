"""GPIO: typed lines (`lines`), gpiozero behind them, and the hand-off into the loop.

- `lines`: the `DigitalInput`, `DigitalOutput` and `PwmOutput` Protocols entities use;
- `driver`: `GpioDriver`, one gpiozero pin factory and the lines made from it;
- `gpiozero_lines`: the adapters that back the Protocols with gpiozero pins;
- `factories`: choosing and loading a pin factory; `board`: which pins a board has;
- `handoff`: `threadsafe_handoff`, the single `loop.call_soon_threadsafe` of the GPIO layer.
  gpiozero backends call edge callbacks from their own threads (mock pins in whichever thread
  drives them); they enter the event loop only through it.
"""

from __future__ import annotations

from .board import MOCK_REVISION, Board, PinNotOnBoard, expected_board
from .driver import GpioDriver, PinFactory
from .factories import (
    BLOCKING_FACTORIES,
    FACTORY_CLASSES,
    INSTALL_HINTS,
    PinFactoryError,
    load_pin_factory,
)
from .handoff import threadsafe_handoff
from .lines import (
    DigitalInput,
    DigitalOutput,
    EdgeCallback,
    GpioLine,
    LineSource,
    PinSpec,
    Pull,
    PwmOutput,
    ReachableCallback,
)

__all__ = [
    "BLOCKING_FACTORIES",
    "FACTORY_CLASSES",
    "INSTALL_HINTS",
    "MOCK_REVISION",
    "Board",
    "DigitalInput",
    "DigitalOutput",
    "EdgeCallback",
    "GpioDriver",
    "GpioLine",
    "LineSource",
    "PinFactory",
    "PinFactoryError",
    "PinNotOnBoard",
    "PinSpec",
    "Pull",
    "PwmOutput",
    "ReachableCallback",
    "expected_board",
    "load_pin_factory",
    "threadsafe_handoff",
]
