"""The `homie:` and `sparkplug:` sections."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.config import HostInfo, validate_config
from gateway.config.conventions import HomieConfig, SparkplugConfig, homie_id
from gateway.config.validate import ResolveSchema
from gateway.exceptions import ConfigError

SWITCH = {"switch": [{"platform": "virtual", "name": "Relay"}]}


def test_defaults_follow_the_node_id(resolve_schema: ResolveSchema, host: HostInfo) -> None:
    raw = {
        "gateway": {"node_id": "garage_pi"},
        "mqtt": {},
        "homie": None,
        "sparkplug": {"group_id": "plant 1"},
        **SWITCH,
    }
    config = validate_config(raw, Path("c.yaml"), resolve_schema, host=host)
    assert config.homie == HomieConfig(prefix="homie", device_id="garage-pi")
    assert config.sparkplug == SparkplugConfig("plant 1", "garage_pi", None)


def test_off_unless_present(resolve_schema: ResolveSchema, host: HostInfo) -> None:
    config = validate_config({"mqtt": {}, **SWITCH}, Path("c.yaml"), resolve_schema, host=host)
    assert config.homie is None
    assert config.sparkplug is None


def test_errors_are_located(resolve_schema: ResolveSchema, host: HostInfo) -> None:
    raw = {
        "homie": {"prefix": "Homie_X", "devices": 1},
        "sparkplug": {"group_id": "a/b", "edge_node_id": "e#", "primary_host": ""},
        **SWITCH,
    }
    with pytest.raises(ConfigError) as info:
        validate_config(raw, Path("c.yaml"), resolve_schema, host=host)
    assert sorted(info.value.errors) == sorted(
        [
            "c.yaml:1:1: homie: needs the mqtt: section (it uses the same broker)",
            "c.yaml:1:1: homie.devices: unknown key (did you mean device_id?)",
            "c.yaml:1:1: homie.prefix: must contain only a-z, 0-9 and -",
            "c.yaml:1:1: sparkplug: needs the mqtt: section (it uses the same broker)",
            "c.yaml:1:1: sparkplug.edge_node_id: must not contain +, / or #",
            "c.yaml:1:1: sparkplug.group_id: must not contain +, / or #",
            "c.yaml:1:1: sparkplug.primary_host: must not be empty",
        ]
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [("garage_pi", "garage-pi"), ("Pi 4B", "pi-4b"), ("__", "boardgate"), ("a-b", "a-b")],
)
def test_homie_ids(text: str, expected: str) -> None:
    assert homie_id(text) == expected
