"""The bridge API: `<b>/bridge/info`, `<b>/bridge/health` and `<b>/bridge/request/<cmd>`.

Requests carry JSON (an empty payload counts as `{}`) with an optional `transaction`, echoed in
the response on `<b>/bridge/response/<cmd>`: `{"status": "ok", "data": {...}}` or
`{"status": "error", "error": "..."}`. Retained requests are ignored, like retained commands.

Requests come from anyone who may publish on the broker, so parsing is bounded: a payload over
`MAX_REQUEST_BYTES` or nested too deeply for the JSON parser gets an error response, and only a
`transaction` that is a string of at most `MAX_TRANSACTION_CHARS` characters or a finite number
is echoed (any other transaction is refused with an error, so a client never gets back more
than it can match on).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Final

from ... import mqtt
from ...const import (
    EVENT_GATEWAY_STOP,
    EVENT_RELOAD_FINISHED,
    STATE_UNAVAILABLE,
    __version__,
)
from ...core import Event, Gateway, callback
from ...diagnostics import async_health, async_health_source
from ...domains.registry import DOMAINS
from ...entity_component import async_get_component
from ...event import async_track_time_interval
from ...exceptions import ConfigError
from ...gateway_data import DataKey
from ...reload import async_reload_from_file
from ...state_store import async_state_dir
from ...user_errors import log_failure

if TYPE_CHECKING:
    from ...config.model import CoreConfig

__all__ = [
    "MAX_REQUEST_BYTES",
    "MAX_REQUEST_DEPTH",
    "MAX_TRANSACTION_CHARS",
    "Bridge",
    "BridgeRequest",
    "async_setup",
    "nesting_depth",
    "parse_request",
]

_LOGGER = logging.getLogger(__name__)
DATA_BRIDGE: Final[DataKey[Bridge]] = DataKey("bridge")

MAX_REQUEST_BYTES = 8192
MAX_TRANSACTION_CHARS = 256
MAX_REQUEST_DEPTH = 32  # requests are flat objects; the JSON parser recurses once per level
Transaction = str | int | float


@dataclass(frozen=True, slots=True)
class BridgeRequest:
    """A parsed request: `error` says why it is refused (then the handler does not run)."""

    error: str | None = None
    transaction: Transaction | None = None


def parse_request(payload: bytes) -> BridgeRequest:
    """Parse a request payload. Pure; never raises, whatever the bytes."""
    if len(payload) > MAX_REQUEST_BYTES:
        return BridgeRequest(f"the request is longer than {MAX_REQUEST_BYTES} bytes")
    if nesting_depth(payload) > MAX_REQUEST_DEPTH:
        return BridgeRequest(f"the request is nested deeper than {MAX_REQUEST_DEPTH} levels")
    try:
        request = json.loads(payload or b"{}")
    except (ValueError, UnicodeDecodeError, RecursionError):
        return BridgeRequest("the request must be a JSON object (invalid or too deeply nested)")
    if not isinstance(request, dict):
        return BridgeRequest("the request must be a JSON object")
    transaction = request.get("transaction")
    if transaction is None or _echoable(transaction):
        return BridgeRequest(None, transaction)
    return BridgeRequest(
        f'"transaction" must be a string of at most {MAX_TRANSACTION_CHARS} characters '
        "or a finite number"
    )


def nesting_depth(payload: bytes) -> int:
    """The deepest `[`/`{` nesting of a JSON text, strings skipped (pure, linear).

    Checked before parsing: how deep `json.loads` may recurse depends on the interpreter's
    recursion limit, which is not ours to rely on."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in payload:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return deepest


def _echoable(transaction: object) -> bool:
    if isinstance(transaction, str):
        return len(transaction) <= MAX_TRANSACTION_CHARS
    if isinstance(transaction, bool) or not isinstance(transaction, int | float):
        return False
    return math.isfinite(transaction) and len(repr(transaction)) <= MAX_TRANSACTION_CHARS


