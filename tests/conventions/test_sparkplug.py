"""Sparkplug B against the real broker, every message decoded by pysparkplug (an independent
implementation of the payload, installed without its paho pin)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pysparkplug as spb
from pysparkplug._protobuf import sparkplug_b_pb2 as reference

from gateway.entity_component import async_get_component
from gateway.mqtt.publishers.sparkplug import DATA_SPARKPLUG
from gateway.reload import async_reload_from_file
from tests.conventions.conftest import Rig
from tests.helpers import in_thread

SPARKPLUG = "sparkplug: {{group_id: plant-{tag}, edge_node_id: edge-{tag}}}\n"
WITH_HOST = (
    "sparkplug: {{group_id: plant-{tag}, edge_node_id: edge-{tag}, primary_host: scada-{tag}}}\n"
)
FILTERS = ["spBv1.0/plant-{tag}/#"]
REBIRTH_TRUE = spb.Metric(
    timestamp=None, name="Node Control/Rebirth", datatype=spb.DataType.BOOLEAN, value=True
)


def topic(rig: Rig, kind: str) -> str:
    return f"spBv1.0/plant-{rig.tag}/{kind}/edge-{rig.tag}"


def births(rig: Rig) -> list[spb.NBirth]:
    return [spb.NBirth.decode(raw) for raw in rig.probe.values(topic(rig, "NBIRTH"))]


def metric_values(birth: Any) -> dict[str, Any]:
    return {metric.name: metric.value for metric in birth.metrics}


async def wait_births(rig: Rig, count: int) -> list[spb.NBirth]:
    await rig.probe.wait_until(lambda: len(rig.probe.values(topic(rig, "NBIRTH"))) >= count)
    return births(rig)


async def ncmd(rig: Rig, *metrics: spb.Metric) -> None:
    payload = spb.NCmd(timestamp=spb.get_current_timestamp(), metrics=metrics)
    await rig.probe.client.publish(topic(rig, "NCMD"), payload.encode(), qos=0)


async def test_birth_has_every_metric_and_bdseq(make_rig: Any) -> None:
    rig: Rig = await make_rig(SPARKPLUG, FILTERS)
    (birth,) = await wait_births(rig, 1)
    assert birth.seq == 0
    values = metric_values(birth)
    node = rig.gw.data[DATA_SPARKPLUG]
    assert values["bdSeq"] == node.bd_seq == 0
    assert values["Node Control/Rebirth"] is False
    assert values["switch/relay_1"] is False
    assert values["sensor/attic"] == 21.5
    assert values["sensor/water"] == 0
    assert values["sensor/mode"] == "eco"
    assert values["light/strip brightness"] == 0
    types = {m.name: m.datatype for m in birth.metrics}
    assert types["bdSeq"] == spb.DataType.INT64
    assert types["switch/relay_1"] == spb.DataType.BOOLEAN
    assert types["sensor/attic"] == spb.DataType.DOUBLE
    assert types["sensor/water"] == spb.DataType.INT64
    assert types["sensor/mode"] == spb.DataType.STRING
    raw = reference.Payload.FromString(rig.probe.values(topic(rig, "NBIRTH"))[0])
    attic = next(m for m in raw.metrics if m.name == "sensor/attic")
    assert list(attic.properties.keys) == ["engUnit"]
    assert attic.properties.values[0].string_value == "°C"
    assert abs(raw.timestamp - time.time() * 1000) < 60_000


async def test_seq_continuity_over_300_changes(make_rig: Any) -> None:
    rig: Rig = await make_rig(SPARKPLUG, FILTERS)
    (birth,) = await wait_births(rig, 1)
    counter = rig.pin(5)
    for _ in range(150):
        counter.drive_low()
        counter.drive_high()
    await rig.gw.async_block_till_done()
    switch = rig.gw.states.get("switch.relay_1")
    assert switch is not None
    for index in range(150):
        await rig.gw.services.async_call(
            "switch", "turn_on" if index % 2 == 0 else "turn_off", {"entity_id": "switch.relay_1"}
        )
    await rig.probe.wait_until(lambda: len(rig.probe.values(topic(rig, "NDATA"))) >= 300)
    data = [spb.NData.decode(raw, birth=birth) for raw in rig.probe.values(topic(rig, "NDATA"))]
    seqs = [message.seq for message in data]
    assert seqs == [(index + 1) % 256 for index in range(len(seqs))]
    assert len(seqs) >= 300
    assert 0 in seqs  # wrapped after 255
    last = metric_values(data[-1])
    assert last == {"switch/relay_1": False}
    totals = [v["sensor/water"] for v in map(metric_values, data) if "sensor/water" in v]
    water = rig.gw.states.get("sensor.water")
    assert water is not None
    assert totals == list(range(1, int(water.state) + 1))  # every count, in order


async def test_rebirth_on_request_keeps_bdseq(make_rig: Any) -> None:
    rig: Rig = await make_rig(SPARKPLUG, FILTERS)
    (first,) = await wait_births(rig, 1)
    await ncmd(rig, REBIRTH_TRUE)
    second = (await wait_births(rig, 2))[1]
    assert second.seq == 0
    assert metric_values(second)["bdSeq"] == metric_values(first)["bdSeq"]


async def test_ncmd_writes_drive_the_pins(make_rig: Any) -> None:
    rig: Rig = await make_rig(SPARKPLUG, FILTERS)
    (birth,) = await wait_births(rig, 1)
    await ncmd(
        rig,
        spb.Metric(
            timestamp=None, name="switch/relay_1", datatype=spb.DataType.BOOLEAN, value=True
        ),
    )
    await rig.probe.wait_until(lambda: len(rig.probe.values(topic(rig, "NDATA"))) >= 1)
    assert rig.pin(22).state == 1
    data = spb.NData.decode(rig.probe.values(topic(rig, "NDATA"))[0], birth=birth)
    assert metric_values(data) == {"switch/relay_1": True}
    await ncmd(
        rig,
        spb.Metric(
            timestamp=None, name="light/strip brightness", datatype=spb.DataType.INT64, value=128
        ),
    )
    await rig.probe.wait_until(lambda: abs(rig.pin(18).state - 128 / 255) < 0.01)
    await ncmd(
        rig,
        spb.Metric(timestamp=None, name="button/gate", datatype=spb.DataType.BOOLEAN, value=True),
    )
    await rig.probe.wait_until(lambda: rig.pin(23).state == 1)


async def host_state(rig: Rig, online: bool, stamp: int) -> None:
    """The primary host's STATE, retained as a host publishes it."""
    payload = json.dumps({"online": online, "timestamp": stamp})
    await rig.probe.client.publish(f"spBv1.0/STATE/scada-{rig.tag}", payload, qos=1, retain=True)


