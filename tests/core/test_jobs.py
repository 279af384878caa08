"""The dispatch table of DESIGN.md: where and when each kind of job runs."""

from __future__ import annotations

import asyncio
import functools
import threading

import pytest

from gateway.core import Gateway, Job, JobType, callback, get_job_type
from tests.helpers import in_thread


def _thread_name() -> str:
    return threading.current_thread().name


def plain(record: list[str]) -> None:
    record.append(_thread_name())


@callback
def cb(record: list[str]) -> None:
    record.append(_thread_name())


async def coro(record: list[str]) -> None:
    record.append(_thread_name())


LOOP_THREAD = threading.main_thread().name


def test_job_kind_is_decided_once() -> None:
    def target() -> None: ...

    job = Job(target)
    assert job.job_type is JobType.EXECUTOR
    callback(target)  # marking it later does not change the cached kind
    assert job.job_type is JobType.EXECUTOR
    assert Job(target).job_type is JobType.CALLBACK


def test_partial_is_unwrapped() -> None:
    assert get_job_type(functools.partial(cb, [])) is JobType.CALLBACK
    assert get_job_type(functools.partial(functools.partial(coro), [])) is (
        JobType.COROUTINE_FUNCTION
    )
    assert get_job_type(functools.partial(plain, [])) is JobType.EXECUTOR


def test_coroutine_object_is_refused() -> None:
    pending = coro([])
    with pytest.raises(ValueError, match="coroutine object"):
        get_job_type(pending)  # type: ignore[arg-type]
    pending.close()


async def test_run_job_callback_runs_immediately_in_loop(gw: Gateway) -> None:
    record: list[str] = []
    assert gw.async_run_job(cb, record) is None
    assert record == [LOOP_THREAD]


async def test_run_job_coroutine_is_scheduled_as_task(gw: Gateway) -> None:
    record: list[str] = []
    task = gw.async_run_job(coro, record)
    assert isinstance(task, asyncio.Task)
    assert record == []  # scheduled, not run yet
    await task
    assert record == [LOOP_THREAD]


async def test_run_job_other_runs_in_named_worker(gw: Gateway) -> None:
    record: list[str] = []
    future = gw.async_run_job(plain, record)
    assert future is not None
    await future
    assert len(record) == 1
    assert record[0].startswith("boardgate-worker-")


async def test_run_job_accepts_prebuilt_job(gw: Gateway) -> None:
    record: list[str] = []
    job = Job(functools.partial(cb, record))
    gw.async_run_job(job)
    assert record == [LOOP_THREAD]


async def test_add_job_schedules_callback_with_call_soon(gw: Gateway) -> None:
    record: list[str] = []
    assert gw.async_add_job(cb, record) is None
    assert record == []
    await asyncio.sleep(0)
    assert record == [LOOP_THREAD]


@pytest.mark.parametrize(
    ("target", "in_loop"), [(cb, True), (coro, True), (plain, False)], ids=["cb", "coro", "plain"]
)
async def test_add_job_from_foreign_thread(gw: Gateway, target: object, in_loop: bool) -> None:
    record: list[str] = []
    done = asyncio.Event()

    @callback
    def finished(_: object = None) -> None:
        done.set()

    def from_thread() -> None:
        gw.add_job(target, record)  # type: ignore[arg-type]
        gw.add_job(finished)

    await in_thread(from_thread, name="foreign")
    await done.wait()
    await gw.async_block_till_done()
    assert len(record) == 1
    assert (record[0] == LOOP_THREAD) is in_loop
    assert record[0] != "foreign"


async def test_block_till_done_waits_for_chained_jobs(gw: Gateway) -> None:
    record: list[str] = []

    async def first() -> None:
        gw.async_add_executor_job(plain, record)
        gw.async_create_task(coro(record))

    gw.async_create_task(first())
    await gw.async_block_till_done()
    assert len(record) == 2


async def test_executor_is_bounded_and_reports_load(gw: Gateway) -> None:
    release = threading.Event()
    started = threading.Semaphore(0)

    def occupy() -> None:
        started.release()
        release.wait()

    futures = [gw.async_add_executor_job(occupy) for _ in range(6)]
    for _ in range(4):
        await in_thread(started.acquire)
    stats = gw.executor.stats()
    assert (stats.workers, stats.busy, stats.queued) == (4, 4, 2)
    release.set()
    await asyncio.gather(*futures)
    assert gw.executor.stats().busy == 0
