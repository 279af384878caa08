"""The web server: aiohttp in the gateway's loop, started with the gateway, stopped with it.

It owns everything it starts: the listening socket, the connections (aiohttp's runner), the
open event streams (ended first on stop, so the stop does not wait for them), the log handler
on the root logger and its bus listeners.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from importlib import resources
from typing import Final

from aiohttp import web

from ..config.web import WebConfig
from ..const import EVENT_GATEWAY_FINAL_WRITE, EVENT_STATE_CHANGED
from ..core import Event, Gateway, callback
from ..diagnostics import async_health_source
from ..event_data import NoEventData, StateChangedData
from .api import Api, StateCache, dumps
from .history import History
from .logbuffer import LogBuffer
from .security import make_guard
from .stream import StreamHub, sse_message

__all__ = ["MAX_BODY_BYTES", "STATIC_FILES", "WebServer"]

_LOGGER = logging.getLogger(__name__)
MAX_BODY_BYTES: Final = 16 * 1024  # service data is a small JSON object
SHUTDOWN_SECONDS: Final = 1.0
# The page's files, served from memory by name: no path from a request reaches the disk.
STATIC_FILES: Final = {
    "index.html": "text/html",
    "app.js": "text/javascript",
    "style.css": "text/css",
    "favicon.svg": "image/svg+xml",
}
PAGE_HEADERS: Final = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def _read_static() -> dict[str, bytes]:
    """The page's files from the installed package (blocking: run it in the pool)."""
    folder = resources.files(__package__).joinpath("static")
    return {name: folder.joinpath(name).read_bytes() for name in STATIC_FILES}


class WebServer:
    """One aiohttp application on `config.host:config.port`."""

    def __init__(self, gw: Gateway, config: WebConfig) -> None:
        self.gw = gw
        self.config = config
        self.hub = StreamHub()
        self.history = History(time.time)
        self.logs = LogBuffer()
        self.cache = StateCache()
        self.api = Api(gw, self.cache, self.hub, self.history, self.logs)
        self.port = 0
        self._files: dict[str, bytes] = {}
        self._runner: web.AppRunner | None = None
        self._undo: list[Callable[[], None]] = []

    @property
    def url(self) -> str:
        host = f"[{self.config.host}]" if ":" in self.config.host else self.config.host
        return f"http://{host}:{self.port}/"

    async def async_start(self) -> None:
        """Listen; raises OSError when the address cannot be had (a port in use)."""
        self._files = await self.gw.async_add_executor_job(_read_static)
        async_health_source(self.gw)  # loop lag is sampled from now on
        runner = web.AppRunner(
            self._app(), handle_signals=False, access_log=None, shutdown_timeout=SHUTDOWN_SECONDS
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.config.host, self.config.port, reuse_address=True)
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        self._listen()
        _LOGGER.info("Web page at %s", self.url)

    def _app(self) -> web.Application:
        app = web.Application(middlewares=[make_guard(self.config)], client_max_size=MAX_BODY_BYTES)
        api = self.api
        app.router.add_get("/", self._page)
        app.router.add_get("/static/{name}", self._static)
        app.router.add_get("/api/info", api.info)
        app.router.add_get("/api/states", api.states)
        app.router.add_get("/api/states/{entity_id}", api.state)
        app.router.add_post("/api/services/{domain}/{service}", api.call_service)
        app.router.add_get("/api/stream", api.stream, allow_head=False)
        app.router.add_get("/api/history/{entity_id}", api.history_of)
        app.router.add_get("/api/health", api.health)
        app.router.add_get("/api/logs", api.logs_tail)
        app.router.add_get("/metrics", api.metrics)
        app.on_response_prepare.append(_add_headers)
        return app

    def _listen(self) -> None:
        for state in self.gw.states.async_all():
            self.cache.update(state)
            self.history.record(state.entity_id, state.state)
        root = logging.getLogger()
        root.addHandler(self.logs)
        self._undo = [
            lambda: root.removeHandler(self.logs),
            self.gw.bus.async_listen(EVENT_STATE_CHANGED, self._async_on_state_changed),
            self.gw.bus.async_listen_once(EVENT_GATEWAY_FINAL_WRITE, self._async_on_stop),
        ]

    @callback
    def _async_on_state_changed(self, event: Event[StateChangedData]) -> None:
        entity_id, new = event.data["entity_id"], event.data["new_state"]
        if new is None:
            self.cache.remove(entity_id)
            self.history.forget(entity_id)
            if self.hub.has_clients:
                self.hub.async_send(sse_message("remove", dumps({"entity_id": entity_id})))
            return
        text = self.cache.update(new)
        self.history.record(entity_id, new.state)
        if self.hub.has_clients:
            self.hub.async_send(sse_message("state", text))

    @callback
    def _async_on_stop(self, _event: Event[NoEventData]) -> None:
        self.gw.async_create_task(self.async_stop(), name="web server stop")

    async def async_stop(self) -> None:
        """End the streams, close the connections and the socket; idempotent."""
        for undo in self._undo:
            undo()
        self._undo = []
        self.hub.async_close_all()
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    # -- the page -----------------------------------------------------------------------------

    async def _page(self, _request: web.Request) -> web.Response:
        return self._file("index.html")

    async def _static(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in STATIC_FILES:
            return web.json_response({"error": "not found"}, status=404)
        return self._file(name)

    def _file(self, name: str) -> web.Response:
        return web.Response(
            body=self._files[name],
            headers={"Content-Type": STATIC_FILES[name], "Cache-Control": "no-cache"},
        )


async def _add_headers(_request: web.Request, response: web.StreamResponse) -> None:
    for key, value in PAGE_HEADERS.items():
        response.headers.setdefault(key, value)
