"""The outgoing side against a fake paho client (no network): where each publish waits.

The broker-backed behaviour (order across reconnects, back-pressure under a flood, the goodbye)
is covered in test_publish_backpressure.py and tests/faults; these pin down the rules.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt

from gateway.mqtt.outgoing import BACKLOG_LIMIT, Outgoing


@dataclass
class _Info:
    rc: int


class FakePaho:
    """Takes publishes into the two queues `outgoing_backlog` measures; `drain()` empties
    them, as writing the socket and receiving the PUBACKs would."""

    def __init__(self) -> None:
        self._out_packet: deque[Any] = deque()
        self._out_messages: dict[int, Any] = {}
        self.sent: list[tuple[str, bytes]] = []

    def publish(self, topic: str, payload: bytes, qos: int, retain: bool) -> _Info:
        self._out_packet.append((topic, payload))
        self.sent.append((topic, payload))
        return _Info(mqtt.MQTT_ERR_SUCCESS)

    def drain(self) -> None:
        self._out_packet.clear()
        self._out_messages.clear()


class Sync:
    in_sync = True


def _outgoing(sync: Sync | None = None) -> Outgoing:
    state = sync or Sync()
    return Outgoing(asyncio.get_running_loop(), 1000, lambda: state.in_sync)


def _payloads(paho: FakePaho) -> list[bytes]:
    return [payload for _, payload in paho.sent]


async def test_detached_publishes_wait_coalesced_and_go_in_order_on_attach() -> None:
    outgoing = _outgoing()
    outgoing.async_publish("s/a", b"1", 1, True)
    outgoing.async_publish("e/x", b"event", 1, False)
    outgoing.async_publish("s/a", b"2", 1, True)  # replaces the retained `1`
    assert (outgoing.attached, outgoing.queued) == (False, 2)
    paho = FakePaho()
    outgoing.async_attach(paho)  # type: ignore[arg-type]
    assert sorted(paho.sent) == [("e/x", b"event"), ("s/a", b"2")]
    assert (outgoing.queued, outgoing.published) == (0, 2)
    outgoing.async_publish("s/b", b"3", 1, True)
    assert paho.sent[-1] == ("s/b", b"3")  # straight to paho


async def test_publishes_during_a_subscription_change_are_held_in_order() -> None:
    sync = Sync()
    outgoing, paho = _outgoing(sync), FakePaho()
    outgoing.async_attach(paho)  # type: ignore[arg-type]
    sync.in_sync = False
    outgoing.async_publish("t", b"1", 1, False)
    outgoing.async_publish("t", b"2", 1, False)
    sync.in_sync = True
    outgoing.async_publish("t", b"3", 1, False)  # behind the held ones, even when in sync
    assert paho.sent == []
    outgoing.async_release_held()
    assert _payloads(paho) == [b"1", b"2", b"3"]


async def test_a_backed_up_socket_fills_the_outbox_and_refills_when_drained() -> None:
    outgoing, paho = _outgoing(), FakePaho()
    outgoing.async_attach(paho)  # type: ignore[arg-type]
    for value in range(BACKLOG_LIMIT + 5):
        outgoing.async_publish(f"t/{value}", str(value).encode(), 0, False)
    assert (len(paho.sent), outgoing.queued, outgoing.backed_up) == (BACKLOG_LIMIT, 5, True)
    woken = asyncio.get_running_loop().create_future()
    outgoing.async_when_writable(lambda: woken.set_result(outgoing.backed_up))
    paho.drain()
    outgoing.async_socket_drained()
    outgoing.async_socket_drained()  # one catch-up per loop turn
    assert await asyncio.wait_for(woken, 5) is False
    assert _payloads(paho) == [str(value).encode() for value in range(BACKLOG_LIMIT + 5)]


async def test_the_goodbye_hands_everything_over_then_takes_no_more() -> None:
    sync = Sync()
    outgoing, paho = _outgoing(sync), FakePaho()
    outgoing.async_attach(paho)  # type: ignore[arg-type]
    for value in range(BACKLOG_LIMIT):
        outgoing.async_publish("flood", str(value).encode(), 0, False)
    outgoing.async_publish("queued", b"q", 1, True)  # backed up: waits in the outbox
    outgoing.async_when_writable(lambda: outgoing.async_publish("deferred", b"d", 1, True))
    sync.in_sync = False
    outgoing.async_publish("held", b"h", 1, True)
    outgoing.async_flush_and_detach()
    assert paho.sent[BACKLOG_LIMIT:] == [("queued", b"q"), ("held", b"h"), ("deferred", b"d")]
    assert (outgoing.attached, outgoing.queued) == (False, 0)
    outgoing.async_publish("late", b"l", 1, True)
    assert (len(paho.sent), outgoing.queued) == (BACKLOG_LIMIT + 3, 1)


async def test_a_lost_connection_keeps_the_held_publishes_for_the_next_one() -> None:
    sync = Sync()
    outgoing, paho = _outgoing(sync), FakePaho()
    outgoing.async_attach(paho)  # type: ignore[arg-type]
    sync.in_sync = False
    outgoing.async_publish("held", b"h", 1, True)
    outgoing.async_detach()
    assert (outgoing.attached, outgoing.queued, paho.sent) == (False, 1, [])
    sync.in_sync = True
    second = FakePaho()
    outgoing.async_attach(second)  # type: ignore[arg-type]
    assert second.sent == [("held", b"h")]
