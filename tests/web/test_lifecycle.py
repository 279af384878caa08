"""The web server inside a gateway in the test's loop: without MQTT, a port in use, bounded
streams, the stop with streams open, and the Host check against DNS rebinding."""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from gateway.bootstrap import async_setup_gateway
from gateway.clock import FakeClock
from gateway.config import load_config
from gateway.config.model import Config
from gateway.core import Gateway
from gateway.loader import resolve_platform_schema
from gateway.reload import plan_reload
from gateway.web import async_get_server
from gateway.web.stream import MAX_CLIENTS
from tests.helpers import in_thread
from tests.web.sse import SseReader

CONFIG = """\
gateway: {{node_id: lonely, state_dir: {state}}}
switch:
  - {{platform: virtual, name: Spare}}
web: {web}
"""


async def _load(tmp_path: Path, web: str = "{port: 0}") -> Config:
    path = tmp_path / "boardgate.yaml"
    await in_thread(path.write_text, CONFIG.format(state=tmp_path / "state", web=web))
    return await in_thread(load_config, path, resolve_platform_schema)


@pytest.fixture
async def lonely_gw(tmp_path: Path) -> AsyncIterator[Gateway]:
    """No mqtt: section: the page is the only way in."""
    gw = await async_setup_gateway(await _load(tmp_path), clock=FakeClock())
    try:
        yield gw
    finally:
        await gw.async_stop()


def _url(gw: Gateway) -> str:
    server = async_get_server(gw)
    assert server is not None
    return server.url


async def test_without_mqtt_health_and_metrics_say_so(
    lonely_gw: Gateway, http: aiohttp.ClientSession
) -> None:
    url = _url(lonely_gw)
    async with http.get(url + "api/health") as response:
        health = await response.json()
    assert health["mqtt"] is None
    assert health["entities"] == {"total": 1, "unavailable": 0}
    async with http.get(url + "metrics") as response:
        families = {f.name: f for f in text_string_to_metric_families(await response.text())}
    assert families["boardgate_mqtt_connected"].samples[0].value == 0.0
    async with http.post(
        url + "api/services/switch/turn_on", json={"entity_id": "switch.spare"}
    ) as response:
        assert response.status == 200
    assert lonely_gw.states.get("switch.spare").state == "ON"  # type: ignore[union-attr]


async def test_a_port_in_use_is_one_warning_and_the_gateway_runs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        gw = await async_setup_gateway(await _load(tmp_path, f"{{port: {port}}}"))
        try:
            assert async_get_server(gw) is None
            assert gw.states.get("switch.spare") is not None
        finally:
            await gw.async_stop()
    warnings = [r.getMessage() for r in caplog.records if r.name == "gateway.web"]
    assert len(warnings) == 1
    assert warnings[0].startswith(f"Web page not served: cannot listen on 127.0.0.1:{port}")
    assert all(r.levelno == logging.WARNING for r in caplog.records if r.name == "gateway.web")


async def test_open_streams_are_bounded_and_end_with_the_gateway(
    lonely_gw: Gateway, http: aiohttp.ClientSession
) -> None:
    url = _url(lonely_gw) + "api/stream"
    opened = [await http.get(url) for _ in range(MAX_CLIENTS)]
    try:
        readers = [SseReader(response) for response in opened]
        for reader in readers:
            assert (await reader.next())[0] == "snapshot"
        async with http.get(url) as refused:
            assert refused.status == 503
        await lonely_gw.async_stop()  # with every stream open: ends them, leaves no task
        for reader in readers:
            with pytest.raises((ConnectionError, aiohttp.ClientPayloadError)):
                await reader.next(timeout=5)
    finally:
        for response in opened:
            response.close()


async def test_a_foreign_host_name_is_refused_without_a_password(
    lonely_gw: Gateway, http: aiohttp.ClientSession
) -> None:
    """DNS rebinding: a page on evil.example whose name now points at 127.0.0.1."""
    url = _url(lonely_gw)
    async with http.get(url + "api/states", headers={"Host": "evil.example:8080"}) as response:
        assert response.status == 403
    for host in ("localhost:1234", "127.0.0.1", "[::1]:80"):
        async with http.get(url + "api/states", headers={"Host": host}) as response:
            assert response.status == 200, host


async def test_changes_to_web_need_a_restart(tmp_path: Path) -> None:
    old = await _load(tmp_path)
    new = await _load(tmp_path, "{port: 8081}")
    assert plan_reload(old, new).restart_required == ("web",)
