"""Build a running gateway from a validated config."""

from __future__ import annotations

import functools
import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .clock import Clock
from .core import Gateway
from .domains.registry import DOMAINS
from .entity_component import async_get_component
from .exceptions import GatewayError
from .loader import async_import_component

if TYPE_CHECKING:
    from .config.model import Config, PlatformEntry

__all__ = ["async_setup_component", "async_setup_entities", "async_setup_gateway"]

_LOGGER = logging.getLogger(__name__)
PUBLISHERS = "gateway.mqtt.publishers"  # each loaded by name, only when configured


async def async_setup_gateway(
    config: Config,
    *,
    clock: Clock | None = None,
    gpio_lines: object | None = None,
    i2c_buses: Mapping[str, object] | None = None,
) -> Gateway:
    """Create the gateway, set up hardware, MQTT and every entity domain, and start it.

    Never waits for the broker: hardware and entities come up first, MQTT connects on its own.
    Serial, discovery and automations are imported only when configured: on a small board
    every module imported is resident memory for the daemon's whole life. `gpio_lines` (a
    `hardware.gpio.LineSource` the caller made, e.g. the demo's simulated board) is handed to
    the gpio platform untouched instead of the pin factory the config names; `i2c_buses`
    (simulated buses by id, the demo's) replace the simulated buses the config would build.
    """
    gw = Gateway(clock=clock)
    gw.config = config
    if config.web is not None:  # first: the page's log then shows the whole start-up
        await async_setup_component(gw, "gateway.web", config.web)
    if config.i2c or config.expanders:  # before gpio: expander pins are gpio lines
        await async_setup_component(
            gw, "platforms.i2c", config.i2c, config.expanders, simulated=i2c_buses
        )
    if gpio_lines is None:
        await async_setup_component(gw, "platforms.gpio", config.gpio)
    else:
        await async_setup_component(gw, "platforms.gpio", config.gpio, driver=gpio_lines)
    if config.mqtt is not None:
        await async_setup_component(gw, "gateway.mqtt", config.mqtt, config.core)
    else:
        _LOGGER.warning("No mqtt: section in the config; running without a broker")
    if config.serial:
        await async_setup_component(gw, "platforms.serial", config.serial)
    await async_setup_entities(gw, config.entities)
    if config.mqtt is not None:
        await async_setup_component(gw, "gateway.mqtt.publishers.bridge_api", config.core)
        if config.mqtt.discovery.enabled:
            await async_setup_component(
                gw, "gateway.mqtt.publishers.ha_discovery", config.core, config.mqtt.discovery
            )
        if config.homie is not None:
            await async_setup_component(
                gw, f"{PUBLISHERS}.homie", config.core, config.mqtt, config.homie
            )
        elif await gw.async_add_executor_job(_homie_left_behind, config.core.state_dir):
            await async_setup_component(gw, f"{PUBLISHERS}.homie_removal", config.core, config.mqtt)
        if config.sparkplug is not None:
            await async_setup_component(
                gw, f"{PUBLISHERS}.sparkplug", config.core, config.mqtt, config.sparkplug
            )
    if config.automations:
        await async_setup_component(gw, "gateway.automation", config.automations)
    await gw.async_start()
    return gw


def _homie_left_behind(state_dir: str | Path) -> bool:
    """A Homie device was published from this state_dir (and `homie:` is gone now)."""
    return (Path(state_dir) / "homie.json").exists()


async def async_setup_entities(gw: Gateway, entries: Sequence[PlatformEntry]) -> None:
    """Set up every entity domain with its entries (domains one after another).

    On the first call each domain's component is created; later calls (a reload) add entries
    to the existing components.
    """
    by_domain: dict[str, list[PlatformEntry]] = defaultdict(list)
    for entry in entries:
        by_domain[entry.domain].append(entry)
    for domain in DOMAINS:
        component = async_get_component(gw, domain)
        if component is None:
            await async_setup_component(gw, f"gateway.domains.{domain}", by_domain[domain])
        elif by_domain[domain]:
            await component.async_setup_entries(by_domain[domain])


async def async_setup_component(
    gw: Gateway, module_name: str, *config: Any, **options: Any
) -> None:
    """Import a component (in the executor) and run its `async_setup`, or its `setup` there."""
    module = await async_import_component(gw, module_name)
    if hasattr(module, "async_setup"):
        await module.async_setup(gw, *config, **options)
    elif hasattr(module, "setup"):
        await gw.async_add_executor_job(functools.partial(module.setup, gw, *config, **options))
    else:
        raise GatewayError(f"component {module_name} has neither async_setup nor setup")
