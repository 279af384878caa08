"""Stand-ins for gpio entities whose pin the board lacks.

A config may name a pin the board does not have (pin 40 on a 28-GPIO Pi 3B, a Compute Module
config on a Pi 4). The entity still exists, so Home Assistant and `bridge/info` show it, but it
is unavailable: one WARNING at start names the pin and the board, commands are refused with the
same reason, and the other entities run as usual.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Final, TypeVar

from gateway.config.model import EntityConfig
from gateway.core import Gateway
from gateway.domains.binary_sensor import BinarySensorEntity
from gateway.domains.button import ButtonEntity
from gateway.domains.light import LightEntity
from gateway.domains.sensor import SensorEntity
from gateway.domains.switch import SwitchEntity
from gateway.entity import Entity
from gateway.entity_platform import AsyncAddEntitiesCallback
from hardware.gpio import PinNotOnBoard

__all__ = ["MissingPin", "async_make_line"]

_LOGGER = logging.getLogger(__name__)
_Made = TypeVar("_Made")


class MissingPin(Entity):
    """Unavailable for good; every command raises `PinNotOnBoard` (logged as a warning)."""

    _attr_available = False
    _attr_should_poll = False

    def __init__(self, domain: str, config: EntityConfig, reason: str) -> None:
        self.set_identity(domain, config)
        self._reason = reason
        self._attr_extra_state_attributes = {
            "pin": str(getattr(config, "pin", "")),
            "error": reason,
        }

    def _refuse(self) -> None:
        raise PinNotOnBoard(self._reason)


class MissingSwitch(MissingPin, SwitchEntity):
    async def async_turn_on(self, **kwargs: Any) -> None:
        self._refuse()

    async def async_turn_off(self, **kwargs: Any) -> None:
        self._refuse()


class MissingLight(MissingPin, LightEntity):
    async def async_turn_on(self, **kwargs: Any) -> None:
        self._refuse()

    async def async_turn_off(self, **kwargs: Any) -> None:
        self._refuse()


class MissingButton(MissingPin, ButtonEntity):
    async def async_press(self) -> None:
        self._refuse()


class MissingBinarySensor(MissingPin, BinarySensorEntity):
    pass


class MissingSensor(MissingPin, SensorEntity):
    pass


STAND_INS: Final[dict[str, type[MissingPin]]] = {
    "switch": MissingSwitch,
    "light": MissingLight,
    "button": MissingButton,
    "binary_sensor": MissingBinarySensor,
    "sensor": MissingSensor,
}


async def async_make_line(
    gw: Gateway,
    domain: str,
    config: EntityConfig,
    make: Callable[[], _Made],
    async_add_entities: AsyncAddEntitiesCallback,
) -> _Made | None:
    """Run `make` (blocking: it creates the line) in the executor and return its result;
    when the board lacks the pin, add an unavailable stand-in instead and return None."""
    try:
        return await gw.async_add_executor_job(make)
    except PinNotOnBoard as exc:
        _LOGGER.warning("%s.%s: %s; the entity is unavailable", domain, config.id, exc)
        await async_add_entities([STAND_INS[domain](domain, config, str(exc))])
        return None
