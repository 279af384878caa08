"""Whole-file validation: a full valid config, empty files, error collection and reading."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import voluptuous as vol

from gateway.config import (
    DiscoveryConfig,
    EntityConfig,
    HostInfo,
    ResolveSchema,
    SerialPortConfig,
    TlsConfig,
    check_config,
    load_config,
    validate_config,
)
from gateway.config.validate import NOTHING_TO_RUN
from gateway.exceptions import ConfigError

VALID = Path(__file__).parent / "data" / "valid"
NOTHING = Path(__file__).parent / "data" / "nothing"


def test_full_config(resolve_schema: ResolveSchema, host: HostInfo) -> None:
    config = load_config(VALID / "full.yaml", resolve_schema, host=host)

    assert config.path == VALID / "full.yaml"
    assert config.core.node_id == "garage-pi"
    assert config.core.name == "Garage Pi"
    assert config.core.state_dir == VALID / "state"
    assert config.core.health_interval == 30.0

    mqtt = config.mqtt
    assert mqtt is not None
    assert (mqtt.host, mqtt.port, mqtt.client_id) == ("192.168.1.10", 8883, "boardgate-garage-pi")
    assert (mqtt.username, mqtt.password) == ("gateway", "hunter2")
    assert (mqtt.protocol, mqtt.keepalive, mqtt.qos, mqtt.retain) == ("3.1.1", 15, 0, True)
    assert mqtt.tls == TlsConfig(ca_certs="/etc/ssl/ca.pem")
    assert mqtt.discovery == DiscoveryConfig(enabled=True, prefix="ha")

    assert (config.gpio.pin_factory, config.gpio.host, config.gpio.port) == (
        "pigpio",
        "pi.lan",
        8888,
    )
    assert config.serial == (
        SerialPortConfig(id="arduino", port="/dev/ttyUSB0"),
        SerialPortConfig(
            id="modem",
            port="/dev/ttyAMA0",
            baudrate=115200,
            parity="E",
            stopbits=1.5,
            encoding="hex",
            bridge=True,
        ),
    )


def test_full_config_entities(resolve_schema: ResolveSchema, host: HostInfo) -> None:
    entries = load_config(VALID / "full.yaml", resolve_schema, host=host).entities
    summary = [(entry.domain, entry.platform, entry.config.id) for entry in entries]
    assert summary == [
        ("switch", "gpio", "relay_1"),
        ("switch", "virtual", "relay_1_virtual"),
        ("binary_sensor", "gpio", "door"),
        ("sensor", "serial", "thermometer"),
        ("sensor", "virtual", "temperature_exterieure"),
        ("button", "virtual", "gate"),
    ]
    switches = VALID / "switches.yaml"
    assert [entry.source for entry in entries[:3]] == [
        f"{switches}:2",
        f"{switches}:3",
        f"{VALID / 'full.yaml'}:26",
    ]
    relay: Any = entries[0].config
    door: Any = entries[2].config
    assert (relay.pin, relay.active_high) == ("GPIO22", False)
    assert (door.pin, door.active_high, door.bounce_time) == (17, False, 0.05)
    assert entries[1].config.name == "Relay 1"
    assert entries[4].config.unit_of_measurement == "°C"  # type: ignore[attr-defined]


def test_env_var_comes_from_the_host(resolve_schema: ResolveSchema) -> None:
    host = HostInfo("pi", False, Path("/home/pi"), {"BOARDGATE_BROKER": "broker.lan"})
    mqtt = load_config(VALID / "full.yaml", resolve_schema, host=host).mqtt
    assert mqtt is not None
    assert mqtt.host == "broker.lan"


@pytest.mark.parametrize(
    ("name", "line"),
    [
        ("empty.yaml", 1),
        ("comments_only.yaml", 1),
        ("sections_only.yaml", 2),
        ("empty_lists.yaml", 2),
    ],
)
def test_a_file_with_nothing_to_run_is_refused(
    resolve_schema: ResolveSchema, host: HostInfo, name: str, line: int
) -> None:
    """Empty, or cut short before its first entity: refused, so that a reload in the middle
    of a write cannot remove every entity."""
    path = NOTHING / name
    with pytest.raises(ConfigError) as info:
        load_config(path, resolve_schema, host=host)
    assert info.value.errors == [f"{path}:{line}:1: <root>: {NOTHING_TO_RUN}"]


@pytest.mark.parametrize("name", ["serial_bridge_only.yaml", "automation_only.yaml"])
def test_a_file_without_entities_that_has_work_is_valid(
    resolve_schema: ResolveSchema, host: HostInfo, name: str
) -> None:
    config = load_config(VALID / name, resolve_schema, host=host)
    assert config.entities == ()
    assert config.automations or config.serial[0].bridge


def test_a_fragment_checked_on_its_own_may_have_nothing_to_run(
    resolve_schema: ResolveSchema, host: HostInfo
) -> None:
    config = validate_config(
        {"mqtt": {"host": "broker.lan"}}, Path("c.yaml"), resolve_schema, host=host
    )
    assert config.entities == ()


def test_plain_dicts_are_reported_at_the_start_of_the_file(
    resolve_schema: ResolveSchema, host: HostInfo
) -> None:
    raw = {"mqtt": {"port": "x"}, "switch": [{"platform": "virtual"}], "extra": 1}
    with pytest.raises(ConfigError) as info:
        validate_config(raw, Path("c.yaml"), resolve_schema, host=host)
    assert info.value.errors == [
        "c.yaml:1:1: extra: unknown key (expected one of: gateway, mqtt, gpio, serial, i2c, "
        "expander, switch, binary_sensor, sensor, light, button, automation, web, homie, "
        "sparkplug)",
        "c.yaml:1:1: mqtt.port: expected an integer",
        "c.yaml:1:1: switch.0.name: required key not provided",
    ]


def test_every_item_of_a_list_is_validated(resolve_schema: ResolveSchema, host: HostInfo) -> None:
    raw = {"switch": [{"platform": "virtual", "name": str(n), "initial": "dim"} for n in range(5)]}
    config, issues = check_config(raw, Path("c.yaml"), resolve_schema, host=host)
    assert config is None
    assert [issue.where for issue in issues] == [f"switch.{n}.initial" for n in range(5)]


def test_check_config_returns_the_config_when_valid(
    resolve_schema: ResolveSchema, host: HostInfo
) -> None:
    config, issues = check_config(
        {"light": [{"platform": "virtual", "name": "Strip"}]}, Path("c"), resolve_schema, host=host
    )
    assert issues == []
    assert config is not None
    assert config.entities[0].config.id == "strip"


def test_lookup_error_without_a_message(host: HostInfo) -> None:
    def resolve(domain: str, platform: str) -> Any:
        raise LookupError

    with pytest.raises(ConfigError, match=r"switch\.0\.platform: unknown platform 'x'"):
        validate_config({"switch": [{"platform": "x"}]}, Path("c.yaml"), resolve, host=host)


def test_a_schema_that_returns_something_else_is_a_programming_error(host: HostInfo) -> None:
    def resolve(domain: str, platform: str) -> Any:
        return vol.Schema(dict, extra=vol.ALLOW_EXTRA)

    with pytest.raises(TypeError, match="must return an EntityConfig"):
        validate_config({"switch": [{"platform": "x"}]}, Path("c.yaml"), resolve, host=host)


def test_resolver_sees_domain_and_platform(host: HostInfo) -> None:
    seen: list[tuple[str, str]] = []

    def resolve(domain: str, platform: str) -> Any:
        seen.append((domain, platform))
        return lambda raw: EntityConfig(platform=platform, name=raw["name"], id="x" + domain)

    raw = {"sensor": [{"platform": "a", "name": "A"}], "switch": [{"platform": "b", "name": "B"}]}
    validate_config(raw, Path("c.yaml"), resolve, host=host)
    assert sorted(seen) == [("sensor", "a"), ("switch", "b")]


# --- reading --------------------------------------------------------------------------------


def test_missing_file(resolve_schema: ResolveSchema, host: HostInfo, tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as info:
        load_config(path, resolve_schema, host=host)
    assert info.value.errors == [f"{path}: cannot read: No such file or directory"]


def test_directory_instead_of_a_file(
    resolve_schema: ResolveSchema, host: HostInfo, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError, match=r": cannot read: Is a directory$"):
        load_config(tmp_path, resolve_schema, host=host)


def test_loader_issues_and_schema_issues_are_reported_together(
    resolve_schema: ResolveSchema, host: HostInfo, tmp_path: Path
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("mqtt:\n  host: !env_var NOPE\n  port: 0\n  port: 1\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, resolve_schema, host=host)
    assert info.value.errors == [
        f"{path}:2:9: mqtt.host: environment variable NOPE is not set",
        f"{path}:3:9: mqtt.port: expected an integer from 1 to 65535",
        f"{path}:4:3: mqtt.port: duplicate key (first defined at line 3)",
    ]
