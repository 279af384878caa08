"""The seam between automations and MQTT: the only module here that knows `gateway.mqtt`.

Triggers subscribe and actions publish through an `MqttLink`, passed in at set-up. The real
one forwards to `gateway.mqtt`, whose publish follows the outbound queue rules while the broker
is away (retained messages coalesce per topic, others wait in a bounded FIFO); tests pass a
fake that delivers messages directly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from .. import mqtt
from ..core import Gateway

__all__ = ["GatewayMqttLink", "MqttLink", "MqttMessage"]


class MqttMessage(Protocol):
    """What a subscription callback receives."""

    @property
    def topic(self) -> str: ...

    @property
    def payload(self) -> bytes: ...


class MqttLink(Protocol):
    """Subscribe and publish, from the loop only."""

    def async_subscribe(
        self, topic_filter: str, msg_callback: Callable[[MqttMessage], Any]
    ) -> Callable[[], None]:
        """Call `msg_callback(message)` (a `@callback`) per message; returns an unsubscriber.

        Raises GatewayError when MQTT is not set up, ValueError for an invalid filter.
        """
        ...

    def async_publish(self, topic: str, payload: str, qos: int | None, retain: bool | None) -> None:
        """Publish without waiting; None means the `mqtt:` section's default."""
        ...


class GatewayMqttLink:
    """The real link: `gateway.mqtt.async_subscribe` and `async_publish`."""

    def __init__(self, gw: Gateway) -> None:
        self._gw = gw

    def async_subscribe(
        self, topic_filter: str, msg_callback: Callable[[MqttMessage], Any]
    ) -> Callable[[], None]:
        return mqtt.async_subscribe(self._gw, topic_filter, msg_callback)

    def async_publish(self, topic: str, payload: str, qos: int | None, retain: bool | None) -> None:
        mqtt.async_publish(self._gw, topic, payload, qos, retain)
