"""The bounded pool on its own: idle workers leave, and a call is never stranded by one leaving.

These use real threads and no event loop: the pool is plain `concurrent.futures` API.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import platform
import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from gateway.executor import GatewayExecutor, LoopDefaultExecutor
from gateway.util.memory import release_free_memory


def _busy_thread(barrier: threading.Barrier) -> threading.Thread:
    barrier.wait(5)
    return threading.current_thread()


@pytest.fixture
def pool_factory() -> Iterator[list[GatewayExecutor]]:
    pools: list[GatewayExecutor] = []
    yield pools
    for pool in pools:
        assert pool.shutdown_with_deadline(5.0) == []


def test_idle_workers_leave_and_run_the_retire_hook(pool_factory: list[GatewayExecutor]) -> None:
    retired: list[str] = []
    pool = GatewayExecutor(
        4,
        "idle-test",
        idle_timeout=0.05,
        on_retire=lambda: retired.append(threading.current_thread().name),
    )
    pool_factory.append(pool)
    barrier = threading.Barrier(3)
    futures = [pool.submit(_busy_thread, barrier) for _ in range(3)]  # three busy at once
    workers = {future.result(5) for future in futures}
    assert len(workers) == 3
    for worker in workers:
        worker.join(5)
        assert not worker.is_alive()
    assert pool.stats().workers == 0
    assert sorted(retired) == sorted(worker.name for worker in workers)


def test_a_new_call_after_retirement_starts_a_fresh_worker(
    pool_factory: list[GatewayExecutor],
) -> None:
    pool = GatewayExecutor(2, "fresh-test", idle_timeout=0.05)
    pool_factory.append(pool)
    first = pool.submit(threading.current_thread).result(5)
    assert first.name == "fresh-test-0"
    first.join(5)
    assert pool.stats().workers == 0
    assert pool.submit(threading.current_thread).result(5).name == "fresh-test-1"


class _SubmitOnTimeout(queue.SimpleQueue[Any]):
    """A work queue that, the first time a worker's wait times out, submits a call before the
    worker gets to leave: the interleaving that could strand a call on a retiring worker."""

    def __init__(self) -> None:
        self.on_first_timeout: Callable[[], object] | None = None

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        try:
            return super().get(block, timeout)
        except queue.Empty:
            hook, self.on_first_timeout = self.on_first_timeout, None
            if hook is not None:
                hook()
            raise


def test_a_call_submitted_as_the_idle_worker_times_out_is_taken_by_it(
    pool_factory: list[GatewayExecutor],
) -> None:
    pool = GatewayExecutor(1, "timeout-test", idle_timeout=0.01)
    pool_factory.append(pool)
    racing = _SubmitOnTimeout()
    pool._queue = racing
    late: list[concurrent.futures.Future[threading.Thread]] = []
    racing.on_first_timeout = lambda: late.append(pool.submit(threading.current_thread))
    worker = pool.submit(threading.current_thread).result(5)
    worker.join(5)  # the worker leaves only after taking the late call
    assert late[0].result(5) is worker


def test_no_call_is_stranded_while_workers_keep_timing_out(
    pool_factory: list[GatewayExecutor],
) -> None:
    """Submitters race workers that are leaving (a 1 ms idle timeout): every call completes."""
    pool = GatewayExecutor(3, "race-test", idle_timeout=0.001)
    pool_factory.append(pool)
    results: list[concurrent.futures.Future[int]] = []
    lock = threading.Lock()

    def submitter(offset: int) -> None:
        for i in range(300):
            future = pool.submit(int, offset + i)
            with lock:
                results.append(future)
            if i % 50 == 0:
                future.result(5)  # let the pool go idle now and then

    threads = [threading.Thread(target=submitter, args=(n * 1000,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    done, pending = concurrent.futures.wait(results, 10)
    assert not pending
    assert sorted(future.result() for future in done) == sorted(
        n * 1000 + i for n in range(4) for i in range(300)
    )


def test_a_failing_retire_hook_is_logged_and_the_worker_still_leaves(
    pool_factory: list[GatewayExecutor], caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> None:
        raise RuntimeError("boom")

    pool = GatewayExecutor(1, "hook-test", idle_timeout=0.01, on_retire=broken)
    pool_factory.append(pool)
    pool.submit(threading.current_thread).result(5).join(5)
    assert pool.stats().workers == 0
    assert "on_retire hook" in caplog.text
    caplog.clear()  # expected error: not a failure of the test run


def test_release_free_memory_is_made_where_the_c_library_has_it() -> None:
    # glibc here and on Raspberry Pi OS; musl (Alpine) and macOS have no malloc_trim.
    assert release_free_memory() is (platform.libc_ver()[0] == "glibc")


def test_calls_queued_behind_a_busy_pool_leave_no_phantom_idle_worker(
    pool_factory: list[GatewayExecutor],
) -> None:
    """Calls that queue while every worker is busy are run by that worker; none of them may
    count as an idle worker later (else the next call, after the worker retired, waits for a
    worker that does not exist)."""
    pool = GatewayExecutor(1, "phantom-test", idle_timeout=0.01)
    pool_factory.append(pool)
    gate = threading.Event()

    def blocked() -> threading.Thread:
        gate.wait(5)
        return threading.current_thread()

    first = pool.submit(blocked)
    queued = [pool.submit(int, i) for i in range(3)]
    gate.set()
    assert [future.result(5) for future in queued] == [0, 1, 2]
    first.result(5).join(5)  # the only worker has retired
    assert pool.stats().workers == 0
    assert pool.submit(int, 7).result(5) == 7


def test_a_second_shutdown_keeps_the_first_deadline() -> None:
    """A stuck worker is waited for once: asyncio's own shutdown of the default executor
    (after the gateway's) must not wait for it again."""
    pool = GatewayExecutor(max_workers=2, thread_name_prefix="twice", idle_timeout=None)
    release = threading.Event()
    pool.submit(release.wait)
    pool.submit(lambda: None).result()
    try:
        stuck = pool.shutdown_with_deadline(0.05)
        assert len(stuck) == 1  # whichever worker took `release.wait`
        started = time.monotonic()
        assert pool.shutdown_with_deadline(5.0, cancel_futures=True) == stuck
        assert time.monotonic() - started < 1.0
    finally:
        release.set()
    for thread in list(pool._threads):
        thread.join(5)
    assert not any(thread.is_alive() for thread in pool._threads)


async def test_loop_default_executor_is_bounded_and_daemon() -> None:
    """The loop's default executor (aiomqtt's connect, DNS) never holds the exit."""
    pool = GatewayExecutor(max_workers=1, thread_name_prefix="io-test", idle_timeout=None)
    executor = LoopDefaultExecutor(pool, shutdown_timeout=0.1)
    loop = asyncio.get_running_loop()
    release = threading.Event()
    stuck = loop.run_in_executor(executor, release.wait)
    assert [thread.daemon for thread in pool._threads] == [True]
    started = time.monotonic()
    executor.shutdown(wait=True)
    assert time.monotonic() - started < 1.0
    release.set()
    assert await stuck is True
    for thread in list(pool._threads):
        thread.join(5)
