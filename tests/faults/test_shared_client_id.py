"""Issue 12.7: two `boardgate` processes with the same client id take the session from each other.

Each connection the broker takes over (MQTT 5 reason 0x8E; mosquitto 2.0 gives none, so a
connection lost soon after it was made) keeps the backoff growing instead of resetting it, so
the two flap less and less; a hint about the shared client id is logged once per gateway.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.broker import Mosquitto
from tests.helpers import in_thread
from tests.mqtt.conftest import unique
from tests.process import GatewayProcess

from .conftest import figure

OBSERVE = 8.0  # seconds the two gateways share one client id
RECONNECTED = "Connected to the MQTT broker at"
HINT = "Another MQTT client probably uses the same client_id"


def _config(folder: Path, node: str, port: int, client_id: str, protocol: str) -> str:
    return f"""
gateway: {{node_id: {node}, state_dir: {folder / node}}}
mqtt: {{host: 127.0.0.1, port: {port}, client_id: {client_id}, protocol: "{protocol}",
       base_topic: {unique("bgshared")}, keepalive: 5, discovery: {{enabled: false}}}}
switch:
  - {{platform: virtual, name: Relay}}
"""


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
async def test_shared_client_id_backs_off_and_hints_once(
    tmp_path: Path,
    mqtt_broker: Mosquitto,
    gateway_processes: Callable[..., GatewayProcess],
    protocol: str,
) -> None:
    client_id = unique("bg-shared")
    gateways = []
    for node in ("a", "b"):
        config = _config(tmp_path, node, mqtt_broker.port, client_id, protocol)
        gateways.append(await in_thread(functools.partial(gateway_processes, config, name=node)))
    for gateway in gateways:
        await in_thread(gateway.start)
    for gateway in gateways:
        await in_thread(gateway.wait_for_output, "Boardgate running")
    # The observation window itself (a fixed span of real time), not a wait for an event.
    await in_thread(threading.Event().wait, OBSERVE)
    outputs = [await in_thread(gateway.output) for gateway in gateways]
    reconnects = [output.count(RECONNECTED) for output in outputs]
    hints = [output.count(HINT) for output in outputs]
    figure(
        f"12.7 shared client id (MQTT {protocol})",
        f"reconnects in {OBSERVE:.0f} s: {reconnects}, hints logged: {hints}",
    )
    # Flapping freely, each reconnected 6-7 times in 8 s (every ~1.1 s); backing off (0.5, 1,
    # 2, 4 s, ...) leaves at most four.
    assert max(reconnects) <= 4, outputs
    assert sum(hints) >= 1, outputs
    assert max(hints) == 1, outputs
