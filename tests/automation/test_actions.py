"""Actions: service calls, delays, wait_for_trigger, mqtt.publish, and errors in a run."""

from __future__ import annotations

import logging

import pytest

from gateway.automation import async_setup
from gateway.clock import FakeClock
from gateway.core import Gateway
from platforms.virtual.switch import VirtualSwitch
from tests.automation.conftest import FakeMqtt, ServiceLog, SetUp, parse


def _state(gw: Gateway, entity_id: str) -> str | None:
    state = gw.states.get(entity_id)
    return None if state is None else state.state


async def test_design_example_fan_when_hot(
    gw: Gateway, clock: FakeClock, automations: SetUp, relays: list[VirtualSwitch]
) -> None:
    """The `automation:` example of DESIGN.md, end to end through the switch services."""
    gw.states.async_set("sensor.thermometer", "22")
    component = await automations(
        """
- id: fan_when_hot
  trigger: [{platform: numeric_state, entity_id: sensor.thermometer, above: 30}]
  condition: [{condition: state, entity_id: switch.relay_1, state: "OFF"}]
  action:
    - {service: switch.turn_on, entity_id: switch.relay_1}
    - {delay: 300}
    - {service: switch.turn_off, entity_id: switch.relay_1}
"""
    )
    gw.states.async_set("sensor.thermometer", "31")
    await component.async_wait_idle()
    assert _state(gw, "switch.relay_1") == "ON"
    clock.advance(299)
    await component.async_wait_idle()
    assert _state(gw, "switch.relay_1") == "ON"
    clock.advance(1)
    await component.async_wait_idle()
    assert _state(gw, "switch.relay_1") == "OFF"
    assert _state(gw, "switch.relay_2") == "OFF"


async def test_condition_blocks_the_run(
    gw: Gateway, automations: SetUp, relays: list[VirtualSwitch], service_log: ServiceLog
) -> None:
    component = await automations(
        """
- id: only_when_relay_on
  trigger: [{platform: event, event_type: go}]
  condition: [{condition: state, entity_id: switch.relay_1, state: "ON"}]
  action: [{service: test.record}]
"""
    )
    gw.bus.async_fire("go")
    await component.async_wait_idle()
    assert service_log.calls == []
    await gw.services.async_call("switch", "turn_on", {"entity_id": "switch.relay_1"})
    gw.bus.async_fire("go")
    await component.async_wait_idle()
    assert len(service_log.calls) == 1


async def test_service_action_passes_entity_ids_and_data(
    gw: Gateway, automations: SetUp, service_log: ServiceLog
) -> None:
    component = await automations(
        """
- id: call
  trigger: [{platform: event, event_type: go}]
  action:
    - service: test.record
      entity_id: [switch.a, switch.b]
      data: {brightness: 128, nested: {list: [1, 2]}}
"""
    )
    gw.bus.async_fire("go")
    await component.async_wait_idle()
    assert service_log.calls == [
        {"entity_id": ["switch.a", "switch.b"], "brightness": 128, "nested": {"list": [1, 2]}}
    ]


async def test_delay_forms(
    gw: Gateway, clock: FakeClock, automations: SetUp, service_log: ServiceLog
) -> None:
    component = await automations(
        """
- id: delays
  trigger: [{platform: event, event_type: go}]
  action:
    - {delay: 1.5}
    - {service: test.record, data: {tag: a}}
    - {delay: 500ms}
    - {service: test.record, data: {tag: b}}
    - {delay: {minutes: 1, seconds: 30}}
    - {service: test.record, data: {tag: c}}
"""
    )
    gw.bus.async_fire("go")
    await component.async_wait_idle()
    for step, expected in ((1.4, []), (0.1, ["a"]), (0.5, ["a", "b"]), (89.9, ["a", "b"])):
        clock.advance(step)
        await component.async_wait_idle()
        assert service_log.tags == expected
    clock.advance(0.1)
    await component.async_wait_idle()
    assert service_log.tags == ["a", "b", "c"]
    assert clock.pending() == 0


