"""Hand-offs between worker threads and the event loop.

These are the only sanctioned ways for a foreign thread to run something in the loop; both
return a `concurrent.futures.Future` the thread can wait on.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

__all__ = ["run_callback_threadsafe", "run_coroutine_threadsafe"]

_R = TypeVar("_R")


def run_callback_threadsafe(
    loop: asyncio.AbstractEventLoop, callback: Callable[..., _R], *args: Any
) -> concurrent.futures.Future[_R]:
    """Run `callback(*args)` in the loop and return a future for its result.

    Raises RuntimeError when called from the loop's own thread: waiting on the returned future
    there would deadlock.
    """
    if _loop_thread_id(loop) == threading.get_ident():
        raise RuntimeError("run_callback_threadsafe cannot be called from the event loop thread")
    future: concurrent.futures.Future[_R] = concurrent.futures.Future()

    def run_callback() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(callback(*args))
        except BaseException as exc:
            future.set_exception(exc)

    loop.call_soon_threadsafe(run_callback)
    return future


def run_coroutine_threadsafe(
    coro: Coroutine[Any, Any, _R], loop: asyncio.AbstractEventLoop
) -> concurrent.futures.Future[_R]:
    """Schedule `coro` in the loop from another thread; refuses the loop thread too."""
    if _loop_thread_id(loop) == threading.get_ident():
        coro.close()
        raise RuntimeError("run_coroutine_threadsafe cannot be called from the event loop thread")
    return asyncio.run_coroutine_threadsafe(coro, loop)


def _loop_thread_id(loop: asyncio.AbstractEventLoop) -> int | None:
    """The id of the thread running `loop`, or None when it is not running."""
    return getattr(loop, "_thread_id", None)
