"""What every gpio entity shares: config validators, line calls, and safe start and stop.

An entity holds one line typed by a Protocol of `hardware.gpio.lines` (`DigitalInput`,
`DigitalOutput`, `PwmOutput`) and nothing of the driver behind it: a board pin, an expander pin
and a fake in a test look the same. Line calls go through `async_driver_call`: inline in the
loop when the line does not block, in the executor (with the entity's timeout) when it does
(pigpio).

Outputs (`GpioOutputEntity`) take their `initial` level while the platform sets up, i.e. before
the gateway reports ready; `restore` reads the last state from `state_dir`, which is written
(atomically, in the executor, coalesced) on every change. On `gateway_stop` they go to
`on_stop`; that last change is published but not saved, so `restore` brings back the state the
output had while the gateway ran. What is read back is checked (a hand-edited or foreign file
may say `"on": "false"`): a bad value is a warning naming the file and the value, and the
output starts as if nothing had been saved.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Generic, Literal, Required, TypedDict, TypeVar

import voluptuous as vol

from gateway.config.cv import boolean, gpio_pin
from gateway.config.field_types import declares, literal_of
from gateway.config.model import Claim, EntityConfig
from gateway.const import EVENT_GATEWAY_STOP
from gateway.core import Event, callback
from gateway.domains.toggle import ToggleEntity
from gateway.entity import Entity
from gateway.state_store import StateFile
from gateway.user_errors import log_failure
from hardware.gpio import DigitalOutput, GpioLine, PinSpec, PwmOutput

from . import keep_open
from .pins import pin_claims

__all__ = [
    "INITIAL_OPTIONS",
    "ON_STOP_OPTIONS",
    "OUTPUT_FIELDS",
    "GpioEntity",
    "GpioOutputConfig",
    "GpioOutputEntity",
    "Initial",
    "OnStop",
    "OutputSnapshot",
    "SnapshotCheck",
    "check_on",
    "on_off_option",
]

_LOGGER = logging.getLogger(__name__)
_R = TypeVar("_R")
_Line = TypeVar("_Line", bound=GpioLine)
_Output = TypeVar("_Output", DigitalOutput, PwmOutput)
_Option = TypeVar("_Option", bound=str)

Initial = Literal["off", "on", "restore"]
OnStop = Literal["off", "on", "keep"]
INITIAL_OPTIONS: Final[tuple[Initial, ...]] = ("off", "on", "restore")
ON_STOP_OPTIONS: Final[tuple[OnStop, ...]] = ("off", "on", "keep")


class OutputSnapshot(TypedDict, total=False):
    """What an output saves for `restore`: `on`, and a light's `brightness` (1-255)."""

    on: Required[bool]
    brightness: int


RESTORE_FALLBACK: Final[OutputSnapshot] = {"on": False}

SnapshotCheck = Callable[[Mapping[str, Any]], str | None]
"""Returns what is wrong with a saved snapshot, or None when it can be restored."""


def on_off_option(options: tuple[_Option, ...]) -> Callable[[Any], _Option]:
    """One of `options`; YAML's unquoted `on`/`off` arrive as booleans and are accepted."""
    listed = ", ".join(options)

    def validate(value: Any) -> _Option:
        if isinstance(value, bool):
            value = "on" if value else "off"
        if isinstance(value, str):
            for option in options:
                if value.strip().lower() == option:
                    return option
        raise vol.Invalid(f"expected one of: {listed}")

    return declares(literal_of(options), validate)


@dataclass(frozen=True, slots=True, kw_only=True)
class GpioOutputConfig(EntityConfig):
    """What every output (switch, light) is configured with."""

    pin: PinSpec
    active_high: bool = True
    initial: Initial = "off"
    on_stop: OnStop = "off"

    def claims(self) -> tuple[Claim, ...]:
        return pin_claims(self.pin)


OUTPUT_FIELDS: Final[Mapping[Hashable, Any]] = {
    vol.Required("pin"): gpio_pin,
    vol.Optional("active_high"): boolean,
    vol.Optional("initial"): on_off_option(INITIAL_OPTIONS),
    vol.Optional("on_stop"): on_off_option(ON_STOP_OPTIONS),
}


