"""Reload: added, removed and changed entities applied; unchanged ones untouched."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from gateway import reload as reload_module
from gateway.bootstrap import async_setup_gateway
from gateway.clock import FakeClock
from gateway.config import load_config
from gateway.const import EVENT_RELOAD_STARTED, EVENT_STATE_CHANGED
from gateway.core import Event, callback
from gateway.entity_component import async_get_component
from gateway.exceptions import ConfigError
from gateway.loader import resolve_platform_schema
from gateway.reload import ReloadPlan, async_reload_from_file, plan_reload
from hardware.errors import HardwareError
from tests.conftest import assert_stops_clean
from tests.helpers import in_thread

BEFORE = """\
gateway: {node_id: reload, state_dir: ./state}
switch:
  - {platform: virtual, name: Relay 1}
  - {platform: virtual, name: Relay 2}
sensor:
  - {platform: virtual, name: Setpoint, value: 20}
"""

AFTER = """\
gateway: {node_id: reload, state_dir: ./state}
# Relay 1 moved down a line but is unchanged; Relay 2 is gone; Relay 3 is new.
switch:
  - {platform: virtual, name: Relay 3, initial: "on"}
  - {platform: virtual, name: Relay 1}
sensor:
  - {platform: virtual, name: Setpoint, value: 22}
"""

INVALID = """\
switch:
  - {platform: virtual, name: Relay 1, initial: sideways}
"""


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    path = tmp_path / "boardgate.yaml"
    path.write_text(BEFORE)
    return path


def test_plan_ignores_position_in_file(config_path: Path) -> None:
    before = load_config(config_path, resolve_platform_schema)
    config_path.write_text(AFTER)
    after = load_config(config_path, resolve_platform_schema)
    plan = plan_reload(before, after)
    assert plan.added == ("switch.relay_3",)
    assert plan.removed == ("switch.relay_2",)
    assert plan.changed == ("sensor.setpoint",)
    assert plan.unchanged == ("switch.relay_1",)
    assert plan.restart_required == ()


async def test_reload_applies_changes_and_keeps_unchanged_outputs(
    config_path: Path, clock: FakeClock
) -> None:
    config = await in_thread(load_config, config_path, resolve_platform_schema)
    gw = await async_setup_gateway(config, clock=clock)
    try:
        await gw.services.async_call("switch", "turn_on", {"entity_id": "switch.relay_1"})
        component = async_get_component(gw, "switch")
        assert component is not None
        relay_1 = component.entities["switch.relay_1"]
        await in_thread(config_path.write_text, AFTER)
        plan = await async_reload_from_file(gw)
        assert plan.as_dict()["added"] == ["switch.relay_3"]
        assert component.entities["switch.relay_1"] is relay_1
        assert gw.states.get("switch.relay_1").state == "ON"  # type: ignore[union-attr]
        assert gw.states.get("switch.relay_2") is None
        assert gw.states.get("switch.relay_3").state == "ON"  # type: ignore[union-attr]
        assert gw.states.get("sensor.setpoint").state == "22"  # type: ignore[union-attr]
        await gw.services.async_call("switch", "turn_off", {"entity_id": "switch.relay_3"})
    finally:
        await assert_stops_clean(gw)


async def test_invalid_new_config_is_rejected_and_running_one_kept(
    config_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    config = await in_thread(load_config, config_path, resolve_platform_schema)
    gw = await async_setup_gateway(config, clock=clock)
    try:
        await in_thread(config_path.write_text, INVALID)
        with pytest.raises(ConfigError) as failure:
            await async_reload_from_file(gw)
        assert "switch.0.initial" in failure.value.errors[0]
        assert "Reload rejected" in caplog.text
        caplog.clear()
        assert gw.config is config
        assert gw.states.get("switch.relay_2") is not None
    finally:
        await assert_stops_clean(gw)


WITH_AUTOMATION = """\
gateway: {node_id: reload, state_dir: ./state}
switch:
  - {platform: virtual, name: Relay 1}
  - {platform: virtual, name: Relay 2}
sensor:
  - {platform: virtual, name: Setpoint, value: 20}
automation:
  - id: follow
    trigger: [{platform: state, entity_id: switch.relay_1, to: "ON"}]
    action: [{service: switch.turn_on, entity_id: switch.relay_2}]
