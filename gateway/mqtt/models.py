"""Small value types shared by the MQTT modules."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MqttStats", "PublishMessage", "ReceiveMessage"]


@dataclass(frozen=True, slots=True)
class ReceiveMessage:
    """A message from the broker, as handed to subscription callbacks."""

    topic: str
    payload: bytes
    qos: int
    retain: bool


@dataclass(frozen=True, slots=True)
class PublishMessage:
    """A message waiting to be published."""

    topic: str
    payload: bytes
    qos: int
    retain: bool


@dataclass(frozen=True, slots=True)
class MqttStats:
    """Counters for the health topic (`<b>/bridge/health`, key `mqtt`).

    `reconnects` counts connections after the first; `published` messages handed to the
    client; `received` messages from the broker; `dropped` outbox overflows; `queued`
    messages waiting for a connection; `attempts` connection attempts, successful or not;
    `broker` the broker in use (`host:port`, None while disconnected); `failovers` connections
    made to another broker than the one before (`mqtt.host` as a list).
    """

    connected: bool
    reconnects: int
    published: int
    received: int
    dropped: int
    queued: int
    attempts: int = 0
    broker: str | None = None
    failovers: int = 0
