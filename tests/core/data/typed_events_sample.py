"""Fed to mypy by test_event_types.py: lines marked `# E:` must be reported."""

from typing import reveal_type

from gateway.const import EVENT_GATEWAY_STOP, EVENT_STATE_CHANGED
from gateway.core import Event, Gateway, callback
from gateway.event_data import NoEventData, StateChangedData


@callback
def on_change(event: Event[StateChangedData]) -> None:
    new = event.data["new_state"]
    reveal_type(new)


def wire(gw: Gateway) -> None:
    gw.bus.async_listen(EVENT_STATE_CHANGED, on_change)
    gw.bus.async_listen(EVENT_GATEWAY_STOP, on_change)  # E: a stop carries no state
    nothing: NoEventData = {}
    gw.bus.async_fire(EVENT_STATE_CHANGED, nothing)  # E: state_changed needs its data
