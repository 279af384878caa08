"""Issue 12.12: the broker dies while the gateway stops (during the `offline` goodbye).

Nothing may be logged as "Future exception was never retrieved ... MqttCodeError", and the
goodbye stops waiting for its PUBACK as soon as the connection is gone.
"""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import time

import pytest

from gateway.core import Gateway
from gateway.mqtt import connection as connection_module
from tests.broker import Mosquitto
from tests.mqtt.conftest import mqtt_config, setup_mqtt, wait_for_connection, wait_in_sync

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
