"""Issue 17: a list of brokers (failover in order, stay on the one that works), the broker in
use and the failover count in `bridge/info` and `bridge/health`, and full jitter on the first
retry after a stable connection is lost."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gateway.bootstrap import async_setup_gateway
from gateway.clock import FakeClock
from gateway.config import load_config
from gateway.config.model import BrokerAddress, TlsConfig
from gateway.core import Gateway
from gateway.loader import resolve_platform_schema
from gateway.mqtt import get_data
from gateway.mqtt.connection import STABLE_AFTER, MqttConnection
from gateway.util.backoff import Backoff
from tests.broker import Mosquitto, free_port
from tests.faults.test_connect_attempts import HandshakeServer
from tests.fixtures_mqtt import MqttProbe, TlsMaterial, make_password_file
from tests.helpers import in_thread

from .conftest import mqtt_config, unique, wait_for_connection, wait_in_sync

ProbeFactory = Callable[..., Any]
CONFIG = """\
gateway: {{node_id: fleet-node, state_dir: {state}}}
mqtt: {{host: {hosts}, base_topic: {base}, keepalive: 5, discovery: false}}
switch:
  - {{platform: virtual, name: Relay}}
"""


@dataclass
class Fleet:
    gw: Gateway
    a: Mosquitto
    b: Mosquitto
    base: str

    @property
    def connection(self) -> MqttConnection:
        return get_data(self.gw).connection

    async def wait_on(self, broker: Mosquitto) -> None:
        await wait_for_connection(
            self.connection,
            lambda conn: (
                conn.in_sync and conn.broker is not None and conn.broker.port == broker.port
            ),
        )


@pytest.fixture
def two_brokers(tmp_path: Path) -> Iterator[tuple[Mosquitto, Mosquitto]]:
    brokers = Mosquitto(tmp_path / "a"), Mosquitto(tmp_path / "b")
    for broker in brokers:
        broker.start()
    yield brokers
    for broker in brokers:
        broker.kill()


@pytest.fixture
async def fleet(tmp_path: Path, two_brokers: tuple[Mosquitto, Mosquitto]) -> AsyncIterator[Fleet]:
    """A gateway whose list is a dead port, then broker A, then broker B (by name)."""
    a, b = two_brokers
    hosts = f'["127.0.0.1:{free_port()}", "127.0.0.1:{a.port}", "localhost:{b.port}"]'
    base = unique("bgf")
    path = tmp_path / "boardgate.yaml"
    await in_thread(
        path.write_text, CONFIG.format(state=tmp_path / "state", hosts=hosts, base=base)
    )
    config = await in_thread(load_config, path, resolve_platform_schema)
    gw = await async_setup_gateway(config)  # the real clock: the backoff runs in real time
    try:
        yield Fleet(gw, a, b, f"{base}/fleet-node")
    finally:
        await gw.async_stop()


async def _bridge(probe: MqttProbe, base: str, kind: str) -> dict[str, Any]:
    """The retained `bridge/info`, or `bridge/health` asked for on `bridge/request/health`."""
    if kind == "info":
        topic = f"{base}/bridge/info"
        await probe.subscribe(topic)
    else:
        topic = f"{base}/bridge/response/health"
        await probe.subscribe(topic)
        await probe.publish(f"{base}/bridge/request/health", "{}")
    await probe.wait_until(lambda: topic in probe.latest, what=topic)
    payload: dict[str, Any] = json.loads(probe.latest[topic])
    return payload if kind == "info" else payload["data"]


async def test_fails_over_in_order_and_stays_on_the_broker_that_works(
    fleet: Fleet, mqtt_probe_factory: ProbeFactory
) -> None:
    await fleet.wait_on(fleet.a)  # the dead first entry failed, A (the next) answered
    assert (fleet.connection.attempts, fleet.connection.failovers) == (2, 0)
    on_a: MqttProbe = await mqtt_probe_factory(fleet.a.port)
    expected = {"broker": f"127.0.0.1:{fleet.a.port}", "failovers": 0}
    assert (await _bridge(on_a, fleet.base, "info"))["mqtt"] == expected

    await fleet.a.async_kill()
    await fleet.wait_on(fleet.b)
    assert fleet.connection.failovers == 1
    on_b: MqttProbe = await mqtt_probe_factory(fleet.b.port)
    expected = {"broker": f"localhost:{fleet.b.port}", "failovers": 1}
    assert (await _bridge(on_b, fleet.base, "info"))["mqtt"] == expected
    health = (await _bridge(on_b, fleet.base, "health"))["mqtt"]
    assert {key: health[key] for key in expected} == expected

    # A is back, but the gateway stays on B: a command through B still works, no new attempt.
    attempts = fleet.connection.attempts
    await fleet.a.async_start()
    await on_b.subscribe(f"{fleet.base}/switch/relay/state")
    await on_b.publish(f"{fleet.base}/switch/relay/set", "ON")
    await on_b.wait_for_value(f"{fleet.base}/switch/relay/state", "ON")
    assert fleet.connection.attempts == attempts
    assert fleet.connection.broker is not None
    assert fleet.connection.broker.port == fleet.b.port

    await fleet.b.async_kill()  # B once more (it may be restarting), the dead entry, then A
    await fleet.wait_on(fleet.a)
    assert fleet.connection.failovers == 2
    assert fleet.connection.attempts == attempts + 3


def test_full_jitter_after_reset_then_doubling() -> None:
    for draw, first in ((0.0, 0.0), (0.5, 0.5), (0.999, 0.999)):
        backoff = Backoff(rand=lambda d=draw: d)
        backoff.reset(full_jitter=True)
        assert backoff.next_delay() == pytest.approx(first)  # anywhere in [0, 1) s
        assert backoff.next_delay() == pytest.approx(1.0 * (1 + 0.25 * draw))
        assert backoff.next_delay() == pytest.approx(2.0 * (1 + 0.25 * draw))
    classic = Backoff(rand=lambda: 0.0)
    classic.reset()
    assert classic.next_delay() == 0.5


@pytest.mark.parametrize(("lived", "retry_after"), [(STABLE_AFTER + 1, 0.3), (0.0, 0.6)])
async def test_first_retry_after_losing_a_stable_connection_is_fully_jittered(
    gw: Gateway, clock: FakeClock, private_broker: Mosquitto, lived: float, retry_after: float
) -> None:
    """A draw of 0.25 waits 0.25 s after a stable connection (0.5-0.625 s before issue 17),
    and still ~0.53 s after a connection lost at once (a broker restarted twice in a row)."""
    connection = MqttConnection(
        gw, mqtt_config(private_broker.port), "bg/status", Backoff(rand=lambda: 0.25)
    )
    connection.async_start()
    try:
        await wait_in_sync(connection)
        clock.advance(lived)
        await private_broker.async_restart(kill=True)
        await wait_for_connection(connection, lambda conn: not conn.connected)
        clock.advance(0.3)
        if retry_after > 0.3:
            await gw.async_block_till_done()
            assert connection.attempts == 1, "retried before the classic first step"
            clock.advance(retry_after - 0.3)
        await wait_in_sync(connection)
        assert connection.attempts == 2
    finally:
        await connection.async_final_write()
        connection.async_close()


@pytest.fixture
def closing_server() -> Iterator[HandshakeServer]:
    server = HandshakeServer("close")
    yield server
    server.close()


async def test_a_broker_that_closes_before_the_connack_gets_one_more_attempt(
    real_gw: Gateway, closing_server: HandshakeServer, private_broker: Mosquitto
) -> None:
    """It answered: probably busy (a NATS node electing leaders), not dead. A refused port is
    left at once (the fleet test above)."""
    brokers = (
        BrokerAddress("127.0.0.1", closing_server.port),
        BrokerAddress("127.0.0.1", private_broker.port),
    )
    config = mqtt_config(private_broker.port, brokers=brokers)
    connection = MqttConnection(real_gw, config, "bg/status", Backoff(0.01, 0.05))
    connection.async_start()
    try:
        await wait_in_sync(connection)
    finally:
        await connection.async_final_write()
        connection.async_close()
    assert closing_server.accepted == 2
    assert connection.attempts == 3


@pytest.fixture
def tls_brokers(tmp_path: Path, tls_material: TlsMaterial) -> Iterator[list[Mosquitto]]:
    """Two brokers with TLS listeners and the same password file."""
    passwords = make_password_file(tmp_path, {"gateway": "s3cret"})
    brokers = [
        Mosquitto(tmp_path / name, tls=tls_material.broker_tls(), password_file=passwords)
        for name in ("a", "b")
    ]
    for broker in brokers:
        broker.start()
    yield brokers
    for broker in brokers:
        broker.kill()


async def test_tls_and_credentials_apply_to_every_broker(
    real_gw: Gateway, tls_brokers: list[Mosquitto], tls_material: TlsMaterial
) -> None:
    a, b = tls_brokers
    assert a.tls_port is not None
    assert b.tls_port is not None
    brokers = (BrokerAddress("127.0.0.1", a.tls_port), BrokerAddress("localhost", b.tls_port))
    config = mqtt_config(
        a.tls_port, brokers=brokers, tls=TlsConfig(ca_certs=str(tls_material.ca)),
        username="gateway", password="s3cret",
    )  # fmt: skip
    connection = MqttConnection(real_gw, config, "bg/status", Backoff(0.05, 0.2))
    connection.async_start()
    try:
        await wait_in_sync(connection)
        assert connection.broker == brokers[0]
        await a.async_kill()  # plain listener and TLS listener both gone
        await wait_for_connection(connection, lambda conn: conn.broker == brokers[1])
        await wait_in_sync(connection)
        assert connection.failovers == 1
    finally:
        await connection.async_final_write()
        connection.async_close()
