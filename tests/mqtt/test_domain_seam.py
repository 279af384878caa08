"""A domain is described in one place: two throwaway domains, each declared only by its spec.

`test_counter` takes commands and has a retained state; `test_event` takes no commands and
publishes a stream of events on `<e>/event` (not retained), the shape of the coming `event`
domain. Nothing outside this file knows them: registering the spec is all it takes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import voluptuous as vol

from gateway.core import Gateway, State
from gateway.domains import wire
from gateway.domains.registry import parse_command, register_domain
from gateway.domains.spec import (
    Command,
    CommandInput,
    DomainSpec,
    EntityService,
    PayloadError,
    StateOutput,
)
from gateway.entity import Entity
from gateway.mqtt.publishers.discovery_payloads import (
    DiscoveryEntity,
    DiscoveryNode,
    build_device_config,
)
from tests.broker import Mosquitto
from tests.fixtures_mqtt import MqttProbe

from .conftest import mqtt_config, setup_mqtt, wait_in_sync
from .entities import add_entities

ProbeFactory = Callable[..., Any]


class Counter(Entity):
    """Counts up by the amount each `increment` asks for."""

    _attr_should_poll = False

    def __init__(self, object_id: str) -> None:
        self.entity_id = f"test_counter.{object_id}"
        self._attr_name = object_id
        self.count = 0

    @property
    def state(self) -> str | None:
        return str(self.count)

    async def async_service_increment(self, by: int = 1) -> None:
        self.count += by


def parse_counter_command(payload: bytes) -> Command:
    text = wire.text(payload)
    if text.upper() == "INC":
        return Command("increment")
    try:
        return Command("increment", {"by": int(text)})
    except ValueError:
        raise PayloadError(f"unknown command {text[:40]!r}") from None


COUNTER = DomainSpec(
    name="test_counter",
    services={
        "increment": EntityService(
            {vol.Optional("by"): vol.Coerce(int)}, Counter.async_service_increment
        )
    },
    commands=CommandInput(parse_counter_command, "INC or a whole number"),
    state=StateOutput(wire.encode_plain_state),
    discovery=lambda _entity: {"icon": "mdi:counter"},
)


class Doorbell(Entity):
    """Fires events; its state is the number of the last event, its type an attribute."""

    _attr_should_poll = False

    def __init__(self, object_id: str) -> None:
        self.entity_id = f"test_event.{object_id}"
        self._attr_name = object_id
        self.fired = 0
        self.last_type: str | None = None

    @property
    def state(self) -> str | None:
        return str(self.fired) if self.fired else None

    @property
    def state_attributes(self) -> dict[str, Any]:
        return {"event_type": self.last_type}

    def fire(self, event_type: str) -> None:
        self.fired += 1
        self.last_type = event_type
        self.async_write_state()


def encode_event(state: State) -> bytes | None:
    event_type = state.attributes.get("event_type")
    return None if event_type is None else wire.dumps({"event_type": event_type})


EVENT = DomainSpec(
    name="test_event",
    services={},
    commands=None,
    state=StateOutput(encode_event, suffix="event", retained=False),
    discovery=lambda _entity: {"event_types": ["ring", "knock"]},
)


@pytest.fixture
def test_domains() -> Iterator[None]:
    undo = [register_domain(COUNTER), register_domain(EVENT)]
    yield
    for unregister in undo:
        unregister()


async def test_a_domain_with_commands_works_from_its_spec_alone(
    test_domains: None,
    real_gw: Gateway,
    mqtt_broker: Mosquitto,
    mqtt_probe_factory: ProbeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    data = await setup_mqtt(real_gw, mqtt_config(mqtt_broker.port))
    counter = Counter("clicks")
    await add_entities(real_gw, counter)
    await wait_in_sync(data.connection)
    probe: MqttProbe = await mqtt_probe_factory(mqtt_broker.port)
    topic = f"{data.node_base}/test_counter/clicks"
    await probe.subscribe(f"{topic}/#")
    await probe.wait_for_value(f"{topic}/state", "0")

    await probe.publish(f"{topic}/set", "inc")
    await probe.wait_for_value(f"{topic}/state", "1")
    await probe.publish(f"{topic}/set", "5")
    await probe.wait_for_value(f"{topic}/state", "6")
    await real_gw.services.async_call(
        "test_counter", "increment", {"entity_id": counter.entity_id, "by": "2"}
    )
    await probe.wait_for_value(f"{topic}/state", "8")
    await probe.publish(f"{topic}/set", "twice")
    await probe.publish(f"{topic}/set", "INC")
    await probe.wait_for_value(f"{topic}/state", "9")
    warnings = [r.getMessage() for r in caplog.records if "malformed" in r.getMessage()]
    assert len(warnings) == 1
    assert "accepted: INC or a whole number" in warnings[0]


async def test_an_event_domain_publishes_each_event_once_not_retained(
    test_domains: None,
    real_gw: Gateway,
    mqtt_broker: Mosquitto,
    mqtt_probe_factory: ProbeFactory,
) -> None:
    data = await setup_mqtt(real_gw, mqtt_config(mqtt_broker.port))
    bell = Doorbell("bell")
    await add_entities(real_gw, bell)
    await wait_in_sync(data.connection)
    probe: MqttProbe = await mqtt_probe_factory(mqtt_broker.port)
    topic = f"{data.node_base}/test_event/bell"
    await probe.subscribe(f"{topic}/#")
    await probe.wait_for_value(f"{topic}/availability", "online")

    for event_type in ("ring", "ring", "knock"):
        bell.fire(event_type)
    await probe.wait_until(lambda: len(probe.values(f"{topic}/event")) == 3, what="3 events")
    events = [json.loads(payload) for payload in probe.values(f"{topic}/event")]
    assert events == [{"event_type": "ring"}, {"event_type": "ring"}, {"event_type": "knock"}]

    # `<e>/get` republishes the state topics, but an event happens once.
    attributes_seen = len(probe.values(f"{topic}/attributes"))
    await probe.publish(f"{topic}/get", "")
    await probe.wait_until(
        lambda: len(probe.values(f"{topic}/attributes")) > attributes_seen, what="republish"
    )
    assert len(probe.values(f"{topic}/event")) == 3

    # Not retained: a late subscriber gets the retained topics, and no event. Its own message
    # comes after every retained one the broker queued at its subscribe.
    late: MqttProbe = await mqtt_probe_factory(mqtt_broker.port)
    await late.subscribe(f"{topic}/#")
    await late.publish(f"{topic}/sentinel", "end")
    await late.wait_for_value(f"{topic}/sentinel", "end")
    assert late.latest[f"{topic}/attributes"] == b'{"event_type":"knock"}'
    assert f"{topic}/event" not in late.latest

    # No `<e>/set`: the domain takes no commands.
    with pytest.raises(PayloadError, match="take no commands"):
        parse_command("test_event", b"ring")


def test_discovery_components_come_from_the_specs(test_domains: None) -> None:
    node = DiscoveryNode("garage-pi", "Garage", "boardgate/garage-pi")
    entities = [
        DiscoveryEntity("test_counter", "clicks", "Clicks"),
        DiscoveryEntity("test_event", "bell", "Bell"),
    ]
    components = build_device_config(node, entities)["cmps"]
    counter = components["garage-pi_test_counter_clicks"]
    assert counter["state_topic"] == "boardgate/garage-pi/test_counter/clicks/state"
    assert counter["command_topic"] == "boardgate/garage-pi/test_counter/clicks/set"
    assert counter["icon"] == "mdi:counter"
    bell = components["garage-pi_test_event_bell"]
    assert bell["p"] == "test_event"
    assert bell["state_topic"] == "boardgate/garage-pi/test_event/bell/event"
    assert bell["event_types"] == ["ring", "knock"]
    assert "command_topic" not in bell
