"""Serial framing as pure code: bytes in, frames out, no I/O.

A serial device sends a byte stream; the gateway wants frames (usually lines). The decoder
splits on a delimiter, drops a trailing carriage return when the delimiter is a bare newline
(so `\\r\\n` devices need no special config), skips empty frames, and discards frames longer
than `max_frame` *while they stream in*: the bytes of a discarded frame are never kept, so the
buffer stays bounded whatever the device sends. The result does not depend on how the stream
was chunked by the kernel (property-tested).
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

__all__ = [
    "DEFAULT_MAX_FRAME",
    "HEX",
    "FrameDecoder",
    "FrameEncodingError",
    "FrameStats",
    "decode_frame",
    "delimiter_bytes",
    "encode_payload",
]

DEFAULT_MAX_FRAME = 4096
HEX = "hex"


@dataclass(slots=True)
class FrameStats:
    """Counters since the decoder was made: frames emitted, over-long frames discarded, and
    bytes of partial frames thrown away by `reset()`."""

    frames: int = 0
    overlong: int = 0
    reset_bytes: int = 0


class FrameDecoder:
    """Splits a byte stream into frames.

    `feed(data)` returns the frames completed by `data`, in order, without their delimiter.
    A frame longer than `max_frame` bytes (after the optional CR strip) is discarded and
    counted in `stats.overlong`; the caller logs it. `reset()` drops a partial frame (the device
    went away mid-line).
    """

    __slots__ = ("_buffer", "_delimiter", "_discarding", "_max_frame", "_strip_cr", "stats")

    def __init__(self, delimiter: bytes = b"\n", max_frame: int = DEFAULT_MAX_FRAME) -> None:
        if not delimiter:
            raise ValueError("the delimiter must not be empty")
        if max_frame < 1:
            raise ValueError("max_frame must be at least 1")
        self._delimiter = delimiter
        self._max_frame = max_frame
        self._strip_cr = delimiter == b"\n"
        self._buffer = bytearray()
        self._discarding = False
        self.stats = FrameStats()

    @property
    def buffered(self) -> int:
        """Bytes held for a frame not complete yet (at most `buffer_limit`)."""
        return len(self._buffer)

    @property
    def buffer_limit(self) -> int:
        """The most bytes the decoder ever keeps between calls."""
        return self._max_frame + int(self._strip_cr) + len(self._delimiter) - 1

    def feed(self, data: bytes) -> list[bytes]:
        """Add received bytes; return the frames they complete."""
        buffer = self._buffer
        delimiter = self._delimiter
        # A delimiter may straddle the old bytes and the new ones; nothing earlier can match.
        position = max(0, len(buffer) - len(delimiter) + 1)
        buffer += data
        frames: list[bytes] = []
        start = 0
        while (end := buffer.find(delimiter, position)) >= 0:
            if self._discarding:
                self._discarding = False  # the over-long frame ends here
            else:
                self._emit(bytes(buffer[start:end]), frames)
            start = position = end + len(delimiter)
        del buffer[:start]
        if not self._discarding and len(buffer) > self.buffer_limit:
            # Whatever follows, this frame is already too long: stop keeping its bytes.
            self._discarding = True
            self.stats.overlong += 1
        if self._discarding:
            # Keep only what may be the start of a delimiter split across chunks.
            keep = len(delimiter) - 1
            del buffer[: max(0, len(buffer) - keep)]
        return frames

    def reset(self) -> int:
        """Forget a partial frame; returns how many bytes were dropped."""
        dropped = 0 if self._discarding else len(self._buffer)
        self.stats.reset_bytes += dropped
        self._buffer.clear()
        self._discarding = False
        return dropped

    def _emit(self, frame: bytes, frames: list[bytes]) -> None:
        if self._strip_cr and frame.endswith(b"\r"):
            frame = frame[:-1]
        if len(frame) > self._max_frame:
            self.stats.overlong += 1
        elif frame:
            self.stats.frames += 1
            frames.append(frame)


class FrameEncodingError(ValueError):
    """A payload cannot be turned into bytes for the port (bad hex, unencodable text)."""


def delimiter_bytes(delimiter: str, encoding: str) -> bytes:
    """The delimiter as the port sends it (`hex` ports use UTF-8 for the delimiter)."""
    return delimiter.encode("utf-8" if encoding == HEX else encoding)


def decode_frame(frame: bytes, encoding: str) -> str:
    """A frame as text: hexadecimal digits for `hex`, else decoded with invalid bytes
    replaced by U+FFFD (a garbled line never raises)."""
    if encoding == HEX:
        return frame.hex()
    return frame.decode(encoding, errors="replace")


def encode_payload(payload: bytes, encoding: str) -> bytes:
    """What to write for an MQTT payload: hex digits (whitespace allowed) decoded for `hex`;
    for a UTF-8 port the payload unchanged; otherwise UTF-8 text re-encoded for the port.

    Raises FrameEncodingError when that is impossible.
    """
    try:
        if encoding == HEX:
            return bytes.fromhex(payload.decode("ascii"))
        if codecs.lookup(encoding).name == "utf-8":
            return bytes(payload)  # as sent: binary-safe for UTF-8 ports
        return payload.decode("utf-8").encode(encoding)
    except (UnicodeError, ValueError) as exc:
        raise FrameEncodingError(str(exc)) from exc
