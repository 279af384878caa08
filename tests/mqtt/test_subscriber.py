"""The broker-side bookkeeping of subscriptions, against a fake client (no network)."""

from __future__ import annotations

import asyncio
from typing import Any

import aiomqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from gateway.core import Job, callback
from gateway.mqtt.models import ReceiveMessage
from gateway.mqtt.subscriber import Subscriber, subscription_id


class FakeClient:
    """Records SUBSCRIBE/UNSUBSCRIBE calls; each waits until the test releases it."""

    def __init__(self) -> None:
        self.subscribed: list[Any] = []
        self.unsubscribed: list[Any] = []
        self.release = asyncio.Event()

    async def subscribe(self, topic: Any, *args: Any, **kwargs: Any) -> list[int]:
        self.subscribed.append(topic)
        await self.release.wait()
        return [1] * (len(topic) if isinstance(topic, list) else 1)

    async def unsubscribe(self, topic: Any) -> None:
        self.unsubscribed.append(topic)


@callback
def _ignore(_msg: Any) -> None:
    pass


def _run_now(job: Job[Any], msg: ReceiveMessage) -> None:
    job.target(msg)


async def test_changes_while_connected_are_batched_and_reported() -> None:
    synced = asyncio.get_running_loop().create_future()
    subscriber = Subscriber(v5=False, on_synced=lambda: synced.set_result(None), run_job=_run_now)
    client = FakeClient()
    client.release.set()
    await subscriber.async_attach(client)  # type: ignore[arg-type]
    remove_a = subscriber.async_add("a/+", _ignore, 1)
    subscriber.async_add("b/#", _ignore, 0)
    subscriber.async_add("a/+", _ignore, 0)  # same filter, lower QoS: nothing to ask
    assert not subscriber.in_sync
    await asyncio.wait_for(synced, 5)
    assert subscriber.in_sync
    assert client.subscribed == [[("a/+", 1), ("b/#", 0)]]  # one packet for the burst
    remove_a()
    remove_a()
    assert "a/+" in subscriber.filters()  # the second subscription still wants it
    await asyncio.sleep(0)
    assert client.unsubscribed == []


async def test_detach_before_the_sync_task_ran_leaves_it_in_sync() -> None:
    """A connection lost right after a subscribe must not leave a dead sync task behind
    (publishes would wait for it forever)."""
    subscriber = Subscriber(v5=True, on_synced=lambda: None, run_job=_run_now)
    client = FakeClient()
    client.release.set()
    await subscriber.async_attach(client)  # type: ignore[arg-type]
    subscriber.async_add("c/d", _ignore, 1)
    assert not subscriber.in_sync
    subscriber.async_detach()  # before the sync task had its first step
    assert subscriber.in_sync
    await asyncio.sleep(0)
    assert subscriber.in_sync


async def test_detach_while_waiting_for_the_suback() -> None:
    subscriber = Subscriber(v5=True, on_synced=lambda: None, run_job=_run_now)
    client = FakeClient()
    client.release.set()
    await subscriber.async_attach(client)  # type: ignore[arg-type]
    client.release.clear()
    subscriber.async_add("e/f", _ignore, 1)
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert client.subscribed == ["e/f"]
    subscriber.async_detach()
    await asyncio.sleep(0)
    assert subscriber.in_sync


def test_subscription_ids_are_stable_and_in_range() -> None:
    assert subscription_id("a/b") == subscription_id("a/b")
    assert 1 <= subscription_id("x" * 1000) <= 268_435_455
    assert subscription_id("a/b") != subscription_id("a/c")


def _message(topic: str, payload: Any, identifiers: list[int] | None = None) -> aiomqtt.Message:
    properties = None
    if identifiers is not None:
        properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        properties.SubscriptionIdentifier = identifiers
    return aiomqtt.Message(topic, payload, 1, True, 1, properties)


def test_dispatch_delivers_to_the_matching_subscriptions_only() -> None:
    """No network: the subscriber matches, counts, and runs each matching callback's job."""
    subscriber = Subscriber(v5=True, on_synced=lambda: None, run_job=_run_now)
    got: dict[str, list[ReceiveMessage]] = {"plus": [], "hash": [], "other": []}
    subscriber.async_add("a/+", got["plus"].append, 1)
    subscriber.async_add("a/#", got["hash"].append, 1)
    subscriber.async_add("b/c", got["other"].append, 1)
    subscriber.async_dispatch(_message("a/x", b"1"))  # no identifiers: every match
    subscriber.async_dispatch(_message("a/y", "2", [subscription_id("a/#")]))  # one copy each
    subscriber.async_dispatch(_message("z/z", b"3"))
    expected = ReceiveMessage("a/x", b"1", 1, True)
    assert got == {
        "plus": [expected],
        "hash": [expected, ReceiveMessage("a/y", b"2", 1, True)],
        "other": [],
    }
    assert subscriber.received == 3
