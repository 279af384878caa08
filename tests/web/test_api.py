"""The HTTP API against a real `boardgate run` process and a real mosquitto (DESIGN's table)."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from tests.broker import Mosquitto
from tests.fixtures_mqtt import MqttProbe
from tests.helpers import in_thread
from tests.web.conftest import WebDaemon
from tests.web.sse import SseReader

JSON = {"Content-Type": "application/json"}
HEALTH_KEYS = {"uptime_s", "loop_lag_ms", "executor", "mqtt", "rss_mb", "entities", "state_dir"}


async def get_json(http: aiohttp.ClientSession, url: str, status: int = 200) -> Any:
    async with http.get(url) as response:
        assert response.status == status, await response.text()
        return await response.json()


async def post(
    http: aiohttp.ClientSession, url: str, body: str, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    async with http.post(url, data=body, headers=JSON if headers is None else headers) as reply:
        return reply.status, await reply.json()


async def test_states_and_one_state(
    web_daemon_factory: Callable[..., Any], http: aiohttp.ClientSession
) -> None:
    daemon: WebDaemon = await web_daemon_factory()
    states = await get_json(http, daemon.api("api/states"))
    by_id = {state["entity_id"]: state for state in states}
    assert set(by_id) == {
        "switch.relay", "light.strip", "button.gate", "binary_sensor.door", "sensor.water",
        "sensor.setpoint", "automation.door_light",
    }  # fmt: skip
    relay = by_id["switch.relay"]
    assert set(relay) == {"entity_id", "state", "attributes", "available", "last_changed"}
    assert (relay["state"], relay["available"]) == ("OFF", True)
    assert (
        await get_json(http, daemon.api("api/states/sensor.setpoint")) == by_id["sensor.setpoint"]
    )
    missing = await get_json(http, daemon.api("api/states/switch.nope"), 404)
    assert missing == {"error": "unknown entity: switch.nope"}


async def test_a_service_call_drives_the_output_and_mqtt_shows_it(
    web_daemon_factory: Callable[..., Any],
    http: aiohttp.ClientSession,
    mqtt_broker: Mosquitto,
    mqtt_probe_factory: Callable[..., Any],
) -> None:
    daemon: WebDaemon = await web_daemon_factory()
    probe: MqttProbe = await mqtt_probe_factory(mqtt_broker.port)
    await probe.subscribe(f"{daemon.base}/#")
    await probe.wait_for_value(f"{daemon.base}/switch/relay/state", "OFF")
    url = daemon.api("api/services/switch/turn_on")
    assert await post(http, url, '{"entity_id": "switch.relay"}') == (200, {"status": "ok"})
    await probe.wait_for_value(f"{daemon.base}/switch/relay/state", "ON")
    assert (await get_json(http, daemon.api("api/states/switch.relay")))["state"] == "ON"
    body = '{"entity_id": "light.strip", "brightness": 128}'
    assert await post(http, daemon.api("api/services/light/turn_on"), body) == (
        200,
        {"status": "ok"},
    )
    await probe.wait_until(
        lambda: b'"brightness":128' in probe.latest.get(f"{daemon.base}/light/strip/state", b"")
    )
    body = '{"entity_id": "automation.door_light"}'
    assert (await post(http, daemon.api("api/services/automation/turn_off"), body))[0] == 200
    automation = await get_json(http, daemon.api("api/states/automation.door_light"))
    assert automation["state"] == "off"


async def test_bad_service_calls_are_400_with_the_reason_and_change_nothing(
    web_daemon_factory: Callable[..., Any], http: aiohttp.ClientSession
) -> None:
    daemon: WebDaemon = await web_daemon_factory()
    light = daemon.api("api/services/light/turn_on")
    cases = {
        (light, '{"entity_id": "light.strip", "brightness": 300}'): "value must be at most 255",
        (light, '{"entity_id": "light.strip", "colour": "red"}'): "extra keys not allowed",
        (light, '{"entity_id": "light.nope"}'): "unknown entity: light.nope",
        (daemon.api("api/services/light/explode"), "{}"): "light.explode",
        (light, "{not json"): "the body must be a JSON object",
        (light, "[1, 2]"): "the body must be a JSON object",
        (light, "[" * 5000): "the body must be a JSON object",
    }
    for (url, body), reason in cases.items():
        status, reply = await post(http, url, body)
        assert status == 400, (body, reply)
        assert reply["status"] == "error"
        assert reason in reply["error"], (body, reply)
    assert (await get_json(http, daemon.api("api/states/light.strip")))["state"] == "OFF"


async def test_the_stream_sends_a_snapshot_then_each_change(
    web_daemon_factory: Callable[..., Any], http: aiohttp.ClientSession
) -> None:
    daemon: WebDaemon = await web_daemon_factory()
    async with http.get(daemon.api("api/stream")) as response:
        assert response.headers["Content-Type"] == "text/event-stream"
        stream = SseReader(response)
        event, snapshot = await stream.next()
        assert event == "snapshot"
        assert {"switch.relay", "sensor.water"} <= {state["entity_id"] for state in snapshot}
        await post(http, daemon.api("api/services/switch/toggle"), '{"entity_id": "switch.relay"}')
        state = await stream.until("state", lambda data: data["entity_id"] == "switch.relay")
        assert (state["state"], state["available"]) == ("ON", True)
        assert set(state) == {"entity_id", "state", "attributes", "available", "last_changed"}


async def test_history_health_and_logs(
    web_daemon_factory: Callable[..., Any], http: aiohttp.ClientSession
) -> None:
    daemon: WebDaemon = await web_daemon_factory()
    points = await get_json(http, daemon.api("api/history/sensor.setpoint"))
    assert len(points) == 1
    assert points[0][1] == "21.5"  # the state, as /api/states gives it
    await get_json(http, daemon.api("api/history/sensor.nope"), 404)
    health = await get_json(http, daemon.api("api/health"))
    assert set(health) == HEALTH_KEYS  # the bridge/health data, from the same builder
    assert health["entities"] == {"total": 7, "unavailable": 0}
    assert health["mqtt"]["connected"] is True
    logs = await get_json(http, daemon.api("api/logs"))
    assert 0 < len(logs) <= 200
    messages = [record["message"] for record in logs]
    assert any(message.startswith("Web page at") for message in messages)
    assert "GPIO pin factory: mock" in messages  # the whole start-up: the web comes up first
    assert set(logs[0]) == {"time", "level", "logger", "message"}


async def test_metrics_parse_as_prometheus_text(
    web_daemon_factory: Callable[..., Any], http: aiohttp.ClientSession
) -> None:
    daemon: WebDaemon = await web_daemon_factory()
    await post(http, daemon.api("api/services/switch/turn_on"), '{"entity_id": "switch.relay"}')
    async with http.get(daemon.api("metrics")) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = await response.text()
    families = {family.name: family for family in text_string_to_metric_families(text)}
    assert {
        "boardgate_entity_state",
        "boardgate_entity_available",
        "boardgate_mqtt_connected",
        "boardgate_mqtt_reconnects",
        "boardgate_mqtt_messages_published",
        "boardgate_mqtt_messages_received",
        "boardgate_mqtt_messages_dropped",
        "boardgate_loop_lag_seconds",
        "boardgate_executor_busy",
        "boardgate_uptime_seconds",
    } <= set(families)  # fmt: skip  (the parser names a counter family without `_total`)
    assert families["boardgate_mqtt_reconnects"].type == "counter"
    assert families["boardgate_mqtt_reconnects"].samples[0].name == (
        "boardgate_mqtt_reconnects_total"
    )
    values = {
        sample.labels["entity_id"]: sample.value
        for sample in families["boardgate_entity_state"].samples
    }
    assert values["switch.relay"] == 1.0
    assert values["sensor.setpoint"] == 21.5
    assert values["automation.door_light"] == 1.0
    assert "button.gate" not in values  # no number to give
    assert families["boardgate_mqtt_connected"].samples[0].value == 1.0


async def test_sigterm_with_an_open_stream_stops_cleanly(
    web_daemon_factory: Callable[..., Any], http: aiohttp.ClientSession
) -> None:
    daemon: WebDaemon = await web_daemon_factory()
    async with http.get(daemon.api("api/stream")) as response:
        stream = SseReader(response)
        assert (await stream.next())[0] == "snapshot"
        loop = asyncio.get_running_loop()
        started = loop.time()
        daemon.process.send(signal.SIGTERM)
        assert await in_thread(daemon.process.wait, 5.0) == 0
        assert loop.time() - started < 5.0
        try:
            while True:
                await stream.next(timeout=5.0)
        except (ConnectionError, aiohttp.ClientPayloadError):
            pass  # the stream ended with the process
    assert "Traceback" not in await in_thread(daemon.process.output)


async def test_a_reload_adds_and_removes_entities_on_the_stream(
    web_daemon_factory: Callable[..., Any], http: aiohttp.ClientSession
) -> None:
    daemon: WebDaemon = await web_daemon_factory()
    config = daemon.process.config_path
    text = await in_thread(config.read_text)
    text = text.replace(
        '  - {platform: virtual, name: Setpoint, value: 21.5, unit_of_measurement: "°C"}\n',
        "",
    ).replace("switch:\n", "switch:\n  - {platform: virtual, name: Fan}\n")
    async with http.get(daemon.api("api/stream")) as response:
        stream = SseReader(response)
        await stream.next()
        await in_thread(config.write_text, text)
        daemon.process.send(signal.SIGHUP)
        removed = await stream.until("remove")
        assert removed == {"entity_id": "sensor.setpoint"}
        added = await stream.until("state", lambda data: data["entity_id"] == "switch.fan")
        assert added["state"] == "OFF"
    ids = {state["entity_id"] for state in await get_json(http, daemon.api("api/states"))}
    assert "switch.fan" in ids
    assert "sensor.setpoint" not in ids
    info = await get_json(http, daemon.api("api/info"))
    assert "switch.fan" in {entity["entity_id"] for entity in info["entities"]}
