"""`boardgate demo`: starts its own broker, simulates activity, stops cleanly on Ctrl-C."""

from __future__ import annotations

import asyncio
import re
import signal
import sys
from collections.abc import Callable
from typing import Any

import pytest

from tests.fixtures_mqtt import MqttProbe

START_TIMEOUT = 30.0
STOP_BUDGET_SECONDS = 5.0
BASE = "boardgate/demo"


@pytest.mark.usefixtures("mqtt_broker")  # skips where mosquitto is missing, like the MQTT suite
async def test_demo_runs_and_stops_on_ctrl_c(mqtt_probe_factory: Callable[..., Any]) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway", "demo",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    assert process.stderr is not None
    stderr_task = asyncio.ensure_future(process.stderr.read())
    try:
        walkthrough = await asyncio.wait_for(_read_until(process.stdout, "Ctrl-C"), START_TIMEOUT)
        match = re.search(r"broker .+? on 127\.0\.0\.1:(\d+)", walkthrough)
        assert match, walkthrough
        probe: MqttProbe = await mqtt_probe_factory(int(match.group(1)))
        await probe.subscribe(f"{BASE}/#")
        await probe.subscribe("homeassistant/device/demo/config")
        await probe.wait_for_value(f"{BASE}/status", "online")
        # The simulated thermometer on the pseudo-terminal reports every 2 s.
        await probe.wait_until(
            lambda: (
                re.fullmatch(rb"2\d\.\d", probe.latest.get(f"{BASE}/sensor/thermometer/state", b""))
                is not None
            ),
            what="a thermometer reading",
        )
        # The water meter ticks every second: the simulated board drives the gateway's own
        # mock pins from a worker thread.
        await probe.wait_until(
            lambda: (
                re.fullmatch(
                    rb"[1-9]\d*", probe.latest.get(f"{BASE}/sensor/water_meter/state", b"")
                )
                is not None
            ),
            what="a water meter tick",
        )
        await probe.publish(f"{BASE}/switch/relay/set", "ON")
        await probe.wait_for_value(f"{BASE}/switch/relay/state", "ON")
        # The simulated I²C bus: a BME280, and an MCP23017 with a relay and a button.
        await probe.wait_until(
            lambda: (
                re.fullmatch(
                    rb"2\d\.\d", probe.latest.get(f"{BASE}/sensor/climate_temperature/state", b"")
                )
                is not None
            ),
            what="a BME280 reading",
        )
        await probe.publish(f"{BASE}/switch/expander_relay/set", "ON")
        await probe.wait_for_value(f"{BASE}/switch/expander_relay/state", "ON")
        await probe.wait_for_value(f"{BASE}/binary_sensor/expander_button/state", "ON")
        await probe.wait_until(lambda: "homeassistant/device/demo/config" in probe.latest)
        process.send_signal(signal.SIGINT)
        code = await asyncio.wait_for(process.wait(), STOP_BUDGET_SECONDS)
        await probe.wait_for_value(f"{BASE}/status", "offline")
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    log = (await stderr_task).decode()
    assert code == 0, log
    assert "Traceback" not in log


async def _read_until(stream: asyncio.StreamReader, marker: str) -> str:
    seen = []
    while True:
        line = (await stream.readline()).decode()
        assert line, "demo exited early:\n" + "".join(seen)
        seen.append(line)
        if marker in line:
            return "".join(seen)


async def test_embedded_broker_fallback_speaks_mqtt_311(
    mqtt_probe_factory: Callable[..., Any],
) -> None:
    """Without mosquitto the demo uses amqtt (the `demo` extra), which speaks 3.1.1 only."""
    pytest.importorskip("amqtt")
    import aiomqtt

    from gateway.demo.broker import _start_amqtt, free_port

    port = free_port()
    broker = await _start_amqtt(port)
    try:
        assert broker.protocol == "3.1.1"
        probe: MqttProbe = await mqtt_probe_factory(port, protocol=aiomqtt.ProtocolVersion.V311)
        await probe.subscribe("demo/#")
        await probe.publish("demo/x", "hello")
        await probe.wait_for_value("demo/x", "hello")
        await probe.disconnect()
    finally:
        await broker.stop()
