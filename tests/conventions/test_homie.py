"""Homie 5 against the real broker: the start sequence, `.../set`, reloads, the description."""

from __future__ import annotations

import json
import re
from typing import Any

from gateway.entity_component import async_get_component
from gateway.reload import async_reload_from_file
from tests.conventions.conftest import Rig
from tests.helpers import in_thread

HOMIE = "homie: {{prefix: homie-{tag}}}\n"
FILTERS = ["homie-{tag}/#"]


def base(rig: Rig) -> str:
    return f"homie-{rig.tag}/5/board-{rig.tag}"


def description(rig: Rig) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(rig.probe.latest[f"{base(rig)}/$description"])
    return value


async def ready(rig: Rig) -> None:
    await rig.probe.wait_for_value(f"{base(rig)}/$state", b"ready")


async def test_start_sequence_in_order(make_rig: Any) -> None:
    rig: Rig = await make_rig(HOMIE, FILTERS)
    await ready(rig)
    b = base(rig)
    topics = [m.topic.value for m in rig.probe.messages if m.topic.value.startswith(b)]
    assert topics[0] == f"{b}/$state"
    assert rig.probe.values(f"{b}/$state")[0] == b"init"
    assert topics[1] == f"{b}/$description"
    assert topics[-1] == f"{b}/$state"
    values = topics[2:-1]
    assert f"{b}/switch-relay-1/state" in values
    assert f"{b}/sensor-attic/value" in values
    assert rig.probe.latest[f"{b}/switch-relay-1/state"] == b"false"
    assert rig.probe.latest[f"{b}/sensor-attic/value"] == b"21.5"
    assert rig.probe.latest[f"{b}/sensor-mode/value"] == b"eco"
    assert rig.probe.latest[f"{b}/sensor-water/value"] == b"0"
    assert rig.probe.latest[f"{b}/light-strip/brightness"] == b"0"


_ID = re.compile(r"^[a-z0-9-]+$")
_DATATYPES = {
    "integer",
    "float",
    "boolean",
    "string",
    "enum",
    "color",
    "datetime",
    "duration",
    "json",
}
_RANGE = re.compile(r"^(-?[0-9]+(\.[0-9]+)?)?:(-?[0-9]+(\.[0-9]+)?)?(:[0-9]+(\.[0-9]+)?)?$")


def check_description(doc: dict[str, Any]) -> None:
    """The rules of the convention v5.0 for a description document."""
    assert doc["homie"] == "5.0"
    assert isinstance(doc["version"], int)
    assert isinstance(doc.get("name", ""), str)
    for node_id, node in doc["nodes"].items():
        assert _ID.match(node_id), node_id
        assert set(node) <= {"name", "type", "properties"}
        for prop_id, prop in node["properties"].items():
            assert _ID.match(prop_id), prop_id
            assert set(prop) <= {"name", "datatype", "format", "settable", "retained", "unit"}
            assert prop["datatype"] in _DATATYPES
            assert isinstance(prop.get("settable", False), bool)
            assert isinstance(prop.get("retained", True), bool)
            if "format" in prop and prop["datatype"] in ("integer", "float"):
                assert _RANGE.match(prop["format"]), prop["format"]


async def test_description_follows_the_convention(make_rig: Any) -> None:
    rig: Rig = await make_rig(HOMIE, FILTERS)
    await ready(rig)
    doc = description(rig)
    check_description(doc)
    assert doc["version"] > 1_700_000_000  # a first start: from the time (no record yet)
    nodes = doc["nodes"]
    assert nodes["switch-relay-1"]["properties"]["state"] == {
        "datatype": "boolean",
        "settable": True,
    }
    assert nodes["binary-sensor-door"]["properties"]["state"] == {"datatype": "boolean"}
    assert nodes["light-strip"]["properties"]["brightness"]["format"] == "0:255"
    assert nodes["button-gate"]["properties"]["press"] == {
        "datatype": "boolean",
        "settable": True,
        "retained": False,
    }
    assert nodes["sensor-attic"]["properties"]["value"] == {"datatype": "float", "unit": "°C"}
    assert nodes["sensor-water"]["properties"]["value"] == {"datatype": "integer", "unit": "L"}
    assert nodes["sensor-mode"]["properties"]["value"] == {"datatype": "string"}
    assert nodes["sensor-attic"]["name"] == "Attic"


async def test_set_drives_the_pin_and_reports_back(make_rig: Any) -> None:
    rig: Rig = await make_rig(HOMIE, FILTERS)
    await ready(rig)
    b = base(rig)
    await rig.probe.publish(f"{b}/switch-relay-1/state/set", "true")
    await rig.probe.wait_for_value(f"{b}/switch-relay-1/state", b"true")
    assert rig.pin(22).state == 1
    await rig.probe.publish(f"{b}/light-strip/brightness/set", "128")
    await rig.probe.wait_for_value(f"{b}/light-strip/brightness", b"128")
    await rig.probe.wait_for_value(f"{b}/light-strip/state", b"true")
    assert abs(rig.pin(18).state - 128 / 255) < 0.01
    await rig.probe.publish(f"{b}/switch-relay-1/state/set", "false")
    await rig.probe.wait_for_value(f"{b}/switch-relay-1/state", b"false")
    assert rig.pin(22).state == 0


