"""The `button` domain: momentary actions (a gate opener pulse)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ..const import SERVICE_PRESS
from ..core import Gateway
from ..entity import Entity
from . import ServiceTable, async_setup_domain

if TYPE_CHECKING:
    from ..config.model import PlatformEntry

DOMAIN = "button"
__all__ = ["DOMAIN", "ButtonEntity", "async_setup"]

SERVICES: ServiceTable = {SERVICE_PRESS: ({}, "_async_press_action")}


class ButtonEntity(Entity):
    """A momentary action; its state is the time of the last press.

    Override `async_press` (non-blocking) or `press` (blocking, run in the executor).
    """

    _attr_should_poll = False
    _last_pressed: datetime | None = None

    @property
    def state(self) -> str | None:
        return self._last_pressed.isoformat() if self._last_pressed else None

    def press(self) -> None:
        raise NotImplementedError

    async def async_press(self) -> None:
        await self.async_run_in_executor(self.press)

    async def _async_press_action(self) -> None:
        await self.async_press()
        self._last_pressed = datetime.now(UTC)


async def async_setup(gw: Gateway, entries: Sequence[PlatformEntry]) -> None:
    await async_setup_domain(gw, DOMAIN, SERVICES, entries)
