"""`binary_sensor` platform `gpio`: a door contact, push button or PIR on one input pin.

```yaml
binary_sensor:
  - {platform: gpio, name: Door, pin: 17, pull_up: true, bounce_time: 0.05, invert: false,
     device_class: door}
  - {platform: gpio, name: PIR, pin: 27, pull_up: floating, active_state: high}
```
`pull_up: true` enables the internal pull-up (wire the contact between the pin and GND; closed
reads as ON), `false` the pull-down (contact to 3.3 V), `floating` none: then `active_state`
(`high` or `low`) says which level is ON. `invert` flips the reported state. Interrupt-driven:
edges arrive from the driver's thread through the GPIO hand-off, nothing is polled.
`bounce_time` (seconds) is applied by the backend (lgpio, RPi.GPIO, pigpio, native).

Software behaviours, on the gateway's clock and on top of the line's edges (so mock pins and
expander pins get them too):
```yaml
  - {platform: gpio, name: Hall button, pin: 27, delayed_on: 30ms, delayed_off: 30ms,
     clicks: {single: true, double: true, long: true, double_gap: 0.3s, long_min: 0.8s}}
```
`delayed_on`/`delayed_off`: a change counts once it held that long. `clicks` adds the entity
`event.<id>` and fires `click` events (see `gateway.domains.binary_sensor`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Literal, Protocol

import voluptuous as vol

from gateway.config.behaviour_fields import BINARY_SENSOR_BEHAVIOUR_FIELDS
from gateway.config.cv import boolean, choice, gpio_pin, non_empty_string, platform_schema
from gateway.config.cv import time_period as cv_time_period
from gateway.config.model import Claim, EntityConfig
from gateway.core import Gateway, callback
from gateway.domains.binary_sensor import BinarySensorEntity
from gateway.entity_platform import AsyncAddEntitiesCallback
from gateway.input_patterns import ClickConfig
from hardware.errors import HardwareError
from hardware.gpio import DigitalInput, LineSource, PinSpec, Pull, threadsafe_handoff
from platforms.gpio.pins import pin_claims

from . import async_get_driver
from .entity import GpioEntity
from .missing import async_make_line

DOMAIN = "binary_sensor"

ActiveState = Literal["high", "low"]
ACTIVE_STATES: Final[tuple[ActiveState, ...]] = ("high", "low")


def pull_option(value: Any) -> Pull:
    """`true` (up), `false` (down) or `floating`; returned as up / down / floating."""
    if isinstance(value, str) and value.strip().lower() in ("floating", "none"):
        return "floating"
    if value is None:
        return "floating"
    try:
        return "up" if boolean(value) else "down"
    except vol.Invalid:
        raise vol.Invalid("expected true (pull-up), false (pull-down) or floating") from None


def require_active_state(data: dict[str, Any]) -> dict[str, Any]:
    """`active_state` is needed exactly when the input floats."""
    floating = data.get("pull_up", "up") == "floating"
    if floating and "active_state" not in data:
        raise vol.Invalid("a floating input needs active_state: high or low", path=["pull_up"])
    if not floating and "active_state" in data:
        raise vol.Invalid(
            "only used with pull_up: floating (the pull decides)", path=["active_state"]
        )
    return data


@dataclass(frozen=True, slots=True, kw_only=True)
class GpioBinarySensorConfig(EntityConfig):
    pin: PinSpec
    pull_up: Pull = "up"
    active_state: ActiveState | None = None
    bounce_time: float | None = None
    invert: bool = False
    device_class: str | None = None
    delayed_on: float = 0.0
    delayed_off: float = 0.0
    clicks: ClickConfig | None = None

    def claims(self) -> tuple[Claim, ...]:
        return pin_claims(self.pin)


PLATFORM_SCHEMA = platform_schema(
    GpioBinarySensorConfig,
    {
        vol.Required("pin"): gpio_pin,
        vol.Optional("pull_up"): pull_option,
        vol.Optional("active_state"): choice(ACTIVE_STATES, ignore_case=True),
        vol.Optional("bounce_time"): cv_time_period,
        vol.Optional("invert"): boolean,
        vol.Optional("device_class"): non_empty_string,
        **BINARY_SENSOR_BEHAVIOUR_FIELDS,
    },
    require_active_state,
)


class GpioBinarySensor(GpioEntity[DigitalInput], BinarySensorEntity):
    """An input whose edges are pushed into the loop; `is_on` = active XOR invert."""

    def __init__(self, config: GpioBinarySensorConfig, line: DigitalInput, active: bool) -> None:
        self.set_identity(DOMAIN, config)
        self._line = line
        self._invert = config.invert
        self._attr_device_class = config.device_class
        self._attr_is_on = active != self._invert

    async def async_added(self) -> None:
        loop = self._require_gw().loop
        self._line.when_changed = threadsafe_handoff(loop, self._async_input_changed)
        self._line.when_reachable = threadsafe_handoff(loop, self._async_reachable)

    @callback
    def _async_input_changed(self, active: bool) -> None:
        """In the loop: one edge, with the level the driver saw when it happened."""
        if self._detached:
            return  # handed off just before the entity was removed
        is_on = active != self._invert
        if is_on != self._attr_is_on:
            self._attr_is_on = is_on
            self.async_write_state()

    async def async_will_remove(self) -> None:
        self._detached = True
        self._line.when_changed = None
        self._line.when_reachable = None
        await super().async_will_remove()


class InputConfig(Protocol):
    """The input settings a binary sensor and a counter share."""

    @property
    def pin(self) -> PinSpec: ...
    @property
    def pull_up(self) -> Pull: ...
    @property
    def active_state(self) -> ActiveState | None: ...
    @property
    def bounce_time(self) -> float | None: ...


def input_maker(driver: LineSource, config: InputConfig) -> Callable[[], DigitalInput]:
    """What makes the input line of `config` (blocking: run it in the executor)."""
    active_high = None if config.active_state is None else config.active_state == "high"
    return functools.partial(
        driver.input,
        config.pin,
        pull=config.pull_up,
        active_high=active_high,
        bounce_time=config.bounce_time,
    )


async def async_setup_platform(
    gw: Gateway,
    config: GpioBinarySensorConfig,
    async_add_entities: AsyncAddEntitiesCallback,
    discovery_info: Any = None,
) -> None:
    make = input_maker(await async_get_driver(gw), config)
    line = await async_make_line(gw, DOMAIN, config, make, async_add_entities)
    if line is None:
        return
    try:
        active = await gw.async_add_executor_job(line.read)  # blocking for some (pigpio)
    except HardwareError:
        # A device that does not answer yet (an expander unplugged at start): its line says
        # so through `when_reachable` and reports the level once it answers.
        active = False
    await async_add_entities([GpioBinarySensor(config, line, active)])
