"""Every trigger platform, with the fake clock for `for` and `interval`."""

from __future__ import annotations

from gateway.clock import FakeClock
from gateway.core import Gateway
from tests.automation.conftest import FakeMqtt, ServiceLog, SetUp

RECORD = "action: [{service: test.record, data: {tag: fired}}]"


async def _fired(gw: Gateway, component: object, log: ServiceLog) -> int:
    await component.async_wait_idle()  # type: ignore[attr-defined]
    return len(log.calls)


async def test_state_trigger_from_to(
    gw: Gateway, automations: SetUp, service_log: ServiceLog
) -> None:
    gw.states.async_set("binary_sensor.door", "OFF")
    component = await automations(
        f"""
- id: door_opened
  trigger: [{{platform: state, entity_id: binary_sensor.door, from: OFF, to: ON}}]
  {RECORD}
"""
    )
    gw.states.async_set("binary_sensor.door", "ON")
    assert await _fired(gw, component, service_log) == 1
    gw.states.async_set("binary_sensor.door", "ON", {"battery": 80})  # attributes only
    gw.states.async_set("binary_sensor.door", "unavailable")
    gw.states.async_set("binary_sensor.door", "ON")  # not from OFF
    assert await _fired(gw, component, service_log) == 1
    gw.states.async_set("binary_sensor.door", "OFF")
    gw.states.async_set("binary_sensor.door", "ON")
    assert await _fired(gw, component, service_log) == 2
    state = gw.states.get("automation.door_opened")
    assert state is not None
    assert state.attributes["last_trigger"] == "state of binary_sensor.door from OFF to ON"
    assert state.attributes["last_triggered"] is not None


async def test_state_trigger_any_change_of_several_entities(
    gw: Gateway, automations: SetUp, service_log: ServiceLog
) -> None:
    component = await automations(
        f"""
- id: any
  mode: parallel
  trigger: [{{platform: state, entity_id: [switch.a, switch.b]}}]
  {RECORD}
"""
    )
    gw.states.async_set("switch.a", "OFF")  # appearing is not a change
    gw.states.async_set("switch.b", "OFF")
    gw.states.async_set("switch.c", "OFF")
    assert await _fired(gw, component, service_log) == 0
    gw.states.async_set("switch.a", "ON")
    gw.states.async_set("switch.b", "ON")
    gw.states.async_set("switch.c", "ON")
    assert await _fired(gw, component, service_log) == 2


async def test_state_trigger_for_fires_after_holding(
    gw: Gateway, clock: FakeClock, automations: SetUp, service_log: ServiceLog
) -> None:
    gw.states.async_set("binary_sensor.door", "OFF")
    component = await automations(
        f"""
- id: door_left_open
  trigger: [{{platform: state, entity_id: binary_sensor.door, to: ON, for: 5m}}]
  {RECORD}
"""
    )
    gw.states.async_set("binary_sensor.door", "ON")
    clock.advance(299)
    assert await _fired(gw, component, service_log) == 0
    gw.states.async_set("binary_sensor.door", "ON", {"rssi": -60})  # still ON: keeps waiting
    clock.advance(1)
    assert await _fired(gw, component, service_log) == 1
    clock.advance(600)
    assert await _fired(gw, component, service_log) == 1


async def test_state_trigger_for_is_cancelled_when_state_leaves(
    gw: Gateway, clock: FakeClock, automations: SetUp, service_log: ServiceLog
) -> None:
    gw.states.async_set("binary_sensor.door", "OFF")
    component = await automations(
        f"""
- id: door_left_open
  trigger: [{{platform: state, entity_id: binary_sensor.door, to: ON, for: 10}}]
  {RECORD}
"""
    )
    gw.states.async_set("binary_sensor.door", "ON")
    clock.advance(9)
    gw.states.async_set("binary_sensor.door", "OFF")
    assert clock.pending() == 0
    clock.advance(10)
    assert await _fired(gw, component, service_log) == 0
    gw.states.async_set("binary_sensor.door", "ON")  # starts counting again
    clock.advance(10)
    assert await _fired(gw, component, service_log) == 1


async def test_state_trigger_for_timers_are_per_entity(
    gw: Gateway, clock: FakeClock, automations: SetUp, service_log: ServiceLog
) -> None:
    for entity_id in ("switch.a", "switch.b"):
        gw.states.async_set(entity_id, "OFF")
    component = await automations(
        """
- id: left_on
  trigger: [{platform: state, entity_id: [switch.a, switch.b], to: ON, for: 10}]
  action: [{service: test.record, data: {tag: x}}]
"""
    )
    gw.states.async_set("switch.a", "ON")
    clock.advance(5)
    gw.states.async_set("switch.b", "ON")
    clock.advance(5)
    assert await _fired(gw, component, service_log) == 1
    gw.states.async_set("switch.b", "OFF")
    clock.advance(20)
    assert await _fired(gw, component, service_log) == 1


