"""The behaviours' modules are loaded only when a config uses them (resident memory)."""

from __future__ import annotations

from pathlib import Path

from tests.core.test_bootstrap import LEAN_PROBE
from tests.helpers import modules_loaded_by

CONFIG = """\
gateway: {{node_id: lean, state_dir: {state}}}
mqtt: {{host: 127.0.0.1, port: 1, discovery: false}}
gpio: {{pin_factory: mock}}
switch:
  - {{platform: gpio, name: Relay, pin: 22}}
{extra}"""

RUNTIME = ("gateway.domains.interlock", "gateway.config.filters_schema")


def loaded_with(tmp_path: Path, extra: str) -> set[str]:
    path = tmp_path / "boardgate.yaml"
    path.write_text(CONFIG.format(state=tmp_path / "state", extra=extra))
    return modules_loaded_by(LEAN_PROBE, str(path))


def test_no_sensor_no_filters_no_interlocks(tmp_path: Path) -> None:
    loaded = loaded_with(tmp_path, "")
    unused = ("gateway.filters", "gateway.input_patterns", *RUNTIME)
    assert "platforms.gpio.switch" in loaded
    assert loaded.isdisjoint(unused), sorted(loaded.intersection(unused))


def test_sensors_without_filters_load_no_filter_validation(tmp_path: Path) -> None:
    extra = "sensor:\n  - {platform: gpio, type: counter, name: Water, pin: 5}\n"
    loaded = loaded_with(tmp_path, extra)
    assert "platforms.gpio.sensor" in loaded
    assert loaded.isdisjoint(RUNTIME), sorted(loaded.intersection(RUNTIME))


def test_what_is_used_is_loaded(tmp_path: Path) -> None:
    extra = """\
  - {platform: gpio, name: Fan low, pin: 23, interlock: [fan_high]}
  - {platform: gpio, name: Fan high, pin: 24, interlock: [fan_low]}
sensor:
  - {platform: gpio, type: counter, name: Water, pin: 5, filters: [{multiply: 2}]}
"""
    loaded = loaded_with(tmp_path, extra)
    assert {"gateway.filters", *RUNTIME} <= loaded
