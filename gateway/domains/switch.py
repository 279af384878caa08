"""The `switch` domain: outputs that are on or off (relays, MOSFETs)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import voluptuous as vol

from ..const import SERVICE_TOGGLE, SERVICE_TURN_OFF, SERVICE_TURN_ON
from ..core import Gateway
from . import ServiceTable, async_setup_domain
from .toggle import ToggleEntity

if TYPE_CHECKING:
    from ..config.model import PlatformEntry

DOMAIN = "switch"
__all__ = ["DOMAIN", "SwitchEntity", "async_setup"]

_FOR = {vol.Optional("for"): vol.All(vol.Coerce(float), vol.Range(min=0, min_included=False))}
SERVICES: ServiceTable = {
    SERVICE_TURN_ON: (_FOR, "async_service_turn_on"),
    SERVICE_TURN_OFF: (_FOR, "async_service_turn_off"),
    SERVICE_TOGGLE: (_FOR, "async_service_toggle"),
}


class SwitchEntity(ToggleEntity):
    """A switchable output; `for` in a service call reverts it after that many seconds."""


async def async_setup(gw: Gateway, entries: Sequence[PlatformEntry]) -> None:
    await async_setup_domain(gw, DOMAIN, SERVICES, entries)
