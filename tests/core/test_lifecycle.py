"""Stopping in stages, with stuck executor jobs; blocking-call detection in debug mode."""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import pytest

from gateway.blocking import enable_debug
from gateway.clock import FakeClock
from gateway.const import EVENT_GATEWAY_CLOSE, EVENT_GATEWAY_FINAL_WRITE, EVENT_GATEWAY_STOP
from gateway.core import CoreState, Event, Gateway, callback
from gateway.exceptions import BlockingCallError
from tests.helpers import in_thread

STOP_BUDGET_SECONDS = 5.0


async def test_stop_runs_stages_in_order(gw: Gateway) -> None:
    stages: list[str] = []
    for event_type in (EVENT_GATEWAY_STOP, EVENT_GATEWAY_FINAL_WRITE, EVENT_GATEWAY_CLOSE):

        @callback
        def record(event: Event) -> None:
            stages.append(event.event_type)

        gw.bus.async_listen(event_type, record)
    await gw.async_stop()
    assert stages == [EVENT_GATEWAY_STOP, EVENT_GATEWAY_FINAL_WRITE, EVENT_GATEWAY_CLOSE]
    assert gw.state is CoreState.STOPPED


async def test_stop_cancels_background_tasks_after_stop_listeners(gw: Gateway) -> None:
    started = asyncio.Event()
    order: list[str] = []

    async def forever() -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            order.append("cancelled")
            raise

    @callback
    def on_stop(_: Event) -> None:
        order.append("stop listener")

    gw.async_create_background_task(forever(), name="forever")
    gw.bus.async_listen(EVENT_GATEWAY_STOP, on_stop)
    await started.wait()
    await gw.async_stop()
    assert order == ["stop listener", "cancelled"]


async def test_stop_with_stuck_executor_job_does_not_hang(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    gw = Gateway(clock=clock)
    release = threading.Event()
    entered = threading.Event()

    def stuck() -> None:
        entered.set()
        release.wait()

    gw.async_add_executor_job(stuck)
    await in_thread(entered.wait)
    try:
        await asyncio.wait_for(gw.async_stop(), STOP_BUDGET_SECONDS)
        assert gw.state is CoreState.STOPPED
        assert "still running at shutdown: boardgate-worker-0" in caplog.text
        assert "Timed out during gateway_stop" in caplog.text
    finally:
        release.set()


async def test_request_stop_from_a_callback(gw: Gateway) -> None:
    gw.async_request_stop(3)
    assert await gw.async_wait_stopped() == 3


async def test_blocking_call_in_loop_is_detected_and_named(gw: Gateway) -> None:
    with pytest.raises(BlockingCallError, match=r"time\.sleep .* by tests/core/test_lifecycle"):
        time.sleep(0)  # noqa: ASYNC251
    with pytest.raises(BlockingCallError, match="open"):
        open(__file__).close()  # noqa: ASYNC230


async def test_blocking_call_in_executor_is_fine(gw: Gateway) -> None:
    await gw.async_add_executor_job(time.sleep, 0)


def test_blocking_call_outside_a_loop_is_fine() -> None:
    time.sleep(0)


async def test_debug_mode_logs_offender_when_not_strict(
    strict_blocking_detection: None, caplog: pytest.LogCaptureFixture
) -> None:
    loop = asyncio.get_running_loop()
    # Stack a lenient layer over the strict one: the outer (lenient) wrapper logs first.
    undo = enable_debug(loop, strict=False)
    try:
        with caplog.at_level(logging.WARNING), pytest.raises(BlockingCallError):
            time.sleep(0)  # noqa: ASYNC251
    finally:
        undo()
    assert loop.get_debug()
    assert loop.slow_callback_duration == pytest.approx(0.05)
    assert "Detected blocking call to time.sleep" in caplog.text
