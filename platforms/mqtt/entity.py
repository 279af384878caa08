"""What every MQTT entity shares: its subscriptions, availability, `expire_after`, and the
policy for payloads it cannot use.

Subclasses implement `_async_apply(payload)`: parse first, then change attributes, so a
payload that raises `ValueNotFound` leaves the entity exactly as it was. Message handlers are
`@callback`s: the MQTT connection runs them inline as messages arrive.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Final

from gateway import mqtt
from gateway.const import EVENT_GATEWAY_STOP
from gateway.core import Event, Gateway, callback
from gateway.entity import Entity
from gateway.event import async_call_later
from gateway.exceptions import GatewayError
from gateway.mqtt import ReceiveMessage
from gateway.util.extract import ValueExtractor, ValueNotFound

from .device_payloads import decode, same_value
from .schema import MqttEntityConfig

__all__ = ["IGNORED_WARNING_INTERVAL", "MqttEntity", "async_require_mqtt"]

_LOGGER = logging.getLogger(__name__)

# An unusable payload is logged as a warning at most this often per entity (else at debug):
# devices that send partial updates (zigbee2mqtt) must not flood the log.
IGNORED_WARNING_INTERVAL: Final = 3600.0
_RAW = ValueExtractor()  # the whole payload, stripped


def async_require_mqtt(gw: Gateway) -> None:
    """Raises GatewayError when the config has no `mqtt:` section."""
    try:
        mqtt.get_data(gw)
    except GatewayError:
        raise GatewayError("platform mqtt needs the mqtt: section (a broker)") from None


class MqttEntity(Entity):
    """An entity mirroring a remote device over MQTT; never polled.

    Must override: `_async_apply(payload)` when the entity has a `state_topic`.
    """

    _attr_should_poll = False
    _mqtt_config: MqttEntityConfig
    _availability_ok: bool = True
    _expired: bool = False
    _stopped: bool = False
    _cancel_expiry: Callable[[], None] | None = None
    _warned_at: float | None = None

    def _setup_mqtt(self, domain: str, config: MqttEntityConfig) -> None:
        """Call from `__init__`: identity, and unavailable until an availability topic says."""
        self.set_identity(domain, config)
        self._mqtt_config = config
        self._availability_ok = config.availability_topic is None

    @property
    def available(self) -> bool:
        return super().available and self._availability_ok and not self._expired

    def _async_apply(self, payload: bytes) -> None:
        """Take the state from a `state_topic` payload; raises ValueNotFound, changing nothing."""
        raise NotImplementedError

    # -- life cycle -------------------------------------------------------------------------

    async def async_added(self) -> None:
        await super().async_added()
        gw = self._require_gw()
        config = self._mqtt_config
        self.async_on_remove(gw.bus.async_listen_once(EVENT_GATEWAY_STOP, self._async_on_stop))
        self.async_on_remove(self._async_cancel_expiry)
        if config.availability_topic is not None:
            self.async_on_remove(
                mqtt.async_subscribe(
                    gw, config.availability_topic, self._async_availability_received, config.qos
                )
            )
        if config.state_topic is not None:
            self.async_on_remove(
                mqtt.async_subscribe(gw, config.state_topic, self._async_state_received, config.qos)
            )
            self._async_arm_expiry()

    @callback
    def _async_on_stop(self, _event: Event) -> None:
        """Stopping: no more expiry timers (messages may still arrive during the final write)."""
        self._stopped = True
        self._async_cancel_expiry()

    # -- messages ---------------------------------------------------------------------------

    @callback
    def _async_state_received(self, msg: ReceiveMessage) -> None:
        try:
            self._async_apply(msg.payload)
        except ValueNotFound as err:
            self._async_log_ignored(msg, err)
            return
        self._expired = False
        self._async_arm_expiry()
        self.async_write_state()

    @callback
    def _async_availability_received(self, msg: ReceiveMessage) -> None:
        config = self._mqtt_config
        try:
            text = _RAW.extract(decode(msg.payload))
        except ValueNotFound as err:
            self._async_log_ignored(msg, err)
            return
        if same_value(text, config.payload_available, from_text=True):
            available = True
        elif same_value(text, config.payload_not_available, from_text=True):
            available = False
        else:
            reason = f"neither {config.payload_available!r} nor {config.payload_not_available!r}"
            self._async_log_ignored(msg, ValueNotFound(reason))
            return
        if available != self._availability_ok:
            self._availability_ok = available
            self.async_write_state()

    @callback
    def _async_log_ignored(self, msg: ReceiveMessage, err: ValueNotFound) -> None:
        now = self._require_gw().clock.time()
        warn = self._warned_at is None or now - self._warned_at >= IGNORED_WARNING_INTERVAL
        if warn:
            self._warned_at = now
        (_LOGGER.warning if warn else _LOGGER.debug)(
            "%s: ignoring payload on %s (%s): %r",
            self.entity_id,
            msg.topic,
            err,
            msg.payload[:100],
        )

    # -- expire_after -----------------------------------------------------------------------

    @callback
    def _async_arm_expiry(self) -> None:
        """(Re)start the `expire_after` countdown."""
        expire_after = self._mqtt_config.expire_after
        if expire_after is None or self._stopped:
            return
        self._async_cancel_expiry()
        self._cancel_expiry = async_call_later(self._require_gw(), expire_after, self._async_expire)

    @callback
    def _async_expire(self, _now: float) -> None:
        self._cancel_expiry = None
        self._expired = True
        self.async_write_state()

    @callback
    def _async_cancel_expiry(self) -> None:
        if self._cancel_expiry is not None:
            self._cancel_expiry()
            self._cancel_expiry = None
