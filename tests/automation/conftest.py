"""Fixtures for the automation suite: a fake MQTT link, virtual outputs, and a set-up helper
that validates automations from YAML text exactly as the config loader does."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import yaml

from gateway.automation import async_setup
from gateway.automation.component import AutomationComponent
from gateway.automation.config import AutomationConfig, validate_automation
from gateway.automation.mqtt_link import MqttMessage
from gateway.core import Gateway, callback
from gateway.domains import async_setup_domain
from gateway.domains.switch import SPEC as SWITCH
from gateway.mqtt.subscriptions import SubscriptionIndex
from platforms.virtual.switch import VirtualSwitch, VirtualSwitchConfig


@dataclass(frozen=True)
class FakeMessage:
    topic: str
    payload: bytes


@dataclass
class FakeMqtt:
    """The link's contract without a broker: wildcard matching, publishes recorded."""

    index: SubscriptionIndex[Callable[[MqttMessage], Any]] = field(
        default_factory=SubscriptionIndex
    )
    published: list[tuple[str, str, int | None, bool | None]] = field(default_factory=list)
    subscriptions: int = 0

    def async_subscribe(
        self, topic_filter: str, msg_callback: Callable[[MqttMessage], Any]
    ) -> Callable[[], None]:
        self.index.add(topic_filter, msg_callback)
        self.subscriptions += 1

        @callback
        def remove() -> None:
            self.index.remove(topic_filter, msg_callback)
            self.subscriptions -= 1

        return remove

    def async_publish(self, topic: str, payload: str, qos: int | None, retain: bool | None) -> None:
        self.published.append((topic, payload, qos, retain))

    def receive(self, topic: str, payload: str | bytes) -> None:
        """A message from the 'broker' (callbacks are @callbacks: they run now)."""
        data = payload.encode() if isinstance(payload, str) else payload
        for msg_callback in list(self.index.match(topic)):
            msg_callback(FakeMessage(topic, data))


@pytest.fixture
def fake_mqtt() -> FakeMqtt:
    return FakeMqtt()


class _Yaml12Loader(yaml.SafeLoader):
    """Like the config loader: only true/false are booleans (`to: ON` stays a string)."""


_BOOL = "tag:yaml.org,2002:bool"
_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|false)$"), list("tf"))


def parse(text: str) -> list[AutomationConfig]:
    """Automations from YAML text (a list of items), validated as `check-config` would."""
    items = yaml.load(text, Loader=_Yaml12Loader)  # a SafeLoader subclass
    return [validate_automation(item) for item in items]


SetUp = Callable[[str], Awaitable[AutomationComponent]]


@pytest.fixture
def automations(gw: Gateway, fake_mqtt: FakeMqtt) -> SetUp:
    """`await automations(yaml_text)` sets up those automations on the fake link."""

    async def set_up(text: str) -> AutomationComponent:
        return await async_setup(gw, parse(text), fake_mqtt)

    return set_up


@pytest.fixture
async def relays(gw: Gateway) -> list[VirtualSwitch]:
    """Virtual switches `switch.relay_1` and `switch.relay_2`, off, with the real services."""
    component = await async_setup_domain(gw, SWITCH, [])
    switches = [
        VirtualSwitch(VirtualSwitchConfig(platform="virtual", name=f"Relay {n}", id=f"relay_{n}"))
        for n in (1, 2)
    ]
    await component.get_platform("virtual").async_add_entities(switches)
    return switches


class ServiceLog:
    """A `test.record` service that records its calls; `test.fail` raises."""

    def __init__(self, gw: Gateway) -> None:
        self.calls: list[dict[str, Any]] = []
        gw.services.async_register("test", "record", self._record)
        gw.services.async_register("test", "fail", self._fail)

    @callback
    def _record(self, call: Any) -> None:
        self.calls.append(dict(call.data))

    @callback
    def _fail(self, call: Any) -> None:
        raise RuntimeError("boom")

    @property
    def tags(self) -> list[Any]:
        return [call.get("tag") for call in self.calls]


@pytest.fixture
def service_log(gw: Gateway) -> ServiceLog:
    return ServiceLog(gw)
