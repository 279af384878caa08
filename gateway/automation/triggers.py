"""Attaching triggers: each one listens with `@callback`s and calls the action when it fires.

`async_attach_trigger` returns a remover that also cancels any pending `for` timer. Timers go
through the gateway's clock (`async_call_later`, `async_track_time_interval`), so tests drive
them with a `FakeClock`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..core import Event, Gateway, State, callback
from ..event import async_call_later, async_track_state_change, async_track_time_interval
from ..event_data import EventType
from .conditions import numeric_value
from .mqtt_link import MqttLink, MqttMessage
from .trigger_config import (
    EventTrigger,
    IntervalTrigger,
    MqttTrigger,
    NumericStateTrigger,
    StateTrigger,
    Trigger,
)

__all__ = ["TriggerAction", "TriggerData", "async_attach_trigger", "describe_trigger"]

Remover = Callable[[], None]


@dataclass(frozen=True, slots=True)
class TriggerData:
    """What fired: `description` for humans, the rest for whoever needs the details."""

    platform: str
    description: str
    entity_id: str | None = None
    from_state: State | None = None
    to_state: State | None = None
    topic: str | None = None
    payload: bytes | None = None
    event: Event | None = None


TriggerAction = Callable[[TriggerData], None]
"""A `@callback` run when a trigger fires."""


def describe_trigger(trigger: Trigger) -> str:
    if isinstance(trigger, StateTrigger | NumericStateTrigger):
        return f"{trigger.platform} of {', '.join(trigger.entity_ids)}"
    if isinstance(trigger, MqttTrigger):
        return f"mqtt message on {trigger.topic}"
    if isinstance(trigger, IntervalTrigger):
        return f"interval of {trigger.seconds:g} s"
    return f"event {trigger.event_type}"


@callback
def async_attach_trigger(
    gw: Gateway, link: MqttLink, trigger: Trigger, action: TriggerAction
) -> Remover:
    """Start listening; an mqtt trigger raises GatewayError when MQTT is not set up."""
    if isinstance(trigger, StateTrigger):
        return _StateWatch(gw, trigger, action).remove
    if isinstance(trigger, NumericStateTrigger):
        return _NumericWatch(gw, trigger, action).remove
    if isinstance(trigger, MqttTrigger):
        return _attach_mqtt(link, trigger, action)
    if isinstance(trigger, IntervalTrigger):
        return _attach_interval(gw, trigger, action)
    return _attach_event(gw, trigger, action)


class _Watch:
    """State tracking shared by `state` and `numeric_state`: the optional `for` timers."""

    def __init__(
        self,
        gw: Gateway,
        entity_ids: tuple[str, ...],
        for_seconds: float | None,
        action: TriggerAction,
    ) -> None:
        self._gw = gw
        self._for = for_seconds
        self._action = action
        self._timers: dict[str, Remover] = {}
        self._matched: dict[str, State] = {}  # the state each pending `for` timer waits on
        self._stop_tracking = async_track_state_change(gw, entity_ids, self._async_changed)

    def matches(self, old: State | None, new: State) -> bool:
        """Whether this change fires the trigger (a transition into the wanted state)."""
        raise NotImplementedError

    def holds(self, new: State, matched: State) -> bool:
        """Whether, during `for`, the state `new` still counts as the one `matched`."""
        raise NotImplementedError

    def data(self, entity_id: str, old: State | None, new: State) -> TriggerData:
        raise NotImplementedError

    @callback
    def _async_changed(self, entity_id: str, old: State | None, new: State | None) -> None:
        pending = entity_id in self._timers
        if pending and (new is None or not self.holds(new, self._matched[entity_id])):
            self._timers.pop(entity_id)()
            del self._matched[entity_id]
            pending = False
        if new is None or old is None or pending or not self.matches(old, new):
            return  # an entity appearing (old None) is no change; removal (new None) neither
        if not self._for:
            self._action(self.data(entity_id, old, new))
            return
        self._matched[entity_id] = new

        @callback
        def held(_now: float) -> None:
            self._timers.pop(entity_id, None)
            self._matched.pop(entity_id, None)
            current = self._gw.states.get(entity_id)
            if current is not None and self.holds(current, new):
                self._action(self.data(entity_id, old, current))

        self._timers[entity_id] = async_call_later(self._gw, self._for, held)

    @callback
    def remove(self) -> None:
        self._stop_tracking()
        for cancel in self._timers.values():
            cancel()
        self._timers.clear()
        self._matched.clear()


class _StateWatch(_Watch):
    def __init__(self, gw: Gateway, trigger: StateTrigger, action: TriggerAction) -> None:
        self._trigger = trigger
        super().__init__(gw, trigger.entity_ids, trigger.for_seconds, action)

    def matches(self, old: State | None, new: State) -> bool:
        if old is not None and old.state == new.state:
            return False  # attributes only
        wanted_from, wanted_to = self._trigger.from_states, self._trigger.to_states
        if wanted_from is not None and (old is None or old.state not in wanted_from):
            return False
        return wanted_to is None or new.state in wanted_to

    def holds(self, new: State, matched: State) -> bool:
        return new.state == matched.state

    def data(self, entity_id: str, old: State | None, new: State) -> TriggerData:
        before = old.state if old is not None else None
        return TriggerData(
            "state", f"state of {entity_id} from {before} to {new.state}", entity_id, old, new
        )


class _NumericWatch(_Watch):
    def __init__(self, gw: Gateway, trigger: NumericStateTrigger, action: TriggerAction) -> None:
        self._trigger = trigger
        super().__init__(gw, trigger.entity_ids, trigger.for_seconds, action)

    def _in_range(self, state: State | None) -> bool:
        if state is None:
            return False
        value = numeric_value(state, self._trigger.attribute)
        if value is None:
            return False
        above, below = self._trigger.above, self._trigger.below
        return (above is None or value > above) and (below is None or value < below)

    def matches(self, old: State | None, new: State) -> bool:
        return self._in_range(new) and not self._in_range(old)

    def holds(self, new: State, matched: State) -> bool:
        return self._in_range(new)

    def data(self, entity_id: str, old: State | None, new: State) -> TriggerData:
        value = numeric_value(new, self._trigger.attribute)
        return TriggerData(
            "numeric_state", f"numeric state of {entity_id} at {value:g}", entity_id, old, new
        )


def _attach_mqtt(link: MqttLink, trigger: MqttTrigger, action: TriggerAction) -> Remover:
    wanted = trigger.payload.encode() if trigger.payload is not None else None

    @callback
    def received(message: MqttMessage) -> None:
        if wanted is not None and message.payload != wanted:
            return
        action(
            TriggerData(
                "mqtt",
                f"mqtt message on {message.topic}",
                topic=message.topic,
                payload=message.payload,
            )
        )

    return link.async_subscribe(trigger.topic, received)


def _attach_interval(gw: Gateway, trigger: IntervalTrigger, action: TriggerAction) -> Remover:
    description = f"interval of {trigger.seconds:g} s"

    @callback
    def tick(_now: float) -> None:
        action(TriggerData("interval", description))

    return async_track_time_interval(gw, tick, trigger.seconds, name=description)


def _attach_event(gw: Gateway, trigger: EventTrigger, action: TriggerAction) -> Remover:
    wanted = trigger.event_data

    @callback
    def fired(event: Event) -> None:
        if _contains(event.data, wanted):
            action(TriggerData("event", f"event {event.event_type}", event=event))

    return gw.bus.async_listen(EventType[Mapping[str, Any]](trigger.event_type), fired)


def _contains(data: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    """Whether `data` has every key of `wanted` with an equal value (nested mappings too)."""
    for key, value in wanted.items():
        if key not in data:
            return False
        actual = data[key]
        if isinstance(value, Mapping) and isinstance(actual, Mapping):
            if not _contains(actual, value):
                return False
        elif isinstance(actual, bool) != isinstance(value, bool) or actual != value:
            return False
    return True
