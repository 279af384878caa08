"""Timers and state tracking on the fake clock."""

from __future__ import annotations

from gateway.clock import FakeClock
from gateway.core import Gateway, State, callback
from gateway.event import (
    async_call_later,
    async_track_state_change,
    async_track_time_interval,
)


async def test_call_later_fires_once_at_its_time(gw: Gateway, clock: FakeClock) -> None:
    fired: list[float] = []
    async_call_later(gw, 5, callback(lambda now: fired.append(now)))
    clock.advance(4.9)
    assert fired == []
    clock.advance(0.2)
    assert fired == [clock.time() - 0.1]
    clock.advance(100)
    assert len(fired) == 1


async def test_call_later_cancel(gw: Gateway, clock: FakeClock) -> None:
    fired: list[float] = []
    cancel = async_call_later(gw, 1, callback(lambda now: fired.append(now)))
    cancel()
    clock.advance(2)
    assert fired == []
    assert clock.pending() == 0


async def test_coroutine_action_runs_as_task(gw: Gateway, clock: FakeClock) -> None:
    fired: list[float] = []

    async def action(now: float) -> None:
        fired.append(now)

    async_call_later(gw, 1, action)
    clock.advance(1)
    await gw.async_block_till_done()
    assert len(fired) == 1


async def test_interval_without_drift_and_cancel(gw: Gateway, clock: FakeClock) -> None:
    start = clock.time()
    fired: list[float] = []
    cancel = async_track_time_interval(gw, callback(lambda now: fired.append(now)), 10)
    clock.advance(35)
    assert [round(t - start) for t in fired] == [10, 20, 30]
    cancel()
    clock.advance(100)
    assert len(fired) == 3
    assert clock.pending() == 0


async def test_track_state_change_filters_entities(gw: Gateway) -> None:
    seen: list[tuple[str, str | None, str | None]] = []

    @callback
    def action(entity_id: str, old: State | None, new: State | None) -> None:
        seen.append((entity_id, old and old.state, new and new.state))

    remove = async_track_state_change(gw, ["switch.a", "switch.b"], action)
    gw.states.async_set("switch.a", "ON")
    gw.states.async_set("switch.c", "ON")
    gw.states.async_set("switch.a", "OFF")
    assert seen == [("switch.a", None, "ON"), ("switch.a", "ON", "OFF")]
    remove()
    gw.states.async_set("switch.a", "ON")
    assert len(seen) == 2
