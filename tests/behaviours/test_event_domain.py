"""The `event` domain's pure parts: its payload and its discovery components."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from gateway.core import State
from gateway.domains.event import encode_event
from gateway.mqtt.publishers.discovery_payloads import (
    DiscoveryEntity,
    DiscoveryNode,
    build_device_config,
    component_platforms,
)

NOW = datetime.now(UTC)


def event_state(state: str, attributes: dict[str, Any]) -> State:
    return State("event.hall", state, attributes, NOW, NOW)


NODE = DiscoveryNode("pi", "Pi", "bg/pi")
BUTTON = DiscoveryEntity("event", "hall", "Hall", event_types=("single", "long"))


def test_an_event_is_its_type_as_json_and_nothing_before_the_first() -> None:
    attributes = {"event_types": ["single"], "event_type": "single"}
    assert encode_event(event_state(NOW.isoformat(), attributes)) == b'{"event_type":"single"}'
    assert encode_event(event_state("unknown", {"event_type": None})) is None
    assert encode_event(event_state("unavailable", attributes)) is None


def test_discovery_has_the_event_and_one_trigger_per_type() -> None:
    components = build_device_config(NODE, [BUTTON])["cmps"]
    assert set(components) == {"pi_event_hall", "pi_event_hall_single", "pi_event_hall_long"}
    assert components["pi_event_hall"]["event_types"] == ["single", "long"]
    assert components["pi_event_hall"]["state_topic"] == "bg/pi/event/hall/event"
    assert components["pi_event_hall_long"]["type"] == "button_long_press"
    assert components["pi_event_hall_long"]["subtype"] == "Hall"


def test_triggers_are_removed_with_their_event() -> None:
    announced = component_platforms(NODE, [BUTTON])
    assert announced == {
        "pi_event_hall": "event",
        "pi_event_hall_single": "device_automation",
        "pi_event_hall_long": "device_automation",
    }
    components = build_device_config(NODE, [], removed=announced)["cmps"]
    assert components["pi_event_hall_single"] == {"p": "device_automation"}
