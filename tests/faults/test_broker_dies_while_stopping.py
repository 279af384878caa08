"""Issue 12.12: the broker dies while the gateway stops (during the `offline` goodbye).

Nothing may be logged as "Future exception was never retrieved ... MqttCodeError", and the
goodbye stops waiting for its PUBACK as soon as the connection is gone.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gateway.core import Gateway
from gateway.mqtt import connection as connection_module
from tests.broker import Mosquitto
from tests.helpers import in_thread
from tests.mqtt.conftest import (
    mqtt_config,
    setup_mqtt,
    unique,
    wait_for_connection,
    wait_in_sync,
)
from tests.process import GatewayProcess

from .conftest import figure

GOODBYE_WINDOW = 5.0  # how long the goodbye would wait for a PUBACK from the frozen broker


async def test_broker_killed_during_the_goodbye_leaves_no_unretrieved_error(
    real_gw: Gateway,
    private_broker: Mosquitto,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A wide window, so the broker is surely killed while the goodbye waits for its PUBACK.
    monkeypatch.setattr(connection_module, "GOODBYE_TIMEOUT", GOODBYE_WINDOW)
    monkeypatch.setattr(connection_module, "FINAL_WRITE_BUDGET", GOODBYE_WINDOW + 1)
    data = await setup_mqtt(real_gw, mqtt_config(private_broker.port))
    connection = data.connection
    await wait_in_sync(connection)
    assert private_broker.process is not None
    os.kill(private_broker.process.pid, signal.SIGSTOP)  # `offline` will get no PUBACK
    final_write = asyncio.ensure_future(connection.async_final_write())
    await wait_for_connection(connection, lambda conn: not conn.connected)  # goodbye started
    started = time.monotonic()
    await private_broker.async_kill()
    await final_write
    seconds = time.monotonic() - started
    gc.collect()  # an unretrieved exception is reported when its future is freed
    unretrieved = [r for r in caplog.records if "never retrieved" in r.getMessage()]
    figure(
        "12.12 broker killed during the goodbye",
        f"{len(unretrieved)} 'never retrieved' errors; goodbye ended {seconds * 1000:.0f} ms "
        f"after the kill (it would wait {GOODBYE_WINDOW:.0f} s for the PUBACK)",
    )
    assert not unretrieved
    assert seconds < GOODBYE_WINDOW / 2


async def test_broker_killed_during_sigterm_of_the_process(
    tmp_path: Path,
    private_broker: Mosquitto,
    mqtt_probe_factory: Callable[..., Any],
    gateway_processes: Callable[..., GatewayProcess],
) -> None:
    """The same through the `boardgate` process, as the issue saw it."""
    base = unique("bgdies")
    config = f"""
gateway: {{node_id: dies, state_dir: {tmp_path / "state"}}}
mqtt: {{host: 127.0.0.1, port: {private_broker.port}, client_id: {unique("bg-dies")},
       base_topic: {base}, keepalive: 5, discovery: false}}
switch:
  - {{platform: virtual, name: Relay}}
"""
    probe = await mqtt_probe_factory(private_broker.port)
    await probe.subscribe(f"{base}/dies/status")
    process = await in_thread(functools.partial(gateway_processes, config))
    await in_thread(process.start)
    await probe.wait_for_value(f"{base}/dies/status", "online")
    await in_thread(process.wait_for_output, "Boardgate running")
    await probe.disconnect()
    assert private_broker.process is not None
    os.kill(private_broker.process.pid, signal.SIGSTOP)  # `offline` will get no PUBACK
    process.send(signal.SIGTERM)
    await in_thread(process.wait_for_output, "SIGTERM received")
    await private_broker.async_kill()
    code = await in_thread(process.wait, 10.0)
    output = await in_thread(process.output)
    assert code == 0, output
    assert "never retrieved" not in output
    assert "Traceback" not in output
