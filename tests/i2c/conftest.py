"""A gateway wired from YAML as bootstrap wires it (i2c before gpio), with mock board pins."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

import platforms.gpio
import platforms.i2c
from gateway.bootstrap import async_setup_entities
from gateway.clock import FakeClock
from gateway.config import load_config
from gateway.core import Gateway
from gateway.loader import resolve_platform_schema
from hardware.sim.i2c_bus import SimulatedI2CBus
from tests.conftest import assert_stops_clean
from tests.helpers import in_thread

StartGateway = Callable[..., Awaitable[Gateway]]


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


@pytest.fixture
async def start_gateway(tmp_path: Path) -> AsyncIterator[StartGateway]:
    """`await start_gateway(yaml)`: a started gateway on a fake clock, stopped afterwards."""
    started: list[Gateway] = []

    async def start(text: str, *, executor_timeout: float = 5.0) -> Gateway:
        path = tmp_path / "boardgate.yaml"
        header = f"gateway: {{node_id: bench, state_dir: {tmp_path / 'state'}}}\n"
        await in_thread(_write, path, header + text)
        config = await in_thread(load_config, path, resolve_platform_schema)
        gw = Gateway(clock=FakeClock(), executor_workers=4, executor_timeout=executor_timeout)
        started.append(gw)
        gw.config = config
        if config.i2c or config.expanders:
            await platforms.i2c.async_setup(gw, config.i2c, config.expanders)
        await platforms.gpio.async_setup(gw, config.gpio)
        await async_setup_entities(gw, config.entities)
        await gw.async_start()
        return gw

    yield start
    for gw in started:
        await assert_stops_clean(gw)


def sim_bus(gw: Gateway, name: str = "sim") -> SimulatedI2CBus:
    return platforms.i2c.get_runtime(gw).simulated[name]


def state(gw: Gateway, entity_id: str) -> str:
    found = gw.states.get(entity_id)
    assert found is not None, entity_id
    return found.state


async def advance(gw: Gateway, seconds: float) -> None:
    assert isinstance(gw.clock, FakeClock)
    gw.clock.advance(seconds)
    await gw.async_block_till_done()
