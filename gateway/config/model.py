"""The validated configuration: frozen dataclasses handed to the core instead of dicts.

Only `validate_config` builds these from YAML; tests and the demo may build them directly.
Defaults that depend on the machine (host name, user, environment) are computed from a
`HostInfo`, so that validation itself stays pure.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

if TYPE_CHECKING:
    from gateway.automation.config import AutomationConfig
    from gateway.config.conventions import HomieConfig, SparkplugConfig
    from gateway.config.i2c_config import ExpanderConfig, I2CBusConfig
    from gateway.config.web import WebConfig

__all__ = [
    "PARITIES",
    "PIN_FACTORIES",
    "BrokerAddress",
    "Config",
    "CoreConfig",
    "DiscoveryConfig",
    "EntityConfig",
    "GpioConfig",
    "HostInfo",
    "MqttConfig",
    "PlatformEntry",
    "SerialPortConfig",
    "TlsConfig",
]

MqttProtocol = Literal["5", "3.1.1"]
PinFactory = Literal["mock", "lgpio", "rpigpio", "pigpio", "native"]
Parity = Literal["N", "E", "O", "M", "S"]

PIN_FACTORIES: Final[tuple[PinFactory, ...]] = ("mock", "lgpio", "rpigpio", "pigpio", "native")
PARITIES: Final[tuple[Parity, ...]] = ("N", "E", "O", "M", "S")
MQTT_PORT: Final = 1883
MQTT_TLS_PORT: Final = 8883


@dataclass(frozen=True, slots=True)
class CoreConfig:
    """The `gateway:` section."""

    node_id: str
    name: str
    state_dir: Path
    health_interval: float = 60.0


@dataclass(frozen=True, slots=True)
class TlsConfig:
    """TLS to the broker; all None means the system CAs and no client certificate."""

    ca_certs: str | None = None
    certfile: str | None = None
    keyfile: str | None = None
    insecure: bool = False


@dataclass(frozen=True, slots=True)
class DiscoveryConfig:
    """Home Assistant device discovery."""

    enabled: bool = True
    prefix: str = "homeassistant"


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    """One broker of `mqtt.host`; `port=0` means the section's `port`."""

    host: str
    port: int = 0

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


@dataclass(frozen=True, slots=True, kw_only=True)
class MqttConfig:
    """The `mqtt:` section. `port=0` means the protocol default: 8883 with TLS, else 1883.

    `brokers` is `mqtt.host` as a list (failover in order), each with its port resolved;
    `host` and `port` are the first of them. Built without `brokers`, the one broker is
    `host`:`port`. `client_id` has no default here: the validator derives
    `boardgate-<node_id>`.
    """

    host: str = "127.0.0.1"
    port: int = 0
    brokers: tuple[BrokerAddress, ...] = ()
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    client_id: str
    protocol: MqttProtocol = "5"
    keepalive: int = 30
    session_expiry: int = 300
    base_topic: str = "boardgate"
    qos: int = 1
    retain: bool = True
    tls: TlsConfig | None = None
    discovery: DiscoveryConfig = field(default_factory=DiscoveryConfig)
    outbox_size: int = 1000  # bounded FIFO of non-state messages while the broker is away

    def __post_init__(self) -> None:
        if self.port == 0:
            object.__setattr__(self, "port", MQTT_TLS_PORT if self.tls else MQTT_PORT)
        listed = self.brokers or (BrokerAddress(self.host),)
        brokers = tuple(BrokerAddress(b.host, b.port or self.port) for b in listed)
        object.__setattr__(self, "brokers", brokers)
        object.__setattr__(self, "host", brokers[0].host)
        object.__setattr__(self, "port", brokers[0].port)


@dataclass(frozen=True, slots=True)
class GpioConfig:
    """The `gpio:` section. `pin_factory=None` lets gpiozero choose; host/port are pigpio's."""

    pin_factory: PinFactory | None = None
    host: str | None = None
    port: int = 8888


@dataclass(frozen=True, slots=True)
class SerialPortConfig:
    """One entry of `serial:`; serial entities refer to it by `id`."""

    id: str
    port: str
    baudrate: int = 9600
    bytesize: int = 8
    parity: Parity = "N"
    stopbits: float = 1
    rtscts: bool = False
    delimiter: str = "\n"
    encoding: str = "utf-8"  # a codec name, or "hex" to publish frames as hex digits
    max_line: int = 4096
    bridge: bool = False
    qos: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class EntityConfig:
    """Base of every platform's entity configuration.

    Subclasses are `@dataclass(frozen=True, slots=True, kw_only=True)` and add their own fields
    (with defaults where the schema has them); `cv.platform_schema` builds them.
    """

    platform: str
    name: str
    id: str

    def claims(self) -> tuple[Claim, ...]:
        """Hardware this entity takes for itself, so no other entity may use it.

        Each claim is (config key, resource id, description), e.g. `("pin", "gpio:18",
        "pin BOARD12 (GPIO18)")`; the validator reports a resource claimed twice.
        """
        return ()


# (config key, resource id, description)
Claim = tuple[str, str, str]


@dataclass(frozen=True, slots=True)
class PlatformEntry:
    """One item of a domain list, validated by its platform's schema."""

    domain: str
    platform: str
    config: EntityConfig
    source: str  # "file:line", for log messages about this entity


@dataclass(frozen=True, slots=True)
class Config:
    """The whole validated configuration. `mqtt` is None when the file has no `mqtt:` key."""

    path: Path
    core: CoreConfig
    mqtt: MqttConfig | None
    gpio: GpioConfig
    serial: tuple[SerialPortConfig, ...] = ()
    entities: tuple[PlatformEntry, ...] = ()
    automations: tuple[AutomationConfig, ...] = ()
    i2c: tuple[I2CBusConfig, ...] = ()
    expanders: tuple[ExpanderConfig, ...] = ()
    web: WebConfig | None = None  # None: no `web:` section, the web server is not loaded
    homie: HomieConfig | None = None  # the optional conventions (config/conventions.py)
    sparkplug: SparkplugConfig | None = None


@dataclass(frozen=True, slots=True)
class HostInfo:
    """The facts about the machine that defaults depend on."""

    hostname: str
    is_root: bool
    home: Path
    environ: Mapping[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def current(cls) -> HostInfo:
        """Read them from this process (the only impure part of configuration defaults)."""
        is_root = hasattr(os, "geteuid") and os.geteuid() == 0
        return cls(socket.gethostname(), is_root, Path.home(), dict(os.environ))