async def test_birth_waits_for_the_primary_host(make_rig: Any) -> None:
    rig: Rig = await make_rig(WITH_HOST, FILTERS)
    node = rig.gw.data[DATA_SPARKPLUG]
    await asyncio.wait_for(node.link.began.wait(), 20)
    await ncmd(rig, REBIRTH_TRUE)  # not even asked: no birth before the host is online
    assert rig.probe.values(topic(rig, "NBIRTH")) == []
    stamp = int(time.time() * 1000)
    await host_state(rig, True, stamp)
    (birth,) = await wait_births(rig, 1)
    await host_state(rig, False, stamp)
    await rig.probe.wait_until(lambda: len(rig.probe.values(topic(rig, "NDEATH"))) >= 1)
    death = spb.NDeath.decode(rig.probe.values(topic(rig, "NDEATH"))[0])
    assert death.bd_seq_metric.value == metric_values(birth)["bdSeq"]
    await host_state(rig, True, stamp + 1)
    later = (await wait_births(rig, 2))[1]
    assert metric_values(later)["bdSeq"] == (metric_values(birth)["bdSeq"] + 1) % 256
    await rig.probe.client.publish(f"spBv1.0/STATE/scada-{rig.tag}", b"", qos=1, retain=True)


async def test_reload_sends_a_new_birth(make_rig: Any) -> None:
    rig: Rig = await make_rig(SPARKPLUG, FILTERS)
    (first,) = await wait_births(rig, 1)
    text = await in_thread(rig.path.read_text)
    text = text.replace("  - {platform: virtual, name: Mode, value: eco}\n", "")
    text = text.replace("switch:\n", "switch:\n  - {platform: virtual, name: Relay 2}\n")
    await in_thread(rig.path.write_text, text)
    await async_reload_from_file(rig.gw)
    second = (await wait_births(rig, 2))[1]
    names = metric_values(second)
    assert "sensor/mode" not in names
    assert names["switch/relay_2"] is False
    assert names["bdSeq"] == metric_values(first)["bdSeq"]  # the same session
    await rig.gw.services.async_call("switch", "turn_on", {"entity_id": "switch.relay_2"})
    await rig.probe.wait_until(lambda: bool(rig.probe.values(topic(rig, "NDATA"))))
    data = spb.NData.decode(rig.probe.values(topic(rig, "NDATA"))[-1], birth=second)
    assert data.seq == 1
    assert metric_values(data) == {"switch/relay_2": True}