async def test_bad_and_retained_sets_change_nothing(make_rig: Any, caplog: Any) -> None:
    rig: Rig = await make_rig(HOMIE, FILTERS)
    await ready(rig)
    b = base(rig)
    await rig.probe.publish(f"{b}/switch-relay-1/state/set", "ON")
    await rig.probe.publish(f"{b}/switch-relay-1/state/set", "maybe")
    await rig.probe.client.publish(f"{b}/switch-relay-1/state/set", "true", qos=1, retain=True)
    await rig.probe.publish(f"{b}/light-strip/state/set", "true")  # a marker, acted on
    await rig.probe.wait_for_value(f"{b}/light-strip/state", b"true")
    await rig.gw.async_block_till_done()
    assert rig.probe.latest[f"{b}/switch-relay-1/state"] == b"false"
    assert rig.pin(22).state == 0
    malformed = [r for r in caplog.records if "malformed command" in r.getMessage()]
    assert len(malformed) == 1  # logged once per entity per minute
    assert any("retained command" in r.getMessage() for r in caplog.records)
    await rig.probe.client.publish(f"{b}/switch-relay-1/state/set", b"", qos=1, retain=True)


async def test_button_press_is_a_momentary_event(make_rig: Any) -> None:
    rig: Rig = await make_rig(HOMIE, FILTERS)
    await ready(rig)
    b = base(rig)
    await rig.probe.publish(f"{b}/button-gate/press/set", "true")
    await rig.probe.wait_until(lambda: rig.probe.values(f"{b}/button-gate/press") == [b"true"])
    assert rig.pin(23).state == 1  # the pulse runs on the fake clock
    rig.clock.advance(0.5)
    await rig.gw.async_block_till_done()
    assert rig.pin(23).state == 0


async def reload_without_mode_with_relay_2(rig: Rig) -> None:
    text = await in_thread(rig.path.read_text)
    text = text.replace("  - {platform: virtual, name: Mode, value: eco}\n", "")
    text = text.replace("switch:\n", "switch:\n  - {platform: virtual, name: Relay 2}\n")
    await in_thread(rig.path.write_text, text)
    await async_reload_from_file(rig.gw)


async def test_reload_describes_again_and_clears_removed_nodes(make_rig: Any) -> None:
    rig: Rig = await make_rig(HOMIE, FILTERS)
    await ready(rig)
    b = base(rig)
    first = description(rig)
    seen = len(rig.probe.messages)
    await reload_without_mode_with_relay_2(rig)
    await rig.probe.wait_until(lambda: description(rig)["version"] > first["version"])
    await ready(rig)
    second = description(rig)
    check_description(second)
    assert "sensor-mode" not in second["nodes"]
    assert "switch-relay-2" in second["nodes"]
    after = [(m.topic.value, m.payload) for m in rig.probe.messages[seen:]]
    assert after[0] == (f"{b}/$state", b"init")
    assert (f"{b}/sensor-mode/value", b"") in after  # its retained value cleared
    assert after.index((f"{b}/sensor-mode/value", b"")) < after.index(
        (f"{b}/$description", rig.probe.latest[f"{b}/$description"])
    )
    assert after[-1] == (f"{b}/$state", b"ready")
    assert rig.probe.latest[f"{b}/switch-relay-2/state"] == b"false"


async def test_unavailable_raises_an_alert_and_keeps_the_value(make_rig: Any) -> None:
    rig: Rig = await make_rig(HOMIE, FILTERS)
    await ready(rig)
    b = base(rig)
    component = async_get_component(rig.gw, "sensor")
    assert component is not None
    attic = component.entities["sensor.attic"]
    attic._attr_available = False  # as a driver that stopped answering does
    attic.async_write_state()
    await rig.probe.wait_for_value(f"{b}/$alert/sensor-attic", b"Attic is unavailable")
    assert rig.probe.latest[f"{b}/sensor-attic/value"] == b"21.5"
    attic._attr_available = True
    attic.async_write_state()
    await rig.probe.wait_for_value(f"{b}/$alert/sensor-attic", b"")


async def test_a_value_that_no_longer_fits_gets_a_wider_datatype(make_rig: Any) -> None:
    rig: Rig = await make_rig(HOMIE, FILTERS)
    await ready(rig)
    b = base(rig)
    version = description(rig)["version"]
    component = async_get_component(rig.gw, "sensor")
    assert component is not None
    water = component.entities["sensor.water"]  # an integer counter
    water._attr_native_value = 2.5  # as a counter reset to a fraction by a service would
    water.async_write_state()
    await rig.probe.wait_until(lambda: description(rig)["version"] == version + 1)
    check_description(description(rig))
    assert description(rig)["nodes"]["sensor-water"]["properties"]["value"]["datatype"] == "float"
    await rig.probe.wait_for_value(f"{b}/sensor-water/value", b"2.5")
    await ready(rig)
