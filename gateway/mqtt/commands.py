"""Commands from MQTT: `<e>/set` runs the entity's service, `<e>/get` republishes its state.

Each entity's commands run one after another in arrival order (a per-entity queue drained by
one task), so `ON` then `OFF` can never end up `ON` because a driver call was slow. Parsing
happens in the message callback; a retained or malformed command never reaches a service.
"""

from __future__ import annotations

import functools
import logging
from collections import deque
from collections.abc import Callable

from ..const import EVENT_GATEWAY_CLOSE, EVENT_GATEWAY_STOP, EVENT_STATE_CHANGED
from ..core import Event, Gateway, callback, split_entity_id
from ..domains.registry import domain_spec
from ..domains.spec import Command, CommandInput, PayloadError
from ..event_data import StateChangedData
from ..user_errors import log_failure
from .connection import MqttConnection
from .models import ReceiveMessage
from .state_publisher import StatePublisher

__all__ = ["MALFORMED_LOG_INTERVAL", "CommandRouter"]

_LOGGER = logging.getLogger(__name__)

MALFORMED_LOG_INTERVAL = 60.0


class CommandRouter:
    """Subscribes each entity's command topics and routes commands to its services."""

    def __init__(
        self, gw: Gateway, connection: MqttConnection, publisher: StatePublisher, qos: int = 1
    ) -> None:
        self._gw = gw
        self._conn = connection
        self._publisher = publisher
        self._qos = qos
        self._unsubscribers: dict[str, list[Callable[[], None]]] = {}
        self._queues: dict[str, deque[Command]] = {}
        self._stopping = False
        self._ignored_while_stopping = 0
        self._malformed_logged_at: dict[str, float] = {}
        self._retained_logged: set[str] = set()
        self._remove_listener: Callable[[], None] | None = None

    @callback
    def async_start(self) -> None:
        for entity_id in self._gw.states.async_entity_ids():
            self._async_track(entity_id)
        self._remove_listener = self._gw.bus.async_listen(
            EVENT_STATE_CHANGED, self._async_state_changed
        )
        self._gw.bus.async_listen_once(EVENT_GATEWAY_STOP, self._async_on_gateway_stop)
        self._gw.bus.async_listen_once(EVENT_GATEWAY_CLOSE, self._async_log_ignored)

    @callback
    def _async_on_gateway_stop(self, _event: Event) -> None:
        """Outputs are going to `on_stop`: a late command must not switch them again."""
        self._stopping = True
        for queue in self._queues.values():
            queue.clear()

    @callback
    def _async_log_ignored(self, _event: Event | None = None) -> None:
        """One line for every command refused since the stop began (the connection is gone)."""
        if self._ignored_while_stopping:
            _LOGGER.info(
                "Ignored %d commands that arrived while stopping", self._ignored_while_stopping
            )
            self._ignored_while_stopping = 0

    @callback
    def async_stop(self) -> None:
        if self._remove_listener is not None:
            self._remove_listener()
            self._remove_listener = None
        for entity_id in list(self._unsubscribers):
            self._async_untrack(entity_id)

    @callback
    def _async_state_changed(self, event: Event[StateChangedData]) -> None:
        entity_id: str = event.data["entity_id"]
        if event.data["new_state"] is None:
            self._async_untrack(entity_id)
        elif event.data["old_state"] is None:
            self._async_track(entity_id)

    @callback
    def _async_track(self, entity_id: str) -> None:
        if entity_id in self._unsubscribers:
            return
        spec = domain_spec(split_entity_id(entity_id)[0])
        base = self._publisher.async_topics(entity_id).base
        get = functools.partial(self._async_on_get, entity_id)
        removers = [self._conn.async_subscribe(f"{base}/get", get, self._qos)]
        if spec is not None and spec.commands is not None:
            on_set = functools.partial(self._async_on_set, entity_id, spec.commands)
            removers.append(self._conn.async_subscribe(f"{base}/set", on_set, self._qos))
        self._unsubscribers[entity_id] = removers

    @callback
    def _async_untrack(self, entity_id: str) -> None:
        for remove in self._unsubscribers.pop(entity_id, ()):
            remove()
        self._malformed_logged_at.pop(entity_id, None)

    @callback
    def _async_on_get(self, entity_id: str, msg: ReceiveMessage) -> None:
        if not self._refuse_retained(msg):
            self._publisher.async_republish(entity_id)

    @callback
    def _async_on_set(self, entity_id: str, commands: CommandInput, msg: ReceiveMessage) -> None:
        if self._stopping:
            self._ignored_while_stopping += 1  # logged once, at close: a flood must not flood
            return
        if self._refuse_retained(msg):
            return
        try:
            command = commands.parse(msg.payload)
        except PayloadError as err:
            self._log_malformed(entity_id, commands, msg, err)
            return
        self.async_submit(entity_id, command)

    @callback
    def async_handle_set(self, entity_id: str, commands: CommandInput, msg: ReceiveMessage) -> None:
        """A command from another convention's topic (Homie's `.../set`), parsed by `commands`,
        under the rules of `<e>/set`: retained ones refused, malformed ones logged once a
        minute, each entity's commands run in order."""
        self._async_on_set(entity_id, commands, msg)

    @callback
    def async_submit(self, entity_id: str, command: Command) -> None:
        """Run a parsed command after the entity's earlier ones (Sparkplug NCMD writes)."""
        if self._stopping:
            self._ignored_while_stopping += 1
            return
        queue = self._queues.get(entity_id)
        if queue is not None:
            queue.append(command)  # the running drain task picks it up
            return
        self._queues[entity_id] = deque([command])
        self._gw.async_create_task(self._async_drain(entity_id), name=f"mqtt command {entity_id}")

    async def _async_drain(self, entity_id: str) -> None:
        """Run the entity's queued commands in order; the queue goes when it is empty."""
        queue = self._queues[entity_id]
        try:
            while queue:
                await self._async_execute(entity_id, queue.popleft())
        finally:
            del self._queues[entity_id]

    async def _async_execute(self, entity_id: str, command: Command) -> None:
        domain, _ = split_entity_id(entity_id)
        data = {"entity_id": entity_id, **command.data}
        try:
            await self._gw.services.async_call(domain, command.service, data)
        except Exception as err:  # a bug gets a traceback, a user error one line (user_errors)
            log_failure(_LOGGER, err, "Command %s.%s for %s failed", domain, command.service, data)

    def _refuse_retained(self, msg: ReceiveMessage) -> bool:
        """A retained command would act again at every restart: never act on one."""
        if not msg.retain:
            return False
        if msg.topic not in self._retained_logged:
            self._retained_logged.add(msg.topic)
            _LOGGER.warning(
                "Ignoring retained command on %s; publish commands without retain, and clear "
                "this one with an empty retained message",
                msg.topic,
            )
        return True

    def _log_malformed(
        self, entity_id: str, commands: CommandInput, msg: ReceiveMessage, err: PayloadError
    ) -> None:
        """Log at most once per entity per minute: a noisy sender must not flood the log."""
        now = self._gw.clock.time()
        last = self._malformed_logged_at.get(entity_id)
        if last is not None and now - last < MALFORMED_LOG_INTERVAL:
            return
        self._malformed_logged_at[entity_id] = now
        _LOGGER.warning(
            "Ignoring malformed command for %s on %s (%s): %r; accepted: %s",
            entity_id,
            msg.topic,
            err,
            msg.payload[:100],
            commands.accepted,
        )
