"""The pure parts of the conventions: value encoding, `.../set` parsing, Sparkplug payloads."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pysparkplug._protobuf import sparkplug_b_pb2 as reference

from gateway.core import State
from gateway.domains.spec import Command, PayloadError
from gateway.mqtt.publishers.convention_entities import ConventionEntity, state_value, widen
from gateway.mqtt.publishers.homie_model import encode_value, properties_of
from gateway.mqtt.publishers.sparkplug import command_for
from gateway.mqtt.publishers.sparkplug.payloads import (
    BOOLEAN,
    DOUBLE,
    INT64,
    STRING,
    decode_command,
    encode_birth,
    encode_data,
    encode_death,
    metrics_of,
)

HOMIE_FLOAT = r"^-?[0-9]+(\.[0-9]+)?([eE]-?[0-9]+)?$"
NOW = datetime(2026, 12, 2, tzinfo=UTC)


def state(entity_id: str, value: str, **attributes: Any) -> State:
    return State(entity_id, value, attributes, NOW, NOW)


def entity(domain: str, kind: str, unit: str | None = None) -> ConventionEntity:
    return ConventionEntity(f"{domain}.x", domain, "x", "X", kind, unit)  # type: ignore[arg-type]


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_homie_floats_are_valid_payloads(number: float) -> None:
    payload = encode_value("float", number)
    assert payload is not None
    assert re.match(HOMIE_FLOAT, payload.decode())
    assert math.isclose(float(payload), number, rel_tol=1e-12, abs_tol=0)


def test_homie_values() -> None:
    assert encode_value("boolean", True) == b"true"
    assert encode_value("integer", 7) == b"7"
    assert encode_value("string", "") == b"\x00"  # Homie's empty string
    assert encode_value("float", math.inf) is None
    assert encode_value("string", None) is None


def test_homie_set_payloads() -> None:
    (switch,) = properties_of(entity("switch", "boolean"))
    assert switch.parse is not None
    assert switch.parse(b"true") == Command("turn_on")
    assert switch.parse(b"false") == Command("turn_off")
    for bad in (b"TRUE", b"on", b"1", b""):
        with pytest.raises(PayloadError):
            switch.parse(bad)
    _, brightness = properties_of(entity("light", "boolean"))
    assert brightness.parse is not None
    assert brightness.parse(b"128") == Command("turn_on", {"brightness": 128})
    for bad in (b"256", b"-1", b"12.0", b"x"):
        with pytest.raises(PayloadError):
            brightness.parse(bad)
    (press,) = properties_of(entity("button", "boolean"))
    assert press.parse is not None
    assert press.parse(b"true") == Command("press")
    with pytest.raises(PayloadError):
        press.parse(b"false")


def test_light_brightness_reads_zero_when_off() -> None:
    light = entity("light", "boolean")
    state_prop, brightness = properties_of(light)
    assert brightness.read(state("light.x", "ON", brightness=77)) == b"77"
    assert brightness.read(state("light.x", "OFF", brightness=None)) == b"0"
    assert brightness.read(state("light.x", "unavailable")) is None
    assert state_prop.read(state("light.x", "ON")) == b"true"


def test_values_and_widening() -> None:
    counter = entity("sensor", "integer", "L")
    assert state_value(counter, state("sensor.x", "12")) == 12
    assert state_value(counter, state("sensor.x", "unknown")) is None
    assert widen(counter, state("sensor.x", "2.5")).kind == "float"
    assert widen(counter, state("sensor.x", "n/a")).kind == "string"
    assert widen(counter, state("sensor.x", "3")) == counter
    assert state_value(entity("switch", "boolean"), state("switch.x", "ON")) is True


def test_birth_decodes_with_the_reference_definition() -> None:
    metrics = [
        *((m, False) for m in metrics_of(entity("switch", "boolean"))),
        *((m, -5) for m in metrics_of(entity("sensor", "integer", "L"))),
        *((m, 21.5) for m in metrics_of(entity("sensor", "float"))),
        *((m, None) for m in metrics_of(entity("sensor", "string"))),
    ]
    raw = reference.Payload.FromString(encode_birth(7, 1_700_000_000_000, metrics))
    assert raw.seq == 0
    assert raw.timestamp == 1_700_000_000_000
    by_name = [(m.name, m.datatype) for m in raw.metrics]
    assert by_name[:2] == [("bdSeq", INT64), ("Node Control/Rebirth", BOOLEAN)]
    assert [m.datatype for m in raw.metrics[2:]] == [BOOLEAN, INT64, DOUBLE, STRING]
    assert raw.metrics[0].long_value == 7
    assert raw.metrics[3].long_value == 2**64 - 5  # Int64 in two's complement
    assert raw.metrics[3].properties.keys == ["engUnit"]
    assert raw.metrics[5].is_null
    assert not raw.metrics[5].HasField("string_value")


def test_death_has_no_seq_and_data_has_one() -> None:
    death = reference.Payload.FromString(encode_death(3, 1))
    assert not death.HasField("seq")
    assert [(m.name, m.long_value) for m in death.metrics] == [("bdSeq", 3)]
    (metric,) = metrics_of(entity("sensor", "float"))
    data = reference.Payload.FromString(encode_data(255, 2, [(metric, 1.25)]))
    assert data.seq == 255
    assert data.metrics[0].double_value == 1.25


def test_commands() -> None:
    payload = reference.Payload(timestamp=1)
    for name, field, value in (("a", "boolean_value", True), ("b", "long_value", 2**64 - 1)):
        metric = payload.metrics.add(name=name)
        setattr(metric, field, value)
    payload.metrics.add(name="c", is_null=True)
    writes = decode_command(payload.SerializeToString())
    assert [(w.name, w.value) for w in writes] == [("a", True), ("b", -1), ("c", None)]
    with pytest.raises(ValueError, match="not a Sparkplug"):
        decode_command(b"\xff\xff\xff")
    switch, brightness = metrics_of(entity("light", "boolean"))
    assert command_for(switch, True) == Command("turn_on")
    assert command_for(brightness, 10) == Command("turn_on", {"brightness": 10})
    for metric, bad in ((switch, 1), (brightness, True), (brightness, 300), (switch, None)):
        with pytest.raises(ValueError, match="must be"):
            command_for(metric, bad)