async def test_mqtt_publish_action(gw: Gateway, automations: SetUp, fake_mqtt: FakeMqtt) -> None:
    component = await automations(
        """
- id: announce
  trigger: [{platform: event, event_type: go}]
  action:
    - {service: mqtt.publish, data: {topic: garage/door, payload: open}}
    - {service: mqtt.publish, data: {topic: garage/json, payload: {a: 1}, qos: 0, retain: true}}
    - {service: mqtt.publish, data: {topic: garage/number, payload: 42}}
"""
    )
    gw.bus.async_fire("go")
    await component.async_wait_idle()
    assert fake_mqtt.published == [
        ("garage/door", "open", None, None),
        ("garage/json", '{"a":1}', 0, True),
        ("garage/number", "42", None, None),
    ]


async def test_wait_for_trigger_continues_when_triggered(
    gw: Gateway, clock: FakeClock, automations: SetUp, service_log: ServiceLog
) -> None:
    listeners_before = gw.bus.async_listener_count()
    component = await automations(
        """
- id: wait
  trigger: [{platform: event, event_type: go}]
  action:
    - service: test.record
      data: {tag: start}
    - wait_for_trigger: [{platform: event, event_type: proceed}]
      timeout: 60
    - service: test.record
      data: {tag: end}
"""
    )
    gw.bus.async_fire("go")
    await component.async_wait_idle()
    assert service_log.tags == ["start"]
    clock.advance(30)
    gw.bus.async_fire("proceed")
    await component.async_wait_idle()
    assert service_log.tags == ["start", "end"]
    assert clock.pending() == 0  # the timeout timer was cancelled
    listeners = gw.bus.async_listener_count()
    assert "proceed" not in listeners
    assert set(listeners) - set(listeners_before) <= {"go", "gateway_stop", "state_changed"}


async def test_wait_for_trigger_timeout_continues_or_stops(
    gw: Gateway,
    clock: FakeClock,
    automations: SetUp,
    service_log: ServiceLog,
    caplog: pytest.LogCaptureFixture,
) -> None:
    component = await automations(
        """
- id: goes_on
  trigger: [{platform: event, event_type: go}]
  action:
    - {wait_for_trigger: [{platform: event, event_type: never}], timeout: 10}
    - {service: test.record, data: {tag: goes_on}}
- id: gives_up
  trigger: [{platform: event, event_type: go}]
  action:
    - wait_for_trigger: [{platform: state, entity_id: switch.x, to: "ON"}]
      timeout: 10
      continue_on_timeout: false
    - {service: test.record, data: {tag: gives_up}}
"""
    )
    gw.bus.async_fire("go")
    await component.async_wait_idle()
    clock.advance(9.9)
    await component.async_wait_idle()
    assert service_log.tags == []
    clock.advance(0.1)
    await component.async_wait_idle()
    assert service_log.tags == ["goes_on"]
    assert "automation.gives_up: stopped at action 1: wait_for_trigger timed out" in caplog.text


async def test_wait_for_trigger_without_timeout_waits_for_ever(
    gw: Gateway, clock: FakeClock, automations: SetUp, service_log: ServiceLog
) -> None:
    gw.states.async_set("binary_sensor.door", "OFF")
    component = await automations(
        """
- id: wait
  trigger: [{platform: event, event_type: go}]
  action:
    - wait_for_trigger:
        - {platform: state, entity_id: binary_sensor.door, to: "ON", for: 5}
    - {service: test.record, data: {tag: done}}
"""
    )
    gw.bus.async_fire("go")
    clock.advance(3600)
    await component.async_wait_idle()
    gw.states.async_set("binary_sensor.door", "ON")
    clock.advance(4)
    await component.async_wait_idle()
    assert service_log.tags == []
    clock.advance(1)
    await component.async_wait_idle()
    assert service_log.tags == ["done"]


