"""`sensor` platform `gpio`, `type: counter`: counts pulses on an input (water, gas, power meters).

```yaml
sensor:
  - {platform: gpio, type: counter, name: Water meter, pin: 5, unit_of_measurement: L,
     pull_up: true, bounce_time: 0.01, count_on: active}
```
The state is the total number of counted edges (`count_on`: `active`, `inactive` or `both`),
kept in `state_dir` across restarts (written at most every `SAVE_INTERVAL` seconds, and on
stop). The `rate` attribute is edges per minute over the last minute, refreshed on every edge
and every `scan_interval` (default 10 s). `sensor.reset_counter` (optional `value`) sets the
total.
"""

from __future__ import annotations

import collections
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Literal

import voluptuous as vol

from gateway.config.cv import (
    FILTER_FIELDS,
    choice,
    gpio_pin,
    non_empty_string,
    non_negative_int,
    platform_schema,
    positive_time_period,
)
from gateway.config.cv import time_period as cv_time_period
from gateway.config.model import Claim, EntityConfig
from gateway.const import EVENT_GATEWAY_STOP
from gateway.core import Event, Gateway, callback
from gateway.domains.sensor import SensorEntity
from gateway.entity_component import async_get_component
from gateway.entity_platform import AsyncAddEntitiesCallback
from gateway.exceptions import GatewayError
from gateway.filters import FilterSpec
from gateway.state_store import StateFile
from hardware.gpio import DigitalInput, EdgeCallback, PinSpec, Pull, threadsafe_handoff
from platforms.gpio.pins import pin_claims

from . import async_get_driver, state_file
from .binary_sensor import (
    ACTIVE_STATES,
    ActiveState,
    input_maker,
    pull_option,
    require_active_state,
)
from .entity import GpioEntity
from .missing import async_make_line

_LOGGER = logging.getLogger(__name__)

DOMAIN = "sensor"
SERVICE_RESET_COUNTER: Final = "reset_counter"
SAVE_INTERVAL: Final = 5.0
RATE_WINDOW: Final = 60.0
MAX_REMEMBERED_EDGES: Final = 100_000

CountOn = Literal["active", "inactive", "both"]
COUNT_ON_OPTIONS: Final[tuple[CountOn, ...]] = ("active", "inactive", "both")
COUNTER_TYPES: Final[tuple[Literal["counter"], ...]] = ("counter",)


@dataclass(frozen=True, slots=True, kw_only=True)
class GpioCounterConfig(EntityConfig):
    type: Literal["counter"]
    pin: PinSpec
    pull_up: Pull = "up"
    active_state: ActiveState | None = None
    bounce_time: float | None = None
    count_on: CountOn = "active"
    unit_of_measurement: str | None = None
    device_class: str | None = None
    scan_interval: float = 10.0
    filters: tuple[FilterSpec, ...] = ()

    def claims(self) -> tuple[Claim, ...]:
        return pin_claims(self.pin)


PLATFORM_SCHEMA = platform_schema(
    GpioCounterConfig,
    {
        vol.Required("type"): choice(COUNTER_TYPES),
        vol.Required("pin"): gpio_pin,
        vol.Optional("pull_up"): pull_option,
        vol.Optional("active_state"): choice(ACTIVE_STATES, ignore_case=True),
        vol.Optional("bounce_time"): cv_time_period,
        vol.Optional("count_on"): choice(COUNT_ON_OPTIONS),
        vol.Optional("unit_of_measurement"): non_empty_string,
        vol.Optional("device_class"): non_empty_string,
        vol.Optional("scan_interval"): positive_time_period,
        **FILTER_FIELDS,
    },
    require_active_state,
)


