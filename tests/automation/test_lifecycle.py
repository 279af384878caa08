"""The automation entity: its state, the automation.* services, and the gateway's stop."""

from __future__ import annotations

import pytest

from gateway.automation import async_get_component
from gateway.clock import FakeClock
from gateway.const import EVENT_GATEWAY_STOP
from gateway.core import Event, Gateway, callback
from gateway.exceptions import GatewayError
from platforms.virtual.switch import VirtualSwitch
from tests.automation.conftest import FakeMqtt, ServiceLog, SetUp

SLOW = """
  trigger: [{platform: event, event_type: go}]
  action:
    - {service: test.record, data: {tag: start}}
    - {delay: 10}
    - {service: test.record, data: {tag: end}}
"""


def _state(gw: Gateway, entity_id: str) -> tuple[str, dict[str, object]]:
    state = gw.states.get(entity_id)
    assert state is not None
    return state.state, dict(state.attributes)


async def test_each_automation_is_an_entity(gw: Gateway, automations: SetUp) -> None:
    await automations(
        """
- id: first
  alias: First one
  trigger: [{platform: event, event_type: go}]
  action: [{delay: 1}]
- id: second
  mode: queued
  max: 4
  trigger: [{platform: event, event_type: go}]
  action: [{delay: 1}]
"""
    )
    assert _state(gw, "automation.first") == (
        "on",
        {
            "id": "first",
            "alias": "First one",
            "mode": "single",
            "max": 10,
            "current": 0,
            "queued": 0,
            "last_triggered": None,
            "last_trigger": None,
        },
    )
    state, attributes = _state(gw, "automation.second")
    assert (state, attributes["mode"], attributes["max"]) == ("on", "queued", 4)
    assert async_get_component(gw) is not None
    assert sorted(gw.services.async_services()["automation"]) == [
        "trigger",
        "turn_off",
        "turn_on",
    ]


async def test_turn_off_detaches_and_stops_runs_turn_on_attaches_again(
    gw: Gateway,
    clock: FakeClock,
    automations: SetUp,
    service_log: ServiceLog,
    fake_mqtt: FakeMqtt,
) -> None:
    component = await automations(
        f"""
- id: slow{SLOW}
- id: listens
  trigger: [{{platform: mqtt, topic: x/y}}, {{platform: interval, seconds: 5}}]
  action: [{{service: test.record, data: {{tag: listens}}}}]
"""
    )
    gw.bus.async_fire("go")
    await component.async_wait_idle()
    assert fake_mqtt.subscriptions == 1
    await gw.services.async_call(
        "automation", "turn_off", {"entity_id": ["automation.slow", "automation.listens"]}
    )
    await component.async_wait_idle()
    assert _state(gw, "automation.slow")[0] == "off"
    assert _state(gw, "automation.slow")[1]["current"] == 0
    assert fake_mqtt.subscriptions == 0
    assert clock.pending() == 0  # the delay and the interval are gone
    gw.bus.async_fire("go")
    fake_mqtt.receive("x/y", "1")
    clock.advance(20)
    await component.async_wait_idle()
    assert service_log.tags == ["start"]

    await gw.services.async_call("automation", "turn_on", {"entity_id": "automation.slow"})
    assert _state(gw, "automation.slow")[0] == "on"
    assert _state(gw, "automation.listens")[0] == "off"
    gw.bus.async_fire("go")
    await component.async_wait_idle()
    clock.advance(10)
    await component.async_wait_idle()
    assert service_log.tags == ["start", "start", "end"]


async def test_turn_off_can_let_the_run_finish(
    gw: Gateway, clock: FakeClock, automations: SetUp, service_log: ServiceLog
) -> None:
    component = await automations(f"- id: slow{SLOW}")
    gw.bus.async_fire("go")
    await component.async_wait_idle()
    await gw.services.async_call(
        "automation", "turn_off", {"entity_id": "automation.slow", "stop_actions": False}
    )
    clock.advance(10)
    await component.async_wait_idle()
    assert service_log.tags == ["start", "end"]


async def test_an_automation_can_turn_itself_off(
    gw: Gateway, automations: SetUp, service_log: ServiceLog
) -> None:
    component = await automations(
        """
- id: once
  trigger: [{platform: event, event_type: go}]
  action:
    - {service: automation.turn_off, entity_id: automation.once}
    - {service: test.record}
"""
    )
    gw.bus.async_fire("go")
    await component.async_wait_idle()
    assert service_log.calls == []
    assert _state(gw, "automation.once")[0] == "off"


