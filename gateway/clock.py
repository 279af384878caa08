"""Time for the gateway's timers, real or fake.

Every timer in the gateway (`async_call_later`, intervals, entity polls, automation delays) is
scheduled through a `Clock`. The real one uses the event loop's monotonic clock; tests pass a
`FakeClock` and advance it, so timer tests never sleep.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable
from typing import Any, Protocol

__all__ = ["Clock", "FakeClock", "LoopClock", "TimerHandle", "async_sleep_unless"]


class TimerHandle(Protocol):
    """What a scheduled timer gives back: a way to cancel it."""

    def cancel(self) -> None: ...

    def cancelled(self) -> bool: ...


class Clock(Protocol):
    """Monotonic time plus scheduling; must be used from the loop thread."""

    def time(self) -> float:
        """Monotonic seconds."""
        ...

    def call_at(self, when: float, callback: Callable[..., Any], *args: Any) -> TimerHandle:
        """Run `callback(*args)` in the loop at monotonic time `when`."""
        ...

    def pending(self) -> int:
        """Timers scheduled and not cancelled (for leak checks in tests)."""
        ...


class LoopClock:
    """The event loop's clock."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._handles: set[asyncio.TimerHandle] = set()

    def time(self) -> float:
        return self._loop.time()

    def call_at(self, when: float, callback: Callable[..., Any], *args: Any) -> TimerHandle:
        handle: asyncio.TimerHandle

        def run() -> None:
            self._handles.discard(handle)
            callback(*args)

        handle = self._loop.call_at(when, run)
        self._handles.add(handle)
        return handle

    def pending(self) -> int:
        self._handles = {handle for handle in self._handles if not handle.cancelled()}
        return len(self._handles)


class _FakeTimer:
    __slots__ = ("args", "callback", "is_cancelled", "when")

    def __init__(self, when: float, callback: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.when = when
        self.callback = callback
        self.args = args
        self.is_cancelled = False

    def cancel(self) -> None:
        self.is_cancelled = True

    def cancelled(self) -> bool:
        return self.is_cancelled


class FakeClock:
    """A clock that only moves when told to; `advance` runs the timers that fall due."""

    def __init__(self, start: float = 1000.0) -> None:
        self._now = start
        self._heap: list[tuple[float, int, _FakeTimer]] = []
        self._order = itertools.count()

    def time(self) -> float:
        return self._now

    def call_at(self, when: float, callback: Callable[..., Any], *args: Any) -> TimerHandle:
        timer = _FakeTimer(when, callback, args)
        heapq.heappush(self._heap, (when, next(self._order), timer))
        return timer

    def pending(self) -> int:
        return sum(1 for _, _, timer in self._heap if not timer.is_cancelled)

    def advance(self, seconds: float) -> None:
        """Move time forward, running due timers in order (each at its own due time)."""
        target = self._now + seconds
        while self._heap and self._heap[0][0] <= target:
            when, _, timer = heapq.heappop(self._heap)
            if timer.is_cancelled:
                continue
            self._now = max(self._now, when)
            timer.callback(*timer.args)
        self._now = target


async def async_sleep_unless(clock: Clock, delay: float, interrupt: asyncio.Future[None]) -> None:
    """Wait `delay` seconds of `clock` (a fake one in tests), or until `interrupt` is done."""
    due: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    handle = clock.call_at(clock.time() + delay, _resolve, due)
    try:
        await asyncio.wait((due, interrupt), return_when=asyncio.FIRST_COMPLETED)
    finally:
        handle.cancel()
        due.cancel()


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
