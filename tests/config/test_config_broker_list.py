"""`mqtt.host` as one broker or a list (issue 17): the forms accepted and the ports they get."""

from __future__ import annotations

from typing import Any

import pytest
import voluptuous as vol

from gateway.config.model import BrokerAddress, MqttConfig, TlsConfig
from gateway.config.schema import validate_mqtt


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("broker.lan", ["broker.lan:1883"]),
        ("10.0.0.3:1884", ["10.0.0.3:1884"]),
        ("[fd00::1]:1884", ["[fd00::1]:1884"]),
        ("[fd00::1]", ["[fd00::1]:1883"]),
        ("fd00::1", ["[fd00::1]:1883"]),  # bare IPv6: no port possible
        (["10.0.0.2", "10.0.0.3:1884", "broker-c.lan"],
         ["10.0.0.2:1883", "10.0.0.3:1884", "broker-c.lan:1883"]),
    ],
)  # fmt: skip
def test_forms_and_ports(host: Any, expected: list[str]) -> None:
    config = validate_mqtt({"host": host}, "node")
    assert [str(broker) for broker in config.brokers] == expected
    assert (config.host, config.port) == (config.brokers[0].host, config.brokers[0].port)


def test_entries_without_a_port_take_the_sections_port_and_tls_default() -> None:
    config = validate_mqtt({"host": ["a", "b:1884"], "tls": True}, "node")
    assert config.brokers == (BrokerAddress("a", 8883), BrokerAddress("b", 1884))
    config = validate_mqtt({"host": ["a", "b:1884"], "port": 2883}, "node")
    assert config.brokers == (BrokerAddress("a", 2883), BrokerAddress("b", 1884))


def test_built_without_a_list_the_one_broker_is_host_and_port() -> None:
    config = MqttConfig(host="h", port=0, tls=TlsConfig(), client_id="c")
    assert config.brokers == (BrokerAddress("h", 8883),)


@pytest.mark.parametrize("host", [[], "", "a b", "h:", "h:x", "[::1", "[::1]:0", 5, ["a", "a"]])
def test_refused(host: Any) -> None:
    with pytest.raises(vol.Invalid):
        validate_mqtt({"host": host}, "node")
