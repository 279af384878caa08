"""Authentication and the rules for state-changing requests, against a real gateway process."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import aiohttp

from gateway.web.security import MAX_FAILURES
from gateway.web.server import MAX_BODY_BYTES
from tests.helpers import in_thread
from tests.web.conftest import WebDaemon

RIGHT = {"Authorization": "Basic " + base64.b64encode(b"admin:s3cret-pass").decode()}
WRONG = {"Authorization": "Basic " + base64.b64encode(b"admin:guess").decode()}
JSON = {"Content-Type": "application/json"}
RELAY_ON = '{"entity_id": "switch.relay"}'


async def status(
    http: aiohttp.ClientSession, method: str, url: str, **kwargs: Any
) -> tuple[int, aiohttp.typedefs.LooseHeaders]:
    async with http.request(method, url, **kwargs) as response:
        await response.read()
        return response.status, response.headers


async def test_everything_needs_the_password_when_one_is_set(
    web_daemon_factory: Callable[..., Any], http: aiohttp.ClientSession
) -> None:
    daemon: WebDaemon = await web_daemon_factory("{port: 0, password: s3cret-pass}")
    for path in ("", "static/app.js", "api/states", "api/stream", "api/health", "metrics"):
        code, headers = await status(http, "GET", daemon.api(path))
        assert code == 401, path
        assert headers["WWW-Authenticate"].startswith('Basic realm="Boardgate"')
    code, _ = await status(
        http, "POST", daemon.api("api/services/switch/turn_on"), data=RELAY_ON, headers=JSON
    )
    assert code == 401
    assert (await status(http, "GET", daemon.api("api/states"), headers=RIGHT))[0] == 200
    assert (await status(http, "GET", daemon.api("metrics"), headers=RIGHT))[0] == 200


async def test_failed_logins_are_logged_and_locked_out(
    web_daemon_factory: Callable[..., Any], http: aiohttp.ClientSession
) -> None:
    daemon: WebDaemon = await web_daemon_factory("{port: 0, password: s3cret-pass}")
    for _ in range(MAX_FAILURES):
        assert (await status(http, "GET", daemon.api("api/states"), headers=WRONG))[0] == 401
    code, headers = await status(http, "GET", daemon.api("api/states"), headers=RIGHT)
    assert code == 429  # locked out, even with the right password now
    assert headers["Retry-After"] == "60"
    log = await in_thread(daemon.process.output)
    assert log.count("Web: failed login as 'admin' from 127.0.0.1") == MAX_FAILURES
    assert "locked out for 60 s" in log
    assert "guess" not in log


async def test_metrics_may_be_open_to_a_scraper(
    web_daemon_factory: Callable[..., Any], http: aiohttp.ClientSession
) -> None:
    daemon: WebDaemon = await web_daemon_factory(
        "{port: 0, password: s3cret-pass, metrics_auth: false}"
    )
    assert (await status(http, "GET", daemon.api("metrics")))[0] == 200
    assert (await status(http, "GET", daemon.api("api/states")))[0] == 401


async def test_state_changes_need_json_from_the_same_origin(
    web_daemon_factory: Callable[..., Any], http: aiohttp.ClientSession
) -> None:
    daemon: WebDaemon = await web_daemon_factory()
    url = daemon.api("api/services/switch/turn_on")
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert (await status(http, "POST", url, data=RELAY_ON, headers=form))[0] == 415
    assert (await status(http, "POST", url, data=RELAY_ON))[0] == 415
    foreign = {**JSON, "Origin": "http://evil.example"}
    assert (await status(http, "POST", url, data=RELAY_ON, headers=foreign))[0] == 403
    null = {**JSON, "Origin": "null"}
    assert (await status(http, "POST", url, data=RELAY_ON, headers=null))[0] == 403
    relay = await http.get(daemon.api("api/states/switch.relay"))
    assert (await relay.json())["state"] == "OFF"  # nothing refused changed anything
    own = {**JSON, "Origin": daemon.url.rstrip("/")}
    assert (await status(http, "POST", url, data=RELAY_ON, headers=own))[0] == 200
    log = await in_thread(daemon.process.output)
    assert "refused POST /api/services/switch/turn_on from origin http://evil.example" in log


async def test_request_bodies_are_bounded(
    web_daemon_factory: Callable[..., Any], http: aiohttp.ClientSession
) -> None:
    daemon: WebDaemon = await web_daemon_factory()
    body = '{"entity_id": "switch.relay", "pad": "' + "x" * MAX_BODY_BYTES + '"}'
    url = daemon.api("api/services/switch/turn_on")
    assert (await status(http, "POST", url, data=body, headers=JSON))[0] == 413


async def test_static_files_are_served_by_name_only(
    web_daemon_factory: Callable[..., Any], http: aiohttp.ClientSession
) -> None:
    daemon: WebDaemon = await web_daemon_factory()
    code, headers = await status(http, "GET", daemon.api("static/app.js"))
    assert code == 200
    assert headers["Content-Type"].startswith("text/javascript")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    for path in (
        "static/../__init__.py",
        "static/..%2f__init__.py",
        "static/%2e%2e%2fserver.py",
        "static/..%2f..%2f..%2fpyproject.toml",
        "static/.%2fapp.js",
        "static//etc/passwd",
        "static/%2fetc%2fpasswd",
    ):
        url = daemon.url + path
        async with http.get(url) as response:
            assert response.status == 404, path
            assert b"import" not in await response.read()
    code, headers = await status(http, "GET", daemon.url)
    assert code == 200
    assert headers["Content-Type"].startswith("text/html")
