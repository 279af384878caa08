"""The dataclasses and the defaults that validation fills in."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from gateway.config import (
    Config,
    CoreConfig,
    DiscoveryConfig,
    EntityConfig,
    GpioConfig,
    HostInfo,
    MqttConfig,
    ResolveSchema,
    SerialPortConfig,
    TlsConfig,
    validate_config,
)
from gateway.config.schema import default_node_id, default_state_dir

CONFIG = Path("/etc/boardgate/config.yaml")


def validate(raw: object, resolve_schema: ResolveSchema, host: HostInfo) -> Config:
    return validate_config(raw, CONFIG, resolve_schema, host=host)


def test_models_are_frozen_and_slotted() -> None:
    gpio = GpioConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        gpio.port = 1  # type: ignore[misc]
    assert not hasattr(gpio, "__dict__")


def test_mqtt_port_follows_tls_unless_given() -> None:
    assert MqttConfig(client_id="c").port == 1883
    assert MqttConfig(client_id="c", tls=TlsConfig()).port == 8883
    assert MqttConfig(client_id="c", tls=TlsConfig(), port=1884).port == 1884


def test_mqtt_defaults() -> None:
    mqtt = MqttConfig(client_id="boardgate-x")
    assert (mqtt.host, mqtt.protocol, mqtt.keepalive, mqtt.session_expiry) == (
        "127.0.0.1",
        "5",
        30,
        300,
    )
    assert (mqtt.base_topic, mqtt.qos, mqtt.retain, mqtt.outbox_size) == (
        "boardgate",
        1,
        True,
        1000,
    )
    assert mqtt.discovery == DiscoveryConfig(enabled=True, prefix="homeassistant")
    assert (mqtt.username, mqtt.password, mqtt.tls) == (None, None, None)


def test_mqtt_password_stays_out_of_repr() -> None:
    assert "hunter2" not in repr(MqttConfig(client_id="c", password="hunter2"))


def test_serial_port_defaults() -> None:
    port = SerialPortConfig(id="arduino", port="/dev/ttyUSB0")
    assert (port.baudrate, port.bytesize, port.parity, port.stopbits) == (9600, 8, "N", 1)
    assert (port.rtscts, port.delimiter, port.encoding, port.max_line) == (
        False,
        "\n",
        "utf-8",
        4096,
    )
    assert (port.bridge, port.qos) == (False, 0)


def test_entity_config_subclasses_add_defaulted_fields() -> None:
    @dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
    class Switch(EntityConfig):
        pin: int
        initial: str = "off"

    switch = Switch(platform="gpio", name="Relay", id="relay", pin=4)
    assert (switch.platform, switch.id, switch.pin, switch.initial) == ("gpio", "relay", 4, "off")


# --- defaults from the machine --------------------------------------------------------------


@pytest.mark.parametrize(
    ("hostname", "node_id"),
    [
        ("garage-pi", "garage-pi"),
        ("Garage-Pi.local", "garage-pi"),
        ("RPi 4 (Büro)", "rpi_4_buro"),
        ("", "boardgate"),
        ("...", "boardgate"),
    ],
)
def test_default_node_id(hostname: str, node_id: str) -> None:
    assert default_node_id(hostname) == node_id


def host_with(environ: dict[str, str], *, is_root: bool = False) -> HostInfo:
    return HostInfo("pi", is_root, Path("/home/pi"), environ)


@pytest.mark.parametrize(
    ("host", "state_dir"),
    [
        (host_with({"STATE_DIRECTORY": "/var/lib/bg"}, is_root=True), "/var/lib/bg"),
        (host_with({"STATE_DIRECTORY": "/a:/b"}), "/a"),
        (host_with({}, is_root=True), "/var/lib/boardgate"),
        (host_with({"XDG_STATE_HOME": "/xdg"}), "/xdg/boardgate"),
        (host_with({"XDG_STATE_HOME": "relative"}), "/home/pi/.local/state/boardgate"),
        (host_with({}), "/home/pi/.local/state/boardgate"),
    ],
)
def test_default_state_dir(host: HostInfo, state_dir: str) -> None:
    assert default_state_dir(host) == Path(state_dir)


def test_host_info_of_this_process() -> None:
    host = HostInfo.current()
    assert host.hostname
    assert host.home.is_absolute()


# --- defaults through validation ------------------------------------------------------------


def test_empty_config_has_every_default(resolve_schema: ResolveSchema, host: HostInfo) -> None:
    config = validate(None, resolve_schema, host)
    assert config == Config(
        path=CONFIG,
        core=CoreConfig("garage-pi", "garage-pi", Path("/home/pi/.local/state/boardgate"), 60.0),
        mqtt=None,
        gpio=GpioConfig(pin_factory=None, host=None, port=8888),
        serial=(),
        entities=(),
    )


def test_mqtt_key_without_value_enables_mqtt_with_defaults(
    resolve_schema: ResolveSchema, host: HostInfo
) -> None:
    config = validate({"mqtt": None, "gateway": {"node_id": "shed"}}, resolve_schema, host)
    assert config.mqtt == MqttConfig(client_id="boardgate-shed")
    assert config.core.name == "shed"


@pytest.mark.parametrize(
    ("tls", "expected", "port"),
    [
        (True, TlsConfig(), 8883),
        ("yes", TlsConfig(), 8883),
        (False, None, 1883),
        (None, None, 1883),
        ({"insecure": "true"}, TlsConfig(insecure=True), 8883),
    ],
)
def test_tls_forms(
    resolve_schema: ResolveSchema,
    host: HostInfo,
    tls: object,
    expected: TlsConfig | None,
    port: int,
) -> None:
    mqtt = validate({"mqtt": {"tls": tls}}, resolve_schema, host).mqtt
    assert mqtt is not None
    assert (mqtt.tls, mqtt.port) == (expected, port)


@pytest.mark.parametrize(("value", "protocol"), [(5, "5"), ("5", "5"), ("3.1.1", "3.1.1")])
def test_protocol_forms(
    resolve_schema: ResolveSchema, host: HostInfo, value: object, protocol: str
) -> None:
    mqtt = validate({"mqtt": {"protocol": value}}, resolve_schema, host).mqtt
    assert mqtt is not None
    assert mqtt.protocol == protocol


def test_discovery_short_form(resolve_schema: ResolveSchema, host: HostInfo) -> None:
    mqtt = validate({"mqtt": {"discovery": False}}, resolve_schema, host).mqtt
    assert mqtt is not None
    assert mqtt.discovery == DiscoveryConfig(enabled=False)


@pytest.mark.parametrize(
    ("state_dir", "expected"),
    [
        ("/srv/bg", "/srv/bg"),
        ("state", "/etc/boardgate/state"),
        ("~/bg", "/home/pi/bg"),
        ("~", "/home/pi"),
    ],
)
def test_state_dir_relative_to_the_config_file(
    resolve_schema: ResolveSchema, host: HostInfo, state_dir: str, expected: str
) -> None:
    config = validate({"gateway": {"state_dir": state_dir}}, resolve_schema, host)
    assert config.core.state_dir == Path(expected)


def test_state_directory_from_systemd(resolve_schema: ResolveSchema) -> None:
    host = HostInfo("pi", True, Path("/root"), {"STATE_DIRECTORY": "/var/lib/boardgate-2"})
    assert validate({}, resolve_schema, host).core.state_dir == Path("/var/lib/boardgate-2")
