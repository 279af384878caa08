"""Small test helpers shared by the suites."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

_R = TypeVar("_R")
DEFAULT_WAIT = 10.0
ROOT = Path(__file__).resolve().parents[1]
_PRINT_MODULES = "\nimport json as _json, sys as _sys\nprint(_json.dumps(sorted(_sys.modules)))\n"


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


def modules_loaded_by(script: str, *args: str) -> set[str]:
    """Run `script` with `args` in a fresh interpreter; the modules it had imported at its end.

    Every module imported stays resident, so this is how a test shows what a code path loads
    (this interpreter has imported them all).
    """
    result = subprocess.run(
        [sys.executable, "-c", script + _PRINT_MODULES, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    loaded: list[str] = json.loads(result.stdout.splitlines()[-1])
    return set(loaded)


class Waiters:
    """Futures resolved when a predicate holds, re-checked on every `check()`.

    The owner calls `check()` whenever what the predicates read may have changed (a message,
    a state change, a frame): a test waits for the condition itself, never sleeps.
    """

    def __init__(self) -> None:
        self._waiters: list[tuple[Callable[[], bool], asyncio.Future[None]]] = []

    def check(self) -> None:
        for predicate, future in list(self._waiters):
            if not future.done() and predicate():
                future.set_result(None)

    async def wait(
        self, predicate: Callable[[], bool], what: str, timeout: float = DEFAULT_WAIT
    ) -> None:
        """Return once `predicate()` holds; AssertionError naming `what` after `timeout`."""
        if predicate():
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (predicate, future)
        self._waiters.append(entry)
        try:
            await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise AssertionError(f"timed out waiting for {what}") from None
        finally:
            self._waiters.remove(entry)
