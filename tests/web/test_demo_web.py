"""`boardgate demo` with the web extra installed: the page's address comes first, and it serves."""

from __future__ import annotations

import asyncio
import re
import signal
import sys

import aiohttp
import pytest

START_TIMEOUT = 30.0


@pytest.mark.usefixtures("mqtt_broker")  # skips where mosquitto is missing, like the MQTT suite
async def test_demo_serves_the_page_and_prints_its_address_first(
    http: aiohttp.ClientSession,
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway", "demo",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert process.stdout is not None
    try:
        first = (await asyncio.wait_for(process.stdout.readline(), START_TIMEOUT)).decode()
        match = re.fullmatch(r"Web page: (http://127\.0\.0\.1:\d+/)\n", first)
        assert match, first
        async with http.get(match.group(1) + "api/states") as response:
            assert response.status == 200
            ids = {state["entity_id"] for state in await response.json()}
        assert {"switch.relay", "sensor.thermometer", "automation.doorbell_light"} <= ids
        async with http.get(match.group(1)) as response:
            assert "<title>Boardgate</title>" in await response.text()
        process.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(process.wait(), 5.0) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
