"""The `sensor` domain: readings (temperature, counters, load).

No services of its own and no `<e>/set`; `<e>/state` is the value (`None` while unknown).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ..const import EVENT_GATEWAY_STOP
from ..core import Event, Gateway, callback
from ..entity import Entity, refuse_class_attribute
from . import async_setup_domain, wire
from .spec import DomainSpec, StateOutput

if TYPE_CHECKING:
    from ..clock import TimerHandle
    from ..config.model import EntityConfig, PlatformEntry
    from ..filters import FilterChain, FilterSpec

_LOGGER = logging.getLogger(__name__)

DOMAIN = "sensor"
__all__ = ["DOMAIN", "SPEC", "SensorEntity", "async_setup", "format_value"]

SensorValue = int | float | str | None


def format_value(value: SensorValue, precision: int | None) -> str | None:
    """The state string for a reading, rounded to `precision` decimals when numeric."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and precision is not None:
        return f"{value:.{precision}f}"
    return str(value)


class SensorEntity(Entity):
    """A reading with an optional unit, device class and state class.

    Filters (`filters:` in the entity's config, see `gateway.filters`) apply here, to every
    platform: a platform assigns the raw reading to `_attr_native_value` (in the loop or in
    `update()`) and writes the state; the next `async_write_state` feeds that reading through
    the chain on the gateway's clock, and `native_value` is what the chain let through.
    `timeout` makes the entity unavailable when no reading arrives; `heartbeat` republishes.
    """

    _raw_value: SensorValue = None
    _raw_fresh: bool = False
    _attr_unit_of_measurement: str | None = None
    _attr_state_class: str | None = None
    _attr_precision: int | None = None
    _filters: FilterChain | None = None
    _filtered_value: SensorValue = None
    _timed_out: bool = False
    _timers_armed: bool = False
    _timers_stopped: bool = False
    _timeout_timer: TimerHandle | None = None
    _heartbeat_timer: TimerHandle | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        refuse_class_attribute(cls, "_attr_native_value")

    @property
    def _attr_native_value(self) -> SensorValue:
        """The platform's last raw reading (before filters)."""
        return self._raw_value

    @_attr_native_value.setter
    def _attr_native_value(self, value: SensorValue) -> None:
        self._raw_value = value
        self._raw_fresh = True

    def set_identity(self, domain: str, config: EntityConfig) -> None:
        super().set_identity(domain, config)
        specs: tuple[FilterSpec, ...] = getattr(config, "filters", ())
        if specs:
            from ..filters import FilterChain

            self._filters = FilterChain(specs)

    def apply_reading(
        self, read: Callable[[], SensorValue], errors: type[Exception] | tuple[type[Exception], ...]
    ) -> None:
        """One polled reading (blocking: `update()` calls it in the executor): its value, or,
        when `read` raises one of `errors`, unavailable with one WARNING until a read succeeds
        again (one INFO then)."""
        try:
            value = read()
        except errors as exc:
            if self._attr_available:
                _LOGGER.warning("%s: %s; unavailable until it reads again", self.entity_id, exc)
            self._attr_available = False
            return
        if not self._attr_available:
            _LOGGER.info("%s: reading again", self.entity_id)
        self._attr_available = True
        self._attr_native_value = value

    @property
    def native_value(self) -> SensorValue:
        if self._filters is not None:
            return self._filtered_value
        return self._attr_native_value

    @property
    def available(self) -> bool:
        return super().available and not self._timed_out

    @callback
    def async_write_state(self) -> None:
        if self._filters is not None:
            self._async_filter()
        super().async_write_state()

    # -- filters ----------------------------------------------------------------------------

    @callback
    def _async_filter(self) -> None:
        """Feed a fresh raw reading through the chain, and keep the timers armed."""
        chain = self._filters
        assert chain is not None
        now = self._require_gw().clock.time()
        if not self._timers_armed:
            self._timers_armed = True
            self.async_on_remove(self._async_cancel_filter_timers)
            stop = self._require_gw().bus.async_listen_once(
                EVENT_GATEWAY_STOP, self._async_stop_filter_timers
            )
            self.async_on_remove(stop)
            self._async_arm_timeout(now)
        if not self._raw_fresh:
            return
        self._raw_fresh = False
        if self._raw_value is None:  # unknown (an expired MQTT value): unknown it is
            self._filtered_value = None
            return
        reading = _as_number(self._raw_value)
        if reading is None:
            _LOGGER.debug(
                "%s: %r is not a number; filters skip it", self.entity_id, self._raw_value
            )
            return
        self._timed_out = False
        self._async_arm_timeout(now)
        passed = chain.feed(reading, now)
        if passed is not None:
            self._filtered_value = passed
            self._async_arm_heartbeat(now)

    @callback
    def _async_arm_timeout(self, now: float) -> None:
        chain = self._filters
        if chain is None or chain.timeout is None or self._timers_stopped:
            return
        if self._timeout_timer is not None:
            self._timeout_timer.cancel()
        clock = self._require_gw().clock
        self._timeout_timer = clock.call_at(now + chain.timeout, self._async_timed_out)

    @callback
    def _async_timed_out(self) -> None:
        self._timeout_timer = None
        if not self._timed_out:
            _LOGGER.info("%s: no reading in time; unavailable until one arrives", self.entity_id)
            self._timed_out = True
            Entity.async_write_state(self)

    @callback
    def _async_arm_heartbeat(self, now: float) -> None:
        chain = self._filters
        if chain is None or chain.heartbeat is None or self._timers_stopped:
            return
        if self._heartbeat_timer is not None:
            self._heartbeat_timer.cancel()
        clock = self._require_gw().clock
        self._heartbeat_timer = clock.call_at(now + chain.heartbeat, self._async_heartbeat)

    @callback
    def _async_heartbeat(self) -> None:
        """Republish the last value (forced: the state did not change)."""
        self._heartbeat_timer = None
        now = self._require_gw().clock.time()
        if self._filtered_value is not None and self.available:
            forced, self._attr_force_update = self._attr_force_update, True
            try:
                Entity.async_write_state(self)
            finally:
                self._attr_force_update = forced
        self._async_arm_heartbeat(now)

    @callback
    def _async_stop_filter_timers(self, _event: Event) -> None:
        self._async_cancel_filter_timers()
        self._timers_stopped = True  # the gateway stops: nothing more to time

    @callback
    def _async_cancel_filter_timers(self) -> None:
        for timer in (self._timeout_timer, self._heartbeat_timer):
            if timer is not None:
                timer.cancel()
        self._timeout_timer = self._heartbeat_timer = None

    @property
    def unit_of_measurement(self) -> str | None:
        return self._attr_unit_of_measurement

    @property
    def state_class(self) -> str | None:
        return self._attr_state_class

    @property
    def state(self) -> str | None:
        return format_value(self.native_value, self._attr_precision)

    @property
    def state_attributes(self) -> dict[str, Any]:
        attributes: dict[str, Any] = {}
        if self.unit_of_measurement is not None:
            attributes["unit_of_measurement"] = self.unit_of_measurement
        if self.state_class is not None:
            attributes["state_class"] = self.state_class
        return attributes


def _as_number(value: SensorValue) -> float | None:
    """A reading as a float for the filters; None when it is not a finite number."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


SPEC = DomainSpec(
    name=DOMAIN,
    services={},
    commands=None,
    state=StateOutput(wire.encode_plain_state),
    discovery=lambda _entity: {},
)


async def async_setup(gw: Gateway, entries: Sequence[PlatformEntry]) -> None:
    await async_setup_domain(gw, SPEC, entries)
