"""Constants shared by the core, the platforms and the CLI."""

from __future__ import annotations

from typing import Final

__version__: Final = "0.1.0"

STATE_ON: Final = "ON"
STATE_OFF: Final = "OFF"
STATE_UNAVAILABLE: Final = "unavailable"
STATE_UNKNOWN: Final = "unknown"

EVENT_STATE_CHANGED: Final = "state_changed"
EVENT_SERVICE_REGISTERED: Final = "service_registered"
EVENT_CALL_SERVICE: Final = "call_service"
EVENT_GATEWAY_START: Final = "gateway_start"
EVENT_GATEWAY_STARTED: Final = "gateway_started"
EVENT_GATEWAY_STOP: Final = "gateway_stop"
EVENT_GATEWAY_FINAL_WRITE: Final = "gateway_final_write"
EVENT_GATEWAY_CLOSE: Final = "gateway_close"
EVENT_RELOAD_STARTED: Final = "reload_started"
EVENT_RELOAD_FINISHED: Final = "reload_finished"

SERVICE_TURN_ON: Final = "turn_on"
SERVICE_TURN_OFF: Final = "turn_off"
SERVICE_TOGGLE: Final = "toggle"
SERVICE_PRESS: Final = "press"

DEFAULT_EXECUTOR_TIMEOUT: Final = 10.0
DEFAULT_SCAN_INTERVAL: Final = 30.0

EXIT_OK: Final = 0
EXIT_FAILURE: Final = 1
EXIT_CONFIG: Final = 2
