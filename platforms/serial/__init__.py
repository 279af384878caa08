"""The `serial` component: one `SerialPortManager` per port declared under `serial:`.

```yaml
serial:
  - {id: arduino, port: /dev/serial/by-id/usb-Arduino_LLC_Arduino_Uno-if00, baudrate: 9600}
  - {id: modem, port: /dev/serial0, baudrate: 115200, bridge: true, qos: 1}
```
`async_setup(gw, ports)` starts every port (a missing device is retried with backoff, not an
error), bridges the ports with `bridge: true` over MQTT when MQTT is set up, and keeps
everything in `gw.data["serial"]`. Serial sensors (`platforms/serial/sensor.py`) find their
port with `async_get_manager`. Ports are closed, in the executor, on `gateway_stop`.

Set it up after `gateway.mqtt` (for the bridges) and before the entity domains (for the
sensors).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from gateway.const import EVENT_GATEWAY_STOP
from gateway.core import Event, Gateway, callback
from gateway.exceptions import GatewayError
from gateway.gateway_data import DataKey
from hardware.loop_services import LoopServices
from hardware.serial_port import SerialPortManager, SerialPortSettings

if TYPE_CHECKING:
    from gateway.config.model import SerialPortConfig

    from .mqtt_bridge import SerialBridge

__all__ = [
    "DATA_SERIAL",
    "DOMAIN",
    "SerialData",
    "async_get_manager",
    "async_port_health",
    "async_setup",
    "port_settings",
]

_LOGGER = logging.getLogger(__name__)

DOMAIN = "serial"
DATA_SERIAL: Final[DataKey[SerialData]] = DataKey("serial")


@dataclass(slots=True)
class SerialData:
    """What `async_setup` keeps in `gw.data[DATA_SERIAL]`."""

    managers: dict[str, SerialPortManager] = field(default_factory=dict)
    bridges: dict[str, SerialBridge] = field(default_factory=dict)


def port_settings(config: SerialPortConfig) -> SerialPortSettings:
    """What the driver needs from a `serial:` entry (not the bridge's options)."""
    return SerialPortSettings(
        name=config.id,
        port=config.port,
        baudrate=config.baudrate,
        bytesize=config.bytesize,
        parity=config.parity,
        stopbits=config.stopbits,
        rtscts=config.rtscts,
        delimiter=config.delimiter,
        encoding=config.encoding,
        max_line=config.max_line,
    )


def _loop_services(gw: Gateway) -> LoopServices:
    """The Gateway as the drivers see it (mypy checks here that it fits the Protocol)."""
    return gw


async def async_setup(gw: Gateway, ports: tuple[SerialPortConfig, ...]) -> None:
    """Start one manager per port (and its bridge); returns after each port's first open
    attempt, so sensors set up next see whether their device is there."""
    data = SerialData()
    gw.data[DATA_SERIAL] = data
    services = _loop_services(gw)
    for port in ports:
        data.managers[port.id] = SerialPortManager(services, port_settings(port))
    for port in ports:
        if port.bridge:
            _async_bridge(gw, data, port)

    async def async_stop(_event: Event) -> None:
        for bridge in data.bridges.values():
            bridge.async_stop()
        await asyncio.gather(*(manager.async_stop() for manager in data.managers.values()))

    gw.bus.async_listen_once(EVENT_GATEWAY_STOP, async_stop)
    await asyncio.gather(*(manager.async_start() for manager in data.managers.values()))


@callback
def _async_bridge(gw: Gateway, data: SerialData, port: SerialPortConfig) -> None:
    from .mqtt_bridge import async_setup_mqtt_bridge

    try:
        data.bridges[port.id] = async_setup_mqtt_bridge(gw, data.managers[port.id], qos=port.qos)
    except GatewayError as exc:
        _LOGGER.warning("Serial port %s: bridge not started: %s", port.id, exc)


@callback
def async_get_manager(gw: Gateway, serial_id: str) -> SerialPortManager:
    """The manager of port `serial_id`; raises GatewayError when there is none."""
    data: SerialData | None = gw.data.get(DATA_SERIAL)
    if data is None:
        raise GatewayError("the serial component is not set up (no serial: section)")
    try:
        return data.managers[serial_id]
    except KeyError:
        declared = ", ".join(sorted(data.managers)) or "none"
        raise GatewayError(f"unknown serial port {serial_id!r} (declared: {declared})") from None


@callback
def async_port_health(gw: Gateway) -> dict[str, dict[str, Any]]:
    """Per port id: `available`, the port's counters and, when bridged, the bridge's (for
    `<b>/bridge/health`)."""
    data: SerialData | None = gw.data.get(DATA_SERIAL)
    if data is None:
        return {}
    health: dict[str, dict[str, Any]] = {}
    for port_id, manager in data.managers.items():
        entry: dict[str, Any] = {
            "available": manager.available,
            **dataclasses.asdict(manager.stats),
        }
        if (bridge := data.bridges.get(port_id)) is not None:
            entry["bridge"] = dataclasses.asdict(bridge.stats)
        health[port_id] = entry
    return health
