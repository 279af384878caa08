"""mypy checks event producers and consumers against the data their `EventType` carries."""

from __future__ import annotations

import re
from pathlib import Path

from mypy import api

from gateway.const import EVENT_GATEWAY_STOP, EVENT_STATE_CHANGED
from gateway.core import Event, Gateway, State, callback
from gateway.event_data import EventType, StateChangedData

SAMPLE = Path(__file__).parent / "data" / "typed_events_sample.py"
ROOT = Path(__file__).parents[2]


def test_mypy_reports_mismatched_listeners_and_data_and_types_event_data() -> None:
    """The sample wires a state_changed listener to gateway_stop and fires state_changed with
    no state: mypy must flag exactly those lines (and read `new_state` as `State | None`)."""
    stdout, _stderr, _status = api.run(
        ["--strict", "--cache-dir", str(ROOT / ".mypy_cache"), "--no-error-summary", str(SAMPLE)]
    )
    reported = {int(n) for n in re.findall(r"typed_events_sample\.py:(\d+): error", stdout)}
    lines = SAMPLE.read_text().splitlines()
    expected = {
        number
        for number, line in enumerate(lines, 1)
        if line.endswith(")  # E:") or "  # E:" in line
    }
    assert expected
    assert reported == expected, stdout
    assert 'Revealed type is "gateway.core.State | None"' in stdout


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
