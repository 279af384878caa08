"""Serial sensors: schema, value extraction, and the whole path from a pty to the state."""

from __future__ import annotations

from typing import Any

import pytest
import voluptuous as vol

from gateway.clock import FakeClock
from gateway.config.model import PlatformEntry
from gateway.const import EVENT_STATE_CHANGED, STATE_UNAVAILABLE, STATE_UNKNOWN
from gateway.core import Event, Gateway, State, callback
from gateway.domains import sensor as sensor_domain
from gateway.util.extract import JsonPath, ValueExtractor, ValueNotFound, to_number
from hardware.serial_port import BACKOFF_MAXIMUM
from platforms import serial as serial_component
from platforms.serial.sensor import PLATFORM_SCHEMA, SerialSensorConfig
from tests.helpers import Waiters
from tests.serial.conftest import PtyDevice, port_config

pytestmark = pytest.mark.timeout(60)


def sensor_config(**fields: Any) -> SerialSensorConfig:
    config = PLATFORM_SCHEMA({"platform": "serial", "serial_id": "dev", **fields})
    assert isinstance(config, SerialSensorConfig)
    return config


# --- schema ---------------------------------------------------------------------------------


def test_schema_builds_the_config() -> None:
    config = sensor_config(
        name="Thermometer",
        value_regex=r"T=([-0-9.]+)",
        unit_of_measurement="°C",
        device_class="temperature",
        state_class="measurement",
        precision=1,
    )
    assert config.id == "thermometer"
    assert config.value_regex == r"T=([-0-9.]+)"
    assert config.precision == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"value_regex": "a", "value_json": "a"}, "cannot be used together"),
        ({"value_regex": "a("}, "invalid regular expression"),
        ({"value_json": "a..b"}, "invalid JSON path"),
        ({"precision": -1}, "at least 0"),
        ({"state_class": "sometimes"}, "expected one of"),
        ({"serial_id": "Not A Slug"}, "invalid id"),
        ({"scan_interval": 5}, "extra keys"),
    ],
)
def test_schema_rejects(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(vol.Invalid, match=message):
        sensor_config(name="S", **fields)


def test_schema_requires_serial_id() -> None:
    with pytest.raises(vol.Invalid, match="required"):
        PLATFORM_SCHEMA({"platform": "serial", "name": "S"})


# --- value extraction (pure) ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "parts"),
    [
        ("temp", ("temp",)),
        ("temp.current", ("temp", "current")),
        ("sensors.0.t", ("sensors", "0", "t")),
        ("sensors[0].t", ("sensors", 0, "t")),
        ("[1]", (1,)),
        ("a[-1]", ("a", -1)),
    ],
)
def test_json_path_parses(path: str, parts: tuple[str | int, ...]) -> None:
    assert JsonPath.parse(path).parts == parts


@pytest.mark.parametrize("path", ["", ".", "a.", ".a", "a..b", "a[x]", "a[0", "a[0]b", "a]"])
def test_json_path_rejects(path: str) -> None:
    with pytest.raises(ValueError, match="invalid JSON path"):
        JsonPath.parse(path)


def test_json_path_finds_values() -> None:
    document = {"env": {"t": 21.5}, "list": [{"v": 1}, {"v": 2}], "0": "zero"}
    assert JsonPath.parse("env.t").find(document) == 21.5
    assert JsonPath.parse("list.1.v").find(document) == 2
    assert JsonPath.parse("list[-1].v").find(document) == 2
    assert JsonPath.parse("0").find(document) == "zero"
    for missing in ("env.h", "list.5.v", "list.x", "env.t.deeper"):
        with pytest.raises(ValueNotFound):
            JsonPath.parse(missing).find(document)


def test_extractor() -> None:
    regex = ValueExtractor.build(r"T=([-0-9.]+)", None)
    assert regex.extract("T=-3.5 H=40") == "-3.5"
    with pytest.raises(ValueNotFound):
        regex.extract("H=40")
    assert ValueExtractor.build(r"\d+", None).extract("abc 42") == "42"
    with pytest.raises(ValueNotFound):
        ValueExtractor.build(r"(a)|(b)", None).extract("b")
    json_value = ValueExtractor.build(None, "t")
    assert json_value.extract('{"t": 4}') == 4
    with pytest.raises(ValueNotFound):
        json_value.extract("not json")
    assert ValueExtractor.build(None, None).extract("  raw line ") == "raw line"


def test_to_number() -> None:
    assert to_number("42") == 42
    assert to_number(" -1.5 ") == -1.5
    assert to_number(3) == 3
    for value in ("abc", "nan", "inf", True, None, [1], float("nan")):
        assert to_number(value) is None


# --- from the pty to the state machine ------------------------------------------------------


class StateRecorder:
    def __init__(self, gw: Gateway) -> None:
        self.states: list[State] = []
        self.waiters = Waiters()
        gw.bus.async_listen(EVENT_STATE_CHANGED, self._changed)

    @callback
    def _changed(self, event: Event) -> None:
        if event.data["new_state"] is not None:
            self.states.append(event.data["new_state"])
            self.waiters.check()

    def values(self, entity_id: str) -> list[str]:
        return [state.state for state in self.states if state.entity_id == entity_id]

    async def wait(self, entity_id: str, value: str) -> None:
        await self.waiters.wait(lambda: value in self.values(entity_id), f"{entity_id} = {value!r}")


