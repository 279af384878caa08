"""What a serial port driver is told (`SerialPortSettings`) and what it counts (`PortStats`).

Plain data declared in `hardware`: the `serial` platform builds the settings from its config
entry, so the driver never sees the configuration model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["AvailabilityListener", "FrameListener", "PortStats", "SerialPortSettings"]

FrameListener = Callable[[bytes], None]
AvailabilityListener = Callable[[bool], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class SerialPortSettings:
    """One port: the device node, its line settings and how its byte stream is framed.

    `name` identifies the port in logs (the config's `id`). `encoding` is a codec name, or
    `hex` for frames shown as hexadecimal digits; `max_line` bounds a frame in bytes.
    """

    name: str
    port: str
    baudrate: int = 9600
    bytesize: int = 8
    parity: str = "N"
    stopbits: float = 1
    rtscts: bool = False
    delimiter: str = "\n"
    encoding: str = "utf-8"
    max_line: int = 4096


@dataclass(slots=True)
class PortStats:
    """Counters for health and tests (`read_wakeups`: times the loop woke the reader)."""

    opens: int = 0
    read_wakeups: int = 0
    open_failures: int = 0
    disconnects: int = 0
    bytes_received: int = 0
    frames: int = 0
    overlong: int = 0
    bytes_written: int = 0
    writes_queued: int = 0
    writes_dropped: int = 0
