"""The serial platform's schema inside full config validation (as `check-config` runs it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gateway.config.model import HostInfo
from gateway.config.validate import check_config
from gateway.loader import resolve_platform_schema
from platforms.serial.sensor import SerialSensorConfig

HOST = HostInfo("pi", False, Path("/home/pi"), {})


def check(raw: dict[str, Any]) -> tuple[Any, list[str]]:
    config, issues = check_config(raw, Path("boardgate.yaml"), resolve_platform_schema, host=HOST)
    return config, [f"{issue.where}: {issue.message}" for issue in issues]


def test_a_serial_sensor_config_validates() -> None:
    config, issues = check(
        {
            "serial": [
                {"id": "arduino", "port": "/dev/ttyUSB0", "baudrate": 9600},
                {"id": "modem", "port": "/dev/serial0", "bridge": True, "qos": 1},
            ],
            "sensor": [
                {
                    "platform": "serial",
                    "name": "Thermometer",
                    "serial_id": "arduino",
                    "value_regex": "T=([-0-9.]+)",
                    "unit_of_measurement": "°C",
                    "precision": 1,
                }
            ],
        }
    )
    assert issues == []
    (entry,) = config.entities
    assert isinstance(entry.config, SerialSensorConfig)
    assert entry.config.serial_id == "arduino"
    assert [port.id for port in config.serial] == ["arduino", "modem"]


def test_errors_name_the_key() -> None:
    _, issues = check(
        {
            "serial": [{"id": "arduino", "port": "/dev/ttyUSB0"}],
            "sensor": [
                {"platform": "serial", "name": "A", "serial_id": "nano"},
                {"platform": "serial", "name": "B", "serial_id": "arduino", "value_json": "a..b"},
                {
                    "platform": "serial",
                    "name": "C",
                    "serial_id": "arduino",
                    "value_regex": "x",
                    "value_json": "x",
                },
            ],
        }
    )
    assert len(issues) == 3
    assert "sensor.0.serial_id: unknown serial port (declared: arduino)" in issues
    assert any(issue.startswith("sensor.1.value_json: invalid JSON path") for issue in issues)
    assert "sensor.2.value_json: cannot be used together with value_regex" in issues
