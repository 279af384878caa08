"""Small test helpers shared by the suites."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any, TypeVar

_R = TypeVar("_R")


async def in_thread(target: Callable[..., _R], *args: Any, name: str = "test-thread") -> _R:
    """Run `target(*args)` in a fresh, named thread (not the gateway's pool) and await it."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[_R] = loop.create_future()

    def deliver(result: Any, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    def run() -> None:
        try:
            result = target(*args)
        except BaseException as exc:
            loop.call_soon_threadsafe(deliver, None, exc)
        else:
            loop.call_soon_threadsafe(deliver, result, None)

    thread = threading.Thread(target=run, name=name)
    thread.start()
    try:
        return await future
    finally:
        thread.join()
