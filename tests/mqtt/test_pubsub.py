"""Subscribing and publishing through a real mosquitto, with MQTT 5 and 3.1.1."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from typing import Any

import aiomqtt
import pytest

from gateway.core import Gateway, callback
from gateway.mqtt import ReceiveMessage, async_publish, async_subscribe, publish, subscribe
from tests.broker import Mosquitto
from tests.fixtures_mqtt import MqttProbe
from tests.helpers import in_thread

from .conftest import mqtt_config, setup_mqtt, unique, wait_in_sync
from .recorder import Recorder

PROTOCOLS = {"5": aiomqtt.ProtocolVersion.V5, "3.1.1": aiomqtt.ProtocolVersion.V311}
ProbeFactory = Callable[..., Any]


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
async def test_wildcard_subscriptions_and_callback_kinds(
    real_gw: Gateway, mqtt_broker: Mosquitto, mqtt_probe_factory: ProbeFactory, protocol: str
) -> None:
    """`+`, `#` and exact filters reach @callback, coroutine and blocking callbacks alike."""
    data = await setup_mqtt(real_gw, mqtt_config(mqtt_broker.port, protocol=protocol))
    base = unique("wild")
    recorder = Recorder()
    threads: list[str] = []

    async def coroutine_cb(msg: ReceiveMessage) -> None:
        recorder.record("hash", msg)

    def blocking_cb(msg: ReceiveMessage) -> None:
        threads.append(threading.current_thread().name)
        real_gw.loop.call_soon_threadsafe(recorder.record, "exact", msg)

    unsubscribe_plus = async_subscribe(real_gw, f"{base}/+/temp", recorder.callback_for("plus"))
    async_subscribe(real_gw, f"{base}/#", coroutine_cb)
    async_subscribe(real_gw, f"{base}/kitchen/temp", blocking_cb, qos=0)
    await wait_in_sync(data.connection)

    probe: MqttProbe = await mqtt_probe_factory(mqtt_broker.port, protocol=PROTOCOLS[protocol])
    await probe.publish(f"{base}/kitchen/temp", "21.5")
    await probe.publish(f"{base}/a/b/c", "deep")
    await probe.publish(f"{base}-other/kitchen/temp", "not ours")
    await recorder.wait_until(lambda: len(recorder.topics("hash")) == 2)
    await recorder.wait_until(lambda: len(recorder.topics("exact")) == 1)
    assert recorder.topics("plus") == [f"{base}/kitchen/temp"]
    assert recorder.topics("hash") == [f"{base}/kitchen/temp", f"{base}/a/b/c"]
    assert recorder.messages["plus"][0].payload == b"21.5"
    assert threads[0].startswith("boardgate-worker")

    unsubscribe_plus()
    unsubscribe_plus()  # idempotent
    await wait_in_sync(data.connection)
    await probe.publish(f"{base}/hall/temp", "19")
    await probe.publish(f"{base}/marker", "after")
    # Messages arrive in order: once the marker is here, `plus` would have had its message.
    await recorder.wait_until(lambda: f"{base}/marker" in recorder.topics("hash"))
    assert recorder.topics("plus") == [f"{base}/kitchen/temp"]
    assert data.connection.async_stats().received >= 4


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
async def test_publish_reaches_subscribers(
    real_gw: Gateway, mqtt_broker: Mosquitto, mqtt_probe_factory: ProbeFactory, protocol: str
) -> None:
    config = mqtt_config(mqtt_broker.port, protocol=protocol)
    data = await setup_mqtt(real_gw, config)
    await wait_in_sync(data.connection)
    sock = data.connection._client.paho.socket()  # type: ignore[union-attr]
    assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1  # type: ignore[union-attr]
    probe: MqttProbe = await mqtt_probe_factory(mqtt_broker.port, protocol=PROTOCOLS[protocol])
    topic = f"{config.base_topic}/events"
    await probe.subscribe(f"{topic}/#")
    for number in range(20):
        async_publish(real_gw, f"{topic}/count", number, retain=False)
    async_publish(real_gw, f"{topic}/text", "héllo", qos=0, retain=False)
    await probe.wait_until(lambda: len(probe.values(f"{topic}/count")) == 20)
    assert probe.values(f"{topic}/count") == [str(n).encode() for n in range(20)]
    await probe.wait_for_value(f"{topic}/text", "héllo".encode())
    with pytest.raises(ValueError, match="wildcards"):
        async_publish(real_gw, f"{topic}/+", "x")
    with pytest.raises(ValueError, match="QoS"):
        async_publish(real_gw, topic, "x", qos=3)


async def test_thread_safe_subscribe_and_publish(
    real_gw: Gateway, mqtt_broker: Mosquitto, mqtt_probe_factory: ProbeFactory
) -> None:
    data = await setup_mqtt(real_gw, mqtt_config(mqtt_broker.port))
    await wait_in_sync(data.connection)
    base = unique("threads")
    recorder = Recorder()

    def from_thread() -> Callable[[], None]:
        unsubscribe = subscribe(real_gw, f"{base}/in", recorder.callback_for("in"))
        publish(real_gw, f"{base}/out", b"from a thread", retain=False).result()
        return unsubscribe

    probe: MqttProbe = await mqtt_probe_factory(mqtt_broker.port)
    await probe.subscribe(f"{base}/out")
    unsubscribe = await in_thread(from_thread)
    await probe.wait_for_value(f"{base}/out", "from a thread")
    await wait_in_sync(data.connection)
    await probe.publish(f"{base}/in", "to the loop")
    await recorder.wait_until(lambda: bool(recorder.topics("in")))
    await in_thread(unsubscribe)
    assert not [f for f in data.connection.async_filters() if f.startswith(base)]


async def test_a_failing_callback_breaks_nothing(
    real_gw: Gateway,
    mqtt_broker: Mosquitto,
    mqtt_probe_factory: ProbeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    data = await setup_mqtt(real_gw, mqtt_config(mqtt_broker.port))
    base = unique("failing")
    recorder = Recorder()

    @callback
    def broken(msg: ReceiveMessage) -> None:
        raise RuntimeError(f"broken by {msg.topic}")

    async_subscribe(real_gw, f"{base}/#", broken)
    async_subscribe(real_gw, f"{base}/#", recorder.callback_for("ok"))
    await wait_in_sync(data.connection)
    probe: MqttProbe = await mqtt_probe_factory(mqtt_broker.port)
    for number in range(3):
        await probe.publish(f"{base}/{number}", "x")
    await recorder.wait_until(lambda: len(recorder.topics("ok")) == 3)
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 3
    assert "broken by" in str(errors[0].exc_info[1])  # type: ignore[index]
    assert data.connection.async_stats().reconnects == 0
    caplog.clear()
