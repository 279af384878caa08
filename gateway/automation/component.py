"""The `automation` component: every automation, its services and its stop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final

import voluptuous as vol

from ..config import cv
from ..const import EVENT_GATEWAY_STOP
from ..core import Event, Gateway, ServiceCall, callback
from ..exceptions import GatewayError
from . import DATA_AUTOMATION, DOMAIN
from .automation import Automation
from .config import AutomationConfig
from .config_validators import entity_ids
from .mqtt_link import GatewayMqttLink, MqttLink
from .triggers import TriggerData

__all__ = [
    "SERVICE_TRIGGER",
    "SERVICE_TURN_OFF",
    "SERVICE_TURN_ON",
    "AutomationComponent",
    "async_start_automations",
]

_LOGGER = logging.getLogger(__name__)

SERVICE_TURN_ON: Final = "turn_on"
SERVICE_TURN_OFF: Final = "turn_off"
SERVICE_TRIGGER: Final = "trigger"
STOP_TIMEOUT: Final = 1.0

_TURN_ON: Final = vol.Schema({vol.Required("entity_id"): entity_ids})
_TURN_OFF: Final = vol.Schema(
    {
        vol.Required("entity_id"): entity_ids,
        vol.Optional("stop_actions", default=True): cv.boolean,
    }
)
_TRIGGER: Final = vol.Schema(
    {
        vol.Required("entity_id"): entity_ids,
        vol.Optional("skip_condition", default=True): cv.boolean,
    }
)


@callback
def async_start_automations(
    gw: Gateway, configs: Sequence[AutomationConfig], link: MqttLink | None
) -> AutomationComponent:
    """`gateway.automation.async_setup` once the runtime is imported; `link` None is MQTT."""
    component = AutomationComponent(gw, configs, link or GatewayMqttLink(gw))
    gw.data[DATA_AUTOMATION] = component
    component.async_start()
    return component


class AutomationComponent:
    """Owns the automations: starts them, serves `automation.*` and stops them first on stop.

    The stop is a `@callback` on `gateway_stop`: every run is cancelled before any other
    listener's work (outputs going to `on_stop`) can interleave with an action.
    """

    def __init__(self, gw: Gateway, configs: Sequence[AutomationConfig], link: MqttLink) -> None:
        self.gw = gw
        self._changed = asyncio.Event()
        self.automations: dict[str, Automation] = {
            config.entity_id: Automation(gw, config, link, self._changed.set) for config in configs
        }
        self._remove_stop_listener: Callable[[], None] | None = None

    @callback
    def async_start(self) -> None:
        """Register the services, listen for the stop, and turn every automation on."""
        services = self.gw.services
        services.async_register(DOMAIN, SERVICE_TURN_ON, self._async_turn_on, _TURN_ON)
        services.async_register(DOMAIN, SERVICE_TURN_OFF, self._async_turn_off, _TURN_OFF)
        services.async_register(DOMAIN, SERVICE_TRIGGER, self._async_trigger, _TRIGGER)
        self._remove_stop_listener = self.gw.bus.async_listen_once(
            EVENT_GATEWAY_STOP, self._async_gateway_stop
        )
        for automation in self.automations.values():
            automation.async_enable()

    async def async_unload(self) -> None:
        """Stop everything and remove the states and services (a reload)."""
        if self._remove_stop_listener is not None:
            self._remove_stop_listener()
            self._remove_stop_listener = None
        await self._async_wait_stopped(self._async_shutdown())
        for service in (SERVICE_TURN_ON, SERVICE_TURN_OFF, SERVICE_TRIGGER):
            self.gw.services.async_remove(DOMAIN, service)
        for entity_id in self.automations:
            self.gw.states.async_remove(entity_id)
        if self.gw.data.get(DATA_AUTOMATION) is self:
            del self.gw.data[DATA_AUTOMATION]

    @callback
    def _async_gateway_stop(self, _event: Event) -> None:
        self._remove_stop_listener = None
        tasks = self._async_shutdown()
        if tasks:
            self.gw.async_create_task(self._async_wait_stopped(tasks), name="automation stop")

    @callback
    def _async_shutdown(self) -> list[asyncio.Task[None]]:
        return [task for auto in self.automations.values() for task in auto.async_shutdown()]

    @staticmethod
    async def _async_wait_stopped(tasks: Iterable[asyncio.Task[None]]) -> None:
        pending = [task for task in tasks if not task.done()]
        if pending:
            _done, late = await asyncio.wait(pending, timeout=STOP_TIMEOUT)
            if late:
                names = ", ".join(sorted(task.get_name() for task in late))
                _LOGGER.warning("Automation runs still stopping: %s", names)

    async def async_wait_idle(self) -> None:
        """Wait until every run has finished or waits for the clock or a trigger (tests)."""
        while True:
            await self.gw.async_block_till_done()
            self._changed.clear()
            if all(automation.idle for automation in self.automations.values()):
                return
            await self._changed.wait()

    # -- services ---------------------------------------------------------------------------

    def _targets(self, call: ServiceCall) -> list[Automation]:
        wanted: tuple[str, ...] = call.data["entity_id"]
        missing = [entity_id for entity_id in wanted if entity_id not in self.automations]
        if missing:
            raise GatewayError(f"unknown automation: {', '.join(missing)}")
        return [self.automations[entity_id] for entity_id in wanted]

    @callback
    def _async_turn_on(self, call: ServiceCall) -> None:
        for automation in self._targets(call):
            automation.async_enable()

    @callback
    def _async_turn_off(self, call: ServiceCall) -> None:
        for automation in self._targets(call):
            automation.async_disable(stop_actions=call.data["stop_actions"])

    @callback
    def _async_trigger(self, call: ServiceCall) -> Any:
        data = TriggerData("service", "automation.trigger service")
        for automation in self._targets(call):
            automation.async_trigger(data, skip_condition=call.data["skip_condition"])
