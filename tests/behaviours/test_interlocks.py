"""Interlocked switches: config errors, the off-wait-on sequence on a fake clock, and 1,000
concurrent random commands from real threads checked on the mock pins' recorded history."""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
from gpiozero.pins.mock import MockFactory

import platforms.gpio
from gateway.clock import FakeClock
from gateway.config import load_config
from gateway.config.model import GpioConfig
from gateway.core import Gateway
from gateway.exceptions import ConfigError
from gateway.loader import resolve_platform_schema
from gateway.util.async_ import run_coroutine_threadsafe
from hardware.gpio import GpioDriver
from tests.conftest import assert_stops_clean
from tests.gpio.conftest import setup_entities, write_file

FANS = [
    {"name": "Fan low", "pin": 5, "interlock": ["fan_mid", "fan_high"], "interlock_wait": 0.1},
    {"name": "Fan mid", "pin": 6, "interlock": ["fan_low", "fan_high"], "interlock_wait": 0.1},
    {"name": "Fan high", "pin": 7, "interlock": ["fan_low", "fan_mid"], "interlock_wait": 0.1},
]
PINS = (5, 6, 7)


def config_errors(tmp_path: Path, switches: str) -> list[str]:
    path = tmp_path / "c.yaml"
    path.write_text(f"gateway: {{node_id: t, state_dir: /tmp/x}}\nswitch:\n{switches}")
    with pytest.raises(ConfigError) as caught:
        load_config(path, resolve_platform_schema)
    return [line.split(": ", 1)[1] for line in caught.value.errors]


def test_unknown_self_and_one_sided_members_are_errors(tmp_path: Path) -> None:
    switches = """\
  - {platform: gpio, name: A, pin: 5, interlock: [b, nope]}
  - {platform: gpio, name: B, pin: 6, interlock: [a]}
  - {platform: gpio, name: C, pin: 7, interlock: [a]}
  - {platform: gpio, name: D, pin: 8, interlock: d}
"""
    assert config_errors(tmp_path, switches) == [
        "switch.0.interlock: unknown switch 'nope' (switches: b, c, d)",
        "switch.2.interlock: switch 'a' does not name 'c' in its interlock "
        "(interlocks must name each other)",
        "switch.3.interlock: a switch cannot interlock with itself",
    ]


def test_only_switches_with_interlocks_can_be_members(tmp_path: Path) -> None:
    switches = """\
  - {platform: gpio, name: A, pin: 5, interlock: [spare]}
  - {platform: virtual, name: Spare}
"""
    assert config_errors(tmp_path, switches) == [
        "switch.0.interlock: switch 'spare' (platform virtual) cannot be interlocked"
    ]


def test_two_interlocked_switches_cannot_both_start_on(tmp_path: Path) -> None:
    switches = """\
  - {platform: gpio, name: A, pin: 5, interlock: [b], initial: "on"}
  - {platform: gpio, name: B, pin: 6, interlock: [a], initial: "on"}
"""
    assert config_errors(tmp_path, switches) == [
        "switch.1.interlock: switch 'a' also has initial: on (only one may start on)"
    ]


def test_interlock_fields_are_validated(tmp_path: Path) -> None:
    switches = "  - {platform: gpio, name: A, pin: 5, interlock: [Bad Id], interlock_wait: x}\n"
    errors = config_errors(tmp_path, switches)
    assert errors[0].startswith("switch.0.interlock: invalid id")
    assert errors[1].startswith("switch.0.interlock_wait: expected a time period")


@pytest.mark.usefixtures("gpio")
async def test_turning_one_on_turns_the_other_off_waits_then_on(
    gw: Gateway, factory: MockFactory, clock: FakeClock
) -> None:
    await setup_entities(gw, "switch", *FANS)
    await gw.services.async_call("switch", "turn_on", {"entity_id": "switch.fan_low"})
    assert factory.pin(5).state == 1
    task = asyncio.create_task(
        gw.services.async_call("switch", "turn_on", {"entity_id": "switch.fan_high"})
    )
    await gw.async_block_till_done()
    assert (factory.pin(5).state, factory.pin(7).state) == (0, 0)  # off first, then the wait
    assert gw.states.get("switch.fan_low").state == "OFF"  # type: ignore[union-attr]
    clock.advance(0.099)
    await gw.async_block_till_done()
    assert factory.pin(7).state == 0
    clock.advance(0.001)
    await task
    assert (factory.pin(5).state, factory.pin(7).state) == (0, 1)
    await gw.services.async_call("switch", "turn_on", {"entity_id": "switch.fan_high"})
    assert factory.pin(7).state == 1  # already on, no peer on: no wait


