"""Pure parsing of remote device payloads: comparing by value, light JSON, commands."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gateway.util.extract import ValueExtractor, ValueNotFound
from platforms.mqtt.device_payloads import (
    MAX_PAYLOAD_BYTES,
    LightReport,
    Scalar,
    decode,
    encode,
    light_command,
    match_on_off,
    parse_light_report,
    same_value,
)


@pytest.mark.parametrize(
    ("found", "expected", "from_text", "same"),
    [
        (True, True, False, True),  # a JSON true matches a YAML true
        (False, True, False, False),
        (1, True, False, False),  # true is not 1
        (True, 1, False, False),
        (1.0, 1, False, True),
        (21.5, 21.5, False, True),
        ("ON", "ON", False, True),
        ("on", "ON", False, False),  # strings compare exactly
        ("ON", "ON", True, True),
        ("true", True, False, False),  # a JSON string "true" is not the boolean
        ("true", True, True, True),  # a raw `true` payload is
        (" true ", True, True, True),
        ("1", 1, True, True),
        ("1", True, True, False),
        ("yes", True, True, False),
        ("[[[", True, True, False),
        (None, "ON", False, False),
        ({"state": "ON"}, "ON", False, False),
        ([True], True, False, False),
        ("1", "1", False, True),
        (1, "1", False, False),
    ],
)
def test_same_value(found: Any, expected: Scalar, from_text: bool, same: bool) -> None:
    assert same_value(found, expected, from_text=from_text) is same


def test_match_on_off() -> None:
    assert match_on_off("ON", "ON", "OFF") is True
    assert match_on_off("OFF", "ON", "OFF") is False
    assert match_on_off(True, True, False) is True
    assert match_on_off("false", True, False, from_text=True) is False
    for garbage in ("on", "", None, {"a": 1}, [1], 1, "ONN"):
        with pytest.raises(ValueNotFound, match="is neither"):
            match_on_off(garbage, "ON", "OFF")


def test_encode() -> None:
    assert [encode(value) for value in ("ON", True, False, 1, 2.5)] == [
        "ON",
        "true",
        "false",
        "1",
        "2.5",
    ]


def test_decode_refuses_non_utf8_and_huge_payloads() -> None:
    assert decode("°C".encode()) == "°C"
    with pytest.raises(ValueNotFound, match="UTF-8"):
        decode(b"\xff\xfe")
    with pytest.raises(ValueNotFound, match="longer"):
        decode(b"1" * (MAX_PAYLOAD_BYTES + 1))


def test_deeply_nested_json_is_not_found_not_a_crash() -> None:
    extractor = ValueExtractor.build(None, "a")
    with pytest.raises(ValueNotFound, match="not JSON"):
        extractor.extract("[" * 100_000)
    with pytest.raises(ValueNotFound, match="not JSON"):
        parse_light_report(b"[" * 50_000, 255)


@pytest.mark.parametrize(
    ("payload", "scale", "report"),
    [
        ({"state": "ON", "brightness": 120}, 255, LightReport(True, 120)),
        ({"state": "OFF"}, 255, LightReport(False, None)),
        ({"brightness": 254}, 254, LightReport(None, 255)),
        ({"state": "ON", "brightness": 127, "linkquality": 90}, 254, LightReport(True, 128)),
        ({"state": "ON", "brightness": None}, 255, LightReport(True, None)),
        ({"state": "ON", "brightness": 0.0}, 255, LightReport(True, 0)),
    ],
)
def test_light_report(payload: dict[str, Any], scale: int, report: LightReport) -> None:
    assert parse_light_report(json.dumps(payload).encode(), scale) == report


@pytest.mark.parametrize(
    "payload",
    [
        b"ON",
        b"",
        b"[1, 2]",
        b'"ON"',
        b"{}",
        b'{"linkquality": 3}',
        b'{"state": "on"}',
        b'{"state": true}',
        b'{"state": "ON", "brightness": 300}',
        b'{"state": "ON", "brightness": -1}',
        b'{"state": "ON", "brightness": "120"}',
        b'{"state": "ON", "brightness": true}',
        b'{"state": "ON", "brightness": NaN}',
        b"\xff",
    ],
)
def test_light_report_rejects(payload: bytes) -> None:
    with pytest.raises(ValueNotFound):
        parse_light_report(payload, 255)


def test_light_command() -> None:
    assert json.loads(light_command(True, None, None, 255)) == {"state": "ON"}
    assert json.loads(light_command(True, 120, None, 255)) == {"state": "ON", "brightness": 120}
    assert json.loads(light_command(True, 255, 1.5, 254)) == {
        "state": "ON",
        "brightness": 254,
        "transition": 1.5,
    }
    assert json.loads(light_command(False, 120, None, 255)) == {"state": "OFF"}
