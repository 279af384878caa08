"""Debounce, clicks and interlocks on lines that are not gpiozero's (the `LineSource` seam an
expander plugs into), blocking ones included: inputs driven from a foreign thread, outputs
written in the executor, a fake clock."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.bootstrap import async_setup_gateway
from gateway.clock import FakeClock
from gateway.config import load_config
from gateway.core import Event, Gateway, callback
from gateway.domains.binary_sensor import EVENT_CLICK, ClickData
from gateway.loader import resolve_platform_schema
from hardware.sim.lines import SimulatedInput, SimulatedLines, SimulatedOutput
from tests.conftest import assert_stops_clean
from tests.helpers import in_thread

CONFIG = """\
gateway: {{node_id: sim, state_dir: {state}}}
binary_sensor:
  - {{platform: gpio, name: Button, pin: 3, delayed_on: 20ms, delayed_off: 20ms,
     clicks: {{long: false}}}}
switch:
  - {{platform: gpio, name: Up, pin: 4, interlock: [down], interlock_wait: 50ms}}
  - {{platform: gpio, name: Down, pin: 5, interlock: [up], interlock_wait: 50ms}}
"""


@pytest.fixture
async def board(tmp_path: Path, clock: FakeClock) -> AsyncIterator[tuple[Gateway, SimulatedLines]]:
    path = tmp_path / "boardgate.yaml"
    await in_thread(path.write_text, CONFIG.format(state=tmp_path / "state"))
    lines = SimulatedLines(blocking=True, name="expander")
    config = await in_thread(load_config, path, resolve_platform_schema)
    gw = await async_setup_gateway(config, clock=clock, gpio_lines=lines)
    try:
        yield gw, lines
    finally:
        await assert_stops_clean(gw)


async def test_clicks_and_interlocks_on_expander_like_lines(
    board: tuple[Gateway, SimulatedLines], clock: FakeClock
) -> None:
    gw, lines = board
    button = lines.lines[3]
    assert isinstance(button, SimulatedInput)
    clicks: list[str] = []

    @callback
    def record(event: Event[ClickData]) -> None:
        clicks.append(event.data["click"])

    gw.bus.async_listen(EVENT_CLICK, record)

    async def drive(level: bool, then: float) -> None:
        await in_thread(button.drive, level, name="expander-int")
        await gw.async_block_till_done()
        clock.advance(then)
        await gw.async_block_till_done()

    await drive(True, 0.005)  # a bounce
    await drive(False, 0.05)
    assert gw.states.get("binary_sensor.button").state == "OFF"  # type: ignore[union-attr]
    for _ in range(2):  # a double click
        await drive(True, 0.05)
        await drive(False, 0.05)
    await drive(True, 0.05)  # then a single
    await drive(False, 0.5)
    assert clicks == ["double", "single"]
    assert gw.states.get("event.button").attributes["event_type"] == "single"  # type: ignore[union-attr]

    up, down = lines.lines[4], lines.lines[5]
    assert isinstance(up, SimulatedOutput)
    assert isinstance(down, SimulatedOutput)
    await gw.services.async_call("switch", "turn_on", {"entity_id": "switch.up"})
    task = asyncio.create_task(
        gw.services.async_call("switch", "turn_on", {"entity_id": "switch.down"})
    )
    await gw.async_block_till_done()
    clock.advance(0.05)
    await task
    assert (up.level, down.level) == (False, True)
    assert [level for level, _ in up.writes][-2:] == [True, False]
    loop_thread = threading.current_thread().name
    assert all(thread != loop_thread for _, thread in up.writes + down.writes)  # the executor
