"""Entities that are on or off and can be switched, with optional timed commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..const import STATE_OFF, STATE_ON
from ..core import callback
from ..entity import Entity
from ..event import async_call_later

__all__ = ["ToggleEntity"]


class ToggleEntity(Entity):
    """An output that is on or off.

    Override `async_turn_on`/`async_turn_off` (in the loop, for non-blocking drivers) or
    `turn_on`/`turn_off` (blocking: run in the executor with the timeout). The services add
    `for`: after that many seconds the output reverts to its previous state; any later command
    cancels the pending revert.
    """

    _attr_is_on: bool | None = None
    _attr_should_poll = False
    _cancel_revert: Callable[[], None] | None = None

    @property
    def is_on(self) -> bool | None:
        return self._attr_is_on

    @property
    def state(self) -> str | None:
        is_on = self.is_on
        if is_on is None:
            return None
        return STATE_ON if is_on else STATE_OFF

    def turn_on(self, **kwargs: Any) -> None:
        raise NotImplementedError

    def turn_off(self, **kwargs: Any) -> None:
        raise NotImplementedError

    async def async_turn_on(self, **kwargs: Any) -> None:
        await self.async_run_in_executor(self.turn_on, **kwargs)

    async def async_turn_off(self, **kwargs: Any) -> None:
        await self.async_run_in_executor(self.turn_off, **kwargs)

    async def async_toggle(self, **kwargs: Any) -> None:
        if self.is_on:
            await self.async_turn_off(**kwargs)
        else:
            await self.async_turn_on(**kwargs)

    # -- service entry points (what `<domain>.turn_on` etc. call) -----------------------------

    async def async_service_turn_on(self, **kwargs: Any) -> None:
        await self._async_command(True, kwargs)

    async def async_service_turn_off(self, **kwargs: Any) -> None:
        await self._async_command(False, kwargs)

    async def async_service_toggle(self, **kwargs: Any) -> None:
        await self._async_command(not self.is_on, kwargs)

    async def _async_command(self, turn_on: bool, kwargs: dict[str, Any]) -> None:
        duration: float | None = kwargs.pop("for", None)
        self._async_cancel_revert()
        was_on = bool(self.is_on)
        if turn_on:
            await self.async_turn_on(**kwargs)
        else:
            await self.async_turn_off(**kwargs)
        if duration is not None and was_on != turn_on:
            self._async_schedule_revert(duration, was_on)

    @callback
    def _async_schedule_revert(self, duration: float, back_on: bool) -> None:
        async def revert(_now: float) -> None:
            self._cancel_revert = None
            if back_on:
                await self.async_turn_on()
            else:
                await self.async_turn_off()
            self.async_write_state()

        self._cancel_revert = async_call_later(self._require_gw(), duration, revert)

    @callback
    def _async_cancel_revert(self) -> None:
        if self._cancel_revert is not None:
            self._cancel_revert()
            self._cancel_revert = None

    async def async_will_remove(self) -> None:
        self._async_cancel_revert()
