"""Without `i2c:`/`expander:` nothing of I²C is imported (idle RSS unchanged); with only a
simulated bus, smbus2 is not imported either."""

from __future__ import annotations

from pathlib import Path

from tests.core.test_bootstrap import LEAN_CONFIG, LEAN_PROBE
from tests.helpers import modules_loaded_by

I2C_MODULES = (
    "smbus2",
    "hardware.i2c",
    "hardware.sim.i2c_bus",
    "hardware.sim.i2c_devices",
    "hardware.sysfs_sensors",
    "platforms.i2c",
    "platforms.iio",
    "platforms.hwmon",
    "gateway.config.i2c_config",
    "gateway.config.i2c_sections",
)
SIMULATED = """\
i2c: [{id: sim, bus: simulated, devices: [{address: 0x76, model: bme280}]}]
sensor: [{platform: i2c, i2c_id: sim, model: bme280, name: Attic}]
"""


def test_without_i2c_nothing_of_it_is_imported(tmp_path: Path) -> None:
    path = tmp_path / "boardgate.yaml"
    path.write_text(LEAN_CONFIG.format(state=tmp_path / "state", port=1))
    loaded = modules_loaded_by(LEAN_PROBE, str(path))
    assert "platforms.gpio.switch" in loaded
    assert not {m for m in loaded if m.startswith(I2C_MODULES)}, sorted(loaded)


def test_a_simulated_bus_does_not_import_smbus2(tmp_path: Path) -> None:
    path = tmp_path / "boardgate.yaml"
    text = LEAN_CONFIG.format(state=tmp_path / "state", port=1) + SIMULATED
    path.write_text(text)
    loaded = modules_loaded_by(LEAN_PROBE, str(path))
    assert {"platforms.i2c.sensor", "hardware.i2c.bme280", "hardware.sim.i2c_bus"} <= loaded
    assert "smbus2" not in loaded
    assert "platforms.i2c.expander_lines" not in loaded
