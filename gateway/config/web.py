"""The `web:` section: where the page, the HTTP API and `/metrics` listen, and who may use them.

Its own module so that the core schema only names it; the web server itself (`gateway.web`,
aiohttp) is imported only by bootstrap, and only when the section is present.
"""

from __future__ import annotations

import importlib.util
import ipaddress
from dataclasses import dataclass, field
from typing import Any, Final

import voluptuous as vol

from gateway.config import cv

__all__ = ["WEB_KEYS", "WebConfig", "is_loopback", "validate_web"]

LOOPBACK_NAMES: Final = frozenset({"localhost", "ip6-localhost", "ip6-loopback"})


@dataclass(frozen=True, slots=True)
class WebConfig:
    """The validated `web:` section. `password` None: no authentication (loopback only)."""

    host: str = "127.0.0.1"
    port: int = 8080  # 0: a free port, chosen when the server starts (tests, the demo)
    username: str = "admin"
    password: str | None = field(default=None, repr=False)
    metrics_auth: bool = True


_WEB: Final = vol.Schema(
    {
        vol.Optional("host"): cv.non_empty_string,
        vol.Optional("port"): cv.int_range(0, 65535),
        vol.Optional("username"): cv.non_empty_string,
        vol.Optional("password"): cv.optional(cv.non_empty_string),
        vol.Optional("metrics_auth"): cv.boolean,
    }
)
WEB_KEYS: Final = tuple(str(key.schema) for key in _WEB.schema)


def is_loopback(host: str) -> bool:
    """Whether `host` is reachable only from this machine (127.0.0.0/8, ::1, localhost)."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def validate_web(value: Any) -> WebConfig:
    """A page reachable from the network without a password would let anyone switch outputs."""
    config = WebConfig(**_WEB(value))
    if importlib.util.find_spec("aiohttp") is None:
        raise vol.Invalid("the web page needs the web extra: pip install 'boardgate[web]'")
    if config.password is None and not is_loopback(config.host):
        raise vol.Invalid(
            "not a loopback address: set web.password to serve the page on the network",
            path=["host"],
        )
    return config
