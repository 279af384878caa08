"""Opening, closing and driving one serial port without blocking the loop.

`open_port` and `close_port` block (a USB adapter can take a while to open; closing a tty with
output pending can wait for the drain): run them in the executor. In between,
`SerialPortTransport` (pyserial-asyncio's transport, adjusted) reads and writes from the loop
with `add_reader`/`add_writer`.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import termios
from collections.abc import Callable
from typing import Any

import serial
from serial_asyncio import SerialTransport

from ..errors import SerialPortOpenError
from .settings import PortStats, SerialPortSettings

__all__ = [
    "READ_CHUNK",
    "TRANSPORT_HIGH_WATER",
    "TRANSPORT_LOW_WATER",
    "Opener",
    "SerialPortTransport",
    "close_port",
    "connect_transport",
    "open_checked",
    "open_port",
]

_LOGGER = logging.getLogger(__name__)

READ_CHUNK = 16384
TRANSPORT_HIGH_WATER = 4096
TRANSPORT_LOW_WATER = 1024

Opener = Callable[[SerialPortSettings], serial.Serial]


def open_port(settings: SerialPortSettings) -> serial.Serial:
    """Open the port, non-blocking (blocking call: run it in the executor).

    `timeout=0`/`write_timeout=0` up front means the transport setting them again finds
    nothing to change and makes no `tcsetattr` call from the loop. Raises
    `serial.SerialException` (or OSError/ValueError) when the port cannot be opened.
    """
    return serial.Serial(
        port=settings.port,
        baudrate=settings.baudrate,
        bytesize=settings.bytesize,
        parity=settings.parity,
        stopbits=settings.stopbits,
        rtscts=settings.rtscts,
        timeout=0,
        write_timeout=0,
    )


def open_checked(opener: Opener, settings: SerialPortSettings) -> serial.Serial:
    """`opener(settings)` (blocking: executor), its failures as one `SerialPortOpenError`
    whose message says what to check."""
    try:
        return opener(settings)
    except (serial.SerialException, OSError, ValueError, termios.error) as exc:
        hint = ""
        if getattr(exc, "errno", None) in (errno.EACCES, errno.EPERM):
            hint = " (is the user in the dialout group?)"
        raise SerialPortOpenError(f"cannot open {settings.port}: {exc}{hint}") from exc


def close_port(port: serial.Serial, *, discard_output: bool) -> None:
    """Close the port (blocking: executor). With `discard_output`, pending output is dropped
    first so that the kernel does not wait up to `closing_wait` (30 s) for it to drain."""
    try:
        if discard_output and port.is_open:
            port.reset_output_buffer()
    except (OSError, serial.SerialException):
        pass  # unplugged: nothing to discard
    try:
        port.close()
    except OSError as exc:
        _LOGGER.debug("Closing %s: %s", port.port, exc)


def connect_transport(
    loop: asyncio.AbstractEventLoop,
    protocol: asyncio.Protocol,
    port: serial.Serial,
    stats: PortStats,
) -> SerialPortTransport:
    """Start reading an open port from the loop, with the gateway's buffer limits."""
    transport = SerialPortTransport(loop, protocol, port)
    transport.stats = stats
    transport._max_read_size = READ_CHUNK
    transport.set_write_buffer_limits(TRANSPORT_HIGH_WATER, TRANSPORT_LOW_WATER)
    return transport


class SerialPortTransport(SerialTransport):  # type: ignore[misc]
    """pyserial-asyncio 0.6's transport with the changes the gateway needs.

    - `_call_connection_lost` neither flushes (`tcdrain`, may block) nor closes the port in the
      loop: the port's owner closes it in the executor.
    - a read error means the device is gone: abort at once instead of waiting to flush writes
      that can never go out.
    - a write error is logged as a warning, not handed to the loop's exception handler.
    - `_write_ready` writes with `os.write`, returning on EAGAIN (pyserial's non-blocking
      `write` retries EAGAIN in a loop).
    - the constructor does not reconfigure the port: the base class sets `timeout` and
      `write_timeout` to 0 again, which on an open port means termios calls in the loop (and
      on some ttys a `tcsetattr` that fails). `open_port` set them already, in the executor.
    """

    _serial: Any
    _protocol: Any
    _loop: Any
    _write_buffer: list[bytes]
    _closing: bool
    _max_read_size: int
    stats: PortStats

    def __init__(self, loop: asyncio.AbstractEventLoop, protocol: Any, port: serial.Serial) -> None:
        if port.timeout != 0 or port.write_timeout != 0:
            raise ValueError("open the port with timeout=0 and write_timeout=0")
        is_open, port.is_open = port.is_open, False  # the setters skip reconfiguring
        try:
            super().__init__(loop, protocol, port)
        finally:
            port.is_open = is_open

    def _read_ready(self) -> None:
        self.stats.read_wakeups += 1
        super()._read_ready()

    def _close(self, exc: BaseException | None = None) -> None:
        if exc is not None:
            self._abort(exc)
        else:
            super()._close(exc)

    def _fatal_error(self, exc: BaseException, message: str = "") -> None:
        _LOGGER.warning("%s: %s", message or "Serial transport error", exc)
        self._abort(exc)

    def _write_ready(self) -> None:
        data = b"".join(self._write_buffer)
        self._write_buffer.clear()
        try:
            written = os.write(self._serial.fileno(), data)
        except (BlockingIOError, InterruptedError):
            written = 0
        except OSError as exc:
            self._fatal_error(serial.SerialException(str(exc)), "Write to serial port failed")
            return
        if written < len(data):
            self._write_buffer.append(data[written:])
            self._maybe_resume_protocol()
            return
        self._remove_writer()
        self._maybe_resume_protocol()
        if self._closing:
            self._close()

    def _call_connection_lost(self, exc: BaseException | None) -> None:
        try:
            self._protocol.connection_lost(exc)
        finally:
            self._write_buffer.clear()
            self._serial = None
            self._protocol = None
            self._loop = None
