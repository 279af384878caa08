"""Bridge API and Home Assistant discovery against the real broker, with a full config."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gateway import diagnostics
from gateway.bootstrap import async_setup_gateway
from gateway.clock import FakeClock
from gateway.config import load_config
from gateway.core import Gateway
from gateway.loader import resolve_platform_schema
from gateway.mqtt import get_data
from gateway.mqtt.publishers import bridge_api
from gateway.state_store import read_json
from tests.broker import Mosquitto
from tests.fixtures_mqtt import MqttProbe
from tests.helpers import in_thread
from tests.mqtt.conftest import wait_in_sync

CONFIG = """\
gateway: {{node_id: bridge-node, name: Bridge node, state_dir: {state}, health_interval: 60}}
mqtt: {{port: {port}, base_topic: {base}, keepalive: 10, discovery: {{prefix: {prefix}}}}}
switch:
  - {{platform: virtual, name: Relay 1}}
  - {{platform: virtual, name: Relay 2}}
sensor:
  - {{platform: virtual, name: Setpoint, value: 20, unit_of_measurement: "°C",
     device_class: temperature}}
"""


@dataclass
class Rig:
    gw: Gateway
    clock: FakeClock
    probe: MqttProbe
    path: Path
    text: str
    b: str
    prefix: str

    async def request(self, command: str, payload: str) -> dict[str, Any]:
        topic = f"{self.b}/bridge/response/{command}"
        seen = len(self.probe.values(topic))
        await self.probe.publish(f"{self.b}/bridge/request/{command}", payload)
        await self.probe.wait_until(lambda: len(self.probe.values(topic)) > seen, what=topic)
        response: dict[str, Any] = json.loads(self.probe.values(topic)[-1])
        return response

    def discovery(self) -> dict[str, Any]:
        payload: dict[str, Any] = json.loads(
            self.probe.latest[f"{self.prefix}/device/bridge-node/config"]
        )
        return payload


@pytest.fixture
async def rig(
    tmp_path: Path, mqtt_broker: Mosquitto, mqtt_probe_factory: Callable[..., Any]
) -> AsyncIterator[Rig]:
    tag = uuid.uuid4().hex[:8]
    base, prefix = f"bgb-{tag}", f"ha-{tag}"
    text = CONFIG.format(state=tmp_path / "state", port=mqtt_broker.port, base=base, prefix=prefix)
    path = tmp_path / "boardgate.yaml"
    await in_thread(path.write_text, text)
    probe: MqttProbe = await mqtt_probe_factory(mqtt_broker.port)
    await probe.subscribe(f"{base}/#")
    await probe.subscribe(f"{prefix}/#")
    clock = FakeClock()
    config = await in_thread(load_config, path, resolve_platform_schema)
    gw = await async_setup_gateway(config, clock=clock)
    try:
        await wait_in_sync(get_data(gw).connection)
        yield Rig(gw, clock, probe, path, text, f"{base}/bridge-node", prefix)
    finally:
        await gw.async_stop()  # the autouse leak check runs after the probes are gone
        assert clock.pending() == 0


async def test_info_is_retained_and_lists_entities(rig: Rig) -> None:
    await rig.probe.wait_until(lambda: f"{rig.b}/bridge/info" in rig.probe.latest)
    info = json.loads(rig.probe.latest[f"{rig.b}/bridge/info"])
    assert info["node_id"] == "bridge-node"
    by_id = {entity["entity_id"]: entity for entity in info["entities"]}
    assert set(by_id) == {"switch.relay_1", "switch.relay_2", "sensor.setpoint"}
    assert by_id["switch.relay_1"]["topics"]["state"] == f"{rig.b}/switch/relay_1/state"
    assert by_id["switch.relay_1"]["platform"] == "virtual"
    assert by_id["sensor.setpoint"]["available"] is True


async def test_health_on_request_echoes_transaction(rig: Rig) -> None:
    response = await rig.request("health", '{"transaction": "t-1"}')
    assert response["status"] == "ok"
    assert response["transaction"] == "t-1"
    data = response["data"]
    assert set(data) == {
        "uptime_s", "loop_lag_ms", "executor", "mqtt", "rss_mb", "entities", "state_dir"
    }  # fmt: skip
    assert data["state_dir"] == {
        "path": str(rig.path.parent / "state"), "writable": True, "error": None
    }  # fmt: skip
    assert set(data["loop_lag_ms"]) == {"p50", "max"}
    assert set(data["executor"]) == {"workers", "busy", "queued"}
    assert data["mqtt"]["connected"] is True
    assert data["entities"] == {"total": 3, "unavailable": 0}
    assert data["rss_mb"] > 1


async def test_periodic_health(rig: Rig) -> None:
    topic = f"{rig.b}/bridge/health"
    rig.clock.advance(60)
    await rig.probe.wait_until(lambda: topic in rig.probe.latest, what=topic)
    assert json.loads(rig.probe.latest[topic])["entities"]["total"] == 3


async def test_unknown_and_malformed_requests_get_errors(rig: Rig) -> None:
    response = await rig.request("frobnicate", '{"transaction": 7}')
    assert response == {
        "status": "error",
        "error": "unknown request 'frobnicate' (health, info, reload)",
        "transaction": 7,
    }
    response = await rig.request("info", "{not json")
    assert response["status"] == "error"
    assert "transaction" not in response
    response = await rig.request("info", "")
    assert response["status"] == "ok"


async def test_reload_request_applies_and_rejects(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    new_text = rig.text.replace("  - {platform: virtual, name: Relay 2}\n", "")
    new_text += "button:\n  - {platform: virtual, name: Gate}\n"
    await in_thread(rig.path.write_text, new_text)
    response = await rig.request("reload", '{"transaction": "r1"}')
    assert response["status"] == "ok", response
    assert response["data"]["added"] == ["button.gate"]
    assert response["data"]["removed"] == ["switch.relay_2"]
    await rig.probe.wait_until(
        lambda: "button.gate" in str(rig.probe.latest.get(f"{rig.b}/bridge/info"))
    )

    await in_thread(rig.path.write_text, new_text + "bogus: 1\n")
    response = await rig.request("reload", '{"transaction": "r2"}')
    assert response["status"] == "error"
    assert ": bogus: " in response["error"]
    assert response["transaction"] == "r2"
    assert "Reload rejected" in caplog.text
    caplog.clear()


async def test_discovery_announce_rebirth_and_removal(rig: Rig, tmp_path: Path) -> None:
    topic = f"{rig.prefix}/device/bridge-node/config"
    await rig.probe.wait_until(lambda: topic in rig.probe.latest, what=topic)
    components = rig.discovery()["cmps"]
    assert set(components) == {
        "bridge-node_switch_relay_1", "bridge-node_switch_relay_2", "bridge-node_sensor_setpoint"
    }  # fmt: skip
    assert components["bridge-node_sensor_setpoint"]["unit_of_measurement"] == "°C"
    assert rig.discovery()["dev"]["name"] == "Bridge node"

    sent = len(rig.probe.values(topic))
    await rig.probe.publish(f"{rig.prefix}/status", "online")
    await rig.gw.async_block_till_done()
    rig.clock.advance(5)  # the random 1-5 s delay
    await rig.probe.wait_until(lambda: len(rig.probe.values(topic)) > sent, what="re-announce")

    await in_thread(rig.path.write_text, rig.text.replace("Relay 2", "Relay 3"))
    response = await rig.request("reload", "{}")
    assert response["status"] == "ok"
    await rig.probe.wait_until(
        lambda: "bridge-node_switch_relay_3" in rig.discovery()["cmps"], what="relay 3"
    )
    assert rig.discovery()["cmps"]["bridge-node_switch_relay_2"] == {"p": "switch"}
    await rig.gw.async_block_till_done()
    stored = await in_thread(read_json, tmp_path / "state" / "discovery.json")
    assert stored is not None
    assert "bridge-node_switch_relay_2" not in stored["components"]
    assert "bridge-node_switch_relay_3" in stored["components"]


def _raise(error: Exception) -> Callable[..., Any]:
    def raising(*_args: Any) -> Any:
        raise error

    return raising


def _bridge_records(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str, object]]:
    return [
        (r.levelno, r.getMessage(), r.exc_info[0] if r.exc_info else None)
        for r in caplog.get_records("call")
        if r.name == bridge_api.__name__
    ]


async def test_a_user_error_in_a_request_is_one_warning_line(
    rig: Rig, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A driver or the system saying no (here /proc unreadable) is not a bug: no traceback."""
    monkeypatch.setattr(diagnostics, "read_rss_mb", _raise(OSError("/proc is not mounted")))
    response = await rig.request("health", "{}")
    assert response == {"status": "error", "error": "/proc is not mounted"}
    assert _bridge_records(caplog) == [
        (logging.WARNING, "Bridge request failed: /proc is not mounted", None)
    ]


async def test_a_bug_in_a_request_is_logged_as_error_with_traceback(
    rig: Rig, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(diagnostics, "health_snapshot", _raise(TypeError("bad argument")))
    response = await rig.request("health", "{}")
    assert response == {"status": "error", "error": "bad argument"}
    assert _bridge_records(caplog) == [(logging.ERROR, "Bridge request failed", TypeError)]
    caplog.clear()  # expected: the autouse guard fails a test on any other ERROR
