"""`light` platform `gpio`: a dimmable LED strip (through a MOSFET) on one PWM pin.

```yaml
light:
  - {platform: gpio, name: Strip, pin: 18, frequency: 500, initial: restore, on_stop: "off"}
```
Brightness is 0-255. `transition` (seconds, in a command) fades from the current level: the fade
runs in the loop on the gateway's clock with at most `MAX_FADE_STEPS_PER_SECOND` steps per
second, and any later command cancels it. The state changes at once to the target; the pin
follows. Software PWM (RPi.GPIO, lgpio) flickers above a few kHz; pigpio's is hardware-timed.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import voluptuous as vol

from gateway.config.cv import platform_schema, positive_float
from gateway.core import Gateway, callback
from gateway.domains.light import LightEntity
from gateway.entity_platform import AsyncAddEntitiesCallback
from gateway.event import async_call_later
from gateway.state_store import StateFile
from hardware.gpio import PwmOutput

from . import OUTPUT_SAVE_INTERVAL, async_get_driver, state_file
from .entity import (
    OUTPUT_FIELDS,
    GpioOutputConfig,
    GpioOutputEntity,
    OutputSnapshot,
    async_initial_state,
    check_on,
)
from .missing import async_make_line

DOMAIN = "light"
MAX_FADE_STEPS_PER_SECOND: Final = 50
FULL: Final = 255


@dataclass(frozen=True, slots=True, kw_only=True)
class GpioLightConfig(GpioOutputConfig):
    frequency: float = 500.0


PLATFORM_SCHEMA = platform_schema(
    GpioLightConfig, {**OUTPUT_FIELDS, vol.Optional("frequency"): positive_float}
)


def fade_steps(start: float, end: float, transition: float) -> list[tuple[float, float]]:
    """(delay from start, duty cycle) for a linear fade: at most 50 steps/s, and no more steps
    than 1/255 increments between `start` and `end` (duty cycles 0-1). The last step is `end`."""
    levels = max(1, round(abs(end - start) * FULL))
    count = max(1, min(levels, math.floor(transition * MAX_FADE_STEPS_PER_SECOND)))
    return [
        (transition * index / count, start + (end - start) * index / count)
        for index in range(1, count + 1)
    ]


class GpioLight(GpioOutputEntity[PwmOutput], LightEntity):
    """A PWM output; `brightness` is kept while off so `turn_on` brings it back."""

    _attr_brightness: int  # always a level 1-255 here, also while off

    def __init__(
        self,
        config: GpioLightConfig,
        line: PwmOutput,
        store: StateFile | None,
        initial: OutputSnapshot,
        duty: float,
    ) -> None:
        self.set_identity(DOMAIN, config)
        self._line = line
        self._state_file = store
        self._on_stop = config.on_stop
        self._attr_is_on = bool(initial.get("on"))
        self._attr_brightness = _brightness(initial.get("brightness"))
        self._cancel_fade: Callable[[], None] | None = None
        self._fade_generation = 0
        self._duty = duty

    def _snapshot(self) -> OutputSnapshot:
        return {"on": bool(self.is_on), "brightness": self._attr_brightness}

    @property
    def duty_cycle(self) -> float:
        """The level last written to the pin (0-1), mid-fade included; no driver call."""
        return self._duty

    def _set_duty(self, value: float) -> None:
        self._line.write(value)
        self._duty = value

    async def async_turn_on(self, **kwargs: Any) -> None:
        brightness = kwargs.get("brightness")
        if brightness == 0:
            await self.async_turn_off(**kwargs)
            return
        level = _brightness(brightness if brightness is not None else self._attr_brightness)
        self._attr_brightness = level
        await self._async_go_to(level / FULL, kwargs.get("transition"))
        self._attr_is_on = True
        self.async_remember()

    async def async_turn_off(self, **kwargs: Any) -> None:
        await self._async_go_to(0.0, kwargs.get("transition"))
        self._attr_is_on = False
        self.async_remember()

    async def _async_go_to(self, target: float, transition: float | None) -> None:
        self._async_cancel_fade()
        start = self.duty_cycle
        if not transition or math.isclose(start, target):
            await self.async_driver_call(self._set_duty, target)
            return
        gw = self._require_gw()
        self._async_schedule_fade(fade_steps(start, target, transition), gw.clock.time())

    @callback
    def _async_schedule_fade(self, steps: list[tuple[float, float]], began: float) -> None:
        """Arm the timer for the next step, at `began` + its offset (no drift)."""
        if not steps:
            self._cancel_fade = None
            return
        gw = self._require_gw()
        at, duty = steps[0]
        generation = self._fade_generation

        @callback
        def step(_now: float) -> None:
            self._cancel_fade = None
            if not self._line.blocking:
                self._set_duty(duty)
                self._async_schedule_fade(steps[1:], began)
                return
            gw.async_create_task(self._async_blocking_step(duty, steps[1:], began, generation))

        self._cancel_fade = async_call_later(gw, began + at - gw.clock.time(), step)

    async def _async_blocking_step(
        self, duty: float, rest: list[tuple[float, float]], began: float, generation: int
    ) -> None:
        """A fade step through a blocking driver: the write runs in the executor."""
        try:
            await self.async_driver_call(self._set_duty, duty)
        except TimeoutError:
            return  # logged; the entity is unavailable
        if generation == self._fade_generation:
            self._async_schedule_fade(rest, began)

    @callback
    def _async_cancel_fade(self) -> None:
        self._fade_generation += 1
        if self._cancel_fade is not None:
            self._cancel_fade()
            self._cancel_fade = None

    @callback
    def _async_cancel_timers(self) -> None:
        super()._async_cancel_timers()
        self._async_cancel_fade()


def _valid_brightness(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= FULL


def _brightness(value: Any) -> int:
    return value if _valid_brightness(value) else FULL


def check_snapshot(saved: Mapping[str, Any]) -> str | None:
    """A light's snapshot: `on` a boolean, `brightness` (if present) a whole number 1-255."""
    problem = check_on(saved)
    if problem is None and "brightness" in saved and not _valid_brightness(saved["brightness"]):
        return f'"brightness" is {saved["brightness"]!r}, not a whole number from 1 to {FULL}'
    return problem


async def async_setup_platform(
    gw: Gateway,
    config: GpioLightConfig,
    async_add_entities: AsyncAddEntitiesCallback,
    discovery_info: Any = None,
) -> None:
    driver = await async_get_driver(gw)
    entity_id = f"{DOMAIN}.{config.id}"
    store = state_file(gw, entity_id, min_interval=OUTPUT_SAVE_INTERVAL)
    initial = await async_initial_state(store, config.initial, entity_id, check_snapshot)
    duty = _brightness(initial.get("brightness")) / FULL if initial.get("on") else 0.0
    make = functools.partial(
        driver.pwm,
        config.pin,
        active_high=config.active_high,
        frequency=config.frequency,
        initial=duty,
    )
    line = await async_make_line(gw, DOMAIN, config, make, async_add_entities)
    if line is None:
        return
    await async_add_entities([GpioLight(config, line, store, initial, duty)])
