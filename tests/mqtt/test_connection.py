"""The connection: TLS, credentials, clean stop, and life without a broker."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aiomqtt
import pytest

from gateway.clock import FakeClock
from gateway.config.model import TlsConfig
from gateway.core import Gateway
from gateway.mqtt import async_get_stats, async_publish
from tests.broker import Mosquitto
from tests.fixtures_mqtt import MqttProbe, TlsMaterial, make_password_file
from tests.helpers import in_thread

from .conftest import mqtt_config, setup_mqtt, unique, wait_for_connection, wait_in_sync
from .entities import MemorySwitch, add_entities

ProbeFactory = Callable[..., Any]


@pytest.fixture
def tls_broker(tmp_path: Path, tls_material: TlsMaterial) -> Any:
    """A broker with a password file and a TLS listener that wants client certificates."""
    passwords = make_password_file(tmp_path, {"gateway": "s3cret", "probe": "probe"})
    broker = Mosquitto(
        tmp_path / "mosquitto",
        tls=tls_material.broker_tls(require_certificate=True),
        password_file=passwords,
    )
    broker.start()
    yield broker
    broker.kill()


async def test_tls_with_client_certificate_and_password(
    real_gw: Gateway,
    tls_broker: Mosquitto,
    tls_material: TlsMaterial,
    mqtt_probe_factory: ProbeFactory,
) -> None:
    tls = TlsConfig(
        ca_certs=str(tls_material.ca),
        certfile=str(tls_material.client_cert),
        keyfile=str(tls_material.client_key),
    )
    assert tls_broker.tls_port is not None
    config = mqtt_config(tls_broker.tls_port, tls=tls, username="gateway", password="s3cret")
    data = await setup_mqtt(real_gw, config)
    await add_entities(real_gw, MemorySwitch("secure", is_on=True))
    await wait_in_sync(data.connection)
    probe: MqttProbe = await mqtt_probe_factory(tls_broker.port, username="probe", password="probe")
    await probe.subscribe(f"{data.node_base}/#")
    await probe.wait_for_value(f"{data.node_base}/switch/secure/state", "ON")
    await probe.publish(f"{data.node_base}/switch/secure/set", "OFF")
    await probe.wait_for_value(f"{data.node_base}/switch/secure/state", "OFF")


# paho does not close the socket of a failed TLS handshake (CPython frees it with a
# ResourceWarning). The connection manager drops its own references at once, but the SSL error
# that holds the socket also sits in a cycle of the executor's futures (asyncio's wrap_future
# callbacks), which only the garbage collector frees: collect it before the test ends, or the
# warning lands in whichever later test the collector happens to run in.
TLS_HANDSHAKE_LEAK = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@pytest.fixture
def collect_handshake_leak() -> Iterator[None]:
    """Requested before the gateway, so it collects after the gateway has stopped."""
    yield
    gc.collect()


@TLS_HANDSHAKE_LEAK
@pytest.mark.usefixtures("collect_handshake_leak")
@pytest.mark.parametrize(
    ("tls_overrides", "credentials", "why"),
    [
        ({}, {"username": "gateway", "password": "wrong"}, "not authorized"),
        ({"certfile": None, "keyfile": None}, {"username": "gateway", "password": "s3cret"}, ""),
        ({"ca_certs": None}, {"username": "gateway", "password": "s3cret"}, "certificate"),
    ],
    ids=["wrong-password", "no-client-cert", "unknown-ca"],
)
async def test_refused_connections_keep_retrying(
    real_gw: Gateway,
    tls_broker: Mosquitto,
    tls_material: TlsMaterial,
    tls_overrides: dict[str, Any],
    credentials: dict[str, str],
    why: str,
) -> None:
    """A refused connection is retried with backoff; the gateway keeps running."""
    fields: dict[str, Any] = {
        "ca_certs": str(tls_material.ca),
        "certfile": str(tls_material.client_cert),
        "keyfile": str(tls_material.client_key),
    }
    fields.update(tls_overrides)
    assert tls_broker.tls_port is not None
    config = mqtt_config(tls_broker.tls_port, tls=TlsConfig(**fields), **credentials)
    data = await setup_mqtt(real_gw, config)
    # TLS 1.3 reports a missing client certificate after the handshake; aiomqtt then waits
    # for a CONNACK that never comes: keep that wait short here.
    data.connection.connect_timeout = 1.0
    await wait_for_connection(data.connection, lambda conn: conn.failures >= 2)
    assert not data.connection.connected
    assert why.lower() in str(data.connection.last_error).lower()
    assert async_get_stats(real_gw).connected is False


@pytest.fixture
def wrong_host_broker(tmp_path: Path, tls_material: TlsMaterial) -> Any:
    """A TLS broker whose certificate names another host."""
    broker = Mosquitto(tmp_path / "mosquitto", tls=tls_material.broker_tls(wrong_host=True))
    broker.start()
    yield broker
    broker.kill()


@TLS_HANDSHAKE_LEAK
@pytest.mark.usefixtures("collect_handshake_leak")
@pytest.mark.parametrize("insecure", [False, True])
async def test_tls_insecure_skips_only_the_host_name_check(
    real_gw: Gateway, wrong_host_broker: Mosquitto, tls_material: TlsMaterial, insecure: bool
) -> None:
    assert wrong_host_broker.tls_port is not None
    tls = TlsConfig(ca_certs=str(tls_material.ca), insecure=insecure)
    data = await setup_mqtt(real_gw, mqtt_config(wrong_host_broker.tls_port, tls=tls))
    if insecure:
        await wait_in_sync(data.connection)
    else:
        await wait_for_connection(data.connection, lambda conn: conn.failures >= 1)
        assert "mismatch" in str(data.connection.last_error).lower()


async def test_clean_stop_publishes_offline_and_disconnects_quickly(
    real_gw: Gateway, mqtt_broker: Mosquitto, mqtt_probe_factory: ProbeFactory
) -> None:
    config = mqtt_config(mqtt_broker.port)
    data = await setup_mqtt(real_gw, config)
    await wait_in_sync(data.connection)
    probe: MqttProbe = await mqtt_probe_factory(mqtt_broker.port)
    status = f"{data.node_base}/status"
    await probe.subscribe(status)
    await probe.wait_for_value(status, "online")
    loop = asyncio.get_running_loop()
    started = loop.time()
    await real_gw.async_stop()
    elapsed = loop.time() - started
    await probe.wait_for_value(status, "offline")
    assert elapsed < 1.0, f"stop took {elapsed:.2f} s"
    log = await in_thread(mqtt_broker.log)
    assert f"Client {config.client_id} disconnected." in log  # clean, not "closed its connection"
    retained: MqttProbe = await mqtt_probe_factory(mqtt_broker.port)
    await retained.subscribe(status)
    await retained.wait_for_value(status, "offline")


async def test_runs_without_a_broker_and_catches_up_when_it_appears(
    gw: Gateway,
    clock: FakeClock,
    private_broker_stopped: Mosquitto,
    mqtt_probe_factory: ProbeFactory,
) -> None:
    """Absent broker: entities work, publishes wait (retained coalesced, events bounded)."""
    broker = private_broker_stopped
    data = await setup_mqtt(gw, mqtt_config(broker.port, outbox_size=3))
    switch = MemorySwitch("relay")
    await add_entities(gw, switch)
    await wait_for_connection(data.connection, lambda conn: conn.failures >= 1)

    await gw.services.async_call("switch", "turn_on", {"entity_id": "switch.relay"})
    assert gw.states.get("switch.relay").state == "ON"  # type: ignore[union-attr]
    b = data.node_base
    for number in range(5):
        async_publish(gw, f"{b}/events", number, retain=False)
        async_publish(gw, f"{b}/info", f"v{number}", retain=True)
    stats = async_get_stats(gw)
    assert (stats.connected, stats.queued, stats.dropped) == (False, 4, 2)

    await broker.async_start()
    probe: MqttProbe = await mqtt_probe_factory(broker.port)
    await probe.subscribe(f"{b}/#")
    clock.advance(60)  # the backoff timer runs on the gateway's clock
    await wait_in_sync(data.connection)
    await probe.wait_for_value(f"{b}/switch/relay/state", "ON")
    await probe.wait_until(lambda: len(probe.values(f"{b}/events")) == 3)
    assert probe.values(f"{b}/events") == [b"2", b"3", b"4"]  # oldest dropped, order kept
    assert probe.values(f"{b}/info") == [b"v4"]  # coalesced to the latest
    stats = async_get_stats(gw)
    assert (stats.connected, stats.queued, stats.dropped, stats.reconnects) == (True, 0, 2, 0)


async def test_stop_without_broker_is_quick(real_gw: Gateway) -> None:
    from tests.broker import free_port

    data = await setup_mqtt(real_gw, mqtt_config(free_port(), client_id=unique("nobroker")))
    await wait_for_connection(data.connection, lambda conn: conn.failures >= 1)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await real_gw.async_stop()
    assert loop.time() - started < 1.0


@pytest.mark.parametrize("protocol", [aiomqtt.ProtocolVersion.V5, aiomqtt.ProtocolVersion.V311])
async def test_probe_protocols(mqtt_broker: Mosquitto, protocol: aiomqtt.ProtocolVersion) -> None:
    """The probe itself speaks both protocols (guards the other tests' assumptions)."""
    async with MqttProbe(mqtt_broker.port, protocol=protocol) as probe:
        topic = unique("probe")
        await probe.subscribe(topic)
        await probe.publish(topic, "x")
        await probe.wait_for_value(topic, "x")
