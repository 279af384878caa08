"""What waits for the broker while the connection is down or backed up.

Retained messages describe a topic's current value, so only the latest one per topic is kept
(bounded by the number of topics). Other messages are events: they go to a FIFO bounded by
`maxlen` that drops the oldest and counts what it dropped. Pure, no I/O.
"""

from __future__ import annotations

import itertools
from collections import deque

from .models import PublishMessage

__all__ = ["Outbox"]


class Outbox:
    """Coalescing store for retained messages plus a bounded FIFO for the rest."""

    def __init__(self, maxlen: int) -> None:
        if maxlen < 1:
            raise ValueError("maxlen must be at least 1")
        self._latest: dict[str, PublishMessage] = {}
        self._fifo: deque[PublishMessage] = deque()
        self._maxlen = maxlen
        self.dropped = 0

    def put(self, message: PublishMessage) -> None:
        """Queue `message`; a retained one replaces the previous one for its topic."""
        if message.retain:
            # Re-insert so draining follows the order of the latest changes.
            self._latest.pop(message.topic, None)
            self._latest[message.topic] = message
            return
        if len(self._fifo) >= self._maxlen:
            self._fifo.popleft()
            self.dropped += 1
        self._fifo.append(message)

    def drain(self) -> list[PublishMessage]:
        """Everything queued, retained values first, and empty the outbox."""
        messages = [*self._latest.values(), *self._fifo]
        self._latest.clear()
        self._fifo.clear()
        return messages

    def take(self, limit: int) -> list[PublishMessage]:
        """Remove and return up to `limit` messages, in `drain` order."""
        messages: list[PublishMessage] = []
        for topic in list(itertools.islice(self._latest, limit)):
            messages.append(self._latest.pop(topic))
        while self._fifo and len(messages) < limit:
            messages.append(self._fifo.popleft())
        return messages

    def restore(self, messages: list[PublishMessage]) -> None:
        """Put back taken messages that could not be sent, ahead of what came since.

        A retained message is dropped if a newer one for its topic arrived meanwhile; the
        FIFO's bound still holds (the oldest go first, counted).
        """
        older = {m.topic: m for m in messages if m.retain and m.topic not in self._latest}
        self._latest = older | self._latest
        self._fifo.extendleft(reversed([m for m in messages if not m.retain]))
        while len(self._fifo) > self._maxlen:
            self._fifo.popleft()
            self.dropped += 1

    def __len__(self) -> int:
        return len(self._latest) + len(self._fifo)
