"""Run modes: single, restart, queued and parallel, with their bounds."""

from __future__ import annotations

import logging

import pytest

from gateway.automation.component import AutomationComponent
from gateway.clock import FakeClock
from gateway.core import Gateway
from tests.automation.conftest import ServiceLog, SetUp

SLOW = """
  trigger: [{platform: event, event_type: go}]
  action:
    - {service: test.record, data: {tag: start}}
    - {delay: 10}
    - {service: test.record, data: {tag: end}}
"""


async def _go(gw: Gateway, component: AutomationComponent, times: int = 1) -> None:
    for _ in range(times):
        gw.bus.async_fire("go")
        await component.async_wait_idle()


def _attributes(gw: Gateway, entity_id: str) -> dict[str, object]:
    state = gw.states.get(entity_id)
    assert state is not None
    return dict(state.attributes)


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno == logging.WARNING and record.name.startswith("gateway.automation")
    ]


FIRST_IGNORED = (
    "automation.slow: already running; event go ignored (mode single; more are counted until "
    "the run ends)"
)


async def test_single_ignores_triggers_while_running(
    gw: Gateway,
    clock: FakeClock,
    automations: SetUp,
    service_log: ServiceLog,
    caplog: pytest.LogCaptureFixture,
) -> None:
    component = await automations(f"- id: slow{SLOW}")
    await _go(gw, component, 3)
    assert service_log.tags == ["start"]
    assert _warnings(caplog) == [FIRST_IGNORED]
    assert _attributes(gw, "automation.slow")["current"] == 1
    clock.advance(10)
    await component.async_wait_idle()
    assert service_log.tags == ["start", "end"]
    assert _warnings(caplog) == [
        FIRST_IGNORED,
        "automation.slow: run ended; 2 triggers were ignored while it ran (mode single)",
    ]
    assert _attributes(gw, "automation.slow")["current"] == 0
    await _go(gw, component)
    assert service_log.tags == ["start", "end", "start"]


async def test_single_warns_once_per_run_however_many_triggers_arrive(
    gw: Gateway,
    clock: FakeClock,
    automations: SetUp,
    service_log: ServiceLog,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Issue 12: a busy trigger used to log one warning per message for the whole run."""
    component = await automations(f"- id: slow{SLOW}")
    for _ in range(1001):
        gw.bus.async_fire("go")
    await component.async_wait_idle()
    assert _warnings(caplog) == [FIRST_IGNORED]
    clock.advance(10)
    await component.async_wait_idle()
    ended = "automation.slow: run ended; 1000 triggers were ignored while it ran (mode single)"
    assert _warnings(caplog) == [FIRST_IGNORED, ended]

    caplog.clear()  # a later run warns again, and one ignored trigger needs no summary
    await _go(gw, component, 2)
    clock.advance(10)
    await component.async_wait_idle()
    assert _warnings(caplog) == [FIRST_IGNORED]
    assert service_log.tags == ["start", "end"] * 2


async def test_restart_cancels_the_run_and_starts_again(
    gw: Gateway, clock: FakeClock, automations: SetUp, service_log: ServiceLog
) -> None:
    component = await automations(f"- id: slow\n  mode: restart{SLOW}")
    await _go(gw, component)
    clock.advance(6)
    await _go(gw, component)
    assert service_log.tags == ["start", "start"]
    clock.advance(6)  # the first run's delay would have ended here
    await component.async_wait_idle()
    assert service_log.tags == ["start", "start"]
    clock.advance(4)
    await component.async_wait_idle()
    assert service_log.tags == ["start", "start", "end"]
    assert clock.pending() == 0
    assert _attributes(gw, "automation.slow")["current"] == 0


async def test_queued_runs_one_after_another_and_drops_beyond_max(
    gw: Gateway,
    clock: FakeClock,
    automations: SetUp,
    service_log: ServiceLog,
    caplog: pytest.LogCaptureFixture,
) -> None:
    component = await automations(f"- id: slow\n  mode: queued\n  max: 3{SLOW}")
    await _go(gw, component, 4)
    assert service_log.tags == ["start"]
    attributes = _attributes(gw, "automation.slow")
    assert (attributes["current"], attributes["queued"], attributes["max"]) == (1, 2, 3)
    assert _warnings(caplog) == [
        "automation.slow: 3 runs already (max 3); event go dropped (mode queued)"
    ]
    clock.advance(10)
    await component.async_wait_idle()
    assert service_log.tags == ["start", "end", "start"]
    for _ in range(2):
        clock.advance(10)
        await component.async_wait_idle()
    assert service_log.tags == ["start", "end"] * 3
    assert _attributes(gw, "automation.slow")["queued"] == 0


async def test_parallel_runs_at_once_up_to_max(
    gw: Gateway,
    clock: FakeClock,
    automations: SetUp,
    service_log: ServiceLog,
    caplog: pytest.LogCaptureFixture,
) -> None:
    component = await automations(f"- id: slow\n  mode: parallel\n  max: 2{SLOW}")
    await _go(gw, component, 3)
    assert service_log.tags == ["start", "start"]
    assert _attributes(gw, "automation.slow")["current"] == 2
    assert len(_warnings(caplog)) == 1
    clock.advance(10)
    await component.async_wait_idle()
    assert service_log.tags == ["start", "start", "end", "end"]
    await _go(gw, component)
    assert service_log.tags.count("start") == 3


async def test_parallel_default_max_is_ten(
    gw: Gateway, automations: SetUp, service_log: ServiceLog
) -> None:
    component = await automations(f"- id: slow\n  mode: parallel{SLOW}")
    await _go(gw, component, 12)
    assert service_log.tags.count("start") == 10
    assert _attributes(gw, "automation.slow")["max"] == 10


async def test_runs_are_tasks_named_after_the_automation(
    gw: Gateway, automations: SetUp, service_log: ServiceLog
) -> None:
    component = await automations(f"- id: slow\n  mode: parallel{SLOW}")
    await _go(gw, component, 2)
    runs = component.automations["automation.slow"].runs
    assert [run.task.get_name() for run in runs] == ["automation.slow"] * 2