async def test_numeric_state_trigger_fires_on_crossing_only(
    gw: Gateway, automations: SetUp, service_log: ServiceLog
) -> None:
    gw.states.async_set("sensor.temp", "25")
    component = await automations(
        f"""
- id: hot
  trigger: [{{platform: numeric_state, entity_id: sensor.temp, above: 30, below: 50}}]
  {RECORD}
"""
    )
    gw.states.async_set("sensor.temp", "31")
    gw.states.async_set("sensor.temp", "35")  # still above: no new crossing
    assert await _fired(gw, component, service_log) == 1
    gw.states.async_set("sensor.temp", "55")  # out above the range
    gw.states.async_set("sensor.temp", "45")  # back in
    assert await _fired(gw, component, service_log) == 2
    gw.states.async_set("sensor.temp", "unavailable")
    gw.states.async_set("sensor.temp", "40")  # unavailable is not in range
    assert await _fired(gw, component, service_log) == 3
    gw.states.async_set("sensor.temp", "30")  # above is strict
    gw.states.async_set("sensor.temp", "30.5")
    assert await _fired(gw, component, service_log) == 4
    state = gw.states.get("automation.hot")
    assert state is not None
    assert state.attributes["last_trigger"] == "numeric state of sensor.temp at 30.5"


async def test_numeric_state_trigger_on_attribute_with_for(
    gw: Gateway, clock: FakeClock, automations: SetUp, service_log: ServiceLog
) -> None:
    gw.states.async_set("light.strip", "ON", {"brightness": 100})
    component = await automations(
        f"""
- id: dim
  trigger:
    - {{platform: numeric_state, entity_id: light.strip, attribute: brightness, below: 50,
       for: 30}}
  {RECORD}
"""
    )
    gw.states.async_set("light.strip", "ON", {"brightness": 40})
    clock.advance(20)
    gw.states.async_set("light.strip", "ON", {"brightness": 30})  # still below: keeps the timer
    clock.advance(10)
    assert await _fired(gw, component, service_log) == 1
    gw.states.async_set("light.strip", "ON", {"brightness": 200})
    gw.states.async_set("light.strip", "ON", {"brightness": 10})
    clock.advance(29)
    gw.states.async_set("light.strip", "ON", {"brightness": 60})  # left the range: cancelled
    clock.advance(100)
    assert await _fired(gw, component, service_log) == 1


async def test_mqtt_trigger_with_wildcards_and_payload(
    gw: Gateway, automations: SetUp, service_log: ServiceLog, fake_mqtt: FakeMqtt
) -> None:
    component = await automations(
        """
- id: any_button
  mode: parallel
  trigger: [{platform: mqtt, topic: "buttons/+/action"}]
  action: [{service: test.record, data: {tag: any}}]
- id: single_press
  trigger: [{platform: mqtt, topic: "buttons/#", payload: single}]
  action: [{service: test.record, data: {tag: single}}]
"""
    )
    fake_mqtt.receive("buttons/hall/action", "single")
    fake_mqtt.receive("buttons/hall/action", "double")
    fake_mqtt.receive("buttons/hall/battery", "90")
    fake_mqtt.receive("other/hall/action", "single")
    await component.async_wait_idle()
    assert sorted(service_log.tags) == ["any", "any", "single"]
    state = gw.states.get("automation.single_press")
    assert state is not None
    assert state.attributes["last_trigger"] == "mqtt message on buttons/hall/action"


async def test_interval_trigger(
    gw: Gateway, clock: FakeClock, automations: SetUp, service_log: ServiceLog
) -> None:
    component = await automations(
        f"""
- id: every_minute
  trigger: [{{platform: interval, seconds: 1m}}]
  {RECORD}
"""
    )
    clock.advance(59)
    assert await _fired(gw, component, service_log) == 0
    for _ in range(3):
        clock.advance(60)
        await component.async_wait_idle()
    assert await _fired(gw, component, service_log) == 3


async def test_event_trigger_matches_a_subset_of_event_data(
    gw: Gateway, automations: SetUp, service_log: ServiceLog
) -> None:
    component = await automations(
        f"""
- id: on_press
  trigger: [{{platform: event, event_type: button_pressed, event_data: {{id: gate, n: 1}}}}]
  {RECORD}
- id: on_any
  mode: parallel
  trigger: [{{platform: event, event_type: button_pressed}}]
  action: [{{service: test.record, data: {{tag: any}}}}]
"""
    )
    gw.bus.async_fire("button_pressed", {"id": "gate", "n": 1, "extra": "x"})
    gw.bus.async_fire("button_pressed", {"id": "gate", "n": True})  # True is not 1
    gw.bus.async_fire("button_pressed", {"id": "door", "n": 1})
    gw.bus.async_fire("other_event", {"id": "gate", "n": 1})
    await component.async_wait_idle()
    assert sorted(service_log.tags) == ["any", "any", "any", "fired"]


async def test_several_triggers_on_one_automation(
    gw: Gateway, clock: FakeClock, automations: SetUp, service_log: ServiceLog
) -> None:
    component = await automations(
        f"""
- id: either
  mode: parallel
  trigger:
    - {{platform: event, event_type: go}}
    - {{platform: interval, seconds: 10}}
  {RECORD}
"""
    )
    gw.bus.async_fire("go")
    clock.advance(10)
    assert await _fired(gw, component, service_log) == 2
