"""The one place where a driver thread hands off to the event loop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

__all__ = ["threadsafe_handoff"]

_LOGGER = logging.getLogger(__name__)


def threadsafe_handoff(
    loop: asyncio.AbstractEventLoop, target: Callable[..., None]
) -> Callable[..., None]:
    """Wrap a loop `@callback` so a driver thread can call it: THE hand-off into the loop.

    The returned function may be called from any thread (including the loop's own, as a mock
    pin driven from a test does); `target(*args)` then runs in the loop. Calls made after the
    loop closed are dropped: the process is shutting down.
    """

    def handoff(*args: Any) -> None:
        try:
            loop.call_soon_threadsafe(target, *args)
        except RuntimeError:  # loop closed
            _LOGGER.debug("GPIO event after the loop closed dropped: %s%r", target, args)

    return handoff
