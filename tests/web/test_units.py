"""The web server's pure parts: config, history bounds, metrics text, login limits, log tail;
and that nothing of it is imported without a `web:` section."""

from __future__ import annotations

import base64
import importlib.util
import itertools
import logging
from pathlib import Path

import pytest
import voluptuous as vol
from prometheus_client.parser import text_string_to_metric_families

from gateway.config import load_config
from gateway.config.web import WebConfig, is_loopback, validate_web
from gateway.core import State, _utcnow
from gateway.exceptions import ConfigError
from gateway.loader import resolve_platform_schema
from gateway.web.history import BUCKET_SECONDS, MAX_POINTS, WINDOW_SECONDS, History
from gateway.web.logbuffer import MAX_RECORDS, LogBuffer
from gateway.web.metrics import render_metrics
from gateway.web.security import LoginLimiter, credentials_match, parse_basic, same_origin
from tests.broker import free_port
from tests.core.test_bootstrap import LEAN_CONFIG, LEAN_PROBE
from tests.helpers import modules_loaded_by

WEB_MODULES = {"gateway.web", "gateway.web.server", "aiohttp", "aiohttp.web"}


def test_defaults_serve_loopback_without_a_password() -> None:
    assert validate_web({}) == WebConfig("127.0.0.1", 8080, "admin", None, True)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "garage-pi.lan"])
def test_a_network_address_without_a_password_is_a_config_error(host: str) -> None:
    with pytest.raises(vol.Invalid) as info:
        validate_web({"host": host})
    assert info.value.path == ["host"]
    assert "set web.password" in str(info.value)
    assert validate_web({"host": host, "password": "pw"}).host == host


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.1.1", "::1", "[::1]", "localhost"])
def test_loopback_addresses(host: str) -> None:
    assert is_loopback(host)


def test_history_keeps_at_most_the_last_hour_in_buckets() -> None:
    now = [1_000_000.0]
    history = History(lambda: now[0])
    for step in range(4 * 3600):  # four hours of a value every second
        now[0] += 1.0
        history.record("sensor.fast", str(step))
        assert len(history) <= MAX_POINTS + 1  # flat, whatever the rate and the duration
    points = history.points("sensor.fast")
    assert MAX_POINTS - 1 <= len(points) <= MAX_POINTS
    assert points[-1] == (now[0], str(4 * 3600 - 1))
    assert points[0][0] >= now[0] - WINDOW_SECONDS
    whole = points[:-1]  # each point is its bucket's last value; the newest bucket is open
    gaps = {round(b[0] - a[0]) for a, b in itertools.pairwise(whole)}
    assert gaps == {BUCKET_SECONDS}


def test_history_values() -> None:
    now = [0.0]
    history = History(lambda: now[0])
    for state in ("21.5", "unavailable", "ON", "nan"):
        now[0] += BUCKET_SECONDS
        history.record("x.y", state)
    assert [value for _, value in history.points("x.y")] == ["21.5", "unavailable", "ON", "nan"]
    now[0] += WINDOW_SECONDS + BUCKET_SECONDS
    assert history.points("x.y") == []
    history.forget("x.y")
    assert history.points("x.y") == []


def _state(entity_id: str, value: str) -> State:
    now = _utcnow()
    return State(entity_id, value, {}, now, now)


def test_metrics_text_parses() -> None:
    health = {
        "uptime_s": 12.5,
        "loop_lag_ms": {"p50": 1.5, "max": 20.0},
        "executor": {"workers": 4, "busy": 1, "queued": 0},
        "mqtt": None,
    }
    states = [
        _state("switch.a", "ON"),
        _state("sensor.b", "-3.25"),
        _state("sensor.c", "unavailable"),
        _state('sensor.q"uote', "1"),
    ]
    families = {f.name: f for f in text_string_to_metric_families(render_metrics(states, health))}
    state = {s.labels["entity_id"]: s.value for s in families["boardgate_entity_state"].samples}
    assert state == {"switch.a": 1.0, "sensor.b": -3.25, 'sensor.q"uote': 1.0}
    available = families["boardgate_entity_available"].samples
    assert {s.labels["entity_id"]: s.value for s in available}["sensor.c"] == 0.0
    lag = {s.labels["stat"]: s.value for s in families["boardgate_loop_lag_seconds"].samples}
    assert lag == {"p50": 0.0015, "max": 0.02}
    assert families["boardgate_mqtt_connected"].samples[0].value == 0.0
    assert families["boardgate_uptime_seconds"].samples[0].value == 12.5


def test_login_limiter_locks_out_then_forgets() -> None:
    limiter = LoginLimiter(limit=3, window=60)
    assert [limiter.failed("10.0.0.9", t) for t in (0, 1, 2)] == [False, False, True]
    assert limiter.locked("10.0.0.9", 30)
    assert not limiter.locked("10.0.0.8", 30)
    assert not limiter.locked("10.0.0.9", 62.5)


def test_basic_credentials() -> None:
    config = WebConfig(password="pw:with:colons")
    header = "Basic " + base64.b64encode(b"admin:pw:with:colons").decode()
    given = parse_basic(header)
    assert given == ("admin", "pw:with:colons")
    assert credentials_match(given, config)
    assert not credentials_match(("admin", "pw"), config)
    assert not credentials_match(("root", "pw:with:colons"), config)
    for bad in (
        None,
        "",
        "Bearer x",
        "Basic !!!",
        "Basic " + base64.b64encode(b"nocolon").decode(),
    ):
        assert parse_basic(bad) is None


def test_same_origin() -> None:
    assert same_origin("http://127.0.0.1:8080", "127.0.0.1:8080")
    assert not same_origin("http://127.0.0.1:8081", "127.0.0.1:8080")
    assert not same_origin("null", "127.0.0.1:8080")
    assert not same_origin("file://", "")


def test_log_buffer_keeps_the_last_records() -> None:
    buffer = LogBuffer()
    logger = logging.getLogger("tests.web.buffer")
    logger.addHandler(buffer)
    try:
        for n in range(MAX_RECORDS + 50):
            logger.warning("line %d", n)
    finally:
        logger.removeHandler(buffer)
    records = buffer.records()
    assert len(records) == MAX_RECORDS
    assert records[0]["message"] == "line 50"
    assert records[-1]["level"] == "WARNING"


def test_nothing_of_the_web_is_imported_without_a_web_section(tmp_path: Path) -> None:
    path = tmp_path / "boardgate.yaml"
    path.write_text(LEAN_CONFIG.format(state=tmp_path / "state", port=free_port()))
    loaded = modules_loaded_by(LEAN_PROBE, str(path))
    assert loaded.isdisjoint(WEB_MODULES), sorted(loaded & WEB_MODULES)
    path.write_text(path.read_text() + "web: {port: 0}\n")
    assert modules_loaded_by(LEAN_PROBE, str(path)) >= WEB_MODULES


def test_the_web_extra_missing_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "aiohttp" else real(name, *a)
    )
    with pytest.raises(vol.Invalid, match=r"pip install 'boardgate\[web\]'"):
        validate_web({})


def test_check_config_points_at_the_host(tmp_path: Path) -> None:
    path = tmp_path / "boardgate.yaml"
    path.write_text(
        "switch:\n  - {platform: virtual, name: Spare}\nweb:\n  host: 0.0.0.0\n  port: 8080\n"
    )
    with pytest.raises(ConfigError) as info:
        load_config(path, resolve_platform_schema)
    assert info.value.errors == [
        f"{path}:4:9: web.host: not a loopback address: set web.password to serve the page "
        "on the network"
    ]
