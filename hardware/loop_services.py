"""What a driver needs from its host, typed here so that `hardware` imports nothing above it.

A driver that reads or writes from the event loop, runs blocking calls in a thread pool or
retries on a timer receives a `LoopServices` instead of the Gateway. The Gateway satisfies it
structurally (`platforms/serial` passes `gw`, and mypy checks that it fits); a test may pass the
Gateway too, or anything else with these members.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, Protocol, TypeVar, runtime_checkable

__all__ = ["Clock", "LoopServices", "Timer"]

_R = TypeVar("_R")


class Timer(Protocol):
    """A scheduled call that can still be cancelled."""

    def cancel(self) -> None: ...


class Clock(Protocol):
    """Monotonic time and timers, used from the loop thread (tests pass a fake one)."""

    def time(self) -> float:
        """Monotonic seconds."""
        ...

    def call_at(self, when: float, callback: Callable[..., Any], *args: Any) -> Timer:
        """Run `callback(*args)` in the loop at monotonic time `when`."""
        ...


@runtime_checkable
class LoopServices(Protocol):
    """The loop, a bounded thread pool with a default timeout, tracked tasks and a clock.

    Every member is used from the loop thread only.
    """

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The event loop the driver's callbacks run in."""
        ...

    @property
    def clock(self) -> Clock:
        """Time and timers (retries, rate limits)."""
        ...

    @property
    def executor_timeout(self) -> float:
        """Seconds a blocking call may take before the driver gives up waiting for it."""
        ...

    def async_add_executor_job(self, target: Callable[..., _R], *args: Any) -> asyncio.Future[_R]:
        """Run a blocking `target(*args)` in the pool; the host waits for it in its tests."""
        ...

    def async_untrack(self, future: asyncio.Future[Any]) -> None:
        """Stop waiting for `future` (a call that hung past its timeout)."""
        ...

    def async_create_task(
        self, coro: Coroutine[Any, Any, _R], name: str | None = None
    ) -> asyncio.Task[_R]:
        """Start a task the host tracks and waits for when it stops."""
        ...
