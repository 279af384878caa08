"""The HTTP API's handlers: `/api/...` and `/metrics` (the routes are in `server.py`).

Service calls go through `gw.services`, the same services and schemas an MQTT `<e>/set`
reaches, so the page can do nothing a command could not; a refusal is a 400 with the
voluptuous message.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, Final

import voluptuous as vol
from aiohttp import web

from ..const import STATE_UNAVAILABLE, __version__
from ..core import Gateway, State
from ..diagnostics import async_health, async_health_source
from ..domains.registry import DOMAINS
from ..entity_component import async_get_component
from ..user_errors import USER_ERRORS, log_failure
from .history import History
from .logbuffer import LogBuffer
from .metrics import CONTENT_TYPE, render_metrics
from .stream import PING_SECONDS, StreamHub, sse_message

if TYPE_CHECKING:
    from ..config.model import Config

__all__ = ["Api", "StateCache", "dumps", "state_json"]

_LOGGER = logging.getLogger(__name__)
SSE_HEADERS: Final = {
    "Content-Type": "text/event-stream",
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",  # a reverse proxy in front must not buffer the stream
}


def dumps(value: Any) -> str:
    """Compact JSON; attribute values JSON does not know (a datetime) become strings."""
    return json.dumps(value, separators=(",", ":"), default=str)


def state_json(state: State) -> dict[str, Any]:
    """One entity's state as the API and the stream give it."""
    return {
        "entity_id": state.entity_id,
        "state": state.state,
        "attributes": dict(state.attributes),
        "available": state.state != STATE_UNAVAILABLE,
        "last_changed": state.last_changed.isoformat(),
    }


class StateCache:
    """Each entity's state JSON, serialized once per change and shared by `/api/states`,
    `/api/states/<id>`, the stream's events and its snapshots (a page polling `/api/states`
    then costs a join, not 50 serializations)."""

    def __init__(self) -> None:
        self._items: dict[str, str] = {}
        self._all: bytes | None = None

    def update(self, state: State) -> str:
        text = dumps(state_json(state))
        self._items[state.entity_id] = text
        self._all = None
        return text

    def remove(self, entity_id: str) -> None:
        self._items.pop(entity_id, None)
        self._all = None

    def get(self, entity_id: str) -> str | None:
        return self._items.get(entity_id)

    def all(self) -> bytes:
        """Every state, by entity id, as one JSON list."""
        if self._all is None:
            joined = ",".join(self._items[entity_id] for entity_id in sorted(self._items))
            self._all = f"[{joined}]".encode()
        return self._all


def _json(value: Any, status: int = 200) -> web.Response:
    return web.Response(text=dumps(value), status=status, content_type="application/json")


def _error(status: int, message: str) -> web.Response:
    return _json({"status": "error", "error": message}, status)


def invalid_message(exc: vol.Invalid) -> str:
    """Every error of a voluptuous failure (its `str` shows only the first)."""
    errors = exc.errors if isinstance(exc, vol.MultipleInvalid) else [exc]
    return "; ".join(str(error) for error in errors)


