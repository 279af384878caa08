"""Issue 12, items 2 and 3: reloads through the `boardgate` process.

Two SIGHUPs a few ms apart (config Y written, SIGHUP, config X written atomically, SIGHUP) must
leave the gateway on X, the file on disk at the last request; an empty or half-written file is
rejected on reload and the running config (entities, retained topics, discovery) kept.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.broker import Mosquitto
from tests.fixtures_mqtt import MqttProbe
from tests.helpers import in_thread
from tests.mqtt.conftest import unique
from tests.process import GatewayProcess

from .conftest import figure

TRIES = 12
SWITCHES = 10  # per config: enough for two reloads to overlap
SETTLE_TIMEOUT = 5.0
ProbeFactory = Callable[..., Any]
ProcessFactory = Callable[..., GatewayProcess]


def _config(broker: Mosquitto, base: str, state_dir: Path, switches: list[str]) -> str:
    lines = "".join(f"  - {{platform: virtual, name: {name}}}\n" for name in switches)
    return (
        f"gateway: {{node_id: rl, state_dir: {state_dir}}}\n"
        f"mqtt: {{host: 127.0.0.1, port: {broker.port}, client_id: {base},\n"
        f"       base_topic: {base}, keepalive: 10, discovery: {{prefix: {base}-ha}}}}\n"
        f"switch:\n{lines}"
    )


def write_atomically(path: Path, text: str) -> None:
    """What an editor or a deployment tool does: a temporary file renamed over the old one."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _info_ids(probe: MqttProbe, b: str) -> set[str]:
    payload = probe.latest.get(f"{b}/bridge/info")
    if payload is None:
        return set()
    return {entity["entity_id"] for entity in json.loads(payload)["entities"]}


async def _started(
    make_probe: ProbeFactory, broker: Mosquitto, process: GatewayProcess, b: str
) -> MqttProbe:
    probe: MqttProbe = await make_probe(broker.port)
    await probe.subscribe(f"{b}/#")
    await in_thread(process.start)
    await probe.wait_for_value(f"{b}/status", "online")
    await in_thread(process.wait_for_output, "Boardgate running")  # SIGHUP handler installed
    return probe


async def test_two_sighups_ms_apart_end_on_the_last_file(
    gateway_processes: ProcessFactory,
    mqtt_broker: Mosquitto,
    mqtt_probe_factory: ProbeFactory,
    tmp_path: Path,
) -> None:
    """Config Y, SIGHUP, config X written atomically, SIGHUP: the gateway ends on X."""
    base = unique("bgrl")
    b = f"{base}/rl"

    def config(name: str) -> str:
        names = [f"{name} {i}" for i in range(SWITCHES)]
        return _config(mqtt_broker, base, tmp_path / "state", ["Keep", *names])

    def entity_ids(name: str) -> set[str]:
        return {"switch.keep", *(f"switch.{name.lower()}_{i}" for i in range(SWITCHES))}

    process = await in_thread(gateway_processes, config("X0"))
    probe = await _started(mqtt_probe_factory, mqtt_broker, process, b)
    await probe.wait_until(lambda: _info_ids(probe, b) == entity_ids("X0"))

    def two_reloads(y: str, x: str) -> None:
        write_atomically(process.config_path, y)
        process.send(signal.SIGHUP)
        write_atomically(process.config_path, x)
        process.send(signal.SIGHUP)

    failures: list[str] = []
    errors_seen = 0
    for attempt in range(1, TRIES + 1):
        wanted = entity_ids(f"X{attempt}")
        await in_thread(two_reloads, config(f"Y{attempt}"), config(f"X{attempt}"))
        try:
            # X is on disk for good once written: a gateway that shows X stays on X.
            await probe.wait_until(lambda: _info_ids(probe, b) == wanted, SETTLE_TIMEOUT)  # noqa: B023
        except AssertionError:
            failures.append(f"try {attempt}: {sorted(_info_ids(probe, b) - wanted)} left over")
            continue
        errors = (await in_thread(process.output)).count(" ERROR ")
        if errors > errors_seen:
            failures.append(f"try {attempt}: ended on X with {errors - errors_seen} ERRORs")
            errors_seen = errors
    figure(
        "12.2 SIGHUP, config X, SIGHUP ms apart",
        f"ended on X without an ERROR in {TRIES - len(failures)} of {TRIES} tries",
    )
    assert not failures, f"{len(failures)} of {TRIES} tries did not end on X: {failures}"
    output = await in_thread(process.output)
    assert "ERROR" not in output, output


