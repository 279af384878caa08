"""`platform: i2c` sensors on the simulated bus: one entity per quantity, discovery, faults."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from gateway.config import load_config
from gateway.entity_component import async_get_component
from gateway.exceptions import ConfigError
from gateway.loader import resolve_platform_schema
from gateway.mqtt.publishers.discovery_payloads import DiscoveryNode, build_device_config
from gateway.mqtt.publishers.ha_discovery import describe
from gateway.reload import async_reload
from hardware.sim.i2c_devices import Bme280Model, Sht4xModel
from platforms.i2c.sensor import I2CSensor
from tests.helpers import in_thread

from .conftest import StartGateway, advance, sim_bus, state

BME = """\
i2c:
  - id: sim
    bus: simulated
    devices:
      - {address: 0x76, model: bme280, temperature: 21.5, humidity: 45, pressure: 1013.2}
      - {address: 0x44, model: sht4x, temperature: 19.25, humidity: 61}
      - {address: 0x48, model: ads1115, voltages: [0.5, 1.25]}
      - {address: 0x23, model: bh1750, illuminance: 320}
      - {address: 0x40, model: ina219, voltage: 12, current: 0.5}
sensor:
  - {platform: i2c, i2c_id: sim, model: bme280, address: 0x76, name: Attic, scan_interval: 30}
  - {platform: i2c, i2c_id: sim, model: sht4x, name: Cellar, quantities: [humidity]}
  - {platform: i2c, i2c_id: sim, model: ads1115, channel: 1, gain: 2.048, name: Soil}
  - {platform: i2c, i2c_id: sim, model: bh1750, name: Light}
  - {platform: i2c, i2c_id: sim, model: ina219, name: Solar, quantities: [current, power]}
"""


async def test_one_entity_per_quantity_with_units_and_discovery(
    start_gateway: StartGateway,
) -> None:
    gw = await start_gateway(BME)
    assert state(gw, "sensor.attic_temperature") == "21.5"
    assert state(gw, "sensor.attic_humidity") == "45.0"
    assert state(gw, "sensor.attic_pressure") == "1013.2"
    assert state(gw, "sensor.cellar_humidity") == "61.0"
    assert gw.states.get("sensor.cellar_temperature") is None  # not in quantities
    assert state(gw, "sensor.soil_voltage") == "1.2500"
    assert state(gw, "sensor.light_illuminance") == "320.0"
    assert state(gw, "sensor.solar_current") == "0.5000"
    assert state(gw, "sensor.solar_power") == "6.000"
    pressure = gw.states.get("sensor.attic_pressure")
    assert pressure is not None
    assert pressure.attributes["unit_of_measurement"] == "hPa"
    assert pressure.attributes["device_class"] == "pressure"
    assert pressure.attributes["state_class"] == "measurement"
    sensors = async_get_component(gw, "sensor")
    assert sensors is not None
    node = DiscoveryNode("bench", "Bench", "boardgate/bench")
    payload = build_device_config(node, [describe(e) for e in sensors.entities.values()])
    humidity = payload["cmps"]["bench_sensor_attic_humidity"]
    assert humidity["unit_of_measurement"] == "%"
    assert humidity["device_class"] == "humidity"
    assert humidity["state_class"] == "measurement"
    assert humidity["state_topic"] == "boardgate/bench/sensor/attic_humidity/state"


async def test_a_part_is_read_once_per_scan_for_all_its_entities(
    start_gateway: StartGateway,
) -> None:
    gw = await start_gateway(BME)
    model = sim_bus(gw).devices[0x76]
    assert isinstance(model, Bme280Model)
    sensors = async_get_component(gw, "sensor")
    assert sensors is not None
    entity = sensors.entities["sensor.attic_temperature"]
    assert isinstance(entity, I2CSensor)
    part = entity.part
    assert part.reads == 1  # the first read, shared by the three entities
    model.temperature, model.pressure = 22.8, 990.5
    await advance(gw, 30)
    assert part.reads == 2
    assert state(gw, "sensor.attic_temperature") == "22.8"
    assert state(gw, "sensor.attic_pressure") == "990.5"


@pytest.mark.parametrize("fault", ["vanish", "eio", "chip_id", "range"])
async def test_fault_makes_it_unavailable_logs_once_and_it_comes_back(
    start_gateway: StartGateway, caplog: pytest.LogCaptureFixture, fault: str
) -> None:
    gw = await start_gateway(BME)
    bus = sim_bus(gw)
    model = bus.devices[0x76]
    assert isinstance(model, Bme280Model)
    caplog.clear()
    if fault == "vanish":
        bus.vanish(0x76)
    elif fault == "eio":
        bus.fail(0x76, 5)
    elif fault == "chip_id":
        model.chip_id = 0x99
    else:
        model.temperature = 120.0
    for _ in range(3):
        await advance(gw, 30)
        assert state(gw, "sensor.attic_temperature") == "unavailable"
        assert state(gw, "sensor.attic_humidity") == "unavailable"
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    expected = {"vanish": "errno 121", "eio": "errno 5", "chip_id": "chip id 0x99",
                "range": "outside the part's range"}[fault]  # fmt: skip
    assert expected in warnings[0].getMessage()
    assert state(gw, "sensor.cellar_humidity") == "61.0"  # the others go on
    bus.restore(0x76)
    model.chip_id, model.temperature = 0x60, 21.0
    await advance(gw, 30)
    assert state(gw, "sensor.attic_temperature") == "21.0"
    assert any("reading again" in r.getMessage() for r in caplog.records)


async def test_crc_mismatch(start_gateway: StartGateway, caplog: pytest.LogCaptureFixture) -> None:
    gw = await start_gateway(BME)
    model = sim_bus(gw).devices[0x44]
    assert isinstance(model, Sht4xModel)
    model.corrupt_crc = True
    await advance(gw, 60)
    assert state(gw, "sensor.cellar_humidity") == "unavailable"
    assert "CRC mismatch" in caplog.text
    model.corrupt_crc = False
    await advance(gw, 60)
    assert state(gw, "sensor.cellar_humidity") == "61.0"


TWO_BUSES = """\
i2c:
  - {id: sim, bus: simulated, devices: [{address: 0x76, model: bme280, temperature: 20}]}
  - {id: other, bus: simulated, devices: [{address: 0x76, model: bme280, temperature: 25}]}
