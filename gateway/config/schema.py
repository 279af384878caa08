"""Schemas of the core sections (gateway, mqtt, gpio, serial) and the defaults they fill in.

Each `validate_*` takes the raw mapping of one section and returns its dataclass or raises
`vol.Invalid`. Defaults live in the dataclasses (`model.py`); the schemas only add those that
depend on other values or on the machine, which come in as a `HostInfo`.
"""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path
from typing import Any, Final, get_type_hints

import voluptuous as vol

from gateway.config import cv
from gateway.config.broker_list import broker_list
from gateway.config.conventions import CONVENTION_KEYS
from gateway.config.field_types import mismatched_fields
from gateway.config.model import (
    PARITIES,
    PIN_FACTORIES,
    CoreConfig,
    DiscoveryConfig,
    GpioConfig,
    HostInfo,
    MqttConfig,
    MqttProtocol,
    SerialPortConfig,
    TlsConfig,
)
from gateway.config.web import WEB_KEYS
from gateway.domains.registry import CONFIG_DOMAINS

__all__ = [
    "SECTION_KEYS",
    "TOP_LEVEL_KEYS",
    "default_node_id",
    "default_state_dir",
    "validate_gateway",
    "validate_gpio",
    "validate_mqtt",
    "validate_serial_port",
]

TOP_LEVEL_KEYS: Final = (
    "gateway",
    "mqtt",
    "gpio",
    "serial",
    "i2c",
    "expander",
    *CONFIG_DOMAINS,
    "automation",
    "web",
    *CONVENTION_KEYS,
)

_GATEWAY: Final = vol.Schema(
    {
        vol.Optional("node_id"): cv.node_id,
        vol.Optional("name"): cv.non_empty_string,
        vol.Optional("state_dir"): cv.non_empty_string,
        vol.Optional("health_interval"): cv.positive_time_period,
    }
)


def _agreeing(
    config_cls: type, fields: dict[Hashable, Any], renamed: dict[str, str] | None = None
) -> vol.Schema:
    """`vol.Schema(fields)`, once each validator's declared type fits its `config_cls` field
    (checked at import, as `cv.platform_schema` checks the platforms'); `renamed` maps a key
    to the field it fills when the two differ."""
    names = renamed or {}
    validators = {
        names.get(name, name): value
        for key, value in fields.items()
        for name in [str(getattr(key, "schema", key))]
    }
    if wrong := mismatched_fields(get_type_hints(config_cls), validators):
        raise TypeError(f"{config_cls.__name__}: validator and field disagree: {wrong}")
    return vol.Schema(fields)


_TLS: Final = _agreeing(
    TlsConfig,
    {
        vol.Optional("ca_certs"): cv.optional(cv.non_empty_string),
        vol.Optional("certfile"): cv.optional(cv.non_empty_string),
        vol.Optional("keyfile"): cv.optional(cv.non_empty_string),
        vol.Optional("insecure"): cv.boolean,
    },
)

_DISCOVERY: Final = _agreeing(
    DiscoveryConfig,
    {
        vol.Optional("enabled"): cv.boolean,
        vol.Optional("prefix"): cv.topic_prefix,
    },
)


def _protocol(value: Any) -> MqttProtocol:
    """ "5" or "3.1.1"; a bare `5` in YAML is an int, and `3.1.1` is already a string."""
    if value == "5" or (value == 5 and type(value) is int):
        return "5"
    if value == "3.1.1":
        return "3.1.1"
    raise vol.Invalid('expected "5" or "3.1.1"')


def _tls(value: Any) -> TlsConfig | None:
    """`tls: true` uses the system CAs, `false`/null turns TLS off, a mapping configures it."""
    if not isinstance(value, dict):
        return TlsConfig() if value is not None and _short_form(value) else None
    data = _TLS(value)
    if data.get("keyfile") and not data.get("certfile"):
        raise vol.Invalid("keyfile needs a certfile", path=["keyfile"])
    return TlsConfig(**data)


def _discovery(value: Any) -> DiscoveryConfig:
    """`discovery: false` is short for `discovery: {enabled: false}`."""
    if not isinstance(value, dict):
        return DiscoveryConfig(enabled=value is None or _short_form(value))
    return DiscoveryConfig(**_DISCOVERY(value))


def _short_form(value: Any) -> bool:
    try:
        return cv.boolean(value)
    except vol.Invalid:
        raise vol.Invalid("expected true, false or a mapping") from None