class Api:
    """The handlers, bound to one gateway and the web server's buffers."""

    def __init__(
        self, gw: Gateway, cache: StateCache, hub: StreamHub, history: History, logs: LogBuffer
    ) -> None:
        self.gw = gw
        self.cache = cache
        self.hub = hub
        self.history = history
        self.logs = logs

    async def states(self, _request: web.Request) -> web.Response:
        return web.Response(body=self.cache.all(), content_type="application/json")

    async def state(self, request: web.Request) -> web.Response:
        entity_id = request.match_info["entity_id"]
        text = self.cache.get(entity_id)
        if text is None:
            return _json({"error": f"unknown entity: {entity_id}"}, 404)
        return web.Response(text=text, content_type="application/json")

    async def history_of(self, request: web.Request) -> web.Response:
        entity_id = request.match_info["entity_id"]
        if self.gw.states.get(entity_id) is None:
            return _json({"error": f"unknown entity: {entity_id}"}, 404)
        return _json([[round(when, 3), value] for when, value in self.history.points(entity_id)])

    async def health(self, _request: web.Request) -> web.Response:
        return _json(await self.async_health())

    async def logs_tail(self, _request: web.Request) -> web.Response:
        return _json(self.logs.records())

    async def metrics(self, _request: web.Request) -> web.Response:
        text = render_metrics(self.gw.states.async_all(), await self.async_health())
        return web.Response(body=text.encode(), headers={"Content-Type": CONTENT_TYPE})

    async def info(self, _request: web.Request) -> web.Response:
        return _json(self.async_info())

    async def call_service(self, request: web.Request) -> web.Response:
        domain, service = request.match_info["domain"], request.match_info["service"]
        try:
            data = json.loads(await request.read() or b"{}")
        except (ValueError, RecursionError):
            return _error(400, "the body must be a JSON object")
        if not isinstance(data, dict):
            return _error(400, "the body must be a JSON object")
        try:
            await self.gw.services.async_call(domain, service, data)
        except vol.Invalid as exc:
            _LOGGER.warning("Web: %s.%s refused: %s", domain, service, invalid_message(exc))
            return _error(400, invalid_message(exc))
        except USER_ERRORS as exc:
            log_failure(_LOGGER, exc, "Web: %s.%s failed", domain, service)
            return _error(400, str(exc) or type(exc).__name__)
        except Exception as exc:  # a bug: ERROR with its traceback, and a 500
            log_failure(_LOGGER, exc, "Web: %s.%s failed", domain, service)
            return _error(500, "internal error (see the gateway's log)")
        return _json({"status": "ok"})

    async def stream(self, request: web.Request) -> web.StreamResponse:
        """A snapshot of every state, then one `state` (or `remove`) event per change."""
        if self.hub.full:
            return _error(503, "too many open streams")
        response = web.StreamResponse(headers=SSE_HEADERS)
        await response.prepare(request)
        client = self.hub.async_open()  # no await until the snapshot: nothing falls between
        snapshot = sse_message("snapshot", self.cache.all().decode())
        try:
            await response.write(b"retry: 2000\n" + snapshot)
            while not client.closed:
                try:  # asyncio.timeout, not wait_for: no task of its own per wake-up (3.11)
                    async with asyncio.timeout(PING_SECONDS):
                        await client.wake.wait()
                except TimeoutError:
                    await response.write(sse_message("ping", "{}"))
                    continue
                await response.write(client.take())
        except ConnectionError:  # the page went away
            pass
        finally:
            self.hub.async_remove(client)
        return response

    # -- data ---------------------------------------------------------------------------------

    async def async_health(self) -> dict[str, Any]:
        return await async_health(self.gw, self._mqtt_stats())

    def _mqtt_stats(self) -> dict[str, Any] | None:
        config: Config | None = self.gw.config
        if config is None or config.mqtt is None:
            return None
        from .. import mqtt  # already loaded: MQTT is configured

        return asdict(mqtt.async_get_stats(self.gw))

    def async_info(self) -> dict[str, Any]:
        """The device header and each entity's name, domain and unit, for the page."""
        config = self.gw.config
        stats = self._mqtt_stats()
        uptime = time.monotonic() - async_health_source(self.gw).started_monotonic
        return {
            "name": config.core.name if config else "",
            "node_id": config.core.node_id if config else "",
            "version": __version__,
            "uptime_s": round(uptime, 1),
            "mqtt": {
                "configured": stats is not None,
                "connected": bool(stats and stats["connected"]),
            },
            "entities": self._entities(),
        }

    def _entities(self) -> list[dict[str, Any]]:
        entities: list[dict[str, Any]] = []
        for domain in DOMAINS:
            component = async_get_component(self.gw, domain)
            for entity_id, entity in sorted((component.entities if component else {}).items()):
                unit = getattr(entity, "unit_of_measurement", None)
                entities.append(
                    {"entity_id": entity_id, "domain": domain, "name": entity.name, "unit": unit}
                )
        for state in sorted(self.gw.states.async_all("automation"), key=lambda s: s.entity_id):
            name = state.attributes.get("alias") or state.attributes.get("id") or state.entity_id
            entities.append(
                {"entity_id": state.entity_id, "domain": "automation", "name": name, "unit": None}
            )
        return entities
