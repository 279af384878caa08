"""The `light` domain: dimmable outputs (PWM), brightness 0-255."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import voluptuous as vol

from ..const import SERVICE_TOGGLE, SERVICE_TURN_OFF, SERVICE_TURN_ON
from ..core import Gateway
from . import ServiceTable, async_setup_domain
from .toggle import ToggleEntity

if TYPE_CHECKING:
    from ..config.model import PlatformEntry

DOMAIN = "light"
__all__ = ["DOMAIN", "LightEntity", "async_setup"]

_TRANSITION = {vol.Optional("transition"): vol.All(vol.Coerce(float), vol.Range(min=0))}
_ON = {
    **_TRANSITION,
    vol.Optional("brightness"): vol.All(vol.Coerce(int), vol.Range(min=0, max=255)),
    vol.Optional("for"): vol.All(vol.Coerce(float), vol.Range(min=0, min_included=False)),
}
SERVICES: ServiceTable = {
    SERVICE_TURN_ON: (_ON, "async_service_turn_on"),
    SERVICE_TURN_OFF: (_TRANSITION, "async_service_turn_off"),
    SERVICE_TOGGLE: (_ON, "async_service_toggle"),
}


class LightEntity(ToggleEntity):
    """A dimmable output; `brightness` is 0-255 while on."""

    _attr_brightness: int | None = None

    @property
    def brightness(self) -> int | None:
        return self._attr_brightness

    @property
    def state_attributes(self) -> dict[str, Any]:
        return {"brightness": self.brightness if self.is_on else None}


async def async_setup(gw: Gateway, entries: Sequence[PlatformEntry]) -> None:
    await async_setup_domain(gw, DOMAIN, SERVICES, entries)