async def test_coalesced_bridge_reload_requests_each_get_a_response(
    gateway_processes: ProcessFactory,
    mqtt_broker: Mosquitto,
    mqtt_probe_factory: ProbeFactory,
    tmp_path: Path,
) -> None:
    """Reload requests sent back to back share reloads, yet every one is answered."""
    base = unique("bgrq")
    b = f"{base}/rl"
    state_dir = tmp_path / "state"
    process = await in_thread(
        gateway_processes, _config(mqtt_broker, base, state_dir, ["Keep", "Old"])
    )
    probe = await _started(mqtt_probe_factory, mqtt_broker, process, b)
    new = _config(mqtt_broker, base, state_dir, ["Keep", "New"])
    await in_thread(write_atomically, process.config_path, new)
    requests = 6
    for number in range(requests):
        await probe.publish(f"{b}/bridge/request/reload", json.dumps({"transaction": number}))
    topic = f"{b}/bridge/response/reload"
    await probe.wait_until(lambda: len(probe.values(topic)) == requests, what=topic)
    responses = [json.loads(payload) for payload in probe.values(topic)]
    assert sorted(response["transaction"] for response in responses) == list(range(requests))
    assert {response["status"] for response in responses} == {"ok"}
    await probe.wait_until(lambda: _info_ids(probe, b) == {"switch.keep", "switch.new"})
    reloads = (await in_thread(process.output)).count("Reloaded:")
    figure("12.2 six bridge reload requests back to back", f"{requests} answers, {reloads} reloads")


BAD_FILES = {
    "empty (`: > config.yaml`)": "",
    "cut short before the entities": "gateway: {node_id: rl}\nmqtt: {host: 127.0.0.1}\n",
    "cut short inside an entity": "gateway: {node_id: rl}\nswitch:\n  - {platform: virtual, na",
}


async def test_empty_or_half_written_file_is_rejected_on_reload(
    gateway_processes: ProcessFactory,
    mqtt_broker: Mosquitto,
    mqtt_probe_factory: ProbeFactory,
    tmp_path: Path,
) -> None:
    """Each bad file: rejected with its reason; entities, retained topics and discovery kept."""
    base = unique("bgbad")
    b = f"{base}/rl"
    good = _config(mqtt_broker, base, tmp_path / "state", ["Keep", "Relay"])
    process = await in_thread(gateway_processes, good)
    probe = await _started(mqtt_probe_factory, mqtt_broker, process, b)
    await probe.subscribe(f"{base}-ha/#")
    discovery = f"{base}-ha/device/rl/config"
    await probe.wait_for_value(f"{b}/switch/relay/state", "OFF")
    await probe.wait_until(lambda: discovery in probe.latest, what=discovery)
    info_before, discovery_before = probe.latest[f"{b}/bridge/info"], probe.latest[discovery]
    seen_before = len(probe.messages)
    infos_before = len(probe.values(f"{b}/bridge/info"))

    kept = 0
    for number, text in enumerate(BAD_FILES.values(), start=1):
        await in_thread(process.config_path.write_text, text)  # not atomic: as `: >` does
        await in_thread(process.send, signal.SIGHUP)
        await in_thread(_wait_for_reload_outcome, process, number)
        if "Reload rejected" in (await in_thread(process.output)).split("SIGHUP received")[-1]:
            kept += 1
    # The same through the bridge: the response gives the reason.
    await in_thread(process.config_path.write_text, "")
    await probe.publish(f"{b}/bridge/request/reload", json.dumps({"transaction": "empty"}))
    response_topic = f"{b}/bridge/response/reload"
    await probe.wait_until(lambda: bool(probe.values(response_topic)), what=response_topic)
    response = json.loads(probe.values(response_topic)[-1])
    assert (response["status"], response["transaction"]) == ("error", "empty")
    assert "<root>: nothing to run" in response["error"]
    # Nothing published since looks like a removal (bridge/info comes after each outcome).
    infos = len(BAD_FILES) + 1
    await probe.wait_until(lambda: len(probe.values(f"{b}/bridge/info")) >= infos_before + infos)
    since = probe.messages[seen_before:]
    emptied = sorted({m.topic.value for m in since if not m.payload})
    figure(
        "12.3 empty / half-written file + SIGHUP",
        f"rejected {kept} of {len(BAD_FILES)}; {len(emptied)} retained topics emptied",
    )
    assert kept == len(BAD_FILES), await in_thread(process.output)
    assert not emptied
    await probe.publish(f"{b}/switch/relay/set", "ON")  # and the gateway still obeys
    await probe.wait_for_value(f"{b}/switch/relay/state", "ON")
    assert probe.latest[f"{b}/bridge/info"] == info_before
    assert probe.latest[discovery] == discovery_before
    output = await in_thread(process.output)
    assert "ERROR" not in output, output
    assert output.count("Reload rejected; keeping the running config") == len(BAD_FILES) + 1


def _wait_for_reload_outcome(process: GatewayProcess, count: int) -> None:
    """Block until `count` reloads ended, applied or rejected (each logs one of these)."""
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while True:
        output = process.output()
        if output.count("Reloaded:") + output.count("Reload rejected") >= count:
            return
        assert time.monotonic() < deadline, f"no reload outcome logged:\n{output}"
        time.sleep(0.02)
