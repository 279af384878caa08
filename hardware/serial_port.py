"""One serial port: opened without blocking the loop, framed, fanned out, reopened when it
comes back.

`SerialPortManager` owns the single reader of a port. Every consumer (serial sensors, the MQTT
bridge) registers a frame listener; availability listeners hear when the device goes away and
comes back. The port is opened and closed in the gateway's executor (a USB adapter can take
a while, and closing a tty with output pending can wait for the drain); in between,
pyserial-asyncio's `SerialTransport` drives it from the loop with `add_reader`/`add_writer`.
Reopen attempts back off from 0.5 s to 30 s with jitter, on the gateway's clock.

Writes go through a bounded FIFO in front of the transport: the transport keeps at most a few
KiB (its write-buffer limits pause us), the FIFO holds at most `write_queue_bytes`, and
anything beyond is dropped and counted, so a stuck port never grows memory.

Example::

    manager = SerialPortManager(gw, SerialPortConfig(id="arduino", port="/dev/ttyUSB0"))
    manager.async_add_frame_listener(lambda frame: print(manager.decode(frame)))
    await manager.async_start()
    manager.async_write(b"PING\\n")
    await manager.async_stop()
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import errno
import functools
import logging
import os
import termios
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import serial
from serial_asyncio import SerialTransport

from gateway.clock import TimerHandle
from gateway.config.model import SerialPortConfig
from gateway.core import Gateway, callback
from gateway.util.backoff import BACKOFF_INITIAL, BACKOFF_MAXIMUM, Backoff
from hardware.framing import FrameDecoder, decode_frame, delimiter_bytes

__all__ = [
    "BACKOFF_INITIAL",
    "BACKOFF_MAXIMUM",
    "AvailabilityListener",
    "FrameListener",
    "PortStats",
    "SerialPortManager",
]

_LOGGER = logging.getLogger(__name__)

BLOCKING = True  # open and close block: they run in the executor

STABLE_SECONDS = 10.0  # a connection that lasted this long resets the backoff
READ_CHUNK = 16384
TRANSPORT_HIGH_WATER = 4096
TRANSPORT_LOW_WATER = 1024
WRITE_QUEUE_BYTES = 64 * 1024
OVERLONG_LOG_INTERVAL = 60.0

FrameListener = Callable[[bytes], None]
AvailabilityListener = Callable[[bool], None]


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


def open_port(config: SerialPortConfig) -> serial.Serial:
    """Open the port, non-blocking (blocking call: run it in the executor).

    `timeout=0`/`write_timeout=0` up front means the transport setting them again finds
    nothing to change and makes no `tcsetattr` call from the loop. Raises
    `serial.SerialException` (or OSError/ValueError) when the port cannot be opened.
    """
    return serial.Serial(
        port=config.port,
        baudrate=config.baudrate,
        bytesize=config.bytesize,
        parity=config.parity,
        stopbits=config.stopbits,
        rtscts=config.rtscts,
        timeout=0,
        write_timeout=0,
    )


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


class _Transport(SerialTransport):  # type: ignore[misc]
    """pyserial-asyncio 0.6's transport with the changes the gateway needs.

    - `_call_connection_lost` neither flushes (`tcdrain`, may block) nor closes the port in the
      loop: the manager closes it in the executor.
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


class _PortProtocol(asyncio.Protocol):
    """Forwards one connection's events to the manager (a new one per connection)."""

    def __init__(self, manager: SerialPortManager) -> None:
        self._manager = manager

    def data_received(self, data: bytes) -> None:
        self._manager._async_data_received(self, data)

    def connection_lost(self, exc: Exception | None) -> None:
        self._manager._async_connection_lost(self, exc)

    def pause_writing(self) -> None:
        self._manager._async_set_paused(self, True)

    def resume_writing(self) -> None:
        self._manager._async_set_paused(self, False)


