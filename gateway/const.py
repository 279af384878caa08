"""Constants shared by the core, the platforms and the CLI."""

from __future__ import annotations

from typing import Final

from .event_data import (
    CallServiceData,
    EventType,
    NoEventData,
    ServiceRegisteredData,
    StateChangedData,
)

__version__: Final = "0.1.0"

STATE_ON: Final = "ON"
STATE_OFF: Final = "OFF"
STATE_UNAVAILABLE: Final = "unavailable"
STATE_UNKNOWN: Final = "unknown"

# Each event name carries the type of its data (gateway/event_data.py).
EVENT_STATE_CHANGED: Final = EventType[StateChangedData]("state_changed")
EVENT_SERVICE_REGISTERED: Final = EventType[ServiceRegisteredData]("service_registered")
EVENT_CALL_SERVICE: Final = EventType[CallServiceData]("call_service")
EVENT_GATEWAY_START: Final = EventType[NoEventData]("gateway_start")
EVENT_GATEWAY_STARTED: Final = EventType[NoEventData]("gateway_started")
EVENT_GATEWAY_STOP: Final = EventType[NoEventData]("gateway_stop")
EVENT_GATEWAY_FINAL_WRITE: Final = EventType[NoEventData]("gateway_final_write")
EVENT_GATEWAY_CLOSE: Final = EventType[NoEventData]("gateway_close")
EVENT_RELOAD_STARTED: Final = EventType[NoEventData]("reload_started")
EVENT_RELOAD_FINISHED: Final = EventType[NoEventData]("reload_finished")

SERVICE_TURN_ON: Final = "turn_on"
SERVICE_TURN_OFF: Final = "turn_off"
SERVICE_TOGGLE: Final = "toggle"
SERVICE_PRESS: Final = "press"

DEFAULT_EXECUTOR_TIMEOUT: Final = 10.0
DEFAULT_SCAN_INTERVAL: Final = 30.0

EXIT_OK: Final = 0
EXIT_FAILURE: Final = 1
EXIT_CONFIG: Final = 2
