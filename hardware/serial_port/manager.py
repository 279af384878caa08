"""`SerialPortManager`: the single reader of one port, its listeners and its writes.

Every consumer (serial sensors, the MQTT bridge) registers a frame listener; availability
listeners hear when the device goes away and comes back. The manager wires the seams together:
`ReopenSupervisor` opens and reopens the port, `SerialPortTransport` drives it from the loop,
`FrameDecoder` cuts the byte stream into frames, `WriteQueue` bounds what waits to be written.

Example::

    manager = SerialPortManager(gw, SerialPortSettings(name="arduino", port="/dev/ttyUSB0"))
    manager.async_add_frame_listener(lambda frame: print(manager.decode(frame)))
    await manager.async_start()
    manager.async_write(b"PING\\n")
    await manager.async_stop()
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TypeVar

import serial

from ..backoff import Backoff
from ..framing import FrameDecoder, decode_frame, delimiter_bytes
from ..loop_services import LoopServices
from .reopen import ReopenSupervisor
from .settings import AvailabilityListener, FrameListener, PortStats, SerialPortSettings
from .transport import Opener, SerialPortTransport, connect_transport, open_port
from .write_queue import WRITE_QUEUE_BYTES, WriteQueue

__all__ = ["OVERLONG_LOG_INTERVAL", "SerialPortManager"]

_LOGGER = logging.getLogger(__name__)

OVERLONG_LOG_INTERVAL = 60.0

_ListenerT = TypeVar("_ListenerT")


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

    Listeners are called in the loop and must not block; an exception in one is logged and
    does not affect the others. All methods must be called from the loop.
    """

    def __init__(
        self,
        services: LoopServices,
        settings: SerialPortSettings,
        *,
        backoff: Backoff | None = None,
        write_queue_bytes: int = WRITE_QUEUE_BYTES,
        opener: Opener = open_port,
    ) -> None:
        self.services = services
        self.settings = settings
        self.stats = PortStats()
        self.delimiter = delimiter_bytes(settings.delimiter, settings.encoding)
        self._decoder = FrameDecoder(self.delimiter, settings.max_line)
        self._writes = WriteQueue(settings.name, self.stats, write_queue_bytes)
        self._reopen = ReopenSupervisor(
            services,
            settings,
            self.stats,
            self._async_opened,
            opener=opener,
            backoff=backoff or Backoff(),
        )
        self._frame_listeners: list[FrameListener] = []
        self._availability_listeners: list[AvailabilityListener] = []
        self._port: serial.Serial | None = None
        self._transport: SerialPortTransport | None = None
        self._protocol: _PortProtocol | None = None
        self._available = False
        self._reading_paused = False
        self._started = False
        self._overlong_logged_at: float | None = None

    def __repr__(self) -> str:
        return f"<SerialPortManager {self.settings.name} {self.settings.port}>"

    # -- consumers --------------------------------------------------------------------------

    @property
    def available(self) -> bool:
        """Whether the port is open now."""
        return self._available

    @property
    def queued_bytes(self) -> int:
        """Bytes waiting in the write queue (not yet handed to the transport)."""
        return self._writes.queued_bytes

    def decode(self, frame: bytes) -> str:
        """A frame as text in the port's encoding (hex digits for `hex`)."""
        return decode_frame(frame, self.settings.encoding)

    def async_add_frame_listener(self, listener: FrameListener) -> Callable[[], None]:
        """Call `listener(frame)` for every frame received; returns a remover."""
        return _add(self._frame_listeners, listener)

    def async_add_availability_listener(self, listener: AvailabilityListener) -> Callable[[], None]:
        """Call `listener(available)` when the port opens or goes away; returns a remover."""
        return _add(self._availability_listeners, listener)

    def async_write(self, data: bytes) -> bool:
        """Queue `data` to be written, in order; False (and counted) when it was dropped
        because the port is away or the write queue is full."""
        if not self._available or self._reopen.stopping:
            self._writes.reject("the port is not open")
            return False
        return self._writes.offer(data, self._transport)

    def async_pause_reading(self) -> None:
        """Stop reading until `async_resume_reading`: a consumer that cannot keep up (the MQTT
        connection backed up) slows the device down instead of dropping frames. What arrives
        meanwhile waits in the kernel's buffer (a pseudo-terminal's writer blocks)."""
        self._reading_paused = True
        if self._transport is not None:
            self._transport.pause_reading()

    def async_resume_reading(self) -> None:
        """Read again (also after a reopen: a paused port is reopened paused)."""
        self._reading_paused = False
        if self._transport is not None:
            self._transport.resume_reading()

    # -- life cycle -------------------------------------------------------------------------

    async def async_start(self) -> None:
        """Make the first open attempt; on failure, keep retrying in the background."""
        if self._started:
            raise RuntimeError(f"{self!r} was started already")
        self._started = True
        await self._reopen.async_open()

    async def async_stop(self) -> None:
        """Stop retrying, stop reading and close the port in the executor. Availability
        listeners are not called: the gateway is going away, the device is not."""
        await self._reopen.async_stop()
        self._writes.drop_all()
        if self._transport is not None:
            self._transport.abort()
        self._detach(discard_output=True)
        await self._reopen.async_wait_closed()

    # -- connection events ------------------------------------------------------------------

    def _async_opened(self, port: serial.Serial) -> None:
        self._port = port
        self._protocol = protocol = _PortProtocol(self)
        self._transport = connect_transport(self.services.loop, protocol, port, self.stats)
        if self._reading_paused:
            self._transport.pause_reading()
        self._writes.paused = False
        self._async_set_available(True)

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
                    _LOGGER.exception("Serial port %s: frame listener failed", self.settings.name)

    def _async_connection_lost(self, protocol: _PortProtocol, exc: Exception | None) -> None:
        if protocol is not self._protocol:
            return  # a connection we already let go of (stop)
        self.stats.disconnects += 1
        if self._decoder.reset():
            _LOGGER.debug("Serial port %s: discarded a partial frame", self.settings.name)
        self._writes.drop_all()
        self._detach(discard_output=False)
        self._reopen.async_lost(str(exc or "closed"))
        self._async_set_available(False)

    def _async_set_paused(self, protocol: _PortProtocol, paused: bool) -> None:
        if protocol is not self._protocol:
            return
        self._writes.paused = paused
        if not paused:
            self._writes.pump(self._transport)

    # -- helpers ----------------------------------------------------------------------------

    def _detach(self, *, discard_output: bool) -> None:
        self._transport = None
        self._protocol = None
        port, self._port = self._port, None
        if port is not None:
            self._reopen.async_close(port, discard_output=discard_output)

    def _async_set_available(self, available: bool) -> None:
        if available == self._available:
            return
        self._available = available
        if available:
            self._writes.rearm_warning()
        for listener in list(self._availability_listeners):
            try:
                listener(available)
            except Exception:
                _LOGGER.exception(
                    "Serial port %s: availability listener failed", self.settings.name
                )

    def _log_overlong(self) -> None:
        now = self.services.clock.time()
        last = self._overlong_logged_at
        if last is not None and now - last < OVERLONG_LOG_INTERVAL:
            return
        self._overlong_logged_at = now
        _LOGGER.warning(
            "Serial port %s: discarded a line longer than max_line (%d bytes); %d so far",
            self.settings.name,
            self.settings.max_line,
            self.stats.overlong,
        )


def _add(listeners: list[_ListenerT], listener: _ListenerT) -> Callable[[], None]:
    listeners.append(listener)

    def remove() -> None:
        if listener in listeners:
            listeners.remove(listener)

    return remove