class SerialPortManager:
    """Owns one serial port: the single reader, reconnects, availability and writes.

    Listeners are `@callback`-style functions called in the loop; an exception in one is
    logged and does not affect the others. All methods must be called from the loop.
    """

    def __init__(
        self,
        gw: Gateway,
        config: SerialPortConfig,
        *,
        backoff: Backoff | None = None,
        write_queue_bytes: int = WRITE_QUEUE_BYTES,
        opener: Callable[[SerialPortConfig], serial.Serial] = open_port,
    ) -> None:
        self.gw = gw
        self.config = config
        self.stats = PortStats()
        self.delimiter = delimiter_bytes(config.delimiter, config.encoding)
        self._decoder = FrameDecoder(self.delimiter, config.max_line)
        self._backoff = backoff or Backoff()
        self._opener = opener
        self._write_queue_bytes = write_queue_bytes
        self._frame_listeners: list[FrameListener] = []
        self._availability_listeners: list[AvailabilityListener] = []
        self._port: serial.Serial | None = None
        self._transport: _Transport | None = None
        self._protocol: _PortProtocol | None = None
        self._paused = False
        self._queue: collections.deque[bytes] = collections.deque()
        self._queued_bytes = 0
        self._available = False
        self._started = False
        self._stopping = False
        self._connected_at = 0.0
        self._retry: TimerHandle | None = None
        self._open_task: asyncio.Task[None] | None = None
        self._closing: set[asyncio.Future[None]] = set()
        self._outage_logged = False
        self._overlong_logged_at: float | None = None
        self._drops_logged = False

    def __repr__(self) -> str:
        return f"<SerialPortManager {self.config.id} {self.config.port}>"

    # -- consumers --------------------------------------------------------------------------

    @property
    def available(self) -> bool:
        """Whether the port is open now."""
        return self._available

    def decode(self, frame: bytes) -> str:
        """A frame as text in the port's encoding (hex digits for `hex`)."""
        return decode_frame(frame, self.config.encoding)

    @callback
    def async_add_frame_listener(self, listener: FrameListener) -> Callable[[], None]:
        """Call `listener(frame)` for every frame received; returns a remover."""
        return _add(self._frame_listeners, listener)

    @callback
    def async_add_availability_listener(self, listener: AvailabilityListener) -> Callable[[], None]:
        """Call `listener(available)` when the port opens or goes away; returns a remover."""
        return _add(self._availability_listeners, listener)

    @callback
    def async_write(self, data: bytes) -> bool:
        """Queue `data` to be written, in order; False (and counted) when it was dropped
        because the port is away or the write queue is full."""
        if not self._available or self._stopping:
            self._count_drop("the port is not open")
            return False
        if self._queued_bytes + len(data) > self._write_queue_bytes:
            self._count_drop("the write queue is full")
            return False
        self._queue.append(data)
        self._queued_bytes += len(data)
        self.stats.writes_queued += 1
        self._async_pump()
        return True

    @property
    def queued_bytes(self) -> int:
        """Bytes waiting in the write queue (not yet handed to the transport)."""
        return self._queued_bytes

    # -- life cycle -------------------------------------------------------------------------

    async def async_start(self) -> None:
        """Make the first open attempt; on failure, keep retrying in the background."""
        if self._started:
            raise RuntimeError(f"{self!r} was started already")
        self._started = True
        await self._async_open()

    async def async_stop(self) -> None:
        """Stop retrying, stop reading and close the port in the executor. Availability
        listeners are not called: the gateway is going away, the device is not."""
        self._stopping = True
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None
        if self._open_task is not None:
            await asyncio.gather(self._open_task, return_exceptions=True)
        self._drop_queue()
        if self._transport is not None:
            self._transport.abort()
        self._detach(discard_output=True)
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    # -- opening ----------------------------------------------------------------------------

    async def _async_open(self) -> None:
        future = self.gw.async_add_executor_job(self._opener, self.config)
        try:
            port = await asyncio.wait_for(asyncio.shield(future), self.gw.executor_timeout)
        except TimeoutError:
            # A hung driver: try again later, and close the port if the call ever returns.
            self.gw.async_untrack(future)
            future.add_done_callback(self._async_close_late_open)
            self._async_open_failed(f"opening {self.config.port} did not return in time")
            return
        except (serial.SerialException, OSError, ValueError, termios.error) as exc:
            hint = ""
            if getattr(exc, "errno", None) in (errno.EACCES, errno.EPERM):
                hint = " (is the user in the dialout group?)"
            self._async_open_failed(f"cannot open {self.config.port}: {exc}{hint}")
            return
        if self._stopping:
            self._close_in_executor(port, discard_output=True)
            return
        self._port = port
        self._protocol = protocol = _PortProtocol(self)
        self._transport = _Transport(self.gw.loop, protocol, port)
        self._transport.stats = self.stats
        self._transport._max_read_size = READ_CHUNK
        self._transport.set_write_buffer_limits(TRANSPORT_HIGH_WATER, TRANSPORT_LOW_WATER)
        self._paused = False
        self._connected_at = self.gw.clock.time()
        self.stats.opens += 1
        if self._outage_logged:
            _LOGGER.info("Serial port %s (%s) is back", self.config.id, self.config.port)
        self._outage_logged = False
        self._async_set_available(True)

    @callback
    def _async_open_failed(self, message: str) -> None:
        self.stats.open_failures += 1
        self._log_outage(message)
        self._async_schedule_retry()

    @callback
    def _async_close_late_open(self, future: asyncio.Future[serial.Serial]) -> None:
        if future.cancelled() or future.exception() is not None:
            return
        # RuntimeError: the executor is gone, the process is exiting anyway.
        with contextlib.suppress(RuntimeError):
            self._close_in_executor(future.result(), discard_output=True)

    @callback
    def _async_schedule_retry(self) -> None:
        if self._stopping:
            return
        delay = self._backoff.next_delay()
        _LOGGER.debug("Serial port %s: next open attempt in %.2f s", self.config.id, delay)
        self._retry = self.gw.clock.call_at(self.gw.clock.time() + delay, self._async_retry)

    @callback
    def _async_retry(self) -> None:
        self._retry = None
        if self._stopping:
            return
        self._open_task = self.gw.async_create_task(
            self._async_retry_open(), name=f"serial {self.config.id} reopen"
        )

    async def _async_retry_open(self) -> None:
        # The previous connection's port must be closed before the device node is reopened.
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)
        try:
            await self._async_open()
        finally:
            self._open_task = None

    # -- connection events ------------------------------------------------------------------

    @callback
    def _async_data_received(self, protocol: _PortProtocol, data: bytes) -> None:
        if protocol is not self._protocol:
            return
        self.stats.bytes_received += len(data)
        overlong = self._decoder.stats.overlong
        frames = self._decoder.feed(data)
        if self._decoder.stats.overlong != overlong:
            self.stats.overlong = self._decoder.stats.overlong
            self._log_overlong()
        for frame in frames:
            self.stats.frames += 1
            for listener in list(self._frame_listeners):
                try:
                    listener(frame)
                except Exception:
                    _LOGGER.exception("Serial port %s: frame listener failed", self.config.id)

    @callback
    def _async_connection_lost(self, protocol: _PortProtocol, exc: Exception | None) -> None:
        if protocol is not self._protocol:
            return  # a connection we already let go of (stop)
        self._transport = None
        self._protocol = None
        self.stats.disconnects += 1
        dropped = self._decoder.reset()
        if dropped:
            _LOGGER.debug("Serial port %s: discarded a partial frame", self.config.id)
        self._drop_queue()
        self._detach(discard_output=False)
        self._log_outage(f"{self.config.port} went away ({exc or 'closed'})")
        self._async_set_available(False)
        if self.gw.clock.time() - self._connected_at >= STABLE_SECONDS:
            self._backoff.reset()
        self._async_schedule_retry()

    @callback
    def _async_set_paused(self, protocol: _PortProtocol, paused: bool) -> None:
        if protocol is not self._protocol:
            return
        self._paused = paused
        if not paused:
            self._async_pump()

    # -- helpers ----------------------------------------------------------------------------

    @callback
    def _async_pump(self) -> None:
        """Hand queued writes to the transport until it asks us to pause."""
        transport = self._transport
        while self._queue and transport is not None and not self._paused:
            data = self._queue.popleft()
            self._queued_bytes -= len(data)
            self.stats.bytes_written += len(data)
            transport.write(data)  # may call pause_writing at once

    def _drop_queue(self) -> None:
        if self._queue:
            self.stats.writes_dropped += len(self._queue)
            self._queue.clear()
            self._queued_bytes = 0

    def _count_drop(self, reason: str) -> None:
        self.stats.writes_dropped += 1
        if not self._drops_logged:
            self._drops_logged = True
            _LOGGER.warning(
                "Serial port %s: dropping writes (%s); counting them in its stats",
                self.config.id,
                reason,
            )

    def _detach(self, *, discard_output: bool) -> None:
        self._transport = None
        self._protocol = None
        port, self._port = self._port, None
        if port is not None:
            self._close_in_executor(port, discard_output=discard_output)

    def _close_in_executor(self, port: serial.Serial, *, discard_output: bool) -> None:
        future = self.gw.async_add_executor_job(
            functools.partial(close_port, port, discard_output=discard_output)
        )
        self._closing.add(future)
        future.add_done_callback(self._closing.discard)

    @callback
    def _async_set_available(self, available: bool) -> None:
        if available == self._available:
            return
        self._available = available
        if available:
            self._drops_logged = False
        for listener in list(self._availability_listeners):
            try:
                listener(available)
            except Exception:
                _LOGGER.exception("Serial port %s: availability listener failed", self.config.id)

    def _log_outage(self, message: str) -> None:
        if self._outage_logged:
            _LOGGER.debug("Serial port %s: %s", self.config.id, message)
            return
        self._outage_logged = True
        _LOGGER.warning(
            "Serial port %s: %s; its entities are unavailable, retrying with backoff",
            self.config.id,
            message,
        )

    def _log_overlong(self) -> None:
        now = self.gw.clock.time()
        last = self._overlong_logged_at
        if last is not None and now - last < OVERLONG_LOG_INTERVAL:
            return
        self._overlong_logged_at = now
        _LOGGER.warning(
            "Serial port %s: discarded a line longer than max_line (%d bytes); %d so far",
            self.config.id,
            self.config.max_line,
            self.stats.overlong,
        )


def _add(listeners: list[Any], listener: Any) -> Callable[[], None]:
    listeners.append(listener)

    @callback
    def remove() -> None:
        if listener in listeners:
            listeners.remove(listener)

    return remove
