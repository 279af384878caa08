"""SensorEntity applies filters itself: a bare subclass with a `filters` config gets them."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.clock import FakeClock
from gateway.config.model import EntityConfig
from gateway.core import Gateway
from gateway.domains import async_setup_domain
from gateway.domains.sensor import SPEC, SensorEntity
from gateway.filters import FilterSpec, Multiply, Timeout


@dataclass(frozen=True, slots=True, kw_only=True)
class BareConfig(EntityConfig):
    filters: tuple[FilterSpec, ...] = ()


class Bare(SensorEntity):
    """A platform's entity with no filter code of its own."""

    _attr_should_poll = False

    def __init__(self, config: BareConfig) -> None:
        self.set_identity("sensor", config)

    def push(self, value: float | str | None) -> None:
        self._attr_native_value = value
        self.async_write_state()


def state(gw: Gateway) -> str:
    return gw.states.get("sensor.bare").state  # type: ignore[union-attr]


async def test_unknown_and_text_readings_and_timeout(gw: Gateway, clock: FakeClock) -> None:
    component = await async_setup_domain(gw, SPEC, [])
    config = BareConfig(platform="test", name="Bare", id="bare", filters=(Multiply(2), Timeout(5)))
    entity = Bare(config)
    await component.get_platform("test").async_add_entities([entity])
    entity.push(3)
    assert state(gw) == "6.0"
    entity.push("not a number")  # skipped: the last value stays
    assert state(gw) == "6.0"
    entity.push("4")  # a numeric string is a number
    assert state(gw) == "8.0"
    entity.push(None)  # unknown passes through as unknown
    assert state(gw) == "unknown"
    clock.advance(5)
    assert state(gw) == "unavailable"
    entity.push(1)
    assert state(gw) == "2.0"
    assert entity._attr_native_value == 1  # the platform still reads its raw value
    await component.async_reset()
    assert clock.pending() == 0
