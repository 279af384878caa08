"""DS18B20 over a fake w1 sysfs tree: good readings, CRC failures, missing sensors, garbage."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import voluptuous as vol

from gateway.clock import FakeClock
from gateway.config.model import PlatformEntry
from gateway.core import Gateway
from gateway.domains import async_setup_domain
from gateway.domains.sensor import SPEC as SENSOR
from hardware import onewire
from hardware.onewire import OneWireCrcError, OneWireError, OneWireMissing, parse_w1_slave
from platforms.onewire.sensor import PLATFORM_SCHEMA, OneWireSensor
from tests.helpers import in_thread

SENSOR_ID = "28-0316a2795eff"
GOOD = "72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n72 01 4b 46 7f ff 0e 10 57 t=23125\n"
NEGATIVE = "5e ff 55 00 7f ff 0c 10 21 : crc=21 YES\n5e ff 55 00 7f ff 0c 10 21 t=-10125\n"
CRC_NO = "72 01 4b 46 7f ff 0e 10 57 : crc=00 NO\n72 01 4b 46 7f ff 0e 10 57 t=23125\n"
RESET = "50 05 4b 46 7f ff 0c 10 1c : crc=1c YES\n50 05 4b 46 7f ff 0c 10 1c t=85000\n"


def test_parse_good_and_negative() -> None:
    assert parse_w1_slave(GOOD) == 23.125
    assert parse_w1_slave(NEGATIVE) == -10.125


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (CRC_NO, OneWireCrcError),
        (RESET, OneWireError),
        ("", OneWireError),
        ("garbage\n", OneWireError),
        ("00 : crc=00 YES\nno temperature here\n", OneWireError),
        ("00 : crc=00 MAYBE\n00 t=1000\n", OneWireError),
        ("00 : crc=00 YES\n00 t=999999\n", OneWireError),
        ("\x00\xff\xfe", OneWireError),
    ],
)
def test_parse_rejects(text: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_w1_slave(text)


def make_tree(root: Path, text: str | bytes | None, sensor_id: str = SENSOR_ID) -> None:
    folder = root / "bus" / "w1" / "devices" / sensor_id
    folder.mkdir(parents=True, exist_ok=True)
    slave = folder / "w1_slave"
    if text is None:
        slave.unlink(missing_ok=True)
    elif isinstance(text, bytes):
        slave.write_bytes(text)
    else:
        slave.write_text(text)


def test_reader_missing_sensor(tmp_path: Path) -> None:
    with pytest.raises(OneWireMissing, match="not found"):
        onewire.OneWireReader(SENSOR_ID, tmp_path).read()


class ThreadRecordingSensor(OneWireSensor):
    def update(self) -> None:
        self.threads = [*getattr(self, "threads", []), threading.current_thread().name]
        super().update()


async def setup_sensor(gw: Gateway, root: Path, **extra: object) -> ThreadRecordingSensor:
    config = PLATFORM_SCHEMA(
        {
            "platform": "onewire",
            "name": "Boiler",
            "sensor_id": SENSOR_ID,
            "sys_root": str(root),
            **extra,
        }
    )
    component = await async_setup_domain(gw, SENSOR, [])
    sensor = ThreadRecordingSensor(config)
    await component.get_platform("onewire").async_add_entities([sensor], True)
    return sensor


def value(gw: Gateway) -> str:
    state = gw.states.get("sensor.boiler")
    assert state is not None
    return state.state


async def test_good_reading_in_the_executor_on_scan_interval(
    gw: Gateway, clock: FakeClock, tmp_path: Path
) -> None:
    await in_thread(make_tree, tmp_path, GOOD)
    sensor = await setup_sensor(gw, tmp_path, scan_interval=30)
    assert value(gw) == "23.1"
    state = gw.states.get("sensor.boiler")
    assert state is not None
    assert state.attributes["unit_of_measurement"] == "°C"
    await in_thread(make_tree, tmp_path, NEGATIVE)
    clock.advance(29)
    await gw.async_block_till_done()
    assert value(gw) == "23.1"
    clock.advance(1)
    await gw.async_block_till_done()
    assert value(gw) == "-10.1"
    assert len(sensor.threads) == 2
    assert all(name.startswith("boardgate-worker-") for name in sensor.threads)


@pytest.mark.parametrize("bad", [CRC_NO, None, b"\x00\xff garbage", RESET])
async def test_bad_reading_makes_it_unavailable_then_recovers(
    gw: Gateway,
    clock: FakeClock,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    bad: str | bytes | None,
) -> None:
    await in_thread(make_tree, tmp_path, GOOD)
    await setup_sensor(gw, tmp_path, precision=3)
    assert value(gw) == "23.125"
    await in_thread(make_tree, tmp_path, bad)
    clock.advance(30)
    await gw.async_block_till_done()
    assert value(gw) == "unavailable"
    clock.advance(30)  # still failing: logged once, not every poll
    await gw.async_block_till_done()
    assert caplog.text.count("unavailable until it reads again") == 1
    await in_thread(make_tree, tmp_path, GOOD)
    clock.advance(30)
    await gw.async_block_till_done()
    assert value(gw) == "23.125"


async def test_missing_at_start_is_unavailable_not_a_crash(gw: Gateway, tmp_path: Path) -> None:
    await setup_sensor(gw, tmp_path)
    assert value(gw) == "unavailable"


async def test_platform_setup_adds_after_a_first_read(gw: Gateway, tmp_path: Path) -> None:
    await in_thread(make_tree, tmp_path, GOOD)
    config = PLATFORM_SCHEMA(
        {"platform": "onewire", "name": "Boiler", "sensor_id": SENSOR_ID, "sys_root": str(tmp_path)}
    )
    await async_setup_domain(
        gw, SENSOR, [PlatformEntry("sensor", "onewire", config, "test.yaml:1")]
    )
    assert value(gw) == "23.1"


@pytest.mark.parametrize("bad_id", ["28-XYZ", "280316a2795eff", "28-0316a2795eff0"])
def test_schema_rejects_bad_ids(bad_id: str) -> None:
    with pytest.raises(vol.Invalid, match="1-wire id"):
        PLATFORM_SCHEMA({"platform": "onewire", "name": "T", "sensor_id": bad_id})


def test_schema_normalises_case() -> None:
    config = PLATFORM_SCHEMA({"platform": "onewire", "name": "T", "sensor_id": "28-0316A2795EFF"})
    assert config.sensor_id == SENSOR_ID  # type: ignore[attr-defined]
