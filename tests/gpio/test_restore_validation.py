"""What `restore` and counters read back from `state_dir` is checked (issue 12, item 11).

A wrong type or range is a WARNING naming the entity, the file and the value, and the entity
starts as if nothing had been saved (outputs off, counters at 0), not with a guess.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory

from gateway.core import Gateway
from tests.gpio.conftest import pin, setup_entities, state, write_file

pytestmark = pytest.mark.usefixtures("gpio")

RELAY = {"name": "Relay", "pin": 22, "initial": "restore"}
STRIP = {"name": "Strip", "pin": 18, "initial": "restore"}
METER = {"name": "Water", "type": "counter", "pin": 5, "unit_of_measurement": "L"}


def warned(caplog: pytest.LogCaptureFixture, *parts: str) -> bool:
    return any(
        record.levelname == "WARNING" and all(part in record.getMessage() for part in parts)
        for record in caplog.records
    )


@pytest.mark.parametrize("saved", ['{"on": "false"}', '{"on": 1}', '{"on": null}', "{}"])
async def test_switch_with_a_non_boolean_on_starts_off(
    gw: Gateway,
    factory: MockFactory,
    state_dir: Path,
    caplog: pytest.LogCaptureFixture,
    saved: str,
) -> None:
    path = state_dir / "gpio" / "switch.relay.json"
    await write_file(path, saved)
    await setup_entities(gw, "switch", RELAY)
    assert state(gw, "switch.relay") == "OFF"
    assert pin(factory, 22).state == 0
    assert warned(caplog, "switch.relay", str(path), '"on" is'), caplog.text


async def test_switch_with_a_good_file_is_restored_without_warning(
    gw: Gateway, factory: MockFactory, state_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await write_file(state_dir / "gpio" / "switch.relay.json", '{"on": true}')
    await setup_entities(gw, "switch", RELAY)
    assert state(gw, "switch.relay") == "ON"
    assert not warned(caplog, "switch.relay")


@pytest.mark.parametrize(
    ("saved", "value"),
    [
        ('{"on": true, "brightness": -40}', "-40"),
        ('{"on": true, "brightness": 256}', "256"),
        ('{"on": true, "brightness": 12.5}', "12.5"),
        ('{"on": true, "brightness": "64"}', "'64'"),
        ('{"on": "true", "brightness": 64}', "'true'"),
    ],
)
async def test_light_with_a_bad_value_starts_off(
    gw: Gateway,
    factory: MockFactory,
    state_dir: Path,
    caplog: pytest.LogCaptureFixture,
    saved: str,
    value: str,
) -> None:
    path = state_dir / "gpio" / "light.strip.json"
    await write_file(path, saved)
    await setup_entities(gw, "light", STRIP)
    assert state(gw, "light.strip") == "OFF"
    assert pin(factory, 18).state == 0
    assert warned(caplog, "light.strip", str(path), value), caplog.text


@pytest.mark.parametrize(
    ("saved", "value"),
    [('{"total": "lots"}', "'lots'"), ('{"total": -3}', "-3"), ('{"total": 1.5}', "1.5"),
     ('{"total": true}', "True"), ("{}", "None")],
)  # fmt: skip
async def test_counter_with_a_bad_total_starts_at_zero_and_says_so(
    gw: Gateway,
    factory: MockFactory,
    state_dir: Path,
    caplog: pytest.LogCaptureFixture,
    saved: str,
    value: str,
) -> None:
    path = state_dir / "gpio" / "sensor.water.json"
    await write_file(path, saved)
    await setup_entities(gw, "sensor", METER)
    assert state(gw, "sensor.water") == "0"
    assert warned(caplog, "sensor.water", str(path), value), caplog.text


async def test_counter_with_a_good_total_resumes(
    gw: Gateway, factory: MockFactory, state_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await write_file(state_dir / "gpio" / "sensor.water.json", '{"total": 41}')
    await setup_entities(gw, "sensor", METER)
    assert state(gw, "sensor.water") == "41"
    assert not warned(caplog, "sensor.water")