async def setup_sensors(gw: Gateway, device: PtyDevice, *configs: dict[str, Any]) -> None:
    await serial_component.async_setup(gw, (port_config(device),))
    entries = [
        PlatformEntry("sensor", "serial", sensor_config(**config), "test.yaml:1")
        for config in configs
    ]
    await sensor_domain.async_setup(gw, entries)


async def test_sensors_parse_frames(device: PtyDevice, gw: Gateway) -> None:
    recorder = StateRecorder(gw)
    await setup_sensors(
        gw,
        device,
        {
            "name": "Thermometer",
            "value_regex": r"T=([-0-9.]+)",
            "unit_of_measurement": "°C",
            "precision": 1,
            "device_class": "temperature",
            "state_class": "measurement",
        },
        {"name": "Humidity", "value_json": "env.h"},
        {"name": "Second", "value_json": "list[1]"},
        {"name": "Line"},
    )
    state = gw.states.get("sensor.thermometer")
    assert state is not None
    assert state.state == STATE_UNKNOWN
    assert state.attributes == {
        "unit_of_measurement": "°C",
        "state_class": "measurement",
        "device_class": "temperature",
    }
    await device.write(b"T=21.46\r\n")
    await recorder.wait("sensor.thermometer", "21.5")
    await device.write(b'{"env": {"h": 40}, "list": ["a", "b"]}\n')
    await recorder.wait("sensor.humidity", "40")
    await recorder.wait("sensor.second", "b")
    await device.write(b"T=3\n")
    await recorder.wait("sensor.thermometer", "3.0")
    assert recorder.values("sensor.line") == [
        "unknown",
        "T=21.46",
        '{"env": {"h": 40}, "list": ["a", "b"]}',
        "T=3",
    ]


async def test_non_matching_and_garbage_frames_are_ignored(
    device: PtyDevice, gw: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG", logger="platforms.serial.sensor")
    recorder = StateRecorder(gw)
    await setup_sensors(
        gw,
        device,
        {"name": "T", "value_regex": r"T=(\S+)", "unit_of_measurement": "°C"},
        {"name": "J", "value_json": "v"},
    )
    await device.write(
        b"T=abc\nH=40\n\xff\xfe\x80garbage\n{not json\n"
        b'{"v": null}\n{"v": {"deep": 1}}\n' + b"T=" + b"9" * 300 + b"\nT=1\n"
    )
    await recorder.wait("sensor.t", "1")
    await device.write(b'{"v": "ok"}\n')
    await recorder.wait("sensor.j", "ok")
    assert recorder.values("sensor.t") == ["unknown", "1"]
    assert "ignoring frame" in caplog.text
    assert recorder.values("sensor.j") == ["unknown", "ok"]


async def test_text_sensor_ignores_states_too_long_for_home_assistant(
    device: PtyDevice, gw: Gateway
) -> None:
    recorder = StateRecorder(gw)
    await setup_sensors(gw, device, {"name": "Line"})
    await device.write(b"x" * 256 + b"\nshort\n")
    await recorder.wait("sensor.line", "short")
    assert recorder.values("sensor.line") == ["unknown", "short"]


async def test_sensor_is_unavailable_while_unplugged(
    device: PtyDevice, gw: Gateway, clock: FakeClock
) -> None:
    recorder = StateRecorder(gw)
    await setup_sensors(gw, device, {"name": "T", "value_regex": r"T=(\d+)"})
    await device.write(b"T=1\n")
    await recorder.wait("sensor.t", "1")
    device.unplug()
    await recorder.wait("sensor.t", STATE_UNAVAILABLE)
    device.plug()
    clock.advance(BACKOFF_MAXIMUM)
    await recorder.waiters.wait(
        lambda: recorder.values("sensor.t")[-1] == "1", "available again with the last value"
    )
    await device.write(b"T=2\n")
    await recorder.wait("sensor.t", "2")
    assert recorder.values("sensor.t") == ["unknown", "1", STATE_UNAVAILABLE, "1", "2"]


async def test_sensor_starts_unavailable_when_the_device_is_absent(
    device: PtyDevice, gw: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    device.unplug()
    await setup_sensors(gw, device, {"name": "T"})
    state = gw.states.get("sensor.t")
    assert state is not None
    assert state.state == STATE_UNAVAILABLE
    assert "cannot open" in caplog.text


async def test_unknown_port_fails_that_sensor_only(
    device: PtyDevice, gw: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    await serial_component.async_setup(gw, (port_config(device),))
    entries = [
        PlatformEntry("sensor", "serial", sensor_config(name="A", serial_id="other"), "t.yaml:3"),
        PlatformEntry("sensor", "serial", sensor_config(name="B"), "t.yaml:4"),
    ]
    await sensor_domain.async_setup(gw, entries)
    assert gw.states.get("sensor.a") is None
    assert gw.states.get("sensor.b") is not None
    assert "unknown serial port 'other' (declared: dev)" in caplog.text
    caplog.clear()


async def test_component_closes_ports_on_gateway_stop(device: PtyDevice, gw: Gateway) -> None:
    await serial_component.async_setup(gw, (port_config(device),))
    manager = serial_component.async_get_manager(gw, "dev")
    assert manager.available
    health = serial_component.async_port_health(gw)
    assert health["dev"]["available"] is True
    assert health["dev"]["opens"] == 1
    await gw.async_stop()
    assert manager._port is None
    assert gw.clock.pending() == 0
