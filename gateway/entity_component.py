"""An entity domain (`switch`, `light`, ...): its platforms, entities and services."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import voluptuous as vol

from .const import EVENT_GATEWAY_STOP
from .core import Event, Gateway, ServiceCall, callback
from .entity import Entity
from .entity_platform import EntityPlatform
from .exceptions import GatewayError
from .gateway_data import DataKey
from .loader import async_import_platform
from .user_errors import USER_ERRORS

if TYPE_CHECKING:
    from .config.model import PlatformEntry
    from .domains.spec import EntityMethod

__all__ = ["ENTITY_SERVICE_SCHEMA", "EntityComponent", "async_get_component"]

_LOGGER = logging.getLogger(__name__)
DATA_COMPONENTS: Final[DataKey[dict[str, EntityComponent]]] = DataKey("entity_components")


def _entity_ids(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",")]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise vol.Invalid("entity_id must be an entity id or a list of them")
    return value


ENTITY_SERVICE_SCHEMA: dict[Any, Any] = {vol.Required("entity_id"): _entity_ids}


class EntityComponent:
    """Owns the entities of one domain across platforms and serves the domain's services."""

    def __init__(self, gw: Gateway, domain: str) -> None:
        self.gw = gw
        self.domain = domain
        self.entities: dict[str, Entity] = {}
        self.platforms: dict[str, EntityPlatform] = {}
        gw.bus.async_listen_once(EVENT_GATEWAY_STOP, self._async_shutdown)

    @callback
    def _async_shutdown(self, _event: Event) -> None:
        for platform in self.platforms.values():
            platform.async_shutdown()

    def get_platform(self, platform_name: str) -> EntityPlatform:
        """The EntityPlatform for `platform_name`, created on first use."""
        if platform_name not in self.platforms:
            self.platforms[platform_name] = EntityPlatform(self.gw, self, platform_name)
        return self.platforms[platform_name]

    async def async_setup_entries(self, entries: Sequence[PlatformEntry]) -> None:
        """Set up entries concurrently; a failure is logged with its location, others go on."""
        results = await asyncio.gather(
            *(self.async_setup_entry(entry) for entry in entries), return_exceptions=True
        )
        for entry, result in zip(entries, results, strict=True):
            if isinstance(result, BaseException):
                _LOGGER.error(
                    "%s: setting up %s.%s (platform %s) failed: %s",
                    entry.source,
                    self.domain,
                    entry.config.id,
                    entry.platform,
                    result,
                    # The user's to fix (user_errors, or a driver package not installed):
                    # one line, no traceback.
                    exc_info=None if isinstance(result, (*USER_ERRORS, ImportError)) else result,
                )

    async def async_setup_entry(self, entry: PlatformEntry) -> None:
        """Set up one configured entity (one list item under the domain key)."""
        module = await async_import_platform(self.gw, self.domain, entry.platform)
        platform = self.get_platform(entry.platform)
        if hasattr(module, "async_setup_platform"):
            await module.async_setup_platform(self.gw, entry.config, platform.async_add_entities)
        elif hasattr(module, "setup_platform"):
            await self.gw.async_add_executor_job(
                module.setup_platform, self.gw, entry.config, platform.add_entities
            )
        else:
            raise GatewayError(f"platform {entry.platform} for {self.domain} has no setup")
        await platform.async_wait_for_adds()

    def async_register_entity_service(
        self,
        name: str,
        schema: Mapping[Any, Any],
        method: EntityMethod[Any],
    ) -> None:
        """Register `<domain>.<name>` calling `method(entity, **data)` on each target."""
        validator = vol.Schema({**ENTITY_SERVICE_SCHEMA, **schema})

        async def handle(call: ServiceCall) -> None:
            kwargs = {key: value for key, value in call.data.items() if key != "entity_id"}
            for entity in self._targets(call.data["entity_id"]):
                await method(entity, **kwargs)
                entity.async_write_state()

        self.gw.services.async_register(self.domain, name, handle, validator)

    def _targets(self, entity_ids: list[str]) -> list[Entity]:
        missing = [entity_id for entity_id in entity_ids if entity_id not in self.entities]
        if missing:
            raise GatewayError(f"unknown entity: {', '.join(missing)}")
        return [self.entities[entity_id] for entity_id in entity_ids]

    async def async_remove_entity(self, entity_id: str) -> None:
        """Remove `entity_id`, or every entity made by the config entry of that id."""
        made = [e for e in self.entities.values() if e.entry_entity_id == entity_id]
        for entity in [self.entities[entity_id]] if entity_id in self.entities else made:
            if entity.platform is not None:
                await entity.platform.async_remove_entity(entity.entity_id)

    async def async_reset(self) -> None:
        """Remove every entity of every platform."""
        for platform in self.platforms.values():
            await platform.async_reset()


def async_get_component(gw: Gateway, domain: str) -> EntityComponent | None:
    """The domain's component, if it was set up."""
    components: dict[str, EntityComponent] = gw.data.setdefault(DATA_COMPONENTS, {})
    return components.get(domain)


def async_register_component(gw: Gateway, component: EntityComponent) -> None:
    components: dict[str, EntityComponent] = gw.data.setdefault(DATA_COMPONENTS, {})
    components[component.domain] = component
