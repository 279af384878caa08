"""The conventions follow the main connection to the broker that works (`mqtt.host` a list)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gateway.bootstrap import async_setup_gateway
from gateway.config import load_config
from gateway.loader import resolve_platform_schema
from gateway.mqtt import get_data
from tests.broker import Mosquitto, free_port
from tests.fixtures_mqtt import MqttProbe
from tests.helpers import in_thread
from tests.mqtt.conftest import wait_in_sync

SETTLE = 15.0


async def test_homie_connects_to_the_broker_the_gateway_failed_over_to(
    tmp_path: Path, mqtt_broker: Mosquitto, mqtt_probe_factory: Callable[..., Any]
) -> None:
    tag = uuid.uuid4().hex[:8]
    dead = free_port()  # nothing listens: the first entry of the list fails
    text = (
        f"gateway: {{node_id: fo-{tag}, state_dir: {tmp_path / 'state'}}}\n"
        f'mqtt: {{host: ["127.0.0.1:{dead}", "127.0.0.1:{mqtt_broker.port}"],'
        f" base_topic: bg-{tag}, discovery: false}}\n"
        "homie: {prefix: homie}\n"
        "switch:\n  - {platform: virtual, name: Relay}\n"
    )
    path = tmp_path / "boardgate.yaml"
    await in_thread(path.write_text, text)
    probe: MqttProbe = await mqtt_probe_factory(mqtt_broker.port)
    state_topic = f"homie/5/fo-{tag}/$state"
    await probe.subscribe(state_topic)
    gw = await async_setup_gateway(await in_thread(load_config, path, resolve_platform_schema))
    try:
        connection = get_data(gw).connection
        await wait_in_sync(connection, SETTLE)
        assert connection.broker is not None
        assert connection.broker.port == mqtt_broker.port
        await probe.wait_for_value(state_topic, b"ready", SETTLE)
    finally:
        await gw.async_stop()