async def test_retained_and_bad_commands_change_nothing(make_rig: Any, caplog: Any) -> None:
    rig: Rig = await make_rig(SPARKPLUG, FILTERS)
    (birth,) = await wait_births(rig, 1)
    on = spb.Metric(
        timestamp=None, name="switch/relay_1", datatype=spb.DataType.BOOLEAN, value=True
    )
    retained = spb.NCmd(timestamp=spb.get_current_timestamp(), metrics=(on,)).encode()
    await rig.probe.client.publish(topic(rig, "NCMD"), retained, qos=1, retain=True)
    wrong = spb.Metric(
        timestamp=None, name="switch/relay_1", datatype=spb.DataType.STRING, value="on"
    )
    await ncmd(rig, wrong)
    await ncmd(rig, wrong)
    await ncmd(
        rig,
        spb.Metric(timestamp=None, name="sensor/attic", datatype=spb.DataType.DOUBLE, value=3.0),
    )
    await rig.probe.client.publish(topic(rig, "NCMD"), b"\xff\xff not protobuf", qos=0)
    marker = spb.Metric(
        timestamp=None, name="light/strip", datatype=spb.DataType.BOOLEAN, value=True
    )
    await ncmd(rig, marker)
    await rig.probe.wait_until(lambda: bool(rig.probe.values(topic(rig, "NDATA"))))
    await rig.gw.async_block_till_done()
    assert rig.pin(22).state == 0
    data = [spb.NData.decode(raw, birth=birth) for raw in rig.probe.values(topic(rig, "NDATA"))]
    assert [metric_values(d) for d in data] == [
        {"light/strip": True, "light/strip brightness": 255}
    ]
    bad = [r.getMessage() for r in caplog.records if "Ignoring NCMD write" in r.getMessage()]
    assert len(bad) == 2  # the relay once (a minute), the sensor once
    assert any("not Sparkplug B" in r.getMessage() for r in caplog.records)
    await rig.probe.client.publish(topic(rig, "NCMD"), b"", qos=1, retain=True)


async def test_a_value_that_no_longer_fits_sends_a_new_birth(make_rig: Any) -> None:
    rig: Rig = await make_rig(SPARKPLUG, FILTERS)
    await wait_births(rig, 1)
    component = async_get_component(rig.gw, "sensor")
    assert component is not None
    attic = component.entities["sensor.attic"]  # a Double
    attic._attr_native_value = "sensor fault"
    attic.async_write_state()
    second = (await wait_births(rig, 2))[1]
    types = {m.name: m.datatype for m in second.metrics}
    assert types["sensor/attic"] == spb.DataType.STRING
    assert metric_values(second)["sensor/attic"] == "sensor fault"
