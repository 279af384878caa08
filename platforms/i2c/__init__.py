"""The `i2c` component: the buses of `i2c:` and the expanders of `expander:`.

```yaml
i2c:
  - {id: main, bus: 1}                       # /dev/i2c-1 (dtparam=i2c_arm=on)
  - {id: sim, bus: simulated, devices: [{address: 0x76, model: bme280, temperature: 21.5}]}
expander:
  - {id: ext1, model: mcp23017, i2c_id: main, address: 0x20, interrupt_pin: 4}
```
`async_setup(gw, buses, expanders)` runs before the gpio component (expander pins are lines
the gpio platforms ask for) and opens nothing: a bus is opened, in the executor, by its first
transaction. Everything is kept in `gw.data[DATA_I2C]`; `i2c` sensors find their bus with
`get_bus`. Expander watches stop on `gateway_stop`; expanders and buses close on
`gateway_final_write`, after outputs went to `on_stop` (outputs kept driving are left open).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from gateway.config.i2c_config import ExpanderConfig, I2CBusConfig
from gateway.const import EVENT_GATEWAY_FINAL_WRITE, EVENT_GATEWAY_STOP
from gateway.core import Event, Gateway, callback
from gateway.exceptions import GatewayError
from gateway.gateway_data import DataKey
from hardware.gpio import GpioLine
from hardware.i2c import BusHandle, open_smbus2

if TYPE_CHECKING:  # expanders and simulated buses are imported only when configured
    from hardware.i2c.expander_watch import ExpanderWatch
    from hardware.i2c.expanders import Expander
    from hardware.sim.i2c_bus import SimulatedI2CBus

__all__ = ["DATA_I2C", "I2CRuntime", "async_setup", "get_bus", "get_runtime"]

_LOGGER = logging.getLogger(__name__)
DATA_I2C: Final[DataKey[I2CRuntime]] = DataKey("i2c")


@dataclass(slots=True)
class I2CRuntime:
    """Buses by id (and the simulated ones, which tests and the demo drive), expanders."""

    buses: dict[str, BusHandle] = field(default_factory=dict)
    simulated: dict[str, SimulatedI2CBus] = field(default_factory=dict)
    expanders: dict[str, Expander] = field(default_factory=dict)
    expander_configs: dict[str, ExpanderConfig] = field(default_factory=dict)
    watches: list[ExpanderWatch] = field(default_factory=list)
    lines_ready: bool = False
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


async def async_setup(
    gw: Gateway,
    buses: Sequence[I2CBusConfig],
    expanders: Sequence[ExpanderConfig] = (),
    *,
    simulated: Mapping[str, SimulatedI2CBus] | None = None,
) -> None:
    """Set up the buses and expanders; `simulated` (the demo's) replaces the simulated buses
    of the same ids that would be built from the config."""
    runtime = I2CRuntime()
    for config in buses:
        if simulated is not None and config.id in simulated:
            runtime.simulated[config.id] = simulated[config.id]
            runtime.buses[config.id] = BusHandle(
                config.id, functools.partial(_same, simulated[config.id])
            )
        elif config.simulated:
            bus = await gw.async_add_executor_job(_simulated_bus, config)
            runtime.simulated[config.id] = bus
            runtime.buses[config.id] = BusHandle(config.id, functools.partial(_same, bus))
        else:
            assert isinstance(config.bus, int)
            runtime.buses[config.id] = BusHandle(config.id, open_smbus2(config.bus))
    if expanders:
        from hardware.i2c.expanders import make_expander
    for expander in expanders:
        handle = runtime.buses[expander.i2c_id]
        runtime.expanders[expander.id] = make_expander(
            expander.id, expander.model, handle, expander.address
        )
        runtime.expander_configs[expander.id] = expander
    gw.data[DATA_I2C] = runtime
    gw.bus.async_listen_once(EVENT_GATEWAY_STOP, functools.partial(_async_stop_watches, gw))
    gw.bus.async_listen_once(EVENT_GATEWAY_FINAL_WRITE, functools.partial(_async_close, gw))


def _same(bus: SimulatedI2CBus) -> SimulatedI2CBus:
    return bus


def _simulated_bus(config: I2CBusConfig) -> SimulatedI2CBus:
    """Blocking only because the device models are imported here (first use)."""
    from hardware.sim.i2c_devices import build_bus

    return build_bus(config.id, config.devices)


def get_runtime(gw: Gateway) -> I2CRuntime:
    runtime = gw.data.get(DATA_I2C)
    if runtime is None:
        raise GatewayError("the i2c component is not set up (is there an i2c: section?)")
    return runtime


def get_bus(gw: Gateway, i2c_id: str) -> BusHandle:
    """The bus declared with `id: <i2c_id>`; raises GatewayError for an unknown one."""
    runtime = get_runtime(gw)
    try:
        return runtime.buses[i2c_id]
    except KeyError:
        raise GatewayError(f"unknown I²C bus {i2c_id!r}") from None


@callback
def _async_stop_watches(gw: Gateway, _event: Event) -> None:
    for watch in get_runtime(gw).watches:
        watch.stop()


async def _async_close(gw: Gateway, _event: Event) -> None:
    runtime = get_runtime(gw)
    keep: tuple[GpioLine, ...] = ()
    from platforms.gpio import DATA_GPIO

    if (gpio := gw.data.get(DATA_GPIO)) is not None:
        keep = tuple(gpio.keep_open)
    await gw.async_add_executor_job(_close_all, runtime, keep)


def _close_all(runtime: I2CRuntime, keep: tuple[GpioLine, ...]) -> None:
    """Expander pins go back to inputs (except outputs kept driving: an expander's latch holds
    its level with the bus closed); then every bus is closed."""
    for expander in runtime.expanders.values():
        expander.close(keep)
    for handle in runtime.buses.values():
        handle.close()
