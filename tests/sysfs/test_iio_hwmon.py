"""`platform: iio` and `platform: hwmon` on a fake sysfs tree: names and paths, raw + offset
times scale, kernel units converted, files that disappear and come back."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from gateway.clock import FakeClock
from gateway.core import Gateway
from gateway.domains import async_setup_domain
from gateway.domains.sensor import SPEC as SENSOR
from hardware.sysfs_sensors import HwmonSensor, IioChannel, SysfsSensorError, list_hwmon, list_iio
from platforms.hwmon.sensor import PLATFORM_SCHEMA as HWMON_SCHEMA
from platforms.hwmon.sensor import HwmonSensorEntity
from platforms.iio.sensor import PLATFORM_SCHEMA as IIO_SCHEMA
from platforms.iio.sensor import IioSensor
from tests.helpers import in_thread


def make_tree(sys: Path) -> None:
    bme = sys / "bus/iio/devices/iio:device0"
    bme.mkdir(parents=True)
    (bme / "name").write_text("bme280\n")
    (bme / "in_temp_input").write_text("21530\n")  # milli °C
    (bme / "in_humidityrelative_input").write_text("45123\n")  # milli %
    (bme / "in_pressure_input").write_text("101.325\n")  # kPa
    adc = sys / "bus/iio/devices/iio:device1"
    adc.mkdir(parents=True)
    (adc / "name").write_text("ads1015\n")
    (adc / "in_voltage0_raw").write_text("1000\n")
    (adc / "in_voltage_scale").write_text("2.000000\n")  # mV per count, shared by the type
    (adc / "in_voltage1_raw").write_text("100\n")
    (adc / "in_voltage1_offset").write_text("-50\n")
    (adc / "in_voltage1_scale").write_text("0.5\n")
    soc = sys / "class/hwmon/hwmon0"
    soc.mkdir(parents=True)
    (soc / "name").write_text("cpu_thermal\n")
    (soc / "temp1_input").write_text("48312\n")
    fan = sys / "class/hwmon/hwmon1"
    fan.mkdir(parents=True)
    (fan / "name").write_text("pwmfan\n")
    (fan / "fan1_input").write_text("2400\n")
    (fan / "in0_input").write_text("5012\n")


@pytest.fixture
def sys_root(tmp_path: Path) -> Path:
    make_tree(tmp_path)
    return tmp_path


def test_readers_convert_kernel_units(sys_root: Path) -> None:
    assert IioChannel("bme280", "temp", sys_root).read() == pytest.approx(21.53)
    assert IioChannel("bme280", "humidityrelative", sys_root).read() == pytest.approx(45.123)
    assert IioChannel("bme280", "pressure", sys_root).read() == pytest.approx(1013.25)
    path = "/sys/bus/iio/devices/iio:device1"
    assert IioChannel(path, "voltage0", sys_root).read() == pytest.approx(2.0)  # 1000*2 mV
    assert IioChannel("ads1015", "voltage1", sys_root).read() == pytest.approx(0.025)
    assert HwmonSensor("cpu_thermal", "temp1", sys_root).read() == pytest.approx(48.312)
    assert HwmonSensor("/sys/class/hwmon/hwmon1", "fan1", sys_root).read() == 2400
    assert HwmonSensor("pwmfan", "in0", sys_root).read() == pytest.approx(5.012)
    assert IioChannel("bme280", "temp", sys_root).unit.unit == "°C"
    assert HwmonSensor("pwmfan", "fan1", sys_root).unit.unit == "RPM"


@pytest.mark.parametrize(
    ("reader", "message"),
    [
        (lambda root: IioChannel("nope", "temp", root), "no IIO device named 'nope'"),
        (lambda root: IioChannel("bme280", "accel_x", root), "is missing"),
        (lambda root: HwmonSensor("/sys/class/hwmon/hwmon9", "temp1", root), "not found"),
    ],
)
def test_readers_say_what_is_missing(sys_root: Path, reader: object, message: str) -> None:
    with pytest.raises(SysfsSensorError, match=message):
        reader(sys_root).read()  # type: ignore[operator]


def test_listing_for_detect(sys_root: Path) -> None:
    iio = {name: channels for _, name, channels in list_iio(sys_root)}
    assert iio == {
        "bme280": ["humidityrelative", "pressure", "temp"],
        "ads1015": ["voltage0", "voltage1"],
    }
    hwmon = {name: sensors for _, name, sensors in list_hwmon(sys_root)}
    assert hwmon == {"cpu_thermal": ["temp1"], "pwmfan": ["fan1", "in0"]}


async def test_entities_poll_in_the_executor_and_survive_files_that_vanish(
    gw: Gateway, clock: FakeClock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await in_thread(make_tree, tmp_path)
    component = await async_setup_domain(gw, SENSOR, [])
    iio = IioSensor(
        IIO_SCHEMA({"platform": "iio", "name": "Attic T", "device": "bme280", "channel": "temp",
                    "sys_root": str(tmp_path), "scan_interval": 10, "precision": 1})
    )  # fmt: skip
    hwmon = HwmonSensorEntity(
        HWMON_SCHEMA({"platform": "hwmon", "name": "SoC", "chip": "cpu_thermal",
                      "sensor": "temp1", "sys_root": str(tmp_path)})
    )  # fmt: skip
    await component.get_platform("iio").async_add_entities([iio], True)
    await component.get_platform("hwmon").async_add_entities([hwmon], True)

    def value(entity_id: str) -> str:
        state = gw.states.get(entity_id)
        assert state is not None
        return state.state

    assert value("sensor.attic_t") == "21.5"
    assert value("sensor.soc") == "48.31"
    attributes = gw.states.get("sensor.attic_t")
    assert attributes is not None
    assert attributes.attributes["unit_of_measurement"] == "°C"
    assert attributes.attributes["device_class"] == "temperature"
    assert attributes.attributes["state_class"] == "measurement"

    temp = tmp_path / "bus/iio/devices/iio:device0/in_temp_input"
    await in_thread(temp.unlink)
    for _ in range(3):
        clock.advance(10)
        await gw.async_block_till_done()
        assert value("sensor.attic_t") == "unavailable"
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    await in_thread(temp.write_text, "22000\n")
    clock.advance(10)
    await gw.async_block_till_done()
    assert value("sensor.attic_t") == "22.0"
