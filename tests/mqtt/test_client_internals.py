"""`gateway.mqtt.client` is the one module that reaches into aiomqtt's and paho's privates:
these tests fail on a version it was not written for, rather than let it misbehave quietly.

`GatewayClient` overrides aiomqtt's connect/disconnect handling, `guard_socket_registration`
replaces the client's loop, `outgoing_backlog` reads paho's `_out_packet` and `_out_messages`,
and `call_when_drained` wraps the socket-unregister-write callback aiomqtt installs. A new
aiomqtt or paho must be checked against all of them before the pins are moved.
"""

from __future__ import annotations

import inspect
from importlib.metadata import version

import aiomqtt
import paho.mqtt.client as mqtt

from gateway.mqtt.client import (
    SUPPORTED_AIOMQTT,
    SUPPORTED_PAHO,
    GatewayClient,
    call_when_drained,
    outgoing_backlog,
)


def test_written_for_these_versions() -> None:
    for package, supported in (("aiomqtt", SUPPORTED_AIOMQTT), ("paho-mqtt", SUPPORTED_PAHO)):
        installed = version(package)
        assert installed.startswith(f"{supported}."), (
            f"gateway/mqtt/client.py was written for {package} {supported}; check what it "
            f"reaches into against {package} {installed} before moving the pin"
        )


def test_the_privates_it_relies_on_are_there() -> None:
    init = inspect.getsource(aiomqtt.Client.__init__)
    for attribute in ("self._connected", "self._disconnected", "self._client", "self._loop"):
        assert attribute in init
    assert "on_disconnect = self._on_disconnect" in inspect.getsource(aiomqtt.Client)
    overridden = inspect.signature(aiomqtt.Client._on_disconnect).parameters
    assert list(overridden) == list(inspect.signature(GatewayClient._on_disconnect).parameters)
    assert callable(mqtt.Client._sock_close)
    paho = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    assert hasattr(paho, "_out_packet")
    assert hasattr(paho, "_out_messages")


async def test_backlog_counts_queued_publishes_and_drained_chains_aiomqtt() -> None:
    client = aiomqtt.Client("127.0.0.1", 1)  # never connected
    paho = client._client
    assert outgoing_backlog(paho) == 0
    paho._out_packet.append({"packet": b""})  # type: ignore[typeddict-item]
    assert outgoing_backlog(paho) == 1

    calls: list[str] = []
    paho.on_socket_unregister_write = lambda *_: calls.append("aiomqtt")
    call_when_drained(client, lambda: calls.append("drained"))
    paho.on_socket_unregister_write(paho, None, None)  # type: ignore[misc, arg-type]
    assert calls == ["aiomqtt", "drained"]
