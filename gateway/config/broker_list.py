"""`mqtt.host`: one broker or a list of them (failover in order), each `host`, `host:port`,
`[ipv6]`, `[ipv6]:port` or a bare IPv6 address.

An entry without a port takes the section's `port` (resolved by `MqttConfig`), so TLS,
credentials and the port default apply to every broker alike.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from typing import Any, Final

import voluptuous as vol

from gateway.config.model import BrokerAddress

__all__ = ["broker_list", "parse_broker"]

_BRACKETED: Final = re.compile(r"\[(?P<host>[^\[\]]+)\](?::(?P<port>[^:]*))?")
_FORBIDDEN: Final = re.compile(r"[\s/\[\]@]")
_FORMS: Final = "expected host, host:port, [ipv6] or [ipv6]:port"


def broker_list(value: Any) -> tuple[BrokerAddress, ...]:
    """A host or a non-empty list of distinct hosts; errors name the bad item."""
    items = value if isinstance(value, list) else [value]
    if not items:
        raise vol.Invalid("expected at least one broker")
    brokers: list[BrokerAddress] = []
    errors: list[vol.Invalid] = []
    for index, item in enumerate(items):
        path: list[Hashable] = [index] if isinstance(value, list) else []
        try:
            broker = parse_broker(item)
        except vol.Invalid as err:
            errors.append(vol.Invalid(err.error_message, path=path))
            continue
        if broker in brokers:
            errors.append(vol.Invalid("this broker is listed twice", path=path))
        brokers.append(broker)
    if errors:
        raise vol.MultipleInvalid(errors)
    return tuple(brokers)


def parse_broker(value: Any) -> BrokerAddress:
    """One entry; raises `vol.Invalid` with the accepted forms."""
    if not isinstance(value, str) or not value.strip():
        raise vol.Invalid(_FORMS)
    text = value.strip()
    if text.startswith("["):
        match = _BRACKETED.fullmatch(text)
        if match is None:
            raise vol.Invalid(_FORMS)
        host, port = match["host"], match["port"]
    elif text.count(":") == 1:
        host, port = text.split(":")
    else:  # a name, an IPv4 address, or a bare IPv6 address (no port possible)
        host, port = text, None
    if not host or _FORBIDDEN.search(host):
        raise vol.Invalid(_FORMS)
    return BrokerAddress(host, 0 if port is None else _port(port))


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise vol.Invalid("the port must be a number from 1 to 65535")
    return int(text)
