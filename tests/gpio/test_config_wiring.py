"""A YAML config with every gpio and onewire entity kind, wired as bootstrap will wire it."""

from __future__ import annotations

from pathlib import Path

import pytest
from gpiozero import Device

import platforms.gpio
from gateway.bootstrap import async_setup_entities
from gateway.clock import FakeClock
from gateway.config import load_config
from gateway.core import Gateway
from gateway.exceptions import ConfigError
from gateway.loader import resolve_platform_schema
from tests.conftest import assert_stops_clean
from tests.helpers import in_thread

CONFIG = """\
gateway: {{node_id: garage, state_dir: {state}}}
gpio:
  pin_factory: mock
binary_sensor:
  - {{platform: gpio, name: Door, pin: 17, pull_up: true, bounce_time: 0.05, invert: false,
     device_class: door}}
  - {{platform: gpio, name: PIR, pin: BOARD13, pull_up: floating, active_state: high}}
switch:
  - {{platform: gpio, name: Relay 1, pin: 22, active_high: false, initial: "off", on_stop: "off"}}
  - {{platform: gpio, name: Pump, pin: GPIO24, initial: restore, on_stop: keep}}
light:
  - {{platform: gpio, name: Strip, pin: 18, frequency: 500}}
button:
  - {{platform: gpio, name: Gate, pin: 23, pulse: 0.5}}
sensor:
  - {{platform: gpio, type: counter, name: Water meter, pin: 5, unit_of_measurement: L}}
  - {{platform: onewire, name: Boiler, sensor_id: 28-0316a2795eff, scan_interval: 30,
     sys_root: {sys}}}
"""


def write_config(tmp_path: Path, text: str) -> Path:
    sys_root = tmp_path / "sys"
    slave = sys_root / "bus/w1/devices/28-0316a2795eff/w1_slave"
    slave.parent.mkdir(parents=True)
    slave.write_text("aa : crc=aa YES\naa t=61500\n")
    path = tmp_path / "boardgate.yaml"
    path.write_text(text.format(state=tmp_path / "state", sys=sys_root))
    return path


async def test_config_example_runs(tmp_path: Path) -> None:
    path = await in_thread(write_config, tmp_path, CONFIG)
    config = await in_thread(load_config, path, resolve_platform_schema)
    gw = Gateway(clock=FakeClock(), executor_workers=4)
    gw.config = config
    try:
        # What bootstrap must do: the gpio component before the entity domains.
        await platforms.gpio.async_setup(gw, config.gpio)
        await async_setup_entities(gw, config.entities)
        await gw.async_start()
        states = {state.entity_id: state.state for state in gw.states.async_all()}
        assert states == {
            "binary_sensor.door": "OFF",
            "binary_sensor.pir": "OFF",
            "switch.relay_1": "OFF",
            "switch.pump": "OFF",
            "light.strip": "OFF",
            "button.gate": "unknown",
            "sensor.water_meter": "0",
            "sensor.boiler": "61.5",
        }
        assert gw.services.has_service("sensor", "reset_counter")
        assert Device.pin_factory is None
    finally:
        await assert_stops_clean(gw)


async def test_pin_used_twice_is_found(tmp_path: Path) -> None:
    text = CONFIG.replace("pin: 23, pulse", "pin: BOARD12, pulse")  # BOARD12 is GPIO18
    path = await in_thread(write_config, tmp_path, text)
    with pytest.raises(ConfigError) as failure:
        await in_thread(load_config, path, resolve_platform_schema)
    [message] = failure.value.errors
    assert ": button.0.pin: pin BOARD12 (GPIO18) is already used by light.strip" in message
    assert message.startswith(f"{path}:")


async def test_unknown_option_is_a_config_error(tmp_path: Path) -> None:
    text = CONFIG.replace("pulse: 0.5", "pulse: 0.5, pules: 1")
    path = await in_thread(write_config, tmp_path, text)
    with pytest.raises(ConfigError, match="pules"):
        await in_thread(load_config, path, resolve_platform_schema)
