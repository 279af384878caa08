"""The bounded FIFO between a port's writers and its transport.

The transport keeps at most a few KiB (its write-buffer limits pause us); this queue holds at
most `limit_bytes`, and anything beyond is dropped and counted, so a stuck port never grows
memory. Loop only.
"""

from __future__ import annotations

import collections
import logging
from typing import Protocol

from .settings import PortStats

__all__ = ["WRITE_QUEUE_BYTES", "WriteQueue", "Writer"]

_LOGGER = logging.getLogger(__name__)

WRITE_QUEUE_BYTES = 64 * 1024


class Writer(Protocol):
    """Where queued writes go: the port's transport, which may pause the queue in `write`."""

    def write(self, data: bytes) -> None: ...


class WriteQueue:
    """Writes in arrival order, handed to the transport while it is not paused."""

    def __init__(self, name: str, stats: PortStats, limit_bytes: int = WRITE_QUEUE_BYTES) -> None:
        self._name = name
        self._stats = stats
        self._limit_bytes = limit_bytes
        self._queue: collections.deque[bytes] = collections.deque()
        self._queued_bytes = 0
        self._drops_logged = False
        self.paused = False

    @property
    def queued_bytes(self) -> int:
        """Bytes waiting (not yet handed to the transport)."""
        return self._queued_bytes

    def offer(self, data: bytes, transport: Writer | None) -> bool:
        """Queue `data` and pump; False (counted) when the queue has no room for it."""
        if self._queued_bytes + len(data) > self._limit_bytes:
            self.reject("the write queue is full")
            return False
        self._queue.append(data)
        self._queued_bytes += len(data)
        self._stats.writes_queued += 1
        self.pump(transport)
        return True

    def pump(self, transport: Writer | None) -> None:
        """Hand queued writes to `transport` until it asks us to pause."""
        while self._queue and transport is not None and not self.paused:
            data = self._queue.popleft()
            self._queued_bytes -= len(data)
            self._stats.bytes_written += len(data)
            transport.write(data)  # may pause us at once (the protocol's pause_writing)

    def reject(self, reason: str) -> None:
        """Count one write dropped for `reason`; warn once until `rearm_warning`."""
        self._stats.writes_dropped += 1
        if not self._drops_logged:
            self._drops_logged = True
            _LOGGER.warning(
                "Serial port %s: dropping writes (%s); counting them in its stats",
                self._name,
                reason,
            )

    def rearm_warning(self) -> None:
        """Warn again at the next drop (the port came back)."""
        self._drops_logged = False

    def drop_all(self) -> None:
        """Discard every queued write (the connection is gone), counting each."""
        if self._queue:
            self._stats.writes_dropped += len(self._queue)
            self._queue.clear()
            self._queued_bytes = 0
