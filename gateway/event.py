"""Timers and state-change tracking, all scheduled through the gateway's clock."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .clock import TimerHandle
from .const import EVENT_STATE_CHANGED
from .core import Event, Gateway, Job, State, callback
from .event_data import StateChangedData

__all__ = [
    "async_call_later",
    "async_track_state_change",
    "async_track_time_interval",
]

CANCEL = Callable[[], None]


@callback
def async_call_later(gw: Gateway, delay: float, action: Callable[[float], Any]) -> CANCEL:
    """Run `action(now)` once after `delay` seconds; returns a canceller."""
    job: Job[Any] = Job(action)
    handle: TimerHandle | None = None

    @callback
    def fire() -> None:
        nonlocal handle
        handle = None
        gw.async_run_job(job, gw.clock.time())

    handle = gw.clock.call_at(gw.clock.time() + delay, fire)

    @callback
    def cancel() -> None:
        if handle is not None:
            handle.cancel()

    return cancel


@callback
def async_track_time_interval(
    gw: Gateway, action: Callable[[float], Any], interval: float, *, name: str | None = None
) -> CANCEL:
    """Run `action(now)` every `interval` seconds, without drift; returns a canceller."""
    if interval <= 0:
        raise ValueError("interval must be positive")
    job: Job[Any] = Job(action, name)
    handle: TimerHandle | None = None
    next_due = gw.clock.time() + interval

    @callback
    def fire() -> None:
        nonlocal handle, next_due
        now = gw.clock.time()
        while next_due <= now:
            next_due += interval
        handle = gw.clock.call_at(next_due, fire)
        gw.async_run_job(job, now)

    handle = gw.clock.call_at(next_due, fire)

    @callback
    def cancel() -> None:
        if handle is not None:
            handle.cancel()

    return cancel


@callback
def async_track_state_change(
    gw: Gateway,
    entity_ids: str | Iterable[str],
    action: Callable[[str, State | None, State | None], Any],
) -> CANCEL:
    """Run `action(entity_id, old_state, new_state)` when one of `entity_ids` changes.

    The filter is a set lookup per state change, whatever the number of trackers.
    """
    wanted = {entity_ids} if isinstance(entity_ids, str) else set(entity_ids)
    job: Job[Any] = Job(action)

    @callback
    def on_state_changed(event: Event[StateChangedData]) -> None:
        entity_id = event.data["entity_id"]
        if entity_id in wanted:
            gw.async_run_job(job, entity_id, event.data["old_state"], event.data["new_state"])

    return gw.bus.async_listen(EVENT_STATE_CHANGED, on_state_changed)