async def test_trigger_service_skips_conditions_unless_told(
    gw: Gateway, automations: SetUp, service_log: ServiceLog
) -> None:
    component = await automations(
        """
- id: guarded
  trigger: [{platform: event, event_type: go}]
  condition: [{condition: state, entity_id: switch.x, state: "ON"}]
  action: [{service: test.record}]
"""
    )
    call = {"entity_id": "automation.guarded"}
    await gw.services.async_call("automation", "trigger", {**call, "skip_condition": False})
    await component.async_wait_idle()
    assert service_log.calls == []
    await gw.services.async_call("automation", "trigger", call)
    await component.async_wait_idle()
    assert len(service_log.calls) == 1
    assert _state(gw, "automation.guarded")[1]["last_trigger"] == "automation.trigger service"
    await gw.services.async_call("automation", "turn_off", call)
    await gw.services.async_call("automation", "trigger", call)  # works while off
    await component.async_wait_idle()
    assert len(service_log.calls) == 2


async def test_services_refuse_unknown_automations(gw: Gateway, automations: SetUp) -> None:
    await automations(f"- id: slow{SLOW}")
    with pytest.raises(GatewayError, match=r"unknown automation: automation\.nope"):
        await gw.services.async_call("automation", "turn_off", {"entity_id": "automation.nope"})
    assert _state(gw, "automation.slow")[0] == "on"


async def test_gateway_stop_cancels_runs_before_outputs_go_to_on_stop(
    gw: Gateway,
    clock: FakeClock,
    automations: SetUp,
    relays: list[VirtualSwitch],
    service_log: ServiceLog,
) -> None:
    """An output switched by its `on_stop` (here: a stop listener registered before the
    automations, as entity domains are) must not start or continue any automation."""

    @callback
    def outputs_on_stop(_event: Event) -> None:
        gw.states.async_set("switch.relay_2", "ON")
        gw.bus.async_fire("go")

    gw.bus.async_listen_once(EVENT_GATEWAY_STOP, outputs_on_stop)
    component = await automations(
        f"""
- id: slow{SLOW}
- id: on_relay
  trigger: [{{platform: state, entity_id: switch.relay_2, to: "ON"}}]
  action: [{{service: test.record, data: {{tag: relay}}}}]
"""
    )
    gw.bus.async_fire("go")
    await component.async_wait_idle()
    run = component.automations["automation.slow"].runs[0]
    await gw.async_stop()
    assert run.task.cancelled()
    assert service_log.tags == ["start"]
    assert clock.pending() == 0
    assert all(not automation.runs for automation in component.automations.values())


async def test_unload_removes_states_services_and_listeners(
    gw: Gateway,
    clock: FakeClock,
    automations: SetUp,
    fake_mqtt: FakeMqtt,
    service_log: ServiceLog,
) -> None:
    before = gw.bus.async_listener_count()
    component = await automations(
        f"""
- id: slow{SLOW}
- id: listens
  trigger: [{{platform: mqtt, topic: x/y}}, {{platform: state, entity_id: switch.a, for: 5}}]
  action: [{{delay: 1}}]
"""
    )
    gw.bus.async_fire("go")
    gw.states.async_set("switch.a", "OFF")
    gw.states.async_set("switch.a", "ON")
    await component.async_wait_idle()
    await component.async_unload()
    assert gw.states.get("automation.slow") is None
    assert async_get_component(gw) is None
    assert "automation" not in {d for d, s in gw.services.async_services().items() if s}
    assert fake_mqtt.subscriptions == 0
    assert clock.pending() == 0
    after = gw.bus.async_listener_count()
    assert {key: after.get(key, 0) - before.get(key, 0) for key in after} == {
        key: 0 for key in after
    }


async def test_set_up_again_after_unload(
    gw: Gateway, automations: SetUp, service_log: ServiceLog
) -> None:
    """What a reload does: unload the old automations, set up the new ones."""
    old = await automations(f"- id: slow{SLOW}")
    await old.async_unload()
    new = await automations(
        "- {id: quick, trigger: {platform: event, event_type: go}, action: {service: test.record}}"
    )
    gw.bus.async_fire("go")
    await new.async_wait_idle()
    assert service_log.calls == [{}]
    assert gw.states.get("automation.slow") is None
    assert _state(gw, "automation.quick")[0] == "on"
