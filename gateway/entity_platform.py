"""One platform's entities within a domain: adding, polling and removing them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

from .core import Gateway, callback
from .entity import Entity
from .event import async_track_time_interval

if TYPE_CHECKING:
    from .entity_component import EntityComponent

__all__ = ["AddEntitiesCallback", "AsyncAddEntitiesCallback", "EntityPlatform"]

_LOGGER = logging.getLogger(__name__)

# `add_entities(entities, update_before_add=False)`: thread-safe, for `setup_platform`.
AddEntitiesCallback = Callable[..., None]
# `await async_add_entities(entities, update_before_add=False)`: for `async_setup_platform`.
AsyncAddEntitiesCallback = Callable[..., Awaitable[None]]


class EntityPlatform:
    """The entities one platform (e.g. `gpio`) added to one domain (e.g. `switch`)."""

    def __init__(self, gw: Gateway, component: EntityComponent, platform_name: str) -> None:
        self.gw = gw
        self.component = component
        self.domain = component.domain
        self.platform_name = platform_name
        self.entities: dict[str, Entity] = {}
        self._pending_adds: set[asyncio.Future[Any]] = set()
        self._stop_polling: dict[str, Callable[[], None]] = {}

    async def async_add_entities(
        self, new_entities: Iterable[Entity], update_before_add: bool = False
    ) -> None:
        """Add entities: assign ids, optionally update, write first state, start polling."""
        entities = list(new_entities)
        for entity in entities:
            entity.gw = self.gw
            entity.platform = self
        if update_before_add:
            await asyncio.gather(*(entity.async_update_state(True) for entity in entities))
        for entity in entities:
            await self._async_add_entity(entity)

    def add_entities(self, new_entities: Iterable[Entity], update_before_add: bool = False) -> None:
        """Thread-safe `async_add_entities`; the platform's setup waits for it to finish."""
        entities = list(new_entities)
        self.gw.loop.call_soon_threadsafe(self._async_schedule_add, entities, update_before_add)

    @callback
    def _async_schedule_add(self, entities: list[Entity], update_before_add: bool) -> None:
        task = self.gw.async_create_task(
            self.async_add_entities(entities, update_before_add),
            name=f"add {self.domain}.{self.platform_name} entities",
        )
        self._pending_adds.add(task)
        task.add_done_callback(self._pending_adds.discard)

    async def async_wait_for_adds(self) -> None:
        """Wait for adds handed over from other threads (`add_entities`)."""
        await asyncio.sleep(0)
        while self._pending_adds:
            await asyncio.gather(*self._pending_adds)
            await asyncio.sleep(0)

    async def _async_add_entity(self, entity: Entity) -> None:
        if not entity.entity_id:
            raise ValueError(f"{entity!r} has no entity_id")
        if entity.entity_id in self.component.entities:
            _LOGGER.error("Entity id %s is already in use; not adding it again", entity.entity_id)
            return
        self.entities[entity.entity_id] = entity
        self.component.entities[entity.entity_id] = entity
        entity.async_write_state()
        if entity.should_poll:
            self._stop_polling[entity.entity_id] = self._async_start_polling(entity)
        await entity.async_added()
        for companion in entity.companions():
            await self._async_companion_platform(companion).async_add_entities([companion])

    def _async_companion_platform(self, companion: Entity) -> EntityPlatform:
        """This platform's counterpart in the companion's domain (set up before this one)."""
        from .entity_component import async_get_component

        component = async_get_component(self.gw, companion.domain)
        if component is None:
            raise RuntimeError(f"domain {companion.domain} is not set up")
        return component.get_platform(self.platform_name)

    @callback
    def _async_start_polling(self, entity: Entity) -> Callable[[], None]:
        @callback
        def poll(_now: float) -> None:
            if entity._update_in_progress:
                _LOGGER.warning(
                    "Update of %s is taking over %.1f s; skipping this poll",
                    entity.entity_id,
                    entity.scan_interval,
                )
                return
            self.gw.async_create_task(
                entity.async_update_state(True), name=f"poll {entity.entity_id}"
            )

        return async_track_time_interval(
            self.gw, poll, entity.scan_interval, name=f"poll {entity.entity_id}"
        )

    async def async_remove_entity(self, entity_id: str) -> None:
        """Remove one entity of this platform."""
        entity = self.entities.pop(entity_id, None)
        if entity is None:
            return
        self.component.entities.pop(entity_id, None)
        if (stop_polling := self._stop_polling.pop(entity_id, None)) is not None:
            stop_polling()
        for companion in entity.companions():
            await self._async_companion_platform(companion).async_remove_entity(companion.entity_id)
        await entity.async_remove()

    @callback
    def async_shutdown(self) -> None:
        """Stop polling (the gateway is stopping); entities stay as they are."""
        for stop_polling in self._stop_polling.values():
            stop_polling()
        self._stop_polling.clear()

    async def async_reset(self) -> None:
        """Remove every entity of this platform."""
        for entity_id in list(self.entities):
            await self.async_remove_entity(entity_id)
