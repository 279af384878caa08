"""Outbox, backoff, topic layout and state payloads: pure logic, no broker."""

from __future__ import annotations

from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import pytest

from gateway.core import State
from gateway.mqtt.models import PublishMessage
from gateway.mqtt.outbox import Outbox
from gateway.mqtt.state_payload import (
    attributes_payload,
    availability_payload,
    state_payload,
)
from gateway.mqtt.topic import entity_topic, node_topic
from gateway.util.backoff import Backoff


def _msg(topic: str, payload: str, retain: bool) -> PublishMessage:
    return PublishMessage(topic, payload.encode(), 1, retain)


def test_outbox_coalesces_retained_per_topic_in_order_of_last_change() -> None:
    outbox = Outbox(maxlen=10)
    outbox.put(_msg("a", "1", True))
    outbox.put(_msg("b", "1", True))
    outbox.put(_msg("a", "2", True))
    assert len(outbox) == 2
    assert [(m.topic, m.payload) for m in outbox.drain()] == [("b", b"1"), ("a", b"2")]
    assert len(outbox) == 0


def test_outbox_take_and_restore_keep_order_and_newer_values() -> None:
    outbox = Outbox(maxlen=3)
    for message in (_msg("a", "1", True), _msg("b", "1", True), _msg("e", "1", False)):
        outbox.put(message)
    taken = outbox.take(2)
    assert [(m.topic, m.payload) for m in taken] == [("a", b"1"), ("b", b"1")]
    outbox.put(_msg("b", "2", True))  # newer than the taken b=1
    outbox.put(_msg("e", "2", False))
    outbox.restore(taken)  # could not be sent: back in front, but b=1 is stale now
    assert [(m.topic, m.payload) for m in outbox.drain()] == [
        ("a", b"1"),
        ("b", b"2"),
        ("e", b"1"),
        ("e", b"2"),
    ]
    outbox.put(_msg("e", "3", False))
    outbox.put(_msg("e", "4", False))
    events = outbox.take(1)
    outbox.put(_msg("e", "5", False))
    outbox.put(_msg("e", "6", False))
    outbox.restore(events)  # over maxlen: the oldest go, counted
    assert [m.payload for m in outbox.drain()] == [b"4", b"5", b"6"]
    assert outbox.dropped == 1


def test_outbox_fifo_drops_oldest_and_counts() -> None:
    outbox = Outbox(maxlen=3)
    for number in range(5):
        outbox.put(_msg("events", str(number), False))
    outbox.put(_msg("state", "x", True))
    assert outbox.dropped == 2
    assert [m.payload for m in outbox.drain()] == [b"x", b"2", b"3", b"4"]


def test_backoff_doubles_with_jitter_up_to_the_cap() -> None:
    low = Backoff(rand=lambda: 0.0)
    assert [low.next_delay() for _ in range(8)] == [0.5, 1, 2, 4, 8, 16, 30, 30]
    high = Backoff(rand=lambda: 1.0)
    delays = [high.next_delay() for _ in range(8)]
    assert delays[0] == pytest.approx(0.625)
    assert max(delays) == 30
    low.reset()
    assert low.next_delay() == 0.5


def test_topic_layout() -> None:
    base = node_topic("boardgate", "garage-pi")
    assert base == "boardgate/garage-pi"
    assert entity_topic(base, "switch.relay_1") == "boardgate/garage-pi/switch/relay_1"


def _state(entity_id: str, state: str, **attributes: Any) -> State:
    now = datetime.now(UTC)
    return State(entity_id, state, MappingProxyType(attributes), now, now)


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (_state("switch.r", "ON"), b"ON"),
        (_state("binary_sensor.d", "OFF"), b"OFF"),
        (_state("sensor.t", "21.5", unit_of_measurement="°C"), b"21.5"),
        (_state("sensor.t", "unknown"), b"None"),
        (_state("light.l", "ON", brightness=128), b'{"state":"ON","brightness":128}'),
        (_state("light.l", "OFF", brightness=None), b'{"state":"OFF"}'),
        (_state("light.l", "unknown"), b'{"state":null}'),
        (_state("button.b", "2024-01-01T00:00:00+00:00"), None),
        (_state("switch.r", "unavailable"), None),
    ],
)
def test_state_payloads(state: State, expected: bytes | None) -> None:
    assert state_payload(state) == expected


def test_availability_and_attributes() -> None:
    assert availability_payload(_state("switch.r", "unavailable")) == b"offline"
    assert availability_payload(_state("switch.r", "OFF")) == b"online"
    when = datetime(2024, 1, 1, tzinfo=UTC)
    payload = attributes_payload(_state("sensor.t", "1", unit_of_measurement="°C", at=when))
    assert payload == '{"unit_of_measurement":"°C","at":"2024-01-01 00:00:00+00:00"}'.encode()
