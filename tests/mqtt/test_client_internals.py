"""The paho/aiomqtt internals `client_options` relies on, pinned to the versions it was written for.

`outgoing_backlog` reads paho's private `_out_packet` and `_out_messages`; `call_when_drained`
wraps the socket-unregister-write callback aiomqtt installs. A new aiomqtt or paho must be
checked against these before the pins below are moved.
"""

from __future__ import annotations

from importlib.metadata import version

import aiomqtt

from gateway.mqtt.client_options import call_when_drained, outgoing_backlog


def test_written_for_aiomqtt_2_5_and_paho_2_2() -> None:
    assert version("aiomqtt").startswith("2.5."), "re-check gateway/mqtt/client_options.py"
    assert version("paho-mqtt").startswith("2.2."), "re-check gateway/mqtt/client_options.py"


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
