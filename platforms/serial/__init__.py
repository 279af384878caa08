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
from typing import TYPE_CHECKING, Any

from gateway.const import EVENT_GATEWAY_STOP
from gateway.core import Event, Gateway, callback
from gateway.exceptions import GatewayError
from hardware.serial_port import SerialPortManager

if TYPE_CHECKING:
    from gateway.config.model import SerialPortConfig

    from .bridge import SerialBridge

__all__ = [
    "DATA_SERIAL",
    "DOMAIN",
    "SerialData",
    "async_get_manager",
    "async_port_health",
    "async_setup",
]

_LOGGER = logging.getLogger(__name__)

DOMAIN = "serial"
DATA_SERIAL = "serial"


@dataclass(slots=True)
class SerialData:
    """What `async_setup` keeps in `gw.data[DATA_SERIAL]`."""

    managers: dict[str, SerialPortManager] = field(default_factory=dict)
    bridges: dict[str, SerialBridge] = field(default_factory=dict)


async def async_setup(gw: Gateway, ports: tuple[SerialPortConfig, ...]) -> None:
    """Start one manager per port (and its bridge); returns after each port's first open
    attempt, so sensors set up next see whether their device is there."""
    data = SerialData()
    gw.data[DATA_SERIAL] = data
    for port in ports:
        data.managers[port.id] = SerialPortManager(gw, port)
    for port in ports:
        if port.bridge:
            _async_bridge(gw, data, data.managers[port.id])

    async def async_stop(_event: Event) -> None:
        for bridge in data.bridges.values():
            bridge.async_stop()
        await asyncio.gather(*(manager.async_stop() for manager in data.managers.values()))

    gw.bus.async_listen_once(EVENT_GATEWAY_STOP, async_stop)
    await asyncio.gather(*(manager.async_start() for manager in data.managers.values()))


@callback
def _async_bridge(gw: Gateway, data: SerialData, manager: SerialPortManager) -> None:
    from .bridge import async_setup_mqtt_bridge

    try:
        data.bridges[manager.config.id] = async_setup_mqtt_bridge(gw, manager)
    except GatewayError as exc:
        _LOGGER.warning("Serial port %s: bridge not started: %s", manager.config.id, exc)


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
