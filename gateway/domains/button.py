"""The `button` domain: momentary actions (a gate opener pulse).

Service `press`; `<e>/set` takes `PRESS`; no `<e>/state` (availability and attributes only).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ..const import SERVICE_PRESS
from ..core import Gateway
from ..entity import Entity
from . import async_setup_domain, wire
from .spec import Command, CommandInput, DomainSpec, EntityService

if TYPE_CHECKING:
    from ..config.model import PlatformEntry

DOMAIN = "button"
__all__ = ["DOMAIN", "SPEC", "ButtonEntity", "async_setup"]


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

    async def async_service_press(self) -> None:
        """The `button.press` service: press, then note the time."""
        await self.async_press()
        self._last_pressed = datetime.now(UTC)


def parse_command(payload: bytes) -> Command:
    """`PRESS`."""
    return wire.simple_command(wire.text(payload), "PRESS", SERVICE_PRESS)


SPEC = DomainSpec(
    name=DOMAIN,
    services={SERVICE_PRESS: EntityService({}, ButtonEntity.async_service_press)},
    commands=CommandInput(parse_command, "PRESS (any case)"),
    state=None,
    discovery=lambda _entity: {"payload_press": "PRESS"},
)


async def async_setup(gw: Gateway, entries: Sequence[PlatformEntry]) -> None:
    await async_setup_domain(gw, SPEC, entries)
