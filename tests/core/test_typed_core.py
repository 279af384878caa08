"""mypy checks event producers and listeners against the data their `EventType` carries, and
`gw.data` users against the type their `DataKey` carries."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from gateway.const import EVENT_GATEWAY_STOP, EVENT_STATE_CHANGED
from gateway.core import Event, Gateway, State, callback
from gateway.event_data import EventType, StateChangedData
from gateway.gateway_data import DataKey, GatewayData

SAMPLE = Path(__file__).parent / "data" / "typed_core_sample.py"
ROOT = Path(__file__).parents[2]


def test_mypy_reports_mismatched_events_and_data_keys() -> None:
    """The sample wires a state_changed listener to gateway_stop, fires state_changed with no
    state and stores the wrong thing in `gw.data`: mypy must flag exactly those lines."""
    # In a process of its own: mypy raises the recursion limit of the process it runs in.
    command = [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", str(SAMPLE)]
    stdout = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False).stdout
    reported = {int(n) for n in re.findall(r"typed_core_sample\.py:(\d+): error", stdout)}
    lines = SAMPLE.read_text().splitlines()
    expected = {
        number
        for number, line in enumerate(lines, 1)
        if line.endswith(")  # E:") or "  # E:" in line
    }
    assert expected
    assert reported == expected, stdout
    assert 'Revealed type is "gateway.core.State | None"' in stdout
    assert 'Revealed type is "gateway.mqtt.MqttData | None"' in stdout


async def test_event_names_stay_plain_strings_and_listeners_get_typed_data(gw: Gateway) -> None:
    seen: list[StateChangedData] = []

    @callback
    def on_change(event: Event[StateChangedData]) -> None:
        seen.append(event.data)

    gw.bus.async_listen(EVENT_STATE_CHANGED, on_change)
    gw.bus.async_listen(EventType("state_changed"), on_change)  # a name typed anew: same event
    gw.states.async_set("switch.a", "ON")
    assert EVENT_STATE_CHANGED == "state_changed"
    assert EVENT_GATEWAY_STOP == "gateway_stop"
    assert len(seen) == 2
    assert isinstance(seen[0]["new_state"], State)
    assert seen[0]["old_state"] is None


def test_gateway_data_keeps_values_under_typed_keys() -> None:
    data = GatewayData()
    key: DataKey[list[int]] = DataKey("numbers")
    assert data.get(key) is None
    numbers = data.setdefault(key, [1])
    assert data.setdefault(key, [2]) is numbers
    data[key].append(2)
    assert key in data
    assert data["numbers"] == [1, 2]  # type: ignore[index]  # a key is a plain string
    assert data.pop(key) == [1, 2]
    assert key not in data
