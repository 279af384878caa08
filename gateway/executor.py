"""A bounded thread pool with named daemon workers that never hangs shutdown.

The standard `ThreadPoolExecutor` joins its workers at interpreter exit, so one driver stuck in a
blocking call would keep the process alive forever. Our workers are daemon threads that are not
registered for that join; `shutdown` waits for them up to a deadline and then gives up, naming
the stuck threads. A worker idle for `idle_timeout` seconds leaves (start-up can need all of
them; a quiet daemon on a small board should not keep their stacks and malloc arenas resident).
The pool also reports its load for the health topic.

`LoopDefaultExecutor` puts such a pool behind the loop's default executor (where aiomqtt
connects and resolves host names): asyncio insists on a `ThreadPoolExecutor` there, joins it at
the end of `asyncio.run` with no deadline, and the interpreter joins its threads again at exit,
so a 20 s DNS lookup would hold the exit for 20 s.
"""

from __future__ import annotations

import concurrent.futures
import functools
import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

_LOGGER = logging.getLogger(__name__)
_R = TypeVar("_R")

DEFAULT_MAX_WORKERS = 8
DEFAULT_IDLE_TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class ExecutorStats:
    """A snapshot of the pool's load."""

    workers: int
    busy: int
    queued: int


def _nothing() -> None:
    """Completion of a call that was cancelled before it started."""


@dataclass(slots=True)
class _WorkItem:
    future: concurrent.futures.Future[Any]
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]

    def run(self) -> Callable[[], None]:
        """Run the call; returns what completes the future, to be called once the pool's
        counters are up to date (a waiter woken by the result then sees them right)."""
        if not self.future.set_running_or_notify_cancel():
            return _nothing
        try:
            result = self.fn(*self.args, **self.kwargs)
        except BaseException as exc:  # handed to whoever awaits the future
            return functools.partial(self.future.set_exception, exc)
        return functools.partial(self.future.set_result, result)


class GatewayExecutor(concurrent.futures.Executor):
    """Bounded pool; workers are started on demand up to `max_workers`."""

    def __init__(
        self,
        max_workers: int = DEFAULT_MAX_WORKERS,
        thread_name_prefix: str = "boardgate-worker",
        idle_timeout: float | None = DEFAULT_IDLE_TIMEOUT,
        on_retire: Callable[[], object] | None = None,
    ) -> None:
        """`on_retire` runs in a worker's own thread as it leaves the pool for being idle
        (the gateway releases freed heap memory there)."""
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self.max_workers = max_workers
        self.idle_timeout = idle_timeout
        self._on_retire = on_retire
        self._prefix = thread_name_prefix
        self._numbers = itertools.count()
        self._queue: queue.SimpleQueue[_WorkItem | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._idle = 0  # workers waiting on the queue (between two calls)
        self._lock = threading.Lock()
        self._busy = 0
        self._pending = 0
        self._shutdown = False
        self._join_deadline: float | None = None
        self._reported_stuck: list[str] = []

    def submit(
        self, fn: Callable[..., _R], /, *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future[_R]:
        """Queue `fn(*args, **kwargs)`; raises RuntimeError after shutdown."""
        future: concurrent.futures.Future[_R] = concurrent.futures.Future()
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot schedule new work after shutdown")
            self._pending += 1
            self._queue.put(_WorkItem(future, fn, args, kwargs))
            waiting = self._pending - self._busy
            if waiting > self._idle and len(self._threads) < self.max_workers:
                self._start_worker()
        return future

    def stats(self) -> ExecutorStats:
        """Workers started, workers busy and calls waiting for a worker."""
        with self._lock:
            return ExecutorStats(len(self._threads), self._busy, self._pending - self._busy)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop accepting work; with `wait`, join workers for at most 5 s in all."""
        self.shutdown_with_deadline(5.0 if wait else 0.0, cancel_futures=cancel_futures)

    def shutdown_with_deadline(self, timeout: float, *, cancel_futures: bool = True) -> list[str]:
        """Stop the pool and return the names of workers still running after `timeout`.

        A later call never waits past the first call's deadline: a stuck worker is named once
        and then left behind, not waited for again."""
        with self._lock:
            if cancel_futures:
                self._cancel_queued()
            if not self._shutdown:
                for _ in self._threads:
                    self._queue.put(None)
            self._shutdown = True
            deadline = time.monotonic() + timeout
            if self._join_deadline is not None:
                deadline = min(deadline, self._join_deadline)
            self._join_deadline = deadline
        for thread in list(self._threads):
            thread.join(max(0.0, deadline - time.monotonic()))
        stuck = [thread.name for thread in self._threads if thread.is_alive()]
        if stuck and stuck != self._reported_stuck:
            _LOGGER.warning("Executor threads still running at shutdown: %s", ", ".join(stuck))
        self._reported_stuck = stuck
        return stuck

    def _cancel_queued(self) -> None:
        """Cancel work that has not started (called with the lock held); the stop sentinels
        of an earlier shutdown stay queued."""
        sentinels = 0
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                sentinels += 1
            elif item.future.cancel():
                self._pending -= 1
        for _ in range(sentinels):
            self._queue.put(None)

    def _start_worker(self) -> None:
        thread = threading.Thread(
            target=self._work, name=f"{self._prefix}-{next(self._numbers)}", daemon=True
        )
        self._threads.append(thread)
        thread.start()

    def _retire(self) -> bool:
        """Called by a worker that waited `idle_timeout` for work: leave, unless a call was
        queued meanwhile (a `submit` may have counted on this worker being idle: it stays)."""
        with self._lock:
            self._idle -= 1
            if self._pending > self._busy:
                return False
            self._threads.remove(threading.current_thread())
            return True

    def _run_retire_hook(self) -> None:
        if self._on_retire is not None:
            try:
                self._on_retire()
            except Exception:
                _LOGGER.exception("Error in the executor's on_retire hook")

    def _work(self) -> None:
        while True:
            with self._lock:
                self._idle += 1
            try:
                item = self._queue.get(timeout=self.idle_timeout)
            except queue.Empty:
                if self._retire():
                    self._run_retire_hook()
                    return
                continue
            with self._lock:
                self._idle -= 1
                if item is not None:
                    self._busy += 1
            if item is None:
                return
            try:
                complete = item.run()
            finally:
                with self._lock:
                    self._busy -= 1
                    self._pending -= 1
            complete()
            del item, complete


class LoopDefaultExecutor(concurrent.futures.ThreadPoolExecutor):
    """The loop's default executor, backed by a `GatewayExecutor` (see the module docstring).

    It is a `ThreadPoolExecutor` only for asyncio's type check: it starts no thread of its own
    and hands every call to `pool`; `shutdown` waits at most `shutdown_timeout`.
    """

    def __init__(self, pool: GatewayExecutor, shutdown_timeout: float) -> None:
        super().__init__(max_workers=1)  # never starts its thread: `submit` is overridden
        self.pool = pool
        self.shutdown_timeout = shutdown_timeout

    def submit(
        self, fn: Callable[..., _R], /, *args: Any, **kwargs: Any
    ) -> concurrent.futures.Future[_R]:
        """Queue `fn(*args, **kwargs)` in the pool; raises RuntimeError after shutdown."""
        return self.pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop the pool, joining its workers for at most `shutdown_timeout`."""
        timeout = self.shutdown_timeout if wait else 0.0
        self.pool.shutdown_with_deadline(timeout, cancel_futures=cancel_futures)
        super().shutdown(wait=False)