sensor:
  - {platform: i2c, i2c_id: sim, model: bme280, name: Stuck, scan_interval: 1,
     quantities: [temperature]}
  - {platform: i2c, i2c_id: other, model: bme280, name: Fine, scan_interval: 1,
     quantities: [temperature]}
"""


async def test_a_hung_bus_times_out_without_stalling_the_other_bus(
    start_gateway: StartGateway, caplog: pytest.LogCaptureFixture
) -> None:
    gw = await start_gateway(TWO_BUSES, executor_timeout=0.2)
    stuck, other = sim_bus(gw, "sim"), sim_bus(gw, "other")
    stuck.hang(0x76)
    try:
        await advance(gw, 1)
        fine = other.devices[0x76]
        assert isinstance(fine, Bme280Model)
        for value in (26.0, 27.0):
            fine.temperature = value
            await advance(gw, 1)
            assert state(gw, "sensor.fine_temperature") == f"{value:.1f}"
        assert state(gw, "sensor.stuck_temperature") == "unavailable"
        assert "no answer within 0.2 s" in caplog.text
        sensors = async_get_component(gw, "sensor")
        assert sensors is not None
        entity = sensors.entities["sensor.stuck_temperature"]
        assert isinstance(entity, I2CSensor)
        hung = entity.part.hung_read
        assert hung is not None
    finally:
        stuck.release(0x76)
    await asyncio.wait_for(asyncio.shield(hung), 5)  # the released thread ends its read
    await advance(gw, 1)
    await advance(gw, 1)
    assert state(gw, "sensor.stuck_temperature") == "20.0"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "sensor: [{platform: i2c, i2c_id: nope, model: bme280, name: A}]\n"
            "i2c: [{id: main, bus: 1}]\n",
            "sensor.0.i2c_id: unknown I²C bus (declared: main)",
        ),
        (
            "i2c: [{id: main, bus: 1}]\n"
            "sensor: [{platform: i2c, i2c_id: main, model: bh1750, name: A, channel: 1}]\n",
            "sensor.0.channel: only used with ads1115 or ads1015",
        ),
        (
            "i2c: [{id: main, bus: 1}]\n"
            "sensor: [{platform: i2c, i2c_id: main, model: bh1750, name: A,"
            " quantities: [power]}]\n",
            "sensor.0.quantities.0: a bh1750 measures illuminance",
        ),
        (
            "i2c: [{id: main, bus: 1, devices: [{address: 0x20, model: bh1750}]}]\n",
            "i2c.0.devices: only a simulated bus has devices",
        ),
        (
            "i2c: [{id: s, bus: simulated, devices: [{address: 0x20, model: bh1750, lux: 3}]}]\n",
            "i2c.0.devices.0.lux: unknown key (a bh1750 device takes illuminance)",
        ),
        (
            "i2c: [{id: main, bus: 1}]\n"
            "sensor: [{platform: i2c, i2c_id: main, model: ads1115, name: A, gain: 3}]\n",
            "sensor.0.gain: expected a full-scale range",
        ),
        ("i2c: [{id: main, bus: 1}, {id: main, bus: 2}]\n", "i2c.1.id: duplicate i2c id"),
    ],
)
async def test_config_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "c.yaml"
    await in_thread(path.write_text, text + "switch: [{platform: virtual, name: X}]\n")
    with pytest.raises(ConfigError) as caught:
        await in_thread(load_config, path, resolve_platform_schema)
    assert any(message in line for line in caught.value.errors), caught.value.errors


async def test_reload_removes_and_adds_every_entity_of_a_part(
    start_gateway: StartGateway, tmp_path: Path
) -> None:
    gw = await start_gateway(BME)
    assert gw.config is not None
    path = tmp_path / "new.yaml"
    text = BME.replace("name: Attic, scan_interval: 30", "name: Loft, scan_interval: 30")
    await in_thread(path.write_text, f"gateway: {{node_id: bench, state_dir: {tmp_path}}}\n" + text)
    new = await in_thread(load_config, path, resolve_platform_schema)
    plan = await async_reload(gw, new)
    assert plan.removed == ("sensor.attic",)
    assert gw.states.get("sensor.attic_temperature") is None
    assert gw.states.get("sensor.attic_pressure") is None
    assert state(gw, "sensor.loft_temperature") == "21.5"
    assert state(gw, "sensor.loft_humidity") == "45.0"


async def test_a_bmp280_configured_as_bme280_has_no_humidity(
    start_gateway: StartGateway, caplog: pytest.LogCaptureFixture
) -> None:
    gw = await start_gateway(
        "i2c: [{id: sim, bus: simulated, devices: [{address: 0x77, model: bmp280,"
        " temperature: 18.5, pressure: 1001}]}]\n"
        "sensor: [{platform: i2c, i2c_id: sim, model: bme280, address: 0x77, name: Box}]\n"
    )
    assert state(gw, "sensor.box_temperature") == "18.5"
    assert state(gw, "sensor.box_pressure") == "1001.0"
    assert state(gw, "sensor.box_humidity") == "unavailable"
    await advance(gw, 60)
    assert caplog.text.count("measures no humidity") == 1


async def test_filters_apply_to_i2c_readings(start_gateway: StartGateway) -> None:
    """An I²C sensor is a numeric sensor like any other: its `filters` run on each reading."""
    gw = await start_gateway(
        """\
i2c:
  - id: sim
    bus: simulated
    devices: [{address: 0x48, model: ads1115, voltages: [0.5, 1.25]}]
sensor:
  - {platform: i2c, i2c_id: sim, model: ads1115, channel: 1, gain: 2.048, name: Tank,
     filters: [{multiply: 40}, {round: 1}]}
"""
    )
    assert state(gw, "sensor.tank_voltage") == "50.0000"  # 1.25 V x 40