class Bridge:
    """Publishes info and health, and answers requests."""

    def __init__(self, gw: Gateway, core: CoreConfig) -> None:
        self.gw = gw
        self.core = core
        self.base = f"{mqtt.get_data(gw).node_base}/bridge"
        self._handlers: dict[str, Callable[[], Awaitable[dict[str, Any]]]] = {
            "health": self.async_health,
            "info": self._async_info_data,
            "reload": self._async_reload,
        }

    @callback
    def async_start(self) -> None:
        async_health_source(self.gw)  # loop lag is sampled from now on
        remove_request = mqtt.async_subscribe(
            self.gw, f"{self.base}/request/+", self._async_on_request, qos=1
        )
        cancel_health = async_track_time_interval(
            self.gw, self._async_health_tick, self.core.health_interval, name="bridge health"
        )
        remove_reload = self.gw.bus.async_listen(EVENT_RELOAD_FINISHED, self._async_on_reload)
        remove_connect = mqtt.get_data(self.gw).connection.async_on_connect(self.async_publish_info)

        @callback
        def stop(_event: Event) -> None:
            remove_request()
            cancel_health()
            remove_reload()
            remove_connect()

        self.gw.bus.async_listen_once(EVENT_GATEWAY_STOP, stop)
        self.async_publish_info()

    # -- info -------------------------------------------------------------------------------

    @callback
    def async_info(self) -> dict[str, Any]:
        entities = []
        for domain in DOMAINS:
            component = async_get_component(self.gw, domain)
            for entity_id, entity in sorted((component.entities if component else {}).items()):
                state = self.gw.states.get(entity_id)
                topics = mqtt.async_entity_topics(self.gw, entity_id)
                entities.append(
                    {
                        "entity_id": entity_id,
                        "domain": domain,
                        "id": entity.object_id,
                        "platform": entity.platform.platform_name if entity.platform else None,
                        "topics": asdict(topics),
                        "available": state is not None and state.state != STATE_UNAVAILABLE,
                    }
                )
        connection = mqtt.get_data(self.gw).connection
        broker = None if connection.broker is None else str(connection.broker)
        return {
            "version": __version__,
            "node_id": self.core.node_id,
            "mqtt": {"broker": broker, "failovers": connection.failovers},
            "entities": entities,
        }

    @callback
    def async_publish_info(self) -> None:
        payload = json.dumps(self.async_info(), separators=(",", ":"))
        mqtt.async_publish(self.gw, f"{self.base}/info", payload, qos=1, retain=True)

    async def _async_info_data(self) -> dict[str, Any]:
        return self.async_info()

    @callback
    def _async_on_reload(self, _event: Event) -> None:
        self.async_publish_info()

    # -- health -----------------------------------------------------------------------------

    async def async_health(self) -> dict[str, Any]:
        return await async_health(self.gw, asdict(mqtt.async_get_stats(self.gw)))

    async def _async_health_tick(self, _now: float) -> None:
        payload = json.dumps(await self.async_health(), separators=(",", ":"))
        mqtt.async_publish(self.gw, f"{self.base}/health", payload, qos=0, retain=False)

    # -- requests ---------------------------------------------------------------------------

    async def _async_on_request(self, message: mqtt.ReceiveMessage) -> None:
        if message.retain:
            _LOGGER.warning("Ignoring retained bridge request on %s", message.topic)
            return
        command = message.topic.rsplit("/", 1)[-1]
        request = parse_request(message.payload)
        response: dict[str, Any]
        if request.error is not None:
            response = {"status": "error", "error": request.error}
        elif (handler := self._handlers.get(command)) is None:
            known = ", ".join(sorted(self._handlers))
            response = {"status": "error", "error": f"unknown request {command!r} ({known})"}
        else:
            response = await self._async_run(handler)
        if request.transaction is not None:
            response["transaction"] = request.transaction
        mqtt.async_publish(
            self.gw, f"{self.base}/response/{command}", json.dumps(response), qos=1, retain=False
        )

    async def _async_run(self, handler: Callable[[], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
        try:
            return {"status": "ok", "data": await handler()}
        except ConfigError as exc:
            return {"status": "error", "error": "\n".join(exc.errors)}
        except Exception as exc:  # a bug gets a traceback, a user error one line (user_errors)
            log_failure(_LOGGER, exc, "Bridge request failed")
            return {"status": "error", "error": str(exc) or type(exc).__name__}

    async def _async_reload(self) -> dict[str, Any]:
        plan = await async_reload_from_file(self.gw)
        return plan.as_dict()


async def async_setup(gw: Gateway, core: CoreConfig) -> None:
    """Start the bridge (requires MQTT to be set up)."""
    await async_state_dir(gw, core.state_dir)  # checked once at start, shown in health
    bridge = Bridge(gw, core)
    gw.data[DATA_BRIDGE] = bridge
    bridge.async_start()