class GpioCounter(GpioEntity[DigitalInput], SensorEntity):
    """Edges counted in the loop; polled only to let `rate` decay when edges stop."""

    _attr_state_class = "total_increasing"

    def __init__(
        self,
        config: GpioCounterConfig,
        line: DigitalInput,
        store: StateFile | None,
        total: int,
    ) -> None:
        self.set_identity(DOMAIN, config)
        self._line = line
        self._state_file = store
        self._count_on = config.count_on
        self._attr_native_value = total
        self._attr_unit_of_measurement = config.unit_of_measurement
        self._attr_device_class = config.device_class
        self._attr_scan_interval = config.scan_interval
        self._edges: collections.deque[float] = collections.deque(maxlen=MAX_REMEMBERED_EDGES)
        self._attr_extra_state_attributes = {"rate": 0.0}

    @property
    def total(self) -> int:
        value = self._attr_native_value
        return value if isinstance(value, int) else 0

    async def async_added(self) -> None:
        gw = self._require_gw()
        self._line.when_changed = _counted(
            self._count_on, threadsafe_handoff(gw.loop, self._async_edge)
        )
        self._line.when_reachable = threadsafe_handoff(gw.loop, self._async_reachable)
        self.async_on_remove(gw.bus.async_listen_once(EVENT_GATEWAY_STOP, self._async_on_stop))

    @callback
    def _async_edge(self) -> None:
        """In the loop: one counted edge."""
        if self._detached:
            return  # handed off just before the gateway stopped or the entity was removed
        now = self._require_gw().clock.time()
        self._edges.append(now)
        self._attr_native_value = self.total + 1
        self._async_update_rate(now)
        self.async_write_state()
        self._async_save()

    @callback
    def _async_update_rate(self, now: float) -> None:
        while self._edges and self._edges[0] <= now - RATE_WINDOW:
            self._edges.popleft()
        rate = len(self._edges) * 60.0 / RATE_WINDOW
        self._attr_extra_state_attributes = {"rate": round(rate, 2)}

    async def async_update(self) -> None:
        """No I/O: only lets `rate` fall when no edges arrive."""
        self._async_update_rate(self._require_gw().clock.time())

    @callback
    def _async_save(self) -> None:
        if self._state_file is not None:
            self._state_file.async_save({"total": self.total})

    async def async_reset_counter(self, value: int = 0) -> None:
        """The `sensor.reset_counter` service: set the total (0 by default)."""
        self._attr_native_value = value
        self._edges.clear()
        self._async_update_rate(self._require_gw().clock.time())
        self._async_save()

    async def _async_on_stop(self, _event: Event) -> None:
        self._detached = True
        self._line.when_changed = None
        self._line.when_reachable = None
        if self._state_file is not None:
            await self._state_file.async_flush()

    async def async_will_remove(self) -> None:
        await self._async_on_stop(Event(EVENT_GATEWAY_STOP))
        await super().async_will_remove()


def _counted(count_on: CountOn, handoff: Callable[[], None]) -> EdgeCallback:
    """An edge callback that hands off only the edges `count_on` counts. It runs in the
    driver's thread, so uncounted edges never reach the loop."""
    if count_on == "both":
        return lambda _level: handoff()
    counted = count_on == "active"

    def edge(level: bool) -> None:
        if level == counted:
            handoff()

    return edge


async def _async_reset_counter(entity: Any, **kwargs: Any) -> None:
    if not isinstance(entity, GpioCounter):
        raise GatewayError(f"{entity.entity_id} is not a gpio counter")
    await entity.async_reset_counter(**kwargs)


@callback
def async_register_reset_service(gw: Gateway) -> None:
    """Register `sensor.reset_counter` once, on the sensor component."""
    component = async_get_component(gw, DOMAIN)
    if component is None or gw.services.has_service(DOMAIN, SERVICE_RESET_COUNTER):
        return
    component.async_register_entity_service(
        SERVICE_RESET_COUNTER, {vol.Optional("value"): non_negative_int}, _async_reset_counter
    )


async def _async_saved_total(store: StateFile | None, entity_id: str) -> int:
    """The total kept in `state_dir`; 0 (with a warning naming the value) when it is bad."""
    saved = await store.async_load() if store is not None else None
    if store is None or saved is None:
        return 0
    total = saved.get("total")
    if isinstance(total, int) and not isinstance(total, bool) and total >= 0:
        return total
    _LOGGER.warning(
        "%s: ignoring the saved total in %s (%r is not a whole number >= 0); starting at 0",
        entity_id,
        store.path,
        total,
    )
    return 0


async def async_setup_platform(
    gw: Gateway,
    config: GpioCounterConfig,
    async_add_entities: AsyncAddEntitiesCallback,
    discovery_info: Any = None,
) -> None:
    entity_id = f"{DOMAIN}.{config.id}"
    store = state_file(gw, entity_id, min_interval=SAVE_INTERVAL)
    total = await _async_saved_total(store, entity_id)
    make = input_maker(await async_get_driver(gw), config)
    line = await async_make_line(gw, DOMAIN, config, make, async_add_entities)
    async_register_reset_service(gw)
    if line is None:
        return
    await async_add_entities([GpioCounter(config, line, store, total)])
