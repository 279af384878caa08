"""A message recorder for subscription callbacks, with waiting on conditions."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from gateway.core import callback
from gateway.mqtt import ReceiveMessage

WAIT_TIMEOUT = 20.0


class Recorder:
    """Collects messages per label; `wait_until` re-checks its condition on every message."""

    def __init__(self) -> None:
        self.messages: dict[str, list[ReceiveMessage]] = {}
        self._waiters: list[tuple[Callable[[], bool], asyncio.Future[None]]] = []

    def callback_for(self, label: str) -> Callable[[ReceiveMessage], None]:
        @callback
        def record(msg: ReceiveMessage) -> None:
            self.record(label, msg)

        return record

    def record(self, label: str, msg: ReceiveMessage) -> None:
        self.messages.setdefault(label, []).append(msg)
        for predicate, future in list(self._waiters):
            if not future.done() and predicate():
                future.set_result(None)

    def topics(self, label: str) -> list[str]:
        return [msg.topic for msg in self.messages.get(label, [])]

    async def wait_until(
        self, predicate: Callable[[], bool], timeout: float = WAIT_TIMEOUT
    ) -> None:
        if predicate():
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (predicate, future)
        self._waiters.append(entry)
        try:
            await asyncio.wait_for(future, timeout)
        finally:
            self._waiters.remove(entry)
