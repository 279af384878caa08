"""`boardgate detect` on the simulated buses of a config and a fake sysfs/dev root."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.cli import main
from hardware.i2c.probe import scan
from hardware.sim.i2c_bus import RegisterDevice, SimulatedI2CBus
from hardware.sim.i2c_devices import Bme280Model, Mcp23017Model
from tests.sysfs.test_iio_hwmon import make_tree

CONFIG = """\
switch: [{platform: virtual, name: X}]
gpio: {pin_factory: lgpio}
i2c:
  - id: sim
    bus: simulated
    devices:
      - {address: 0x76, model: bme280, temperature: 21.5}
      - {address: 0x77, model: bmp280}
      - {address: 0x20, model: mcp23017}
      - {address: 0x23, model: bh1750}
      - {address: 0x51, registers: {0x00: 0xAA}}
"""


class RecordingBus(SimulatedI2CBus):
    """Records every call: detect must not write data."""

    def __init__(self) -> None:
        super().__init__("rec")
        self.calls: list[tuple[str, int]] = []

    def write_quick(self, i2c_addr: int) -> None:
        self.calls.append(("write_quick", i2c_addr))
        super().write_quick(i2c_addr)

    def read_byte(self, i2c_addr: int) -> int:
        self.calls.append(("read_byte", i2c_addr))
        return super().read_byte(i2c_addr)

    def read_byte_data(self, i2c_addr: int, register: int) -> int:
        self.calls.append((f"read_byte_data 0x{register:02X}", i2c_addr))
        return super().read_byte_data(i2c_addr, register)

    def write_byte(self, i2c_addr: int, value: int) -> None:
        raise AssertionError("detect wrote a byte")

    def write_byte_data(self, i2c_addr: int, register: int, value: int) -> None:
        raise AssertionError("detect wrote a register")


def test_probing_is_i2cdetects_default() -> None:
    bus = RecordingBus()
    bus.add(0x76, Bme280Model())
    bus.add(0x20, Mcp23017Model())
    bus.add(0x50, RegisterDevice())
    found = scan(bus)
    assert [(f.address, f.models) for f in found] == [
        (0x20, ("mcp23017", "pcf8574", "pcf8575")),
        (0x50, ()),
        (0x76, ("bme280",)),
    ]
    kinds = {address: kind for kind, address in bus.calls if kind != "read_byte_data 0xD0"}
    assert all(kinds[a] == "read_byte" for a in [*range(0x30, 0x38), *range(0x50, 0x60)])
    assert all(kinds[a] == "write_quick" for a in range(0x03, 0x78) if a not in range(0x30, 0x38)
               and a not in range(0x50, 0x60))  # fmt: skip
    assert ("read_byte_data 0xD0", 0x76) in bus.calls
    registers = {kind for kind, _ in bus.calls if kind.startswith("read_byte_data")}
    assert registers == {"read_byte_data 0xD0"}
    assert bus.devices[0x20].registers == Mcp23017Model().registers  # type: ignore[attr-defined]


def fake_root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    make_tree(root / "sys")
    w1 = root / "sys/bus/w1/devices/28-0316a2795eff"
    w1.mkdir(parents=True)
    by_id = root / "dev/serial/by-id"
    by_id.mkdir(parents=True)
    (root / "dev/ttyUSB0").write_text("")
    (by_id / "usb-Arduino_LLC_Arduino_Uno-if00").symlink_to(root / "dev/ttyUSB0")
    (root / "dev/gpiochip0").write_text("")
    return root


def test_detect_lists_everything_with_snippets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "boardgate.yaml"
    config.write_text(CONFIG)
    monkeypatch.setenv("BOARDGATE_DETECT_ROOT", str(fake_root(tmp_path)))
    assert main(["detect", "-c", str(config)]) == 0
    out = capsys.readouterr().out
    for expected in [
        "simulated bus sim (id sim): 0x20, 0x23, 0x51, 0x76, 0x77",
        "0x76: bme280 (chip id 0x60)",
        "0x77: bmp280 (chip id 0x58)",
        "0x20: mcp23017 or pcf8574 or pcf8575",
        "- {id: ext1, model: mcp23017, i2c_id: sim, address: 0x20}",
        "- {platform: i2c, i2c_id: sim, model: bme280, address: 0x76, name: BME280 sim 0x76}",
        "- {platform: i2c, i2c_id: sim, model: bh1750, address: 0x23, name: BH1750 sim 0x23}",
        "iio:device0: bme280 (humidityrelative, pressure, temp)",
        "- {platform: iio, device: ads1015, channel: voltage1, name: ads1015 voltage1}",
        "hwmon0: cpu_thermal (temp1)",
        "- {platform: hwmon, chip: cpu_thermal, sensor: temp1, name: cpu_thermal temp1}",
        "- {platform: onewire, sensor_id: 28-0316a2795eff, name: 28-0316a2795eff}",
        "usb-Arduino_LLC_Arduino_Uno-if00 -> ttyUSB0",
        "port: /dev/serial/by-id/usb-Arduino_LLC_Arduino_Uno-if00",
        "pin factory: lgpio (configured)",
    ]:
        assert expected in out, f"{expected!r} not in:\n{out}"


def test_detect_without_config_on_an_empty_root(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BOARDGATE_CONFIG", raising=False)
    monkeypatch.delenv("GPIOZERO_PIN_FACTORY", raising=False)
    assert main(["detect", "--root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "no I²C bus (enable it: dtparam=i2c_arm=on, then reboot)" in out
    assert "pin factory: none would load" in out


def test_real_buses_are_listed_with_their_declaration(tmp_path: Path) -> None:
    from hardware.detect import detect

    (tmp_path / "dev").mkdir()
    for name in ("i2c-1", "i2c-10", "i2c-2"):
        (tmp_path / "dev" / name).write_text("")
    buses: dict[int, SimulatedI2CBus] = {}

    def open_bus(number: int) -> SimulatedI2CBus:
        if number == 2:
            raise PermissionError(13, "Permission denied")
        bus = buses[number] = SimulatedI2CBus(f"i2c-{number}")
        if number == 1:
            bus.add(0x48, RegisterDevice())
        return bus

    i2c = detect(tmp_path, {}, open_bus=open_bus)[0]
    assert i2c.lines[0] == f"{tmp_path}/dev/i2c-1 (id bus1): 0x48"
    assert i2c.lines[1] == "  0x48: ads1115 or ads1015 or ina219"
    assert i2c.lines[2] == f"{tmp_path}/dev/i2c-2: cannot open (Permission denied)"
    assert i2c.lines[3] == f"{tmp_path}/dev/i2c-10 (id bus10): nothing answered"
    assert i2c.snippet[:3] == ["i2c:", "  - {id: bus1, bus: 1}", "  - {id: bus10, bus: 10}"]
    assert all(bus.closed for bus in buses.values())


def test_detect_as_a_command(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    config = tmp_path / "boardgate.yaml"
    config.write_text(CONFIG)
    env = {**os.environ, "BOARDGATE_DETECT_ROOT": str(fake_root(tmp_path))}
    result = subprocess.run(
        [sys.executable, "-m", "gateway", "detect", "-c", str(config)],
        capture_output=True, text=True, timeout=60, env=env, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "0x76: bme280 (chip id 0x60)" in result.stdout
    assert "hwmon0: cpu_thermal (temp1)" in result.stdout