async def test_error_in_an_action_stops_only_that_run(
    gw: Gateway,
    automations: SetUp,
    service_log: ServiceLog,
    caplog: pytest.LogCaptureFixture,
) -> None:
    component = await automations(
        """
- id: broken
  trigger: [{platform: event, event_type: go}]
  action:
    - {service: test.record, data: {tag: before}}
    - {service: test.fail}
    - {service: test.record, data: {tag: after}}
- id: missing_service
  trigger: [{platform: event, event_type: go}]
  action: [{service: nothing.here}, {service: test.record, data: {tag: never}}]
- id: healthy
  trigger: [{platform: event, event_type: go}]
  action: [{service: test.record, data: {tag: healthy}}]
"""
    )
    gw.bus.async_fire("go")
    await component.async_wait_idle()
    assert sorted(service_log.tags) == ["before", "healthy"]
    failures = {
        r.getMessage(): (r.levelno, r.exc_info[0] if r.exc_info else None)
        for r in caplog.records
        if r.name == "gateway.automation.script"
    }
    # A bug in a service (RuntimeError): ERROR with its traceback.
    assert failures["automation.broken: action 2 (service test.fail) failed"] == (
        logging.ERROR,
        RuntimeError,
    )
    # A user error (an unknown service): one WARNING line, no traceback.
    assert failures[
        "automation.missing_service: action 1 (service nothing.here) failed: "
        "service nothing.here not found"
    ] == (logging.WARNING, None)
    caplog.clear()
    gw.bus.async_fire("go")  # the automation itself carries on
    await component.async_wait_idle()
    assert sorted(service_log.tags) == ["before", "before", "healthy", "healthy"]
    caplog.clear()
    state = gw.states.get("automation.broken")
    assert state is not None
    assert state.state == "on"
    assert state.attributes["current"] == 0


async def test_service_schema_error_is_logged_with_the_automation(
    gw: Gateway,
    automations: SetUp,
    relays: list[VirtualSwitch],
    caplog: pytest.LogCaptureFixture,
) -> None:
    component = await automations(
        """
- id: bad_data
  trigger: [{platform: event, event_type: go}]
  action: [{service: switch.turn_on, entity_id: switch.relay_1, data: {for: soon}}]
"""
    )
    gw.bus.async_fire("go")
    await component.async_wait_idle()
    failures = [
        (r.levelno, r.getMessage(), r.exc_info)
        for r in caplog.records
        if r.name == "gateway.automation.script"
    ]
    # Bad data is a user error: one WARNING line, no traceback.
    assert [(level, exc_info) for level, _, exc_info in failures] == [(logging.WARNING, None)]
    assert failures[0][1].startswith(
        "automation.bad_data: action 1 (service switch.turn_on) failed: "
    )
    assert _state(gw, "switch.relay_1") == "OFF"


async def test_without_mqtt_the_mqtt_parts_fail_loudly_and_the_rest_runs(
    gw: Gateway, service_log: ServiceLog, caplog: pytest.LogCaptureFixture
) -> None:
    """The default MQTT link is `gateway.mqtt`; with no `mqtt:` section it is not set up."""
    configs = parse(
        """
- id: listens
  trigger:
    - {platform: mqtt, topic: a/b}
    - {platform: event, event_type: go}
  action:
    - {service: test.record, data: {tag: ran}}
    - {service: mqtt.publish, data: {topic: a/c, payload: x}}
    - {service: test.record, data: {tag: never}}
"""
    )
    component = await async_setup(gw, configs)
    assert "automation.listens (config): trigger 1 (mqtt message on a/b) not attached" in (
        caplog.text
    )
    gw.bus.async_fire("go")
    await component.async_wait_idle()
    assert service_log.tags == ["ran"]
    assert "automation.listens: action 2 (mqtt.publish to a/c) failed: MQTT is not set up" in (
        caplog.text
    )
    caplog.clear()
