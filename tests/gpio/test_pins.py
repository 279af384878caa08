"""Pin names and the "pin used twice" config check (pure)."""

from __future__ import annotations

import pytest
import voluptuous as vol

from gateway.config.validate import find_claim_conflicts
from platforms.gpio.pins import bcm_number
from tests.gpio.conftest import entry


@pytest.mark.parametrize(
    ("spec", "bcm"),
    [
        (17, 17),
        ("GPIO17", 17),
        ("BCM17", 17),
        ("BOARD11", 17),
        ("J8:11", 17),
        ("WPI0", 17),
        ("board12", 18),
        ("BOARD1", None),  # 3.3 V
        ("GPIO", None),
    ],
)
def test_bcm_number(spec: int | str, bcm: int | None) -> None:
    assert bcm_number(spec) == bcm


@pytest.mark.parametrize("spec", [17, "17", "GPIO17", "gpio17", "BOARD11", "J8:11"])
def test_schema_accepts_pin_forms(spec: int | str) -> None:
    config = entry("switch", {"name": "Relay", "pin": spec})
    assert bcm_number(config.config.pin) == 17  # type: ignore[attr-defined]


@pytest.mark.parametrize("spec", [64, -1, "PIN17", "", True])
def test_schema_rejects_bad_pins(spec: object) -> None:
    with pytest.raises(vol.Invalid, match="GPIO number"):
        entry("switch", {"name": "Relay", "pin": spec})


def test_pin_used_twice_across_domains_and_spellings() -> None:
    entries = [
        entry("switch", {"name": "Relay", "pin": 17}),
        entry("binary_sensor", {"name": "Door", "pin": "BOARD11"}),
        entry("light", {"name": "Strip", "pin": 18}),
        entry("button", {"name": "Gate", "pin": "GPIO18"}),
        entry("sensor", {"name": "Water", "type": "counter", "pin": 5}),
    ]
    conflicts = find_claim_conflicts(entries)
    assert [(item.domain, item.config.id, key) for item, key, _ in conflicts] == [
        ("binary_sensor", "door", "pin"),
        ("button", "gate", "pin"),
    ]
    message = conflicts[0][2]
    assert message == "pin BOARD11 (GPIO17) is already used by switch.relay (test.yaml:relay)"


def test_other_platforms_and_distinct_pins_pass() -> None:
    entries = [
        entry("switch", {"name": "A", "pin": 17}),
        entry("switch", {"name": "B", "pin": 27}),
        entry("sensor", {"platform": "onewire", "name": "T", "sensor_id": "28-0316a2795eff"}),
    ]
    assert find_claim_conflicts(entries) == []
