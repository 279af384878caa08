"""The `automation:` section: typed configs out, every error with its position."""

from __future__ import annotations

from pathlib import Path

import pytest
import voluptuous as vol

from gateway.automation.config import (
    AndCondition,
    AutomationConfig,
    DelayAction,
    EventTrigger,
    IntervalTrigger,
    MqttPublishAction,
    MqttTrigger,
    NotCondition,
    NumericStateCondition,
    NumericStateTrigger,
    OrCondition,
    ServiceAction,
    StateCondition,
    StateTrigger,
    WaitForTriggerAction,
    validate_automation,
)
from gateway.config import HostInfo, load_config
from gateway.exceptions import ConfigError
from tests.automation.conftest import parse
from tests.helpers import modules_loaded_by

HOST = HostInfo("pi", False, Path("/home/pi"), {})


def _no_platforms(domain: str, platform: str) -> object:
    raise LookupError(f"unknown platform {platform!r} for {domain}")


def test_every_trigger_condition_and_action_is_typed() -> None:
    (config,) = parse(
        """
- id: everything
  alias: Everything at once
  mode: queued
  max: 5
  trigger:
    - {platform: state, entity_id: binary_sensor.door, from: "OFF", to: ["ON", "open"], for: 1m}
    - {platform: numeric_state, entity_id: [sensor.a, sensor.b], above: 30, for: {seconds: 5}}
    - {platform: numeric_state, entity_id: light.x, attribute: brightness, below: "50"}
    - {platform: mqtt, topic: "zigbee2mqtt/+/action", payload: single}
    - {platform: interval, seconds: 500ms}
    - {platform: event, event_type: button_pressed, event_data: {id: gate}}
  condition:
    - {condition: state, entity_id: switch.relay_1, state: "OFF"}
    - condition: or
      conditions:
        - {condition: numeric_state, entity_id: sensor.a, below: 10}
        - condition: not
          conditions: [{condition: state, entity_id: switch.x, state: ["ON", "unavailable"]}]
    - {condition: and, conditions: [{condition: state, entity_id: switch.y, state: 1}]}
  action:
    - {service: switch.turn_on, entity_id: switch.relay_1, data: {for: 2.5}}
    - {service: mqtt.publish, data: {topic: a/b, payload: 21.5, qos: 1, retain: false}}
    - {delay: "00:01:30"}
    - wait_for_trigger: {platform: event, event_type: proceed}
      timeout: 10s
      continue_on_timeout: false
"""
    )
    assert config == AutomationConfig(
        id="everything",
        alias="Everything at once",
        mode="queued",
        max_runs=5,
        triggers=(
            StateTrigger(("binary_sensor.door",), ("OFF",), ("ON", "open"), 60.0),
            NumericStateTrigger(("sensor.a", "sensor.b"), above=30.0, for_seconds=5.0),
            NumericStateTrigger(("light.x",), below=50.0, attribute="brightness"),
            MqttTrigger("zigbee2mqtt/+/action", "single"),
            IntervalTrigger(0.5),
            EventTrigger("button_pressed", {"id": "gate"}),
        ),
        conditions=(
            StateCondition(("switch.relay_1",), ("OFF",)),
            OrCondition(
                (
                    NumericStateCondition(("sensor.a",), below=10.0),
                    NotCondition((StateCondition(("switch.x",), ("ON", "unavailable")),)),
                )
            ),
            AndCondition((StateCondition(("switch.y",), ("1",)),)),
        ),
        actions=(
            ServiceAction("switch", "turn_on", ("switch.relay_1",), {"for": 2.5}),
            MqttPublishAction("a/b", "21.5", 1, False),
            DelayAction(90.0),
            WaitForTriggerAction((EventTrigger("proceed"),), 10.0, False),
        ),
    )
    assert config.entity_id == "automation.everything"


def test_defaults() -> None:
    config = validate_automation(
        {"id": "x", "trigger": {"platform": "event", "event_type": "go"}, "action": {"delay": 1}}
    )
    assert (config.mode, config.max_runs, config.alias, config.conditions) == (
        "single",
        10,
        None,
        (),
    )
    assert config.triggers == (EventTrigger("go"),)


