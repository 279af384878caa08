"""Shared fixtures: a real core per test, strict blocking detection and leak checks.

Gateway tests run with asyncio debug on; every test runs with blocking-call detection in strict
mode, and fails
when it leaves threads, tasks or timers behind or logs an error it did not expect (a test that
expects one asserts it and then calls `caplog.clear()`).
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import threading
from collections.abc import AsyncIterator, Iterator

import pytest
from hypothesis import settings

from gateway.blocking import SLOW_CALLBACK_SECONDS, enable_blocking_detection
from gateway.clock import FakeClock
from gateway.core import CoreState, Gateway

if importlib.util.find_spec("tests.fixtures_mqtt") is not None:
    pytest_plugins = ["tests.fixtures_mqtt", "tests.fixtures_process"]

THREAD_GRACE_SECONDS = 5.0

# Property tests are deterministic (same examples every run, no example database on disk), so
# a red CI run can be reproduced; a test may still raise max_examples for itself.
settings.register_profile("boardgate", derandomize=True, database=None, deadline=None)
settings.load_profile("boardgate")


@pytest.fixture(autouse=True)
def strict_blocking_detection() -> Iterator[None]:
    """Blocking calls in a running loop raise BlockingCallError for the test's duration."""
    undo = enable_blocking_detection(strict=True)
    yield
    undo()


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:
    """Fail a test that leaves threads running."""
    before = set(threading.enumerate())
    yield
    leaked = [thread for thread in threading.enumerate() if thread not in before]
    for thread in leaked:
        thread.join(THREAD_GRACE_SECONDS / max(1, len(leaked)))
    alive = [thread.name for thread in leaked if thread.is_alive()]
    assert not alive, f"test left threads running: {alive}"


@pytest.fixture(autouse=True)
async def no_leaked_tasks_or_timers() -> AsyncIterator[None]:
    """Fail a test that leaves tasks running or loop timers scheduled.

    Autouse fixtures are set up first, so this check runs after every other fixture (the
    gateway's stop included) has been torn down.
    """
    yield
    await asyncio.sleep(0)
    loop = asyncio.get_running_loop()
    current = asyncio.current_task()
    tasks = [task for task in asyncio.all_tasks() if task is not current and not task.done()]
    assert not tasks, f"test left tasks running: {tasks}"
    timers = [handle for handle in loop._scheduled if not handle.cancelled()]  # type: ignore[attr-defined]
    assert not timers, f"test left timers scheduled: {timers}"


@pytest.fixture(autouse=True)
async def joined_default_executor(
    no_leaked_threads: None, no_leaked_tasks_or_timers: None
) -> AsyncIterator[None]:
    """Join the loop's default executor (aiomqtt connects there, `in_thread` runs there).

    It requests the leak checks so that it is torn down before them: its threads are no leak.
    """
    yield
    await asyncio.get_running_loop().shutdown_default_executor()


@pytest.fixture(autouse=True)
def no_unexpected_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail a test that logged an error it did not clear, set-up and teardown included.

    This fixture is set up before the test's own fixtures, so it is torn down after them: the
    teardown records it reads already hold what the gateway logged while stopping.
    """
    caplog.set_level(logging.INFO)
    yield
    errors = [
        f"{when}: {record.getMessage()}"
        for when in ("setup", "call", "teardown")
        for record in caplog.get_records(when)  # type: ignore[arg-type]
        if record.levelno >= logging.ERROR
    ]
    assert not errors, f"unexpected errors logged: {errors}"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def gw(clock: FakeClock) -> AsyncIterator[Gateway]:
    """A running gateway on a fake clock; stopped and checked for leaks afterwards."""
    loop = asyncio.get_running_loop()
    loop.set_debug(True)
    loop.slow_callback_duration = SLOW_CALLBACK_SECONDS
    gateway = Gateway(clock=clock, executor_workers=4, executor_timeout=5.0)
    await gateway.async_start()
    yield gateway
    await assert_stops_clean(gateway)


async def assert_stops_clean(gateway: Gateway) -> None:
    """Stop the gateway and check that no task or timer is left behind."""
    if gateway.state is not CoreState.STOPPED:
        await gateway.async_stop()
    current = asyncio.current_task()
    tasks = [task for task in asyncio.all_tasks() if task is not current and not task.done()]
    assert not tasks, f"test left tasks running: {tasks}"
    assert gateway.clock.pending() == 0, "test left timers scheduled"
