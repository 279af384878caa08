"""`button` platform `gpio`: a momentary output pulse (gate opener, garage door remote).

```yaml
button:
  - {platform: gpio, name: Gate, pin: 23, pulse: 0.5, active_high: true}
```
A press drives the pin active for `pulse` seconds (a timer on the gateway's clock); a press
during a pulse extends it. The output starts inactive and returns to inactive on stop.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import voluptuous as vol

from gateway.config.cv import boolean, gpio_pin, platform_schema, positive_time_period
from gateway.config.model import Claim, EntityConfig
from gateway.const import EVENT_GATEWAY_STOP
from gateway.core import Event, Gateway, callback
from gateway.domains.button import ButtonEntity
from gateway.entity_platform import AsyncAddEntitiesCallback
from gateway.event import async_call_later
from hardware.gpio import DigitalOutput, PinSpec
from platforms.gpio.pins import pin_claims

from . import async_get_driver
from .entity import GpioEntity
from .missing import async_make_line

DOMAIN = "button"


@dataclass(frozen=True, slots=True, kw_only=True)
class GpioButtonConfig(EntityConfig):
    pin: PinSpec
    pulse: float = 0.5
    active_high: bool = True

    def claims(self) -> tuple[Claim, ...]:
        return pin_claims(self.pin)


PLATFORM_SCHEMA = platform_schema(
    GpioButtonConfig,
    {
        vol.Required("pin"): gpio_pin,
        vol.Optional("pulse"): positive_time_period,
        vol.Optional("active_high"): boolean,
    },
)


class GpioButton(GpioEntity[DigitalOutput], ButtonEntity):
    """Each press: pin active now, inactive `pulse` seconds later."""

    def __init__(self, config: GpioButtonConfig, line: DigitalOutput) -> None:
        self.set_identity(DOMAIN, config)
        self._line = line
        self._pulse = config.pulse
        self._cancel_release: Callable[[], None] | None = None
        self._attr_extra_state_attributes = {"pulse": config.pulse}

    @property
    def pulsing(self) -> bool:
        return self._cancel_release is not None

    async def async_press(self) -> None:
        self._async_cancel_release()
        await self.async_driver_call(self._line.write, True)
        self._cancel_release = async_call_later(
            self._require_gw(), self._pulse, self._async_release
        )

    async def _async_release(self, _now: float | None = None) -> None:
        self._cancel_release = None
        await self.async_driver_call(self._line.write, False)

    @callback
    def _async_cancel_release(self) -> None:
        if self._cancel_release is not None:
            self._cancel_release()
            self._cancel_release = None

    async def async_added(self) -> None:
        gw = self._require_gw()
        self.async_on_remove(gw.bus.async_listen_once(EVENT_GATEWAY_STOP, self._async_on_stop))

    async def _async_on_stop(self, _event: Event) -> None:
        if self.pulsing:
            self._async_cancel_release()
            await self._async_release()

    async def async_will_remove(self) -> None:
        await self._async_on_stop(Event(EVENT_GATEWAY_STOP))
        await super().async_will_remove()


async def async_setup_platform(
    gw: Gateway,
    config: GpioButtonConfig,
    async_add_entities: AsyncAddEntitiesCallback,
    discovery_info: Any = None,
) -> None:
    driver = await async_get_driver(gw)
    make = functools.partial(
        driver.output, config.pin, active_high=config.active_high, initial=False
    )
    line = await async_make_line(gw, DOMAIN, config, make, async_add_entities)
    if line is None:
        return
    await async_add_entities([GpioButton(config, line)])
