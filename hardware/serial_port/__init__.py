"""One serial port: opened without blocking the loop, framed, fanned out, reopened when it
comes back.

- `settings`: what the driver is told (`SerialPortSettings`) and what it counts (`PortStats`);
- `transport`: opening and closing in the executor, reading and writing from the loop;
- `write_queue`: the bounded FIFO in front of the transport;
- `reopen`: open attempts with a timeout, reopening with backoff;
- `manager`: `SerialPortManager`, which owns one port and wires the above together.

The driver receives the loop, the executor and the clock through `LoopServices` (the Gateway
satisfies it) and imports nothing from the core.
"""

from __future__ import annotations

from ..backoff import BACKOFF_INITIAL, BACKOFF_MAXIMUM
from .manager import SerialPortManager
from .reopen import STABLE_SECONDS
from .settings import AvailabilityListener, FrameListener, PortStats, SerialPortSettings
from .transport import (
    READ_CHUNK,
    TRANSPORT_HIGH_WATER,
    TRANSPORT_LOW_WATER,
    close_port,
    open_port,
)
from .write_queue import WRITE_QUEUE_BYTES

__all__ = [
    "BACKOFF_INITIAL",
    "BACKOFF_MAXIMUM",
    "READ_CHUNK",
    "STABLE_SECONDS",
    "TRANSPORT_HIGH_WATER",
    "TRANSPORT_LOW_WATER",
    "WRITE_QUEUE_BYTES",
    "AvailabilityListener",
    "FrameListener",
    "PortStats",
    "SerialPortManager",
    "SerialPortSettings",
    "close_port",
    "open_port",
]
