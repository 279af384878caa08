"""Server-Sent Events for `/api/stream`: every state change, to every connected page.

Each client has a bounded buffer. A client that falls `MAX_PENDING` messages behind (a stalled
phone on a slow link) is disconnected instead of holding the gateway's memory; its page
reconnects and starts again from a snapshot, so it misses nothing it shows.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Final

from ..core import callback

__all__ = ["MAX_CLIENTS", "MAX_PENDING", "PING_SECONDS", "StreamClient", "StreamHub", "sse_message"]

MAX_PENDING: Final = 1000
MAX_CLIENTS: Final = 32  # open streams at once; one more gets a 503
PING_SECONDS: Final = 15.0  # a page that hears nothing for ~2.5 pings knows it lost the board


def sse_message(event: str, data: str) -> bytes:
    """One SSE message; `data` is JSON, so it holds no raw newline."""
    return f"event: {event}\ndata: {data}\n\n".encode()


class StreamClient:
    """One page's pending messages; `wake` is set when there is something to send."""

    def __init__(self) -> None:
        self.pending: deque[bytes] = deque()
        self.wake = asyncio.Event()
        self.closed = False

    def take(self) -> bytes:
        """Everything pending, as one write."""
        self.wake.clear()
        chunk = b"".join(self.pending)
        self.pending.clear()
        return chunk

    @callback
    def async_close(self) -> None:
        self.closed = True
        self.wake.set()


class StreamHub:
    """The connected clients; `async_send` fans one message out to all of them."""

    def __init__(self) -> None:
        self._clients: set[StreamClient] = set()

    @property
    def has_clients(self) -> bool:
        return bool(self._clients)

    def __len__(self) -> int:
        return len(self._clients)

    @property
    def full(self) -> bool:
        return len(self._clients) >= MAX_CLIENTS

    @callback
    def async_open(self) -> StreamClient:
        client = StreamClient()
        self._clients.add(client)
        return client

    @callback
    def async_remove(self, client: StreamClient) -> None:
        self._clients.discard(client)

    @callback
    def async_send(self, message: bytes) -> None:
        for client in self._clients:
            if len(client.pending) >= MAX_PENDING:
                client.async_close()
                continue
            client.pending.append(message)
            client.wake.set()

    @callback
    def async_close_all(self) -> None:
        for client in self._clients:
            client.async_close()
        self._clients.clear()