@pytest.mark.usefixtures("gpio")
async def test_two_restored_on_never_overlap(
    gw: Gateway, factory: MockFactory, state_dir: Path, clock: FakeClock
) -> None:
    for name in ("switch.fan_low.json", "switch.fan_high.json"):
        await write_file(state_dir / "gpio" / name, '{"on": true}')
    restored = [{**fan, "initial": "restore", "interlock_wait": 0} for fan in FANS]
    start_history(factory)
    await setup_entities(gw, "switch", *restored)
    await gw.async_block_till_done()
    assert len([n for n in PINS if factory.pin(n).state]) == 1
    assert_never_two_on(timeline(factory))
    assert len(timeline(factory)) >= 3  # on, off, on: the first was really restored on


# -- 1,000 concurrent random commands from real threads, on the real clock -----------------


@pytest.fixture
def mock_factory() -> Iterator[MockFactory]:
    mock = MockFactory()
    yield mock
    mock.reset()


@pytest.fixture
async def real_gpio_gw(tmp_path: Path, mock_factory: MockFactory) -> AsyncIterator[Gateway]:
    gateway = Gateway(executor_workers=4, executor_timeout=5.0)
    await gateway.async_start()
    driver = GpioDriver("mock", mock_factory, blocking=False)
    await platforms.gpio.async_setup(
        gateway, GpioConfig("mock"), state_dir=tmp_path / "state", driver=driver
    )
    yield gateway
    await assert_stops_clean(gateway)


def start_history(factory: MockFactory) -> None:
    """Record the fan pins' changes from now, noting the moment (as `base_time`)."""
    for number in PINS:
        pin = factory.pin(number)
        pin.clear_states()
        pin.base_time = pin._last_change


def assert_never_two_on(changes: list[tuple[float, int, bool]]) -> set[int]:
    """Replay the changes in time order; returns the pins on at the end."""
    on: set[int] = set()
    for when, number, is_on in changes:
        if is_on:
            on.add(number)
        else:
            on.discard(number)
        assert len(on) <= 1, f"pins {sorted(on)} on together at {when}"
    return on


def timeline(factory: MockFactory) -> list[tuple[float, int, bool]]:
    """Every recorded change of the fan pins as (absolute time, pin, on), in time order.

    A mock pin records each change as the time since its previous one, counted from its last
    `clear_states()`; adding them up from that moment gives the absolute times.
    """
    changes = []
    for number in PINS:
        pin = factory.pin(number)
        now = pin.base_time
        for state in pin.states[1:]:
            now += state.timestamp
            changes.append((now, number, bool(state.state)))
    return sorted(changes)


async def test_never_two_on_under_1000_concurrent_random_commands(
    real_gpio_gw: Gateway, mock_factory: MockFactory
) -> None:
    gw = real_gpio_gw
    wait = 0.001
    fans = [{**fan, "interlock_wait": wait} for fan in FANS]
    await setup_entities(gw, "switch", *fans)
    start_history(mock_factory)
    ids = ["switch.fan_low", "switch.fan_mid", "switch.fan_high"]
    futures: list[Future[Any]] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def client(seed: int) -> None:
        rng = random.Random(seed)
        start.wait()
        for _ in range(125):
            service = rng.choice(["turn_on", "turn_on", "turn_off", "toggle"])
            call = gw.services.async_call("switch", service, {"entity_id": rng.choice(ids)})
            future = run_coroutine_threadsafe(call, gw.loop)
            with lock:
                futures.append(future)

    threads = [
        threading.Thread(target=client, args=(seed,), name=f"client-{seed}") for seed in range(8)
    ]
    for thread in threads:
        thread.start()
    await asyncio.get_running_loop().run_in_executor(None, lambda: [t.join() for t in threads])
    assert len(futures) == 1000
    await asyncio.gather(*(asyncio.wrap_future(future) for future in futures))
    await gw.async_block_till_done()

    changes = timeline(mock_factory)
    assert sum(1 for _, _, on in changes if on) > 100  # the commands did switch things
    on = assert_never_two_on(changes)
    # (the wait after turning a peer off is checked on the fake clock above: here an explicit
    # turn_off may rightly be followed at once by another switch's turn_on)
    for entity_id, number in zip(ids, PINS, strict=True):
        expected = "ON" if mock_factory.pin(number).state else "OFF"
        assert gw.states.get(entity_id).state == expected  # type: ignore[union-attr]
    assert sorted(on) == [n for n in PINS if mock_factory.pin(n).state]
