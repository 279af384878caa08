"""`/metrics`: the Prometheus text exposition format (version 0.0.4), rendered by hand.

Pure: it turns states and the health data into text, so it is tested without a server (and
checked with prometheus_client's parser in the tests; the daemon does not depend on it).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final

from ..const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from ..core import State

__all__ = ["CONTENT_TYPE", "render_metrics"]

CONTENT_TYPE: Final = "text/plain; version=0.0.4; charset=utf-8"
_ON_OFF: Final = {STATE_ON: 1.0, STATE_OFF: 0.0, "on": 1.0, "off": 0.0}  # automations: on/off


def render_metrics(states: Iterable[State], health: Mapping[str, Any]) -> str:
    """The whole exposition: entity gauges, then the gateway's own figures."""
    states = sorted(states, key=lambda state: state.entity_id)
    lines = [*_entity_metrics(states), *_gateway_metrics(health)]
    return "\n".join(lines) + "\n"


def _entity_metrics(states: list[State]) -> Iterator[str]:
    yield from _header("boardgate_entity_state", "gauge", "Entity state: on=1, off=0, or value")
    for state in states:
        value = _numeric(state.state)
        if value is not None:
            yield f"boardgate_entity_state{_labels(state)} {_number(value)}"
    yield from _header("boardgate_entity_available", "gauge", "1 when the entity is available")
    for state in states:
        available = 0 if state.state == STATE_UNAVAILABLE else 1
        yield f"boardgate_entity_available{_labels(state)} {available}"


def _gateway_metrics(health: Mapping[str, Any]) -> Iterator[str]:
    mqtt = health.get("mqtt") or {}
    yield from _gauge(
        "boardgate_mqtt_connected",
        "1 while connected to the broker",
        int(bool(mqtt.get("connected"))),
    )
    for name, key, text in (
        ("reconnects", "reconnects", "Connections to the broker after the first"),
        ("messages_published", "published", "Messages handed to the MQTT client"),
        ("messages_received", "received", "Messages received from the broker"),
        ("messages_dropped", "dropped", "Messages dropped while the broker was away"),
    ):
        metric = f"boardgate_mqtt_{name}_total"
        yield from _header(metric, "counter", text)
        yield f"{metric} {int(mqtt.get(key, 0))}"
    lag = health.get("loop_lag_ms") or {}
    yield from _header("boardgate_loop_lag_seconds", "gauge", "Event loop lag (p50 and max)")
    for stat in ("p50", "max"):
        yield f'boardgate_loop_lag_seconds{{stat="{stat}"}} {_number(lag.get(stat, 0) / 1000)}'
    executor = health.get("executor") or {}
    yield from _gauge("boardgate_executor_busy", "Busy worker threads", executor.get("busy", 0))
    yield from _gauge("boardgate_uptime_seconds", "Seconds since start", health["uptime_s"])


def _gauge(name: str, text: str, value: float) -> Iterator[str]:
    yield from _header(name, "gauge", text)
    yield f"{name} {_number(value)}"


def _header(name: str, kind: str, text: str) -> Iterator[str]:
    yield f"# HELP {name} {text}"
    yield f"# TYPE {name} {kind}"


def _numeric(state: str) -> float | None:
    if state in _ON_OFF:
        return _ON_OFF[state]
    try:
        value = float(state)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _labels(state: State) -> str:
    return f'{{entity_id="{_escape(state.entity_id)}",domain="{_escape(state.domain)}"}}'


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    return repr(float(value))
