"""GPIO fixtures: a fresh MockFactory per test, passed explicitly (never gpiozero's global)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

import platforms.gpio
from gateway.config.model import GpioConfig, PlatformEntry
from gateway.core import Gateway
from gateway.domains import async_setup_domain
from gateway.domains.registry import DOMAIN_SPECS
from gateway.entity_component import EntityComponent
from gateway.loader import resolve_platform_schema
from hardware.gpio import GpioDriver
from tests.helpers import in_thread


class RecordingPin(MockPWMPin):
    """A mock PWM pin that records the thread of every write to its state."""

    def __init__(self, factory: Any, info: Any) -> None:
        super().__init__(factory, info)
        self.write_threads: list[str] = []

    def _set_state(self, value: float) -> None:
        self.write_threads.append(threading.current_thread().name)
        super()._set_state(value)


@pytest.fixture
def factory() -> Iterator[MockFactory]:
    """A per-test mock factory; reset afterwards so no reservation leaks into the next test."""
    mock = MockFactory(pin_class=RecordingPin)
    yield mock
    mock.reset()


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
async def gpio(gw: Gateway, factory: MockFactory, state_dir: Path) -> GpioDriver:
    """The gpio component on `gw` with a non-blocking mock driver."""
    driver = GpioDriver("mock", factory, blocking=False)
    await platforms.gpio.async_setup(gw, GpioConfig("mock"), state_dir=state_dir, driver=driver)
    return driver


def entry(domain: str, raw: Mapping[str, Any]) -> PlatformEntry:
    """Validate one config item with the platform's own schema."""
    schema = resolve_platform_schema(domain, raw.get("platform", "gpio"))
    config = schema({"platform": "gpio", **raw})
    return PlatformEntry(domain, config.platform, config, f"test.yaml:{config.id}")


async def setup_entities(gw: Gateway, domain: str, *raws: Mapping[str, Any]) -> EntityComponent:
    """Set up the domain with these gpio entries (as bootstrap would)."""
    return await async_setup_domain(gw, DOMAIN_SPECS[domain], [entry(domain, raw) for raw in raws])


def pin(factory: MockFactory, number: int) -> RecordingPin:
    found: RecordingPin = factory.pin(number)
    return found


def state(gw: Gateway, entity_id: str) -> str:
    current = gw.states.get(entity_id)
    assert current is not None, f"{entity_id} has no state"
    return current.state


def attrs(gw: Gateway, entity_id: str) -> Mapping[str, Any]:
    current = gw.states.get(entity_id)
    assert current is not None, f"{entity_id} has no state"
    return current.attributes


async def read_saved(path: Path) -> Any:
    """The JSON in `path`, read outside the loop thread (the loop must not block)."""
    return json.loads(await in_thread(path.read_text))


async def write_file(path: Path, text: str) -> None:
    def write() -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    await in_thread(write)