"""


async def test_reload_replaces_automations(config_path: Path, clock: FakeClock) -> None:
    config = await in_thread(load_config, config_path, resolve_platform_schema)
    gw = await async_setup_gateway(config, clock=clock)
    try:
        await in_thread(config_path.write_text, WITH_AUTOMATION)
        plan = await async_reload_from_file(gw)
        assert plan.automations_changed
        assert plan.unchanged == ("switch.relay_1", "switch.relay_2", "sensor.setpoint")
        await gw.services.async_call("switch", "turn_on", {"entity_id": "switch.relay_1"})
        await gw.async_block_till_done()
        assert gw.states.get("switch.relay_2").state == "ON"  # type: ignore[union-attr]
        assert gw.states.get("automation.follow").state == "on"  # type: ignore[union-attr]
        await in_thread(config_path.write_text, BEFORE)
        assert (await async_reload_from_file(gw)).automations_changed
        assert gw.states.get("automation.follow") is None
        for service, entity_id in (("turn_off", "relay_2"), ("turn_off", "relay_1")):
            await gw.services.async_call("switch", service, {"entity_id": f"switch.{entity_id}"})
        await gw.services.async_call("switch", "turn_on", {"entity_id": "switch.relay_1"})
        await gw.async_block_till_done()
        assert gw.states.get("switch.relay_2").state == "OFF"  # type: ignore[union-attr]
    finally:
        await assert_stops_clean(gw)


async def test_requests_during_a_reload_share_the_one_that_follows(
    config_path: Path, clock: FakeClock
) -> None:
    """One reload at a time; the requests made meanwhile get the outcome of one more reload,
    which reads the file as it is after the last request."""
    config = await in_thread(load_config, config_path, resolve_platform_schema)
    gw = await async_setup_gateway(config, clock=clock)
    running: list[int] = []
    later: list[asyncio.Task[ReloadPlan]] = []
    rewrites: list[asyncio.Task[None]] = []

    async def request_twice_after_rewrite() -> None:
        await in_thread(config_path.write_text, BEFORE)
        later.extend(gw.async_create_task(async_reload_from_file(gw)) for _ in range(2))

    @callback
    def on_start(_event: Event) -> None:
        running.append(len(running))

    @callback
    def on_change(event: Event) -> None:
        # The first reload has read the file (it is adding relay 3): rewrite it, ask twice.
        if event.data["entity_id"] == "switch.relay_3" and not rewrites:
            rewrites.append(gw.async_create_task(request_twice_after_rewrite()))

    removers = [
        gw.bus.async_listen(EVENT_RELOAD_STARTED, on_start),
        gw.bus.async_listen(EVENT_STATE_CHANGED, on_change),
    ]
    try:
        await in_thread(config_path.write_text, AFTER)
        first = await async_reload_from_file(gw)
        await gw.async_block_till_done()
        second, third = [await task for task in later]
        assert first.added == ("switch.relay_3",)
        assert second is third  # one reload covered both requests
        assert second.added == ("switch.relay_2",)
        assert len(running) == 2
        assert gw.states.get("switch.relay_2") is not None
        assert gw.states.get("switch.relay_3") is None
    finally:
        for remove in removers:
            remove()
        await assert_stops_clean(gw)


async def test_a_reload_asked_for_while_stopping_is_dropped(
    config_path: Path, clock: FakeClock
) -> None:
    """The reload running when the stop begins finishes; the one asked for after it never
    starts (it would set entities up on a gateway that is going away)."""
    config = await in_thread(load_config, config_path, resolve_platform_schema)
    gw = await async_setup_gateway(config, clock=clock)
    started: list[Event] = []
    later: list[asyncio.Task[ReloadPlan]] = []

    @callback
    def on_start(event: Event) -> None:
        started.append(event)
        if len(started) == 1:
            later.append(gw.async_create_task(async_reload_from_file(gw)))
            gw.async_request_stop()

    remove = gw.bus.async_listen(EVENT_RELOAD_STARTED, on_start)
    try:
        await in_thread(config_path.write_text, AFTER)
        first = await async_reload_from_file(gw)
        assert first.added == ("switch.relay_3",)
        await gw.async_wait_stopped()
        assert len(started) == 1
        assert later[0].cancelled()
    finally:
        remove()
        await assert_stops_clean(gw)


@pytest.mark.parametrize(
    ("error", "level", "traceback"),
    [
        (HardwareError("/dev/gpiochip0: permission denied"), logging.WARNING, None),
        (TypeError("unexpected keyword 'x'"), logging.ERROR, TypeError),
    ],
    ids=["user_error", "bug"],
)
async def test_a_failed_reload_is_a_warning_for_a_user_error_and_an_error_for_a_bug(
    config_path: Path,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    error: Exception,
    level: int,
    traceback: type[Exception] | None,
) -> None:
    config = await in_thread(load_config, config_path, resolve_platform_schema)
    gw = await async_setup_gateway(config, clock=clock)
    try:

        async def failing_reload(*_args: object) -> ReloadPlan:
            raise error

        monkeypatch.setattr(reload_module, "async_reload", failing_reload)
        with pytest.raises(type(error)):
            await async_reload_from_file(gw)
        records = [
            (r.levelno, r.getMessage(), r.exc_info[0] if r.exc_info else None)
            for r in caplog.get_records("call")
            if r.name == reload_module.__name__
        ]
        message = f"Reload failed: {error}" if traceback is None else "Reload failed"
        assert records == [(level, message, traceback)]
        caplog.clear()
    finally:
        await assert_stops_clean(gw)
