"""The `event` domain: things that happen rather than states (a button's double click).

No services and no `<e>/set`. Each event goes out once on `<e>/event` as
`{"event_type": "double"}`, not retained and never replayed (a connect or an `<e>/get` does not
repeat it). The entity's state is the time of the last event (as in Home Assistant), so every
event is a state change. Discovery announces an `event` component with its `event_types`, plus
one `device_automation` trigger per click pattern, so Home Assistant lists the triggers before
the first press.

Event entities are not configured on their own: an input with `clicks:` brings one along
(`Entity.companions`), with the same id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from ..const import STATE_UNAVAILABLE, STATE_UNKNOWN
from ..core import Gateway, callback
from ..entity import Entity
from . import async_setup_domain, wire
from .spec import DomainSpec, StateOutput

if TYPE_CHECKING:
    from ..config.model import PlatformEntry
    from ..core import State
    from ..mqtt.publishers.discovery_payloads import DiscoveryEntity

DOMAIN = "event"
__all__ = ["DOMAIN", "SPEC", "TRIGGER_TYPES", "EventEntity", "async_setup", "encode_event"]

# Home Assistant's device trigger types for the click patterns.
TRIGGER_TYPES: Final[Mapping[str, str]] = {
    "single": "button_short_press",
    "double": "button_double_press",
    "long": "button_long_press",
}


class EventEntity(Entity):
    """Reports events of `event_types`; `async_trigger` publishes one."""

    _attr_should_poll = False
    _attr_event_types: tuple[str, ...] = ()
    _last_type: str | None = None
    _last_at: datetime | None = None

    @property
    def event_types(self) -> tuple[str, ...]:
        return self._attr_event_types

    @property
    def state(self) -> str | None:
        return None if self._last_at is None else self._last_at.isoformat(timespec="microseconds")

    @property
    def state_attributes(self) -> dict[str, Any]:
        return {"event_types": list(self.event_types), "event_type": self._last_type}

    @callback
    def async_trigger(self, event_type: str) -> None:
        """One event now: a new state (a later time than the last, even within a microsecond)."""
        if event_type not in self.event_types:
            raise ValueError(f"{self.entity_id} has no event type {event_type!r}")
        now = datetime.now(UTC)
        if self._last_at is not None and now <= self._last_at:
            now = self._last_at + timedelta(microseconds=1)
        self._last_at, self._last_type = now, event_type
        self.async_write_state()


def encode_event(state: State) -> bytes | None:
    """`{"event_type": ...}` of the last event; nothing while there was none."""
    event_type = state.attributes.get("event_type")
    if state.state in (STATE_UNKNOWN, STATE_UNAVAILABLE) or event_type is None:
        return None
    return wire.dumps({"event_type": event_type})


def _discovery(entity: DiscoveryEntity) -> dict[str, Any]:
    return {"event_types": list(entity.event_types)}


def device_triggers(entity: DiscoveryEntity, topic: str) -> dict[str, dict[str, Any]]:
    """One Home Assistant `device_automation` trigger per click pattern, by id suffix."""
    return {
        event_type: {
            "p": "device_automation",
            "automation_type": "trigger",
            "type": TRIGGER_TYPES[event_type],
            "subtype": entity.name,
            "topic": topic,
            "payload": wire.dumps({"event_type": event_type}).decode(),
            "qos": 1,
        }
        for event_type in entity.event_types
        if event_type in TRIGGER_TYPES
    }


SPEC = DomainSpec(
    name=DOMAIN,
    services={},
    commands=None,
    state=StateOutput(encode_event, suffix="event", retained=False),
    discovery=_discovery,
    discovery_extras=device_triggers,
    configured=False,
)


async def async_setup(gw: Gateway, entries: Sequence[PlatformEntry]) -> None:
    await async_setup_domain(gw, SPEC, entries)
