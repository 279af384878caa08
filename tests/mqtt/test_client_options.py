"""`GatewayClient` reaches into aiomqtt's and paho's privates: fail on a version it was not
written for, rather than misbehave quietly."""

from __future__ import annotations

import importlib.metadata
import inspect

import aiomqtt
import paho.mqtt.client as mqtt

from gateway.mqtt.client_options import SUPPORTED_AIOMQTT, GatewayClient


def test_written_for_this_aiomqtt() -> None:
    version = importlib.metadata.version("aiomqtt")
    assert version.startswith(f"{SUPPORTED_AIOMQTT}."), (
        f"GatewayClient was written for aiomqtt {SUPPORTED_AIOMQTT}; check its overrides "
        f"against aiomqtt {version} before moving SUPPORTED_AIOMQTT"
    )


def test_the_privates_it_relies_on_are_there() -> None:
    init = inspect.getsource(aiomqtt.Client.__init__)
    for attribute in ("self._connected", "self._disconnected", "self._client", "self._loop"):
        assert attribute in init
    assert "on_disconnect = self._on_disconnect" in inspect.getsource(aiomqtt.Client)
    overridden = inspect.signature(aiomqtt.Client._on_disconnect).parameters
    assert list(overridden) == list(inspect.signature(GatewayClient._on_disconnect).parameters)
    assert callable(mqtt.Client._sock_close)
