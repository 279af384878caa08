"""`filters:` config errors name the filter and its position; good filters load."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.config import load_config
from gateway.exceptions import ConfigError
from gateway.filters import CalibrateLinear, Clamp, Heartbeat, SlidingWindow
from gateway.loader import resolve_platform_schema

HEAD = "gateway: {node_id: t, state_dir: /tmp/x}\nmqtt: {}\nsensor:\n"


def errors(tmp_path: Path, body: str) -> list[str]:
    path = tmp_path / "c.yaml"
    path.write_text(HEAD + body)
    with pytest.raises(ConfigError) as caught:
        load_config(path, resolve_platform_schema)
    return [line.split(": ", 1)[1] for line in caught.value.errors]


def test_each_bad_filter_is_named_with_its_position(tmp_path: Path) -> None:
    body = """\
  - platform: mqtt
    name: Tank
    state_topic: t/tank
    filters:
      - offset: 1
      - clamp: {min: 10, max: 0}
      - sliding_window: {size: 0}
      - calibrate_linear: [[1, 0], [1, 5]]
      - exponential_moving_average: {alpha: 2}
      - frobnicate: 3
      - round: -1
      - throttle: soon
      - heartbeat: 5m
      - heartbeat: 6m
"""
    assert errors(tmp_path, body) == [
        "sensor.0.filters.1.clamp: min must not be greater than max",
        "sensor.0.filters.2.sliding_window.size: expected an integer from 1 to 10000",
        "sensor.0.filters.3.calibrate_linear: needs at least two different measured values",
        "sensor.0.filters.4.exponential_moving_average.alpha: alpha must be greater than 0 "
        "and at most 1",
        "sensor.0.filters.5: unknown filter (expected one of: offset, multiply, "
        "calibrate_linear, clamp, round, sliding_window, exponential_moving_average, delta, "
        "throttle, heartbeat, timeout)",
        "sensor.0.filters.6.round: expected an integer from 0 to 10",
        "sensor.0.filters.7.throttle: expected a time period (seconds, or e.g. 500ms, 30s, "
        "5m, 1h, 01:30)",
        "sensor.0.filters.9.heartbeat: heartbeat may be given only once",
    ]


def test_filters_on_every_numeric_platform_validate(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    filters = (
        "[{calibrate_linear: [[0, 0], [1, 2], [2, 4.2]]}, {clamp: {max: 3}}, "
        "{sliding_window: {size: 3, type: median}}, {heartbeat: 5m}]"
    )
    path.write_text(
        HEAD
        + f"""\
  - {{platform: mqtt, name: A, state_topic: t/a, filters: {filters}}}
  - {{platform: gpio, type: counter, name: B, pin: 5, filters: {filters}}}
  - {{platform: onewire, name: C, sensor_id: 28-0316a2795eff, filters: {filters}}}
  - {{platform: system, type: load, name: D, filters: {filters}}}
  - {{platform: serial, name: E, serial_id: s, filters: {filters}}}
serial: [{{id: s, port: /dev/null}}]
"""
    )
    config = load_config(path, resolve_platform_schema)
    for entry in config.entities:
        specs = entry.config.filters  # type: ignore[attr-defined]
        assert isinstance(specs[0], CalibrateLinear)
        assert specs[0].slope == pytest.approx(2.1)
        assert specs[1:] == (Clamp(None, 3.0), SlidingWindow(3, "median", 1), Heartbeat(300.0))


def test_filters_must_be_a_list_of_single_filters(tmp_path: Path) -> None:
    body = "  - {platform: mqtt, name: A, state_topic: t/a, filters: {offset: 1}}\n"
    assert errors(tmp_path, body) == [
        "sensor.0.filters: expected a list of filters (e.g. - offset: -0.3)"
    ]
    body = "  - {platform: mqtt, name: A, state_topic: t/a, filters: [{offset: 1, round: 1}]}\n"
    assert errors(tmp_path, body)[0].startswith("sensor.0.filters.0: expected one filter")


def test_a_class_attribute_cannot_hide_the_raw_value() -> None:
    from gateway.domains.binary_sensor import BinarySensorEntity
    from gateway.domains.sensor import SensorEntity

    with pytest.raises(TypeError, match="_attr_native_value: set it in __init__"):
        type("Fixed", (SensorEntity,), {"_attr_native_value": 3})
    with pytest.raises(TypeError, match="_attr_is_on: set it in __init__"):
        type("Stuck", (BinarySensorEntity,), {"_attr_is_on": True})
