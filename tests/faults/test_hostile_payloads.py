"""Fault 10: 10,000 random payloads on each command topic, and 1 MB payloads.

Payloads come from a seeded generator (random bytes, near-miss JSON, mangled keywords); any
that happens to be a valid command is left out, so the rule is simply: no crash, no state
change, nothing acted on, bounded memory, and the log warns once per entity.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable
from typing import Any

from gateway.core import Gateway
from gateway.diagnostics import read_rss_mb
from gateway.domains.registry import parse_command
from gateway.domains.spec import PayloadError
from tests.broker import Mosquitto
from tests.fixtures_mqtt import MqttProbe
from tests.helpers import in_thread
from tests.mqtt.conftest import mqtt_config, setup_mqtt, wait_in_sync
from tests.mqtt.entities import MemoryButton, MemoryLight, MemorySwitch, add_entities

from .conftest import figure

PER_TOPIC = 10_000
WINDOW = 500  # published back to back, then a round trip through the gateway
BIG = 1024 * 1024
RSS_GROWTH_LIMIT_MB = 30.0
SEED = 20261125

_KEYS = ["state", "brightness", "for", "transition", "State", "", "x"]
_VALUES: list[Any] = [
    None, True, False, -1, 0, 256, 3.5, -0.0, 1e400, "ON", "on ", "OFF!", "PRESS", "", [], {},
    "NaN", "255", [1], {"state": "ON"}, "\u00d8N",
]  # fmt: skip
_WORDS = ["ON", "OFF", "TOGGLE", "PRESS", "true", "1", "null", "{", "}", '"ON"']


def _candidate(rng: random.Random) -> bytes:
    kind = rng.randrange(4)
    if kind == 0:
        return rng.randbytes(rng.randrange(0, 48))
    if kind == 1:
        obj = {rng.choice(_KEYS): rng.choice(_VALUES) for _ in range(rng.randrange(0, 4))}
        text = json.dumps(obj)
        if rng.random() < 0.3 and text:  # break it somewhere
            cut = rng.randrange(len(text))
            text = text[:cut] + rng.choice(["", ",", "'", "\x00", "}}"]) + text[cut + 1 :]
        return text.encode()
    if kind == 2:
        word = rng.choice(_WORDS)
        noise = "".join(rng.choice(" \t\n_-xX0\u00a0") for _ in range(rng.randrange(1, 3)))
        return (noise + word if rng.random() < 0.5 else word + noise).encode()
    return bytes(rng.choice([0x00, 0xFF, 0xC3, 0x22, 0x7B]) for _ in range(rng.randrange(1, 9)))


def hostile_payloads(domain: str, count: int, seed: int) -> list[bytes]:
    """`count` payloads that `parse_command(domain, ...)` refuses."""
    rng = random.Random(f"{seed}-{domain}")
    found: list[bytes] = []
    while len(found) < count:
        payload = _candidate(rng)
        try:
            parse_command(domain, payload)
        except PayloadError:
            found.append(payload)
    return found


class Sync:
    """A round trip through the gateway: `<sentinel>/get` from the sender, the republished
    state seen by the probe. The broker keeps one client's messages in order, so after it
    everything the sender published before has been handled."""

    def __init__(self, sender: MqttProbe, probe: MqttProbe, base: str) -> None:
        self.sender, self.probe = sender, probe
        self.get = f"{base}/switch/sentinel/get"
        self.state = f"{base}/switch/sentinel/state"

    async def __call__(self) -> None:
        seen = len(self.probe.values(self.state))
        self.sender.client._client.publish(self.get, b"", 0)
        await self.probe.wait_until(lambda: len(self.probe.values(self.state)) > seen)


async def _publish_all(sync: Sync, topic: str, payloads: list[bytes]) -> None:
    """QoS 0 bursts through paho's non-blocking publish, each followed by a round trip (so
    the broker never has to queue, or drop, more than a burst)."""
    paho = sync.sender.client._client
    for start in range(0, len(payloads), WINDOW):
        for payload in payloads[start : start + WINDOW]:
            paho.publish(topic, payload, 0)
        await sync()


async def test_random_and_huge_payloads_change_nothing(
    real_gw: Gateway,
    mqtt_broker: Mosquitto,
    mqtt_probe_factory: Callable[..., Any],
    caplog: Any,
) -> None:
    gw = real_gw
    data = await setup_mqtt(gw, mqtt_config(mqtt_broker.port))
    switch, light, button = MemorySwitch("relay"), MemoryLight("strip"), MemoryButton("gate")
    sentinel = MemorySwitch("sentinel")
    await add_entities(gw, switch, light, button, sentinel)
    await wait_in_sync(data.connection)
    watched = ["switch.relay", "light.strip", "button.gate"]
    before = {entity_id: gw.states.get(entity_id) for entity_id in watched}
    base = data.node_base
    probe: MqttProbe = await mqtt_probe_factory(mqtt_broker.port)
    sender: MqttProbe = await mqtt_probe_factory(mqtt_broker.port)
    await probe.subscribe(f"{base}/switch/sentinel/state")
    await probe.wait_for_value(f"{base}/switch/sentinel/state", "OFF")
    sync = Sync(sender, probe, base)
    rss_before = await in_thread(read_rss_mb)

    for entity_id in watched:
        domain, object_id = entity_id.split(".")
        topic = f"{base}/{domain}/{object_id}/set"
        await _publish_all(sync, topic, hostile_payloads(domain, PER_TOPIC, SEED))
        await sender.publish(topic, b"\x00" * BIG)
        await sender.publish(f"{base}/{domain}/{object_id}/get", b"x" * BIG)
    # The same sender's next command is handled after everything it sent before.
    await sender.publish(f"{base}/switch/sentinel/set", "ON")
    await probe.wait_for_value(f"{base}/switch/sentinel/state", "ON")
    rss_after = await in_thread(read_rss_mb)

    stats = data.connection.async_stats()
    assert stats.received >= 3 * (PER_TOPIC + 2)
    assert stats.connected
    assert stats.reconnects == 0
    for entity_id in watched:
        assert gw.states.get(entity_id) is before[entity_id], f"{entity_id} changed"
    assert (switch.calls, light.calls, button.presses) == ([], [], 0)
    assert rss_after - rss_before < RSS_GROWTH_LIMIT_MB
    warnings = [r for r in caplog.records if "malformed command" in r.getMessage()]
    assert len(warnings) == 3  # once per entity per minute
    assert all(r.levelno == logging.WARNING for r in warnings)
    caplog.clear()
    figure(
        "10. hostile payloads",
        f"{PER_TOPIC:,} random invalid payloads on each of 3 command topics + 1 MB on each "
        f"set/get: 0 state changes; RSS {rss_before:.1f} → {rss_after:.1f} MB",
    )
