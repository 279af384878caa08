"""The retry policy now lives in `hardware.backoff` (drivers need it and may not import the
core); re-exported here for the MQTT connection until it imports it from there."""

from __future__ import annotations

from hardware.backoff import BACKOFF_INITIAL, BACKOFF_MAXIMUM, Backoff

__all__ = ["BACKOFF_INITIAL", "BACKOFF_MAXIMUM", "Backoff"]
