"""Entities defined by the tests: in-memory outputs and inputs the test drives directly."""

from __future__ import annotations

from typing import Any

from gateway.core import Gateway
from gateway.domains import async_setup_domain
from gateway.domains.binary_sensor import BinarySensorEntity
from gateway.domains.button import ButtonEntity
from gateway.domains.light import LightEntity
from gateway.domains.registry import DOMAIN_SPECS
from gateway.domains.sensor import SensorEntity
from gateway.domains.switch import SwitchEntity
from gateway.entity import Entity
from gateway.entity_component import async_get_component


class MemorySwitch(SwitchEntity):
    """Records every command it executes, in order."""

    def __init__(self, object_id: str, is_on: bool = False) -> None:
        self.entity_id = f"switch.{object_id}"
        self._attr_name = object_id
        self._attr_is_on = is_on
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def async_turn_on(self, **kwargs: Any) -> None:
        self.calls.append(("turn_on", kwargs))
        self._attr_is_on = True

    async def async_turn_off(self, **kwargs: Any) -> None:
        self.calls.append(("turn_off", kwargs))
        self._attr_is_on = False


class MemoryLight(LightEntity):
    def __init__(self, object_id: str) -> None:
        self.entity_id = f"light.{object_id}"
        self._attr_name = object_id
        self._attr_is_on = False
        self._attr_brightness = 255
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def async_turn_on(self, **kwargs: Any) -> None:
        self.calls.append(("turn_on", kwargs))
        self._attr_is_on = True
        if kwargs.get("brightness") is not None:
            self._attr_brightness = kwargs["brightness"]

    async def async_turn_off(self, **kwargs: Any) -> None:
        self.calls.append(("turn_off", kwargs))
        self._attr_is_on = False


class MemoryButton(ButtonEntity):
    def __init__(self, object_id: str) -> None:
        self.entity_id = f"button.{object_id}"
        self._attr_name = object_id
        self.presses = 0

    async def async_press(self) -> None:
        self.presses += 1


class MemoryBinarySensor(BinarySensorEntity):
    """An input the test flips with `set()` (in the loop)."""

    def __init__(self, object_id: str) -> None:
        self.entity_id = f"binary_sensor.{object_id}"
        self._attr_name = object_id
        self._attr_is_on = False

    def set(self, is_on: bool) -> None:
        self._attr_is_on = is_on
        self.async_write_state()


class MemorySensor(SensorEntity):
    _attr_should_poll = False

    def __init__(self, object_id: str, value: Any = None) -> None:
        self.entity_id = f"sensor.{object_id}"
        self._attr_name = object_id
        self._attr_native_value = value
        self._attr_unit_of_measurement = "°C"

    def set(self, value: Any, available: bool = True) -> None:
        self._attr_native_value = value
        self._attr_available = available
        self.async_write_state()


async def add_entities(gw: Gateway, *entities: Entity) -> None:
    """Add entities, setting up each domain's component (with its services) on first use."""
    for entity in entities:
        domain = entity.entity_id.partition(".")[0]
        component = async_get_component(gw, domain)
        if component is None:
            component = await async_setup_domain(gw, DOMAIN_SPECS[domain], [])
        await component.get_platform("test").async_add_entities([entity])
