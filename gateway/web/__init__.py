"""The web page, the HTTP API and `/metrics` (DESIGN: "Web page, HTTP API and metrics").

Imported by bootstrap only when the config has a `web:` section, and with it aiohttp: a
gateway without the page keeps none of it in memory. Needs the `web` extra
(`pip install 'boardgate[web]'`).
"""

from __future__ import annotations

import logging
from typing import Final

from ..config.web import WebConfig
from ..core import Gateway
from ..gateway_data import DataKey
from .server import WebServer

__all__ = ["DATA_WEB", "WebServer", "async_get_server", "async_setup"]

_LOGGER = logging.getLogger(__name__)
DATA_WEB: Final[DataKey[WebServer]] = DataKey("web")


async def async_setup(gw: Gateway, config: WebConfig) -> None:
    """Start serving. An address that cannot be had (a port in use) is a one-line warning:
    the gateway runs on without its page rather than not at all."""
    server = WebServer(gw, config)
    try:
        await server.async_start()
    except OSError as exc:
        _LOGGER.warning(
            "Web page not served: cannot listen on %s:%s (%s)", config.host, config.port, exc
        )
        return
    gw.data[DATA_WEB] = server


def async_get_server(gw: Gateway) -> WebServer | None:
    """The running web server (None when not configured or not listening)."""
    return gw.data.get(DATA_WEB)
