"""A serial device on a pseudo-terminal: the gateway opens `port`, the simulator writes lines.

Writes are non-blocking: with nobody reading the port, a line that does not fit is dropped,
as on a real wire.
"""

from __future__ import annotations

import contextlib
import os

__all__ = ["SimulatedSerialDevice"]


class SimulatedSerialDevice:
    """The master side of an `os.openpty()` pair; `port` names the slave to open."""

    def __init__(self) -> None:
        self._master, self._slave = os.openpty()
        os.set_blocking(self._master, False)
        self.port = os.ttyname(self._slave)
        self.lines_dropped = 0

    def write_line(self, line: bytes) -> bool:
        """Send `line` as the device would; False when the port's buffer had no room."""
        try:
            os.write(self._master, line)
        except BlockingIOError:
            self.lines_dropped += 1
            return False
        return True

    def close(self) -> None:
        """Close both sides (the gateway then sees the device go away)."""
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)