@pytest.mark.parametrize(
    ("item", "path", "message"),
    [
        ({"trigger": [], "action": []}, ["id"], "required key not provided"),
        (
            {"id": "x", "trigger": [{"platform": "sun"}], "action": [{"delay": 1}]},
            ["trigger", 0, "platform"],
            "unknown trigger platform 'sun'",
        ),
        (
            {"id": "x", "mode": "parallel", "max": 0, "trigger": [], "action": [{"delay": 1}]},
            ["max"],
            "expected an integer from 1 to 1000",
        ),
        (
            {"id": "x", "trigger": {"platform": "event", "event_type": "go"}, "action": [{}]},
            ["action", 0],
            "expected an action",
        ),
    ],
)
def test_errors_carry_their_path(item: dict[str, object], path: list[object], message: str) -> None:
    with pytest.raises(vol.Invalid) as info:
        validate_automation(item)
    errors = info.value.errors if isinstance(info.value, vol.MultipleInvalid) else [info.value]
    assert any(error.path == path and message in error.error_message for error in errors), errors


def test_load_config_builds_automations_with_their_source(tmp_path: Path) -> None:
    path = tmp_path / "boardgate.yaml"
    path.write_text(
        """\
switch: []
automation:
  - id: first
    trigger: [{platform: interval, seconds: 5}]
    action: [{service: switch.toggle, entity_id: switch.relay_1}]
  - id: second
    trigger: [{platform: event, event_type: go}]
    action: [{delay: 1}]
"""
    )
    config = load_config(path, _no_platforms, host=HOST)  # type: ignore[arg-type]
    assert [automation.id for automation in config.automations] == ["first", "second"]
    assert config.automations[0].source == f"{path}:3"
    assert config.automations[1].source == f"{path}:6"


SCHEMA_ONLY_PROBE = """\
import sys
from pathlib import Path
from gateway.config import load_config
from gateway.loader import resolve_platform_schema

config = load_config(Path(sys.argv[1]), resolve_platform_schema)
assert [automation.id for automation in config.automations] == ["fan"], config.automations
"""
AUTOMATION_RUNTIME = (
    "gateway.automation.automation",
    "gateway.automation.component",
    "gateway.automation.conditions",
    "gateway.automation.mqtt_link",
    "gateway.automation.script",
    "gateway.automation.triggers",
)


def test_validating_automations_loads_the_schema_not_the_runtime(tmp_path: Path) -> None:
    """`check-config` and the daemon's start validate with `gateway.automation.config`; the
    package must not drag its runtime in with it (run in a fresh interpreter)."""
    path = tmp_path / "boardgate.yaml"
    path.write_text(
        """\
switch: [{platform: virtual, name: Fan}]
automation:
  - id: fan
    trigger: [{platform: state, entity_id: switch.fan, to: "ON"}]
    condition: [{condition: state, entity_id: switch.fan, state: "ON"}]
    action: [{delay: 1}, {service: switch.turn_off, entity_id: switch.fan}]
"""
    )
    loaded = modules_loaded_by(SCHEMA_ONLY_PROBE, str(path))
    assert "gateway.automation.config" in loaded
    assert loaded.isdisjoint(AUTOMATION_RUNTIME), sorted(loaded.intersection(AUTOMATION_RUNTIME))


def test_load_config_reports_every_automation_error_with_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "boardgate.yaml"
    path.write_text(
        """\
automation:
  - id: fan
    trigger: [{platform: sun}]
    action: [{delay: 1}]
  - trigger: [{platform: event, event_type: go}]
    action: [{delay: 1}]
  - id: fan
    trigger: [{platform: event, event_type: go}]
    action: [{delay: 1}]
"""
    )
    with pytest.raises(ConfigError) as info:
        load_config(path, _no_platforms, host=HOST)  # type: ignore[arg-type]
    assert info.value.errors == [
        f"{path}:3:26: automation.0.trigger.0.platform: unknown trigger platform 'sun' "
        "(expected one of: state, numeric_state, mqtt, interval, event)",
        f"{path}:5:5: automation.1.id: required key not provided",
        f"{path}:7:9: automation.2.id: duplicate automation id (first at {path}:2)",
    ]


def test_automation_section_must_be_a_list(tmp_path: Path) -> None:
    path = tmp_path / "boardgate.yaml"
    path.write_text("automation:\n  id: x\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, _no_platforms, host=HOST)  # type: ignore[arg-type]
    assert info.value.errors == [
        f"{path}:2:3: automation: expected a list (one '- ' item per entry)"
    ]


def test_mqtt_parts_are_fine_with_an_mqtt_section(tmp_path: Path) -> None:
    path = tmp_path / "boardgate.yaml"
    path.write_text(
        """\
mqtt: {host: broker.local}
automation:
  - id: doorbell
    trigger: [{platform: mqtt, topic: doorbell/press}]
    action: [{service: mqtt.publish, data: {topic: doorbell/ack}}]
"""
    )
    config = load_config(path, _no_platforms, host=HOST)  # type: ignore[arg-type]
    assert config.automations[0].triggers == (MqttTrigger("doorbell/press"),)
    assert config.automations[0].actions == (MqttPublishAction("doorbell/ack"),)
