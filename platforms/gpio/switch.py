"""`switch` platform `gpio`: a relay or MOSFET on one output pin.

```yaml
switch:
  - {platform: gpio, name: Relay 1, pin: 22, active_high: false, initial: "off", on_stop: "off"}
```
`active_high: false` suits the common active-low relay boards. `initial` is `off`, `on` or
`restore`; `on_stop` is `off`, `on` or `keep`. A command `{"state": "ON", "for": 2.5}` reverts
after 2.5 s (handled by the switch domain on the gateway's clock).

`interlock: [other_id, ...]` with `interlock_wait` (default 0): never on together with those
switches (`gateway.domains.interlock`); the ids must exist and name this one back.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from gateway.config.cv import platform_schema
from gateway.config.interlocks import INTERLOCK_FIELDS
from gateway.core import Gateway
from gateway.domains.switch import SwitchEntity
from gateway.entity_platform import AsyncAddEntitiesCallback
from gateway.state_store import StateFile
from hardware.gpio import DigitalOutput, LineSource

from . import OUTPUT_SAVE_INTERVAL, async_get_driver, state_file
from .entity import (
    OUTPUT_FIELDS,
    GpioOutputConfig,
    GpioOutputEntity,
    async_initial_state,
)
from .missing import async_make_line

DOMAIN = "switch"


@dataclass(frozen=True, slots=True, kw_only=True)
class GpioSwitchConfig(GpioOutputConfig):
    """pin, active_high, initial, on_stop (see GpioOutputConfig), and interlocks."""

    interlock: tuple[str, ...] = ()
    interlock_wait: float = 0.0


PLATFORM_SCHEMA = platform_schema(GpioSwitchConfig, {**OUTPUT_FIELDS, **INTERLOCK_FIELDS})


class GpioSwitch(GpioOutputEntity[DigitalOutput], SwitchEntity):
    """A digital output; the state is read back from the line after each write."""

    def __init__(
        self,
        config: GpioSwitchConfig,
        line: DigitalOutput,
        store: StateFile | None,
        is_on: bool,
    ) -> None:
        self.set_identity(DOMAIN, config)
        self._line = line
        self._state_file = store
        self._on_stop = config.on_stop
        self._attr_is_on = is_on
        self._attr_extra_state_attributes = {"pin": str(config.pin)}
        self.interlock = tuple(f"{DOMAIN}.{peer}" for peer in config.interlock)
        self.interlock_wait = config.interlock_wait

    def _write(self, turn_on: bool) -> bool:
        """Drive the line and read back the level it took."""
        self._line.write(turn_on)
        return self._line.read()

    async def async_drive(self, turn_on: bool) -> None:
        """Drive the line and record the state (interlocks call this for peers)."""
        self._attr_is_on = await self.async_driver_call(self._write, turn_on)
        self.async_remember()

    async def _async_switch(self, turn_on: bool) -> None:
        if self.interlock:
            from gateway.domains.interlock import async_interlock_registry  # only when used

            await async_interlock_registry(self._require_gw()).async_command(self, turn_on)
        else:
            await self.async_drive(turn_on)

    async def async_turn_on(self, **kwargs: Any) -> None:
        await self._async_switch(True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        await self._async_switch(False)

    async def async_added(self) -> None:
        await super().async_added()
        if self.interlock:
            from gateway.domains.interlock import async_interlock_registry

            registry = async_interlock_registry(self._require_gw())
            registry.add(self)
            self.async_on_remove(lambda: registry.remove(self))


async def async_setup_platform(
    gw: Gateway,
    config: GpioSwitchConfig,
    async_add_entities: AsyncAddEntitiesCallback,
    discovery_info: Any = None,
) -> None:
    """Create the output already at its initial level, then add the entity."""
    driver = await async_get_driver(gw)
    entity_id = f"{DOMAIN}.{config.id}"
    store = state_file(gw, entity_id, min_interval=OUTPUT_SAVE_INTERVAL)
    initial = await async_initial_state(store, config.initial, entity_id)
    start_on = bool(initial.get("on"))
    # An interlocked switch starts off and is turned on through its group once added: two
    # restored states of one group are then never on together, not even at start.
    on_later = start_on and bool(config.interlock)
    make = functools.partial(
        _create, driver, config.pin, config.active_high, start_on and not on_later
    )
    created = await async_make_line(gw, DOMAIN, config, make, async_add_entities)
    if created is None:
        return
    line, is_on = created
    switch = GpioSwitch(config, line, store, is_on)
    await async_add_entities([switch])
    if on_later:
        await switch.async_turn_on()
        switch.async_write_state()


def _create(
    driver: LineSource, pin: int | str, active_high: bool, on: bool
) -> tuple[DigitalOutput, bool]:
    """Blocking: the output, already at its initial level, and that level read back."""
    line = driver.output(pin, active_high=active_high, initial=on)
    return line, line.read()
