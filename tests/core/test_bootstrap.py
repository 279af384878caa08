"""A config with entities loads, runs, polls and stops cleanly (in-process, fake clock)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.bootstrap import async_setup_gateway
from gateway.clock import FakeClock
from gateway.config import load_config
from gateway.core import CoreState
from gateway.loader import resolve_platform_schema
from tests.broker import free_port
from tests.conftest import assert_stops_clean
from tests.helpers import in_thread, modules_loaded_by

CONFIG = """\
gateway: {{node_id: bench, state_dir: {state}}}
switch:
  - {{platform: virtual, name: Relay 1, initial: "on"}}
binary_sensor:
  - {{platform: virtual, name: Door, device_class: door}}
light:
  - {{platform: virtual, name: Strip}}
button:
  - {{platform: virtual, name: Gate}}
sensor:
  - {{platform: system, type: load, name: Load, scan_interval: 10, proc_root: {proc}}}
  - {{platform: system, type: memory, name: Memory, scan_interval: 30, proc_root: {proc}}}
  - {{platform: system, type: cpu_temperature, name: CPU, sys_root: {tmp}/nosys}}
"""


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    proc = tmp_path / "proc"
    proc.mkdir()
    (proc / "loadavg").write_text("0.50 0.40 0.30 1/100 4242\n")
    (proc / "meminfo").write_text("MemTotal: 1000 kB\nMemFree: 100 kB\nMemAvailable: 250 kB\n")
    path = tmp_path / "boardgate.yaml"
    path.write_text(CONFIG.format(state=tmp_path / "state", proc=proc, tmp=tmp_path))
    return path


async def test_config_loads_runs_polls_and_stops(
    config_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    config = await in_thread(load_config, config_path, resolve_platform_schema)
    gw = await async_setup_gateway(config, clock=clock)
    try:
        assert gw.state is CoreState.RUNNING
        states = {state.entity_id: state.state for state in gw.states.async_all()}
        assert states == {
            "switch.relay_1": "ON",
            "binary_sensor.door": "OFF",
            "light.strip": "OFF",
            "button.gate": "unknown",
            "sensor.load": "0.50",
            "sensor.memory": "75.00",
            "sensor.cpu": "unavailable",  # no thermal zone in the fake tree
        }
        load_file = config_path.parent / "proc" / "loadavg"
        await gw.async_add_executor_job(load_file.write_text, "1.25 0.4 0.3 1/100 1\n")
        clock.advance(10)
        await gw.async_block_till_done()
        assert gw.states.get("sensor.load").state == "1.25"  # type: ignore[union-attr]
        assert gw.states.get("sensor.load").attributes["load_5m"] == 0.4  # type: ignore[union-attr]
        await gw.services.async_call("switch", "turn_off", {"entity_id": "switch.relay_1"})
        await gw.services.async_call(
            "light", "turn_on", {"entity_id": "light.strip", "brightness": 10}
        )
        await gw.services.async_call("button", "press", {"entity_id": "button.gate"})
        assert gw.states.get("switch.relay_1").state == "OFF"  # type: ignore[union-attr]
        assert gw.states.get("light.strip").attributes["brightness"] == 10  # type: ignore[union-attr]
        assert gw.states.get("button.gate").state != "unknown"  # type: ignore[union-attr]
    finally:
        await assert_stops_clean(gw)
    assert "cannot read cpu_temperature" in caplog.text


LEAN_CONFIG = """\
gateway: {{node_id: lean, state_dir: {state}}}
mqtt: {{host: 127.0.0.1, port: {port}, discovery: false}}
gpio: {{pin_factory: mock}}
switch:
  - {{platform: gpio, name: Relay, pin: 22}}
  - {{platform: virtual, name: Spare}}
"""

LEAN_PROBE = """\
import asyncio, sys
from pathlib import Path
from gateway.bootstrap import async_setup_gateway
from gateway.config import load_config
from gateway.loader import resolve_platform_schema

async def main():
    gw = await async_setup_gateway(load_config(Path(sys.argv[1]), resolve_platform_schema))
    await gw.async_stop()

asyncio.run(main())
"""

NOT_CONFIGURED = (
    "platforms.serial",
    "serial",
    "serial_asyncio",
    "gateway.automation",
    "gateway.automation.config",
    "gateway.mqtt.publishers.ha_discovery",
    "gateway.mqtt.publishers.discovery_payloads",
)


def test_what_is_not_configured_is_not_imported(tmp_path: Path) -> None:
    """Every module imported stays resident: a gateway without serial ports, automations or
    discovery never loads them (run in a fresh interpreter; this one has imported them all)."""
    path = tmp_path / "boardgate.yaml"
    path.write_text(LEAN_CONFIG.format(state=tmp_path / "state", port=free_port()))
    loaded = modules_loaded_by(LEAN_PROBE, str(path))
    assert {"gateway.mqtt", "platforms.gpio.switch", "platforms.virtual.switch"} <= loaded
    assert loaded.isdisjoint(NOT_CONFIGURED), sorted(loaded.intersection(NOT_CONFIGURED))
