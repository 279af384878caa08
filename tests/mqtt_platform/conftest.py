"""Fixtures for the MQTT platforms: a gateway on a fake clock with MQTT set up against the
session broker (the first connection needs no timer, so the fake clock is fine), helpers to
set up `platform: mqtt` entities from raw config, and a waiter for entity states."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest

from gateway.config.model import PlatformEntry
from gateway.const import EVENT_STATE_CHANGED
from gateway.core import Event, Gateway, State, callback
from gateway.domains import async_setup_domain
from gateway.domains.registry import DOMAIN_SPECS
from gateway.entity_component import EntityComponent
from gateway.loader import resolve_platform_schema
from gateway.mqtt import MqttData
from tests.broker import Mosquitto
from tests.fixtures_mqtt import MqttProbe
from tests.helpers import Waiters
from tests.mqtt.conftest import mqtt_config, setup_mqtt, unique, wait_in_sync

__all__ = ["StateWaiter", "entry", "setup_entities", "state_of", "unique"]

WAIT_TIMEOUT = 20.0


@pytest.fixture
async def mqtt_data(gw: Gateway, mqtt_broker: Mosquitto) -> MqttData:
    """MQTT set up on `gw` (fake clock) and in sync with the session broker."""
    data = await setup_mqtt(gw, mqtt_config(mqtt_broker.port))
    await wait_in_sync(data.connection)
    return data


@pytest.fixture
async def probe(mqtt_broker: Mosquitto, mqtt_probe_factory: Callable[..., Any]) -> MqttProbe:
    """A test-side client playing the remote devices."""
    made: MqttProbe = await mqtt_probe_factory(mqtt_broker.port)
    return made


@pytest.fixture
def topic() -> str:
    """A topic prefix of the test's own on the shared broker."""
    return unique("dev")


def entry(domain: str, raw: Mapping[str, Any]) -> PlatformEntry:
    """Validate one config item with the platform's own schema."""
    config = resolve_platform_schema(domain, "mqtt")({"platform": "mqtt", **raw})
    return PlatformEntry(domain, "mqtt", config, f"test.yaml:{config.id}")


async def setup_entities(gw: Gateway, domain: str, *raws: Mapping[str, Any]) -> EntityComponent:
    """Set up the domain with these `platform: mqtt` entries (as bootstrap would)."""
    return await async_setup_domain(gw, DOMAIN_SPECS[domain], [entry(domain, raw) for raw in raws])


def state_of(gw: Gateway, entity_id: str) -> State:
    state = gw.states.get(entity_id)
    assert state is not None, f"{entity_id} has no state"
    return state


class StateWaiter:
    """Waits for an entity's state to satisfy a condition, re-checked on every change."""

    def __init__(self, gw: Gateway) -> None:
        self._gw = gw
        self._waiters = Waiters()
        self.changes: list[State] = []
        self._remove = gw.bus.async_listen(EVENT_STATE_CHANGED, self._changed)

    @callback
    def _changed(self, event: Event) -> None:
        if event.data["new_state"] is not None:
            self.changes.append(event.data["new_state"])
        self._waiters.check()

    def values(self, entity_id: str) -> list[str]:
        return [state.state for state in self.changes if state.entity_id == entity_id]

    async def wait(
        self, entity_id: str, value: str, attributes: Mapping[str, Any] | None = None
    ) -> State:
        """Wait until the entity's state is `value` (with these attributes, if given)."""

        def holds() -> bool:
            state = self._gw.states.get(entity_id)
            if state is None or state.state != value:
                return False
            return attributes is None or all(
                state.attributes.get(key) == expected for key, expected in attributes.items()
            )

        try:
            await self._waiters.wait(
                holds, f"{entity_id} = {value!r} {attributes or ''}", WAIT_TIMEOUT
            )
        except AssertionError as exc:
            raise AssertionError(f"{exc}; it is {self._gw.states.get(entity_id)}") from None
        return state_of(self._gw, entity_id)


@pytest.fixture
def waiter(gw: Gateway) -> StateWaiter:
    return StateWaiter(gw)