_MQTT: Final = _agreeing(
    MqttConfig,
    {
        vol.Optional("host"): broker_list,  # one broker or a list: failover in order
        vol.Optional("port"): cv.port,
        vol.Optional("username"): cv.optional(cv.string),
        vol.Optional("password"): cv.optional(cv.string),
        vol.Optional("client_id"): cv.non_empty_string,
        vol.Optional("protocol"): _protocol,
        # aiomqtt checks keepalive once a second and the broker drops a client at 1.5 x
        # keepalive: below about 5 s a loaded board gets spurious disconnects.
        vol.Optional("keepalive"): cv.int_range(5, 65535),
        vol.Optional("session_expiry"): cv.int_range(0, 2**32 - 1),
        vol.Optional("base_topic"): cv.topic_prefix,
        vol.Optional("qos"): cv.int_range(0, 2),
        vol.Optional("retain"): cv.boolean,
        vol.Optional("tls"): _tls,
        vol.Optional("discovery"): _discovery,
        vol.Optional("outbox_size"): cv.positive_int,
    },
    renamed={"host": "brokers"},
)

_GPIO: Final = _agreeing(
    GpioConfig,
    {
        vol.Optional("pin_factory"): cv.optional(cv.choice(PIN_FACTORIES, ignore_case=True)),
        vol.Optional("host"): cv.non_empty_string,
        vol.Optional("port"): cv.port,
    },
)

_SERIAL_PORT: Final = _agreeing(
    SerialPortConfig,
    {
        vol.Required("id"): cv.slug,
        vol.Required("port"): cv.non_empty_string,
        vol.Optional("baudrate"): cv.positive_int,
        vol.Optional("bytesize"): cv.int_range(5, 8),
        vol.Optional("parity"): cv.choice(PARITIES, ignore_case=True),
        vol.Optional("stopbits"): vol.All(cv.number, cv.one_of(1, 1.5, 2)),
        vol.Optional("rtscts"): cv.boolean,
        vol.Optional("delimiter"): cv.non_empty_string,
        vol.Optional("encoding"): cv.encoding,
        vol.Optional("max_line"): cv.positive_int,
        vol.Optional("bridge"): cv.boolean,
        vol.Optional("qos"): cv.int_range(0, 2),
    },
)


def _keys(schema: vol.Schema) -> tuple[str, ...]:
    return tuple(str(key.schema) for key in schema.schema)


SECTION_KEYS: Final = {
    "gateway": _keys(_GATEWAY),
    "mqtt": _keys(_MQTT),
    "gpio": _keys(_GPIO),
    "serial": _keys(_SERIAL_PORT),
    "web": WEB_KEYS,
    **CONVENTION_KEYS,
}
"""The keys each section accepts, to suggest one when a key is misspelt."""


def validate_gateway(value: Any, host: HostInfo, config_dir: Path) -> CoreConfig:
    data = _GATEWAY(value)
    node_id = data.pop("node_id", None) or default_node_id(host.hostname)
    state_dir = _state_dir(data.pop("state_dir", None), host, config_dir)
    return CoreConfig(node_id, data.pop("name", node_id), state_dir, **data)


def validate_mqtt(value: Any, node_id: str) -> MqttConfig:
    data = _MQTT(value)
    data.setdefault("client_id", f"boardgate-{node_id}")
    if "host" in data:
        data["brokers"] = data.pop("host")
    return MqttConfig(**data)


def validate_gpio(value: Any) -> GpioConfig:
    """`host` and `port` reach a remote pigpiod; with another factory they would be ignored."""
    data = _GPIO(value)
    if data.get("pin_factory") != "pigpio":
        misplaced = [key for key in ("host", "port") if key in data]
        if misplaced:
            message = "only used with pin_factory: pigpio"
            raise vol.MultipleInvalid([vol.Invalid(message, path=[key]) for key in misplaced])
    return GpioConfig(**data)


def validate_serial_port(value: Any) -> SerialPortConfig:
    return SerialPortConfig(**_SERIAL_PORT(value))


def default_node_id(hostname: str) -> str:
    """The host name's first label, slugged to [a-z0-9_-]; "boardgate" if nothing is left."""
    return cv.slugify(hostname.split(".")[0], allow_dash=True) or "boardgate"


def default_state_dir(host: HostInfo) -> Path:
    """systemd's $STATE_DIRECTORY, else /var/lib/boardgate for root, else the XDG state dir."""
    state_directory = host.environ.get("STATE_DIRECTORY", "").split(":")[0]
    if state_directory:
        return Path(state_directory)
    if host.is_root:
        return Path("/var/lib/boardgate")
    xdg = host.environ.get("XDG_STATE_HOME", "")
    base = Path(xdg) if Path(xdg).is_absolute() else host.home / ".local" / "state"
    return base / "boardgate"


def _state_dir(value: str | None, host: HostInfo, config_dir: Path) -> Path:
    """A relative state_dir is relative to the config file, not to wherever the daemon runs."""
    if value is None:
        return default_state_dir(host)
    if value == "~" or value.startswith("~/"):
        return host.home / value[2:]
    path = Path(value)
    return path if path.is_absolute() else config_dir / path
