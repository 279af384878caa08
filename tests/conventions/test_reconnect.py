"""Both conventions across a broker restart: a new session each, births again."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pysparkplug as spb

from gateway.mqtt import get_data
from gateway.mqtt.publishers.convention_link import ConventionLink
from gateway.mqtt.publishers.homie import DATA_HOMIE
from gateway.mqtt.publishers.sparkplug import DATA_SPARKPLUG
from tests.broker import Mosquitto
from tests.conventions.conftest import Rig
from tests.fixtures_mqtt import MqttProbe

BOTH = (
    "homie: {{prefix: homie-{tag}}}\n"
    "sparkplug: {{group_id: plant-{tag}, edge_node_id: edge-{tag}}}\n"
)
FILTERS = ["homie-{tag}/#", "spBv1.0/plant-{tag}/#"]


async def wait_for_link(
    link: ConventionLink, predicate: Callable[[ConventionLink], bool], timeout: float = 30
) -> None:
    """Until `predicate(link)` holds, re-checked whenever a session begins or ends."""
    future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def check() -> None:
        if not future.done() and predicate(link):
            future.set_result(None)

    remove = link.async_add_listener(check)
    check()
    try:
        await asyncio.wait_for(future, timeout)
    finally:
        remove()


async def test_broker_restart_begins_new_sessions(
    make_rig: Any, private_broker: Mosquitto, mqtt_probe_factory: Any
) -> None:
    rig: Rig = await make_rig(BOTH, FILTERS, private_broker)
    state = f"homie-{rig.tag}/5/board-{rig.tag}/$state"
    births = f"spBv1.0/plant-{rig.tag}/NBIRTH/edge-{rig.tag}"
    await rig.probe.wait_for_value(state, b"ready")
    await rig.probe.wait_until(lambda: bool(rig.probe.values(births)))
    first = spb.NBirth.decode(rig.probe.values(births)[0])
    node, device = rig.gw.data[DATA_SPARKPLUG], rig.gw.data[DATA_HOMIE]
    main_id = get_data(rig.gw).config.client_id
    assert (device.link.client_id, node.link.client_id) == (f"{main_id}-homie", f"{main_id}-spb")
    await rig.probe.disconnect()
    await private_broker.async_stop()
    await wait_for_link(node.link, lambda link: not link.connected)
    await wait_for_link(device.link, lambda link: not link.connected)
    # Its will said `lost` (retained); the NBIRTH of the next session is not retained: the
    # probe must be there before the gateway is back.
    await private_broker.async_start()
    probe: MqttProbe = await mqtt_probe_factory(private_broker.port)
    await probe.subscribe(f"homie-{rig.tag}/#")
    await probe.subscribe(f"spBv1.0/plant-{rig.tag}/#")
    if node.link.session_open:  # back before the probe: ask for a birth, as a late host does
        rebirth = spb.Metric(None, "Node Control/Rebirth", spb.DataType.BOOLEAN, value=True)
        payload = spb.NCmd(timestamp=spb.get_current_timestamp(), metrics=(rebirth,)).encode()
        await probe.client.publish(f"spBv1.0/plant-{rig.tag}/NCMD/edge-{rig.tag}", payload)
    await probe.wait_until(lambda: bool(probe.values(births)), timeout=30)
    again = spb.NBirth.decode(probe.values(births)[0])
    bd_seqs = [
        next(m.value for m in birth.metrics if m.name == "bdSeq") for birth in (first, again)
    ]
    assert bd_seqs[1] > bd_seqs[0]
    assert again.seq == 0
    await probe.wait_until(lambda: probe.values(state)[-1:] == [b"ready"], timeout=30)
    assert node.born
    assert node.link.connections == device.link.connections == 2


async def test_both_over_mqtt_3_1_1(make_rig: Any) -> None:
    """The 3.1.1 path: clean session, subscriptions in one SUBSCRIBE, commands delivered."""
    rig: Rig = await make_rig(BOTH, FILTERS, protocol="3.1.1")
    b = f"homie-{rig.tag}/5/board-{rig.tag}"
    await rig.probe.wait_for_value(f"{b}/$state", b"ready")
    births = f"spBv1.0/plant-{rig.tag}/NBIRTH/edge-{rig.tag}"
    await rig.probe.wait_until(lambda: bool(rig.probe.values(births)))
    await rig.probe.publish(f"{b}/switch-relay-1/state/set", "true")
    await rig.probe.wait_for_value(f"{b}/switch-relay-1/state", b"true")
    assert rig.pin(22).state == 1
    data = f"spBv1.0/plant-{rig.tag}/NDATA/edge-{rig.tag}"
    await rig.probe.wait_until(lambda: bool(rig.probe.values(data)))
    birth = spb.NBirth.decode(rig.probe.values(births)[0])
    ndata = spb.NData.decode(rig.probe.values(data)[0], birth=birth)
    assert [(m.name, m.value) for m in ndata.metrics] == [("switch/relay_1", True)]
