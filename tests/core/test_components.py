"""Component loading: `async_setup` in the loop, `setup` in the executor."""

from __future__ import annotations

import sys
import threading
import types
from collections.abc import Iterator
from typing import Any

import pytest

from gateway.bootstrap import async_setup_component
from gateway.core import Gateway
from gateway.exceptions import GatewayError


@pytest.fixture
def component_module() -> Iterator[types.ModuleType]:
    """A throwaway component module importable as `tests_component`."""
    module = types.ModuleType("tests_component")
    sys.modules[module.__name__] = module
    yield module
    del sys.modules[module.__name__]


async def test_sync_setup_runs_in_executor(gw: Gateway, component_module: Any) -> None:
    seen: list[tuple[str, object]] = []

    def setup(gateway: Gateway, config: object) -> None:
        seen.append((threading.current_thread().name, config))

    component_module.setup = setup
    await async_setup_component(gw, "tests_component", {"a": 1})
    assert seen[0][0].startswith("boardgate-worker-")
    assert seen[0][1] == {"a": 1}


async def test_async_setup_runs_in_loop(gw: Gateway, component_module: Any) -> None:
    seen: list[int] = []

    async def async_setup(gateway: Gateway) -> None:
        seen.append(threading.get_ident())

    component_module.async_setup = async_setup
    await async_setup_component(gw, "tests_component")
    assert seen == [gw.loop_thread_id]


async def test_component_without_setup(gw: Gateway, component_module: Any) -> None:
    with pytest.raises(GatewayError, match="neither async_setup nor setup"):
        await async_setup_component(gw, "tests_component")
