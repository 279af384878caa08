"""Discovery payloads against a golden file and Home Assistant's documented keys."""

from __future__ import annotations

import json
from pathlib import Path

from gateway.mqtt.publishers.discovery_payloads import (
    DiscoveryEntity,
    DiscoveryNode,
    build_device_config,
    default_entity_id,
    discovery_topic,
)

GOLDEN = Path(__file__).parent / "golden" / "device_config.json"
NODE = DiscoveryNode(node_id="garage-pi", name="Garage Pi", base="boardgate/garage-pi")
ENTITIES = [
    DiscoveryEntity("switch", "relay_1", "Relay 1"),
    DiscoveryEntity("binary_sensor", "door", "Door", device_class="door"),
    DiscoveryEntity(
        "sensor",
        "boiler",
        "Boiler",
        device_class="temperature",
        unit_of_measurement="°C",
        state_class="measurement",
    ),
    DiscoveryEntity("light", "strip", "Strip"),
    DiscoveryEntity("button", "gate", "Gate"),
]

# Keys Home Assistant 2026.11 documents for each MQTT platform (the subset we may send).
COMMON = {
    "p", "name", "unique_id", "default_entity_id", "availability", "availability_mode",
    "json_attributes_topic", "state_topic", "command_topic", "device_class", "qos",
}  # fmt: skip
DOCUMENTED = {
    "switch": COMMON | {"payload_on", "payload_off", "state_on", "state_off", "optimistic"},
    "binary_sensor": (COMMON - {"command_topic"}) | {"payload_on", "payload_off", "expire_after"},
    "sensor": (COMMON - {"command_topic"}) | {"unit_of_measurement", "state_class"},
    "light": COMMON | {"schema", "supported_color_modes", "brightness", "brightness_scale"},
    "button": (COMMON - {"state_topic", "json_attributes_topic"}) | {"payload_press"},
}
REQUIRED = {
    "switch": {"command_topic"},
    "light": {"command_topic", "schema", "supported_color_modes"},
    "button": {"command_topic"},
    "sensor": {"state_topic"},
    "binary_sensor": {"state_topic"},
}


def test_matches_golden_file() -> None:
    payload = build_device_config(NODE, ENTITIES)
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    golden["dev"]["sw_version"] = golden["o"]["sw_version"] = payload["o"]["sw_version"]
    assert payload == golden


def test_only_documented_keys_and_required_ones_present() -> None:
    payload = build_device_config(NODE, ENTITIES)
    assert set(payload) == {"dev", "o", "qos", "cmps"}
    for component in payload["cmps"].values():
        platform = component["p"]
        assert set(component) <= DOCUMENTED[platform], platform
        assert REQUIRED[platform] <= set(component), platform
        assert component["availability_mode"] == "all"
        assert component["availability"][0] == {"topic": "boardgate/garage-pi/status"}


def test_removed_components_are_sent_as_platform_only() -> None:
    payload = build_device_config(NODE, ENTITIES[:1], removed={"garage-pi_switch_old": "switch"})
    assert payload["cmps"]["garage-pi_switch_old"] == {"p": "switch"}
    assert "garage-pi_switch_relay_1" in payload["cmps"]


def test_topic_and_entity_ids() -> None:
    assert discovery_topic("homeassistant", "garage-pi") == "homeassistant/device/garage-pi/config"
    assert default_entity_id("garage-pi", "switch", "relay_1") == "switch.garage_pi_relay_1"
