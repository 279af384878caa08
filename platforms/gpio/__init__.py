"""The `gpio` component: one pin factory for the gateway, shared by the gpio platforms.

```yaml
gpio:
  pin_factory: lgpio   # mock | lgpio | rpigpio | pigpio (+ host, port) | native; default: auto
```
`async_setup(gw, gpio_config)` runs before the entity domains. It loads the pin factory (in the
executor) when the config has gpio entities or names a factory, so a missing library is
reported at start with the package to install; otherwise the factory is loaded on first use.
On `gateway_final_write` (after outputs went to `on_stop`) lines and factory are closed,
except outputs with `on_stop: on` or `keep`, which keep driving their pin until the process
exits (closing a line releases its pin, which then floats).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from gateway.config.model import GpioConfig
from gateway.const import EVENT_GATEWAY_FINAL_WRITE
from gateway.core import Event, Gateway
from gateway.exceptions import GatewayError
from gateway.gateway_data import DataKey
from gateway.state_store import StateDir, StateFile, async_state_dir
from hardware.gpio import GpioDriver, GpioLine, LineSource, PinFactoryError

__all__ = [
    "DATA_GPIO",
    "GpioRuntime",
    "PinFactoryError",
    "async_get_driver",
    "async_setup",
    "get_runtime",
    "keep_open",
    "state_file",
]

_LOGGER = logging.getLogger(__name__)
DATA_GPIO: Final[DataKey[GpioRuntime]] = DataKey("gpio")
STATE_SUBDIR = "gpio"


@dataclass(slots=True)
class GpioRuntime:
    """What the gpio platforms share: the config, the line source (the pin factory's driver)
    once loaded, the state folder."""

    config: GpioConfig
    state_dir: Path | None
    driver: LineSource | None = None
    state_dir_status: StateDir | None = None
    keep_open: list[GpioLine] = field(default_factory=list)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


async def async_setup(
    gw: Gateway,
    gpio_config: GpioConfig,
    *,
    state_dir: Path | None = None,
    driver: LineSource | None = None,
) -> None:
    """Set up the gpio component.

    `state_dir` defaults to `gw.config.core.state_dir`; `driver` (a test's pin factory, or
    lines that are not gpiozero's) replaces loading a factory. Raises PinFactoryError (a
    HardwareError) when a needed factory cannot be loaded.
    """
    if state_dir is None and gw.config is not None:
        state_dir = gw.config.core.state_dir
    runtime = GpioRuntime(gpio_config, state_dir, driver)
    gw.data[DATA_GPIO] = runtime
    if state_dir is not None and (gw.config is None or _has_gpio_entities(gw)):
        runtime.state_dir_status = await async_state_dir(gw, state_dir)
    gw.bus.async_listen_once(EVENT_GATEWAY_FINAL_WRITE, functools.partial(_async_close, gw))
    if driver is None and _needed_now(gw, gpio_config):
        await async_get_driver(gw)


def _needed_now(gw: Gateway, gpio_config: GpioConfig) -> bool:
    if gpio_config.pin_factory is not None:
        return True
    return _has_gpio_entities(gw)


def _has_gpio_entities(gw: Gateway) -> bool:
    return gw.config is not None and any(entry.platform == "gpio" for entry in gw.config.entities)


def get_runtime(gw: Gateway) -> GpioRuntime:
    """The component's runtime; raises GatewayError when `async_setup` has not run."""
    runtime = gw.data.get(DATA_GPIO)
    if runtime is None:
        raise GatewayError("the gpio component is not set up (platforms.gpio.async_setup)")
    return runtime


async def async_get_driver(gw: Gateway) -> LineSource:
    """The line source, loading the pin factory in the executor on first use (with an
    `expander:` section, a source that also makes the expanders' pins)."""
    board = await _async_board(gw)
    if gw.config is not None and gw.config.expanders:
        from platforms.i2c.expander_lines import async_expander_lines

        return await async_expander_lines(gw, board)
    return board


async def _async_board(gw: Gateway) -> LineSource:
    runtime = get_runtime(gw)
    async with runtime.lock:
        if runtime.driver is None:
            config = runtime.config
            load = functools.partial(
                GpioDriver.load,
                config.pin_factory,
                host=config.host,
                port=config.port,
                environ=dict(os.environ),
            )
            runtime.driver = await gw.async_add_executor_job(load)
            _LOGGER.info(
                "GPIO pin factory: %s%s",
                runtime.driver.name,
                " (blocking: calls run in the executor)" if runtime.driver.blocking else "",
            )
        return runtime.driver


# Outputs save their state for `restore` at most once a second (and always at stop): a burst
# of commands costs one fsync, not one each.
OUTPUT_SAVE_INTERVAL = 1.0


def state_file(gw: Gateway, entity_id: str, *, min_interval: float = 0.0) -> StateFile | None:
    """The state file of one gpio entity, or None without a state folder."""
    runtime = get_runtime(gw)
    if runtime.state_dir is None:
        return None
    path = runtime.state_dir / STATE_SUBDIR / f"{entity_id}.json"
    return StateFile(gw, path, min_interval=min_interval, state_dir=runtime.state_dir_status)


async def _async_close(gw: Gateway, _event: Event) -> None:
    runtime = gw.data.get(DATA_GPIO)
    if runtime is None or runtime.driver is None:
        return
    await gw.async_add_executor_job(runtime.driver.close, tuple(runtime.keep_open))


def keep_open(gw: Gateway, line: GpioLine) -> Callable[[], None]:
    """Leave `line` open at stop (an output with `on_stop: on` or `keep`); the returned
    function forgets it again (the entity was removed and closed its line)."""
    kept = get_runtime(gw).keep_open
    kept.append(line)

    def forget() -> None:
        kept[:] = [other for other in kept if other is not line]

    return forget
