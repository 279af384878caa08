"""The board as a Sparkplug B 3.0 edge node (`sparkplug:`), on its own connection
(`<client_id>-spb`, clean session).

Every connect: the will is an NDEATH carrying the next bdSeq (kept in `state_dir`, so a late
will of the previous process never matches the new session); NCMD is subscribed (and the
primary host's STATE when `primary_host` is set), then the NBIRTH (seq 0, the same bdSeq,
every metric) goes out, at once or as soon as the primary host says it is online. Changes go
out as NDATA with seq +1 (wrapping after 255). NCMD `Node Control/Rebirth` = true sends a new
NBIRTH; NCMD writes to switch, light and button metrics call the entity's service through the
gateway's command router. A reload that changes the entities sends a new NBIRTH. The primary
host going offline ends the session (NDEATH, disconnect) and a new one waits for it to come
back. A clean stop publishes the NDEATH before disconnecting.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import aiomqtt

from .... import mqtt
from ....const import (
    EVENT_GATEWAY_CLOSE,
    EVENT_RELOAD_FINISHED,
    EVENT_RELOAD_STARTED,
    EVENT_STATE_CHANGED,
    SERVICE_PRESS,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
)
from ....core import Event, Gateway, callback
from ....domains.spec import Command
from ....event_data import StateChangedData
from ....gateway_data import DataKey
from ....state_store import read_json, write_json_atomic
from ...models import PublishMessage, ReceiveMessage
from ..convention_entities import Value, async_convention_entities, widen
from ..convention_link import ConventionLink
from .payloads import (
    REBIRTH,
    MetricDef,
    Write,
    decode_command,
    encode_birth,
    encode_data,
    encode_death,
    metrics_of,
)

if TYPE_CHECKING:
    from ....config.conventions import SparkplugConfig
    from ....config.model import CoreConfig, MqttConfig

__all__ = ["DATA_SPARKPLUG", "EdgeNode", "async_setup", "command_for"]

_LOGGER = logging.getLogger(__name__)
DATA_SPARKPLUG: Final[DataKey[EdgeNode]] = DataKey("sparkplug")
NAMESPACE: Final = "spBv1.0"
STORE_FILE = "sparkplug.json"
BAD_WRITE_LOG_INTERVAL = 60.0


def now_ms() -> int:
    return int(time.time() * 1000)


def command_for(metric: MetricDef, value: Value) -> Command:
    """The service call an NCMD write asks for; raises ValueError for a value it cannot be."""
    if metric.brightness:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 255:
            raise ValueError("brightness must be an integer 0-255")
        return Command(SERVICE_TURN_ON, {"brightness": value})
    if not isinstance(value, bool):
        raise ValueError("must be a Boolean")
    if metric.entity is not None and metric.entity.domain == "button":
        if not value:
            raise ValueError("only true presses the button")
        return Command(SERVICE_PRESS)
    return Command(SERVICE_TURN_ON if value else SERVICE_TURN_OFF)


class EdgeNode:
    """Births, data and commands of the edge node; a `LinkSession`."""

    def __init__(
        self, gw: Gateway, core: CoreConfig, config: MqttConfig, sparkplug: SparkplugConfig
    ) -> None:
        self.gw = gw
        self.group_id = sparkplug.group_id
        self.edge_node_id = sparkplug.edge_node_id
        self.primary_host = sparkplug.primary_host
        self.store = Path(core.state_dir) / STORE_FILE
        self.link = ConventionLink(gw, config, "spb", self)
        self.bd_seq = 0  # of the current (or last) connection
        self._next_bd_seq = 0
        self.seq = 0
        self.born = False
        self.births = 0
        self.metrics: dict[str, MetricDef] = {}
        self._by_entity: dict[str, list[MetricDef]] = {}
        self._sent: dict[str, Value] = {}
        self._host_online = False
        self._host_timestamp = -1
        self._reloading = False
        self._rebirth_scheduled = False
        self._bad_writes_logged_at: dict[str, float] = {}
        self._removers: list[Callable[[], None]] = []
        self._save_failed = False

    def topic(self, message_type: str) -> str:
        return f"{NAMESPACE}/{self.group_id}/{message_type}/{self.edge_node_id}"

    @property
    def state_topic(self) -> str:
        return f"{NAMESPACE}/STATE/{self.primary_host}"

    async def async_start(self) -> None:
        stored = await self.gw.async_add_executor_job(read_json, self.store) or {}
        self._next_bd_seq = int(stored.get("next_bdseq", 0)) % 256
        self._async_describe()
        bus = self.gw.bus
        self._removers = [
            bus.async_listen(EVENT_STATE_CHANGED, self._async_state_changed),
            bus.async_listen(EVENT_RELOAD_STARTED, self._async_reload_started),
            bus.async_listen(EVENT_RELOAD_FINISHED, self._async_reload_finished),
        ]
        bus.async_listen_once(EVENT_GATEWAY_CLOSE, self._async_close)
        self.link.async_start()

    @callback
    def _async_close(self, _event: Event) -> None:
        for remove in self._removers:
            remove()

    @callback
    def _async_describe(self) -> None:
        metrics: dict[str, MetricDef] = {}
        for entity in async_convention_entities(self.gw):
            entity = widen(entity, self.gw.states.get(entity.entity_id))
            for metric in metrics_of(entity):
                metrics[metric.name] = metric
        self.metrics = metrics
        self._by_entity = {}
        for metric in metrics.values():
            if metric.entity is not None:
                self._by_entity.setdefault(metric.entity.entity_id, []).append(metric)

    # -- the session (LinkSession) ------------------------------------------------------------

    async def async_prepare(self) -> None:
        """The bdSeq of the next CONNECT, recorded before it is sent: a process killed right
        after connecting must not reuse it (its will may still be on its way)."""
        self.bd_seq = self._next_bd_seq
        self._next_bd_seq = (self.bd_seq + 1) % 256
        await self.gw.async_add_executor_job(self._save, {"next_bdseq": self._next_bd_seq})

    def will(self) -> aiomqtt.Will:
        return aiomqtt.Will(
            self.topic("NDEATH"), encode_death(self.bd_seq, now_ms()), qos=1, retain=False
        )

    def _save(self, data: dict[str, Any]) -> None:
        try:
            write_json_atomic(self.store, data)
        except OSError as exc:
            if not self._save_failed:  # once: it is tried again before every CONNECT
                _LOGGER.warning("Cannot record the Sparkplug bdSeq in %s: %s", self.store, exc)
            self._save_failed = True
        else:
            self._save_failed = False

    async def async_begin(self, link: ConventionLink) -> None:
        self.born = False
        self._host_online = False
        filters = [(self.topic("NCMD"), 1)]
        if self.primary_host is not None:
            filters.append((self.state_topic, 1))
        await link.async_subscribe(filters)
        if self.primary_host is None or self._host_online:
            self._async_birth()

    def async_goodbye(self) -> Iterable[PublishMessage]:
        self.born = False
        return [PublishMessage(self.topic("NDEATH"), encode_death(self.bd_seq, now_ms()), 1, False)]

    def async_lost(self) -> None:
        self.born = False

    @callback
    def _async_birth(self) -> None:
        """NBIRTH with seq 0 and every metric's current value."""
        if not self.link.session_open:
            return
        values = [(metric, self._read(metric)) for metric in self.metrics.values()]
        self._sent = {metric.name: value for metric, value in values}
        self.seq = 0
        payload = encode_birth(self.bd_seq, now_ms(), values)
        self.link.async_publish(self.topic("NBIRTH"), payload, 0, False)
        self.born = True
        self.births += 1

    def _read(self, metric: MetricDef) -> Value:
        assert metric.entity is not None
        return metric.read(self.gw.states.get(metric.entity.entity_id))

    # -- incoming -----------------------------------------------------------------------------

    def async_on_message(self, message: ReceiveMessage) -> None:
        if self.primary_host is not None and message.topic == self.state_topic:
            self._async_host_state(message.payload)
        elif message.topic == self.topic("NCMD") and not message.retain:
            self._async_command(message.payload)

    @callback
    def _async_host_state(self, payload: bytes) -> None:
        try:
            body = json.loads(payload)
            online, timestamp = body["online"], body["timestamp"]
            if not isinstance(online, bool) or not isinstance(timestamp, int | float):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            _LOGGER.warning(
                "Ignoring a malformed STATE of %s: %r", self.primary_host, payload[:100]
            )
            return
        if timestamp < self._host_timestamp:
            return  # an older session's message, delivered late
        self._host_timestamp = int(timestamp)
        if online and not self._host_online:
            self._host_online = True
            if not self.born:
                self._async_birth()
        elif not online and self._host_online:
            self._host_online = False
            _LOGGER.info("Sparkplug primary host %s went offline", self.primary_host)
            self.link.async_restart_session()

    @callback
    def _async_command(self, payload: bytes) -> None:
        try:
            writes = decode_command(payload)
        except ValueError as err:
            _LOGGER.warning("Ignoring an NCMD that is not Sparkplug B: %s", err)
            return
        router = mqtt.get_data(self.gw).commands
        for write in writes:
            if write.name == REBIRTH:
                if write.value is True and (self.born or self.primary_host is None):
                    self._async_birth()
                continue
            self._async_write(router, write)

    @callback
    def _async_write(self, router: Any, write: Write) -> None:
        metric = self.metrics.get(write.name)
        try:
            if metric is None or not metric.writable or metric.entity is None:
                raise ValueError("no such writable metric")
            command = command_for(metric, write.value)
        except ValueError as err:
            self._log_bad_write(write, err)
            return
        router.async_submit(metric.entity.entity_id, command)

    def _log_bad_write(self, write: Write, err: ValueError) -> None:
        now = self.gw.clock.time()
        last = self._bad_writes_logged_at.get(write.name)
        if last is not None and now - last < BAD_WRITE_LOG_INTERVAL:
            return
        self._bad_writes_logged_at[write.name] = now
        _LOGGER.warning("Ignoring NCMD write %r = %r: %s", write.name, write.value, err)

    # -- changes ------------------------------------------------------------------------------

    @callback
    def _async_state_changed(self, event: Event[StateChangedData]) -> None:
        new, old = event.data["new_state"], event.data["old_state"]
        if new is None or old is None:
            self._async_schedule_rebirth()
            return
        entity_id = event.data["entity_id"]
        changed: list[tuple[MetricDef, Value]] = []
        for metric in self._by_entity.get(entity_id, ()):
            assert metric.entity is not None
            if widen(metric.entity, new) != metric.entity:
                self._async_schedule_rebirth()
                return
            value = metric.read(new)
            if self._sent.get(metric.name, ...) != value:
                changed.append((metric, value))
        if not changed or not self.born:
            return
        for metric, value in changed:
            self._sent[metric.name] = value
        self.seq = (self.seq + 1) % 256
        payload = encode_data(self.seq, now_ms(), changed)
        self.link.async_publish(self.topic("NDATA"), payload, 0, False)

    @callback
    def _async_reload_started(self, _event: Event) -> None:
        self._reloading = True

    @callback
    def _async_reload_finished(self, _event: Event) -> None:
        self._reloading = False
        self._async_rebirth_if_changed()

    @callback
    def _async_schedule_rebirth(self) -> None:
        if self._reloading or self._rebirth_scheduled:
            return
        self._rebirth_scheduled = True
        self.gw.loop.call_soon(self._async_rebirth_if_changed)

    @callback
    def _async_rebirth_if_changed(self) -> None:
        self._rebirth_scheduled = False
        before = self.metrics
        self._async_describe()
        if self.metrics != before and self.born:
            self._async_birth()


async def async_setup(
    gw: Gateway, core: CoreConfig, config: MqttConfig, sparkplug: SparkplugConfig
) -> None:
    """Start the edge node (requires MQTT to be set up: its command router)."""
    node = EdgeNode(gw, core, config, sparkplug)
    gw.data[DATA_SPARKPLUG] = node
    await node.async_start()
