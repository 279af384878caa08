"""The `binary_sensor` domain: inputs that are on or off (doors, buttons, motion).

No services and no `<e>/set`; `<e>/state` is `ON`/`OFF`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..const import STATE_OFF, STATE_ON
from ..core import Gateway
from ..entity import Entity
from . import async_setup_domain, wire
from .spec import DomainSpec, StateOutput
from .switch import on_off_discovery

if TYPE_CHECKING:
    from ..config.model import PlatformEntry

DOMAIN = "binary_sensor"
__all__ = ["DOMAIN", "SPEC", "BinarySensorEntity", "async_setup"]


class BinarySensorEntity(Entity):
    """An input that is on or off; usually pushed by interrupts, so not polled."""

    _attr_is_on: bool | None = None
    _attr_should_poll = False

    @property
    def is_on(self) -> bool | None:
        return self._attr_is_on

    @property
    def state(self) -> str | None:
        is_on = self.is_on
        if is_on is None:
            return None
        return STATE_ON if is_on else STATE_OFF


SPEC = DomainSpec(
    name=DOMAIN,
    services={},
    commands=None,
    state=StateOutput(wire.encode_plain_state),
    discovery=on_off_discovery,
)


async def async_setup(gw: Gateway, entries: Sequence[PlatformEntry]) -> None:
    await async_setup_domain(gw, SPEC, entries)
