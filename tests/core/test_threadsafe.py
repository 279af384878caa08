"""Hand-offs from foreign threads into the loop, and their refusal on the loop thread."""

from __future__ import annotations

import threading

import pytest

from gateway.core import Event, Gateway, ServiceCall, callback
from gateway.exceptions import ServiceNotFound
from gateway.util.async_ import run_callback_threadsafe, run_coroutine_threadsafe
from tests.helpers import in_thread


async def test_run_callback_threadsafe_runs_in_loop(gw: Gateway) -> None:
    def from_thread() -> tuple[int, int]:
        return run_callback_threadsafe(gw.loop, threading.get_ident).result(), (
            threading.get_ident()
        )

    loop_thread, caller = await in_thread(from_thread)
    assert loop_thread == gw.loop_thread_id != caller


async def test_run_callback_threadsafe_passes_exceptions(gw: Gateway) -> None:
    def boom() -> None:
        raise KeyError("boom")

    def from_thread() -> None:
        run_callback_threadsafe(gw.loop, boom).result()

    with pytest.raises(KeyError):
        await in_thread(from_thread)


async def test_run_callback_threadsafe_refuses_loop_thread(gw: Gateway) -> None:
    with pytest.raises(RuntimeError, match="event loop thread"):
        run_callback_threadsafe(gw.loop, print)


async def test_run_coroutine_threadsafe(gw: Gateway) -> None:
    async def answer() -> int:
        return 42

    assert await in_thread(lambda: run_coroutine_threadsafe(answer(), gw.loop).result()) == 42
    pending = answer()
    with pytest.raises(RuntimeError, match="event loop thread"):
        run_coroutine_threadsafe(pending, gw.loop)


async def test_bus_listen_and_fire_from_thread(gw: Gateway) -> None:
    seen: list[tuple[str, int]] = []

    @callback
    def listener(event: Event) -> None:
        seen.append((event.event_type, threading.get_ident()))

    remove = await in_thread(gw.bus.listen, "ping", listener)
    await in_thread(gw.bus.fire, "ping", {"n": 1})
    await gw.async_block_till_done()
    assert seen == [("ping", gw.loop_thread_id)]
    await in_thread(remove)
    gw.bus.async_fire("ping")
    assert len(seen) == 1


async def test_listen_once(gw: Gateway) -> None:
    seen: list[Event] = []
    gw.bus.async_listen_once("once", _collector(seen))
    gw.bus.async_fire("once")
    gw.bus.async_fire("once")
    assert len(seen) == 1


async def test_states_set_from_thread_fires_state_changed(gw: Gateway) -> None:
    events: list[Event] = []
    gw.bus.async_listen("state_changed", _collector(events))
    await in_thread(gw.states.set, "sensor.t", "21", {"unit_of_measurement": "°C"})
    state = gw.states.get("sensor.t")
    assert state is not None
    assert (state.state, state.attributes["unit_of_measurement"]) == ("21", "°C")
    assert events[0].data["old_state"] is None
    assert events[0].data["new_state"] is state


async def test_state_changed_only_on_change(gw: Gateway) -> None:
    events: list[Event] = []
    gw.bus.async_listen("state_changed", _collector(events))
    first = gw.states.async_set("switch.a", "ON")
    assert gw.states.async_set("switch.a", "ON") is first
    assert len(events) == 1
    updated = gw.states.async_set("switch.a", "ON", {"x": 1})
    assert updated.last_changed == first.last_changed
    assert updated.last_updated >= first.last_updated
    changed = gw.states.async_set("switch.a", "OFF", {"x": 1})
    assert changed.last_changed > first.last_changed
    assert len(events) == 3
    assert gw.states.async_remove("switch.a")
    assert events[-1].data["new_state"] is None


async def test_services_every_handler_kind_and_thread_safe_call(gw: Gateway) -> None:
    calls: list[tuple[str, int]] = []

    @callback
    def handle_cb(call: ServiceCall) -> str:
        calls.append(("cb", threading.get_ident()))
        return "cb"

    async def handle_coro(call: ServiceCall) -> str:
        calls.append(("coro", threading.get_ident()))
        return "coro"

    def handle_blocking(call: ServiceCall) -> str:
        calls.append(("blocking", threading.get_ident()))
        return "blocking"

    for name, handler in (("cb", handle_cb), ("coro", handle_coro), ("blocking", handle_blocking)):
        gw.services.async_register("test", name, handler)
    assert await gw.services.async_call("test", "cb") == "cb"
    assert await gw.services.async_call("test", "coro") == "coro"
    assert await in_thread(gw.services.call, "test", "blocking") == "blocking"
    kinds = {kind: ident for kind, ident in calls}
    assert kinds["cb"] == kinds["coro"] == gw.loop_thread_id
    assert kinds["blocking"] != gw.loop_thread_id


async def test_unknown_service(gw: Gateway) -> None:
    with pytest.raises(ServiceNotFound):
        await gw.services.async_call("nope", "nothing")


def _collector(into: list[Event]) -> object:
    @callback
    def collect(event: Event) -> None:
        into.append(event)

    return collect
