"""Fed to mypy by test_typed_core.py: lines marked `# E:` must be reported."""

from typing import reveal_type

from gateway.const import EVENT_GATEWAY_STOP, EVENT_STATE_CHANGED
from gateway.core import Event, Gateway, callback
from gateway.event_data import NoEventData, StateChangedData
from gateway.mqtt import DATA_MQTT


@callback
def on_change(event: Event[StateChangedData]) -> None:
    new = event.data["new_state"]
    reveal_type(new)


def wire(gw: Gateway) -> None:
    gw.bus.async_listen(EVENT_STATE_CHANGED, on_change)
    gw.bus.async_listen(EVENT_GATEWAY_STOP, on_change)  # E: a stop carries no state
    nothing: NoEventData = {}
    gw.bus.async_fire(EVENT_STATE_CHANGED, nothing)  # E: state_changed needs its data
    gw.bus.async_fire(EVENT_STATE_CHANGED)  # E: state_changed needs its data
    gw.bus.async_fire(EVENT_GATEWAY_STOP)


def keep(gw: Gateway) -> None:
    mqtt_data = gw.data.get(DATA_MQTT)
    reveal_type(mqtt_data)
    gw.data[DATA_MQTT] = "not the mqtt data"  # E: a key says what its value is
    gw.data["mqtt"] = None  # E: only typed keys
