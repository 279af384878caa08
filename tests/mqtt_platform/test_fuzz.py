"""Property tests: any payload on any MQTT entity kind — no exception, and the state changes
only for a payload a plain model of the spec accepts (and then as the model says).

The `@callback` handlers are driven directly with `ReceiveMessage`s on a gateway in a loop the
test manages: fast and deterministic, no broker.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.clock import FakeClock
from gateway.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from gateway.core import Gateway, State
from gateway.loader import resolve_platform_schema
from gateway.mqtt import ReceiveMessage
from gateway.util.extract import to_number
from platforms.mqtt.binary_sensor import MqttBinarySensor
from platforms.mqtt.entity import MqttEntity
from platforms.mqtt.light import MqttLight
from platforms.mqtt.sensor import MqttSensor
from platforms.mqtt.switch import MqttSwitch

FUZZ = settings(
    max_examples=300,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

_json_leaf = (
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["ON", "OFF", "on", "true", "false", "1", "0", "online", "offline"])
)
_json_doc = st.recursive(
    _json_leaf,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["state", "brightness", "occupancy", "temperature", "t", "x"]),
            children,
            max_size=4,
        )
    ),
    max_leaves=12,
)
_near_misses = st.sampled_from(
    [
        b"ON",
        b"OFF",
        b" ON\n",
        b"on",
        b"true",
        b"1",
        b"",
        b"None",
        b"T=21.5",
        b"T=-",
        b"T=1e400",
        b"online",
        b"offline",
        b"[" * 3000,
        b'{"state": "ON", "brightness": 255.0}',
        b'{"state": "ON", "brightness": 256}',
        b'{"occupancy": "true"}',
        b'{"temperature": "21.5"}',
        b'{"temperature": NaN}',
        b"\xff\xfeON",
    ]
)
PAYLOADS = st.one_of(
    st.binary(max_size=64),
    st.text(max_size=40).map(str.encode),
    _json_doc.map(lambda doc: json.dumps(doc).encode()),
    _near_misses,
)

# --- a plain model of the spec: the new state for a payload, or None for "ignored" ---------


def _text(payload: bytes) -> str | None:
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _json(payload: bytes) -> Any:
    text = _text(payload)
    if text is None:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def model_on_off_raw(payload: bytes) -> tuple[str, dict[str, Any]] | None:
    text = _text(payload)
    if text is not None and text.strip() in ("ON", "OFF"):
        return text.strip(), {}
    return None


def model_occupancy(payload: bytes) -> tuple[str, dict[str, Any]] | None:
    doc = _json(payload)
    if isinstance(doc, dict) and isinstance(doc.get("occupancy"), bool):
        return ("ON" if doc["occupancy"] else "OFF"), {}
    return None


def model_temperature(payload: bytes) -> tuple[str, dict[str, Any]] | None:
    doc = _json(payload)
    if not isinstance(doc, dict) or "temperature" not in doc:
        return None
    value = doc["temperature"]
    if isinstance(value, str) and len(value) > 255:
        return None
    number = to_number(value)
    return (f"{float(number):.1f}", {}) if number is not None else None


def model_regex(payload: bytes) -> tuple[str, dict[str, Any]] | None:
    text = _text(payload)
    match = re.search(r"T=([-0-9.]+)", text) if text is not None else None
    if match is None:
        return None
    number = to_number(match[1])  # numbers stay numbers ("007" is 7), other text is text
    return (str(number) if number is not None else match[1]), {}


def model_light(payload: bytes) -> tuple[str, dict[str, Any]] | None:
    doc = _json(payload)
    if not isinstance(doc, dict):
        return None
    state = doc.get("state")
    brightness = doc.get("brightness")
    if "state" in doc and not (isinstance(state, str) and state in ("ON", "OFF")):
        return None
    if brightness is not None and (
        isinstance(brightness, bool)
        or not isinstance(brightness, int | float)
        or not math.isfinite(brightness)
        or not 0 <= brightness <= 254
    ):
        return None
    if "state" not in doc and brightness is None:
        return None
    return "light", {"state": state, "brightness": brightness}


# --- the harness -----------------------------------------------------------------------------


_CLASSES: Mapping[str, Callable[[Any], MqttEntity]] = {
    "sensor": MqttSensor,
    "binary_sensor": MqttBinarySensor,
    "switch": MqttSwitch,
    "light": MqttLight,
}


@contextmanager
def running_entities(
    *specs: tuple[str, Mapping[str, Any]],
) -> Iterator[tuple[Gateway, list[MqttEntity]]]:
    """Entities (domain, raw config) on a gateway (fake clock) in a loop of the test's own;
    their handlers are called directly, as the MQTT connection would call them."""
    loop = asyncio.new_event_loop()
    try:
        gw = loop.run_until_complete(_make_gateway())
        entities = [
            _CLASSES[domain](resolve_platform_schema(domain, "mqtt")({"platform": "mqtt", **raw}))
            for domain, raw in specs
        ]
        for entity in entities:
            entity.gw = gw
            entity.async_write_state()
        yield gw, entities
    finally:
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()


async def _make_gateway() -> Gateway:
    return Gateway(clock=FakeClock(), executor_workers=1)


def deliver(entity: MqttEntity, topic: str, payload: bytes) -> State:
    before = entity.gw.states.get(entity.entity_id) if entity.gw else None
    handler = (
        entity._async_availability_received
        if topic == "availability"
        else entity._async_state_received
    )
    handler(ReceiveMessage(topic, payload, 1, False))
    after = entity.gw.states.get(entity.entity_id) if entity.gw else None
    assert before is not None
    assert after is not None
    return after


def check(entity: MqttEntity, payload: bytes, model: Callable[[bytes], Any]) -> None:
    gw = entity.gw
    assert gw is not None
    before = gw.states.get(entity.entity_id)
    after = deliver(entity, "state", payload)
    expected = model(payload)
    if expected is None:
        assert after == before, f"{entity.entity_id} changed on {payload!r}"
        return
    value, _ = expected
    if value == "light":
        return  # checked by the light test itself
    assert after.state == value, f"{entity.entity_id}: {payload!r} gave {after.state}"


# --- the properties --------------------------------------------------------------------------


def test_binary_sensors_and_switches_fuzz() -> None:
    with running_entities(
        ("binary_sensor", {"name": "Raw", "state_topic": "t"}),
        (
            "binary_sensor",
            {
                "name": "PIR",
                "state_topic": "t",
                "value_json": "occupancy",
                "payload_on": True,
                "payload_off": False,
            },
        ),
        ("switch", {"name": "Plug", "state_topic": "t", "command_topic": "c"}),
    ) as (_, (raw, pir, plug)):

        @FUZZ
        @given(payload=PAYLOADS)
        def run(payload: bytes) -> None:
            check(raw, payload, model_on_off_raw)
            check(pir, payload, model_occupancy)
            check(plug, payload, model_on_off_raw)

        run()


def test_sensors_fuzz() -> None:
    with running_entities(
        (
            "sensor",
            {"name": "Temp", "state_topic": "t", "value_json": "temperature", "precision": 1},
        ),
        ("sensor", {"name": "Regex", "state_topic": "t", "value_regex": r"T=([-0-9.]+)"}),
        ("sensor", {"name": "Raw", "state_topic": "t", "expire_after": 60}),
    ) as (_, (temp, regex, raw)):

        @FUZZ
        @given(payload=PAYLOADS)
        def run(payload: bytes) -> None:
            check(temp, payload, model_temperature)
            check(regex, payload, model_regex)
            after = deliver(raw, "state", payload)
            assert after.state != STATE_UNAVAILABLE
            assert after.state == STATE_UNKNOWN or 0 < len(after.state) <= 255

        run()


def test_light_fuzz() -> None:
    with running_entities(
        (
            "light",
            {"name": "Lamp", "state_topic": "t", "command_topic": "c", "brightness_scale": 254},
        ),
    ) as (gw, (lamp,)):
        assert isinstance(lamp, MqttLight)

        @FUZZ
        @given(payload=PAYLOADS)
        def run(payload: bytes) -> None:
            before_on, before_brightness = lamp.is_on, lamp.brightness
            before = gw.states.get("light.lamp")
            after = deliver(lamp, "state", payload)
            expected = model_light(payload)
            if expected is None:
                assert after == before, f"changed on {payload!r}"
                return
            report = expected[1]
            is_on = before_on if report["state"] is None else report["state"] == "ON"
            brightness = (
                before_brightness
                if report["brightness"] is None
                else round(report["brightness"] * 255 / 254)
            )
            assert (lamp.is_on, lamp.brightness) == (is_on, brightness)
            # A brightness-only report says nothing about on/off: unknown stays unknown.
            assert after.state == ("unknown" if is_on is None else "ON" if is_on else "OFF")
            shown = after.attributes["brightness"]
            assert shown is None or 0 <= shown <= 255

        run()


def test_availability_fuzz() -> None:
    with running_entities(
        ("sensor", {"name": "T", "state_topic": "t", "availability_topic": "a"}),
    ) as (_, (sensor,)):

        @FUZZ
        @given(payload=PAYLOADS)
        def run(payload: bytes) -> None:
            before = sensor.available
            deliver(sensor, "availability", payload)
            text = _text(payload)
            word = text.strip() if text is not None else None
            expected = {"online": True, "offline": False}.get(word or "", before)
            assert sensor.available is expected

        run()