class GpioEntity(Entity, Generic[_Line]):
    """An entity backed by one GPIO line (`_line`), which it closes when it is removed."""

    _line: _Line
    _detached: bool = False  # inputs: set once edges must no longer change the state

    async def async_driver_call(self, target: Callable[..., _R], *args: Any) -> _R:
        """Run a line call: inline when the line does not block, else in the executor."""
        if self._line.blocking:
            return await self.async_run_in_executor(target, *args)
        return target(*args)

    async def async_will_remove(self) -> None:
        await super().async_will_remove()
        await self._require_gw().async_add_executor_job(self._line.close)

    @callback
    def _async_reachable(self, reachable: bool) -> None:
        """In the loop: the input's device (an expander) stopped or started answering."""
        if self._detached or reachable == self._attr_available:
            return
        self._attr_available = reachable
        self.async_write_state()


class GpioOutputEntity(GpioEntity[_Output], ToggleEntity):
    """An on/off output with `initial`, `on_stop` and a state file for `restore`."""

    _on_stop: OnStop = "off"
    _state_file: StateFile | None = None
    _stopping: bool = False

    def _snapshot(self) -> OutputSnapshot:
        """What `restore` needs, as JSON."""
        return {"on": bool(self.is_on)}

    async def _async_apply_on_stop(self, turn_on: bool) -> None:
        """Drive the output for `on_stop`."""
        if turn_on:
            await self.async_turn_on()
        else:
            await self.async_turn_off()

    @callback
    def _async_cancel_timers(self) -> None:
        """Cancel pending reverts, fades, pulses."""
        self._async_cancel_revert()

    @callback
    def async_remember(self) -> None:
        """Save the current state for `restore` (coalesced, in the executor)."""
        if self._state_file is not None and not self._stopping:
            self._state_file.async_save(self._snapshot())

    async def async_added(self) -> None:
        gw = self._require_gw()
        self.async_on_remove(gw.bus.async_listen_once(EVENT_GATEWAY_STOP, self._async_on_stop))
        if self._on_stop != "off":
            # closing would release the pin and let it float
            self.async_on_remove(keep_open(gw, self._line))
        self.async_remember()

    async def _async_on_stop(self, _event: Event) -> None:
        self._stopping = True
        self._async_cancel_timers()
        if self._state_file is not None:
            await self._state_file.async_flush()
        if self._on_stop == "keep":
            return
        try:
            await self._async_apply_on_stop(self._on_stop == "on")
        except Exception as exc:  # a bug gets a traceback, a driver saying no one line
            log_failure(
                _LOGGER, exc, "%s: could not apply on_stop %s", self.entity_id, self._on_stop
            )
            return
        self.async_write_state()

    async def async_will_remove(self) -> None:
        self._async_cancel_timers()
        if self._state_file is not None:
            await self._state_file.async_flush()
        await super().async_will_remove()


def check_on(saved: Mapping[str, Any]) -> str | None:
    """A switch's snapshot: `on` must be a JSON boolean."""
    value = saved.get("on")
    if not isinstance(value, bool):
        return f'"on" is {value!r}, not true or false'
    return None


async def async_initial_state(
    state_file: StateFile | None,
    initial: Initial,
    entity_id: str,
    check: SnapshotCheck = check_on,
) -> OutputSnapshot:
    """The state to start in: `on`/`off`, or for `restore` the saved snapshot if `check`
    accepts it (else off, the fallback when nothing was saved)."""
    if initial != "restore":
        return {"on": initial == "on"}
    if state_file is None:
        _LOGGER.warning("%s: initial: restore needs a state_dir; starting off", entity_id)
        return RESTORE_FALLBACK.copy()
    saved = await state_file.async_load()
    if saved is None:
        _LOGGER.info("%s: no saved state to restore; starting off", entity_id)
        return RESTORE_FALLBACK.copy()
    problem = check(saved)
    if problem is not None:
        _LOGGER.warning(
            "%s: ignoring the saved state in %s (%s); starting off as if nothing was saved",
            entity_id,
            state_file.path,
            problem,
        )
        return RESTORE_FALLBACK.copy()
    return _restored(saved)


def _restored(saved: Mapping[str, Any]) -> OutputSnapshot:
    """A snapshot `check` accepted, with only the keys an output reads."""
    snapshot: OutputSnapshot = {"on": saved["on"]}
    if "brightness" in saved:
        snapshot["brightness"] = saved["brightness"]
    return snapshot
