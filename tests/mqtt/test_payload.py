"""Command payload parsing: every accepted form, the refusals, and no crash on any bytes."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.domains.registry import parse_command
from gateway.domains.spec import Command, PayloadError
from gateway.domains.wire import MAX_PAYLOAD_BYTES


@pytest.mark.parametrize(
    ("payload", "service", "data"),
    [
        (b"ON", "turn_on", {}),
        (b"on", "turn_on", {}),
        (b" Off\n", "turn_off", {}),
        (b"toggle", "toggle", {}),
        (b'{"state": "ON"}', "turn_on", {}),
        (b'{"state": "off", "for": 2.5}', "turn_off", {"for": 2.5}),
        (b'{"state": "TOGGLE", "for": 1}', "toggle", {"for": 1.0}),
    ],
)
def test_switch_forms(payload: bytes, service: str, data: dict[str, Any]) -> None:
    assert parse_command("switch", payload) == Command(service, data)


@pytest.mark.parametrize(
    ("payload", "service", "data"),
    [
        (b"ON", "turn_on", {}),
        (b'{"state": "ON", "brightness": 128}', "turn_on", {"brightness": 128}),
        (b'{"brightness": 0}', "turn_on", {"brightness": 0}),
        (
            b'{"state": "ON", "brightness": 255.0, "transition": 0}',
            "turn_on",
            {"brightness": 255, "transition": 0.0},
        ),
        (b'{"state": "ON", "for": 3}', "turn_on", {"for": 3.0}),
        (b'{"state": "OFF", "transition": 1.5}', "turn_off", {"transition": 1.5}),
    ],
)
def test_light_forms(payload: bytes, service: str, data: dict[str, Any]) -> None:
    assert parse_command("light", payload) == Command(service, data)


def test_button_press() -> None:
    assert parse_command("button", b"press") == Command("press")


@pytest.mark.parametrize(
    ("domain", "payload"),
    [
        ("switch", b""),
        ("switch", b"ONN"),
        ("switch", b"1"),
        ("switch", b"true"),
        ("switch", b'"ON"'),
        ("switch", b"{"),
        ("switch", b"[1]"),
        ("switch", b"{}"),
        ("switch", b'{"state": 1}'),
        ("switch", b'{"state": "ON", "for": 0}'),
        ("switch", b'{"state": "ON", "for": -1}'),
        ("switch", b'{"state": "ON", "for": "2"}'),
        ("switch", b'{"state": "ON", "for": true}'),
        ("switch", b'{"state": "ON", "for": NaN}'),
        ("switch", b'{"state": "ON", "for": 1e999}'),
        ("switch", b'{"state": "ON", "brightness": 3}'),
        ("switch", b"\xff\xfe"),
        ("switch", b"ON" + b" " * MAX_PAYLOAD_BYTES),
        ("light", b'{"state": "ON", "brightness": 256}'),
        ("light", b'{"state": "ON", "brightness": 1.5}'),
        ("light", b'{"state": "ON", "brightness": -1}'),
        ("light", b'{"state": "OFF", "brightness": 10}'),
        ("light", b'{"state": "OFF", "for": 10}'),
        ("light", b'{"state": "ON", "transition": -0.1}'),
        ("light", b'{"state": "ON", "colour": "red"}'),
        ("light", b'{"transition": 2}'),
        ("light", b'{"state": "ON", "brightness": 1' + b"0" * 500 + b"}"),
        ("button", b"ON"),
        ("button", b'{"state": "PRESS"}'),
        ("sensor", b"ON"),
        ("switch", b"[" * 600 + b"]" * 600),
        ("switch", b"{" * 1000),
    ],
)
def test_malformed_payloads_are_refused(domain: str, payload: bytes) -> None:
    with pytest.raises(PayloadError):
        parse_command(domain, payload)


@settings(max_examples=500, deadline=None, database=None)
@given(
    domain=st.sampled_from(["switch", "light", "button", "sensor"]),
    payload=st.one_of(
        st.binary(max_size=2000),
        st.text(max_size=200).map(str.encode),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
            lambda inner: (
                st.lists(inner, max_size=4)
                | st.dictionaries(
                    st.sampled_from(["state", "for", "brightness", "transition", "x"]),
                    inner,
                    max_size=4,
                )
            ),
            max_leaves=10,
        ).map(lambda value: __import__("json").dumps(value).encode()),
    ),
)
def test_any_payload_parses_or_raises_payload_error(domain: str, payload: bytes) -> None:
    try:
        command = parse_command(domain, payload)
    except PayloadError:
        return
    assert command.service in {"turn_on", "turn_off", "toggle", "press"}
