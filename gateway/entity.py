"""The entity base class.

Subclasses set `_attr_*` attributes (or override the properties) and call `async_write_state()`
when something changed. Properties never do I/O.

Must override: `state` (or use a domain base class such as `SwitchEntity` that derives it).
May override: `update()` (blocking, run in the executor with a timeout) or `async_update()`,
`async_added()` / `async_will_remove()` hooks, and the `_attr_*` defaults below.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from .const import DEFAULT_SCAN_INTERVAL, STATE_UNAVAILABLE, STATE_UNKNOWN
from .core import Gateway, callback
from .user_errors import log_failure

if TYPE_CHECKING:
    from .config.model import EntityConfig
    from .entity_platform import EntityPlatform

__all__ = ["Entity", "refuse_class_attribute"]

_LOGGER = logging.getLogger(__name__)
_R = TypeVar("_R")


def refuse_class_attribute(cls: type, name: str) -> None:
    """Raise TypeError when `cls` sets `name` as a class attribute: a domain base class makes
    it a property that feeds the entity's behaviours (filters, debounce), which a class
    attribute would hide. Set it in `__init__` instead."""
    if name in vars(cls) and not isinstance(vars(cls)[name], property):
        raise TypeError(f"{cls.__name__}.{name}: set it in __init__, not as a class attribute")


class Entity:
    """Something with a state: an input, an output, a reading."""

    entity_id: str = ""
    # The entity id of the config entry this entity came from, when the entry makes several
    # (an I²C part: one entity per quantity); a reload that removes the entry removes them all.
    entry_entity_id: str | None = None
    gw: Gateway | None = None
    platform: EntityPlatform | None = None

    _attr_name: str = ""
    _attr_unique_id: str | None = None
    _attr_available: bool = True
    _attr_should_poll: bool = True
    _attr_scan_interval: float | None = None
    _attr_device_class: str | None = None
    _attr_extra_state_attributes: Mapping[str, Any] | None = None
    _attr_force_update: bool = False

    # Set while an executor call of this entity has timed out and not come back, or after a
    # driver call raised, until a later call succeeds: the entity is unavailable meanwhile.
    _executor_hung: bool = False
    _driver_failed: bool = False
    _update_in_progress: bool = False
    _remove_listeners: list[Callable[[], None]]

    def set_identity(self, domain: str, config: EntityConfig) -> None:
        """Take entity id, name and unique id from the entity's config entry."""
        self.entity_id = f"{domain}.{config.id}"
        self._attr_name = config.name
        self._attr_unique_id = f"{domain}_{config.id}"

    # -- properties (no I/O) ----------------------------------------------------------------

    @property
    def name(self) -> str:
        return self._attr_name

    @property
    def unique_id(self) -> str | None:
        return self._attr_unique_id

    @property
    def available(self) -> bool:
        return self._attr_available and not (self._executor_hung or self._driver_failed)

    @property
    def should_poll(self) -> bool:
        return self._attr_should_poll

    @property
    def scan_interval(self) -> float:
        return self._attr_scan_interval or DEFAULT_SCAN_INTERVAL

    @property
    def device_class(self) -> str | None:
        return self._attr_device_class

    @property
    def state(self) -> str | None:
        """The state as a string; None means unknown."""
        return None

    @property
    def state_attributes(self) -> dict[str, Any]:
        """Attributes the domain base class derives (e.g. a light's brightness)."""
        return {}

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        return self._attr_extra_state_attributes

    @property
    def domain(self) -> str:
        return self.entity_id.partition(".")[0]

    @property
    def object_id(self) -> str:
        return self.entity_id.partition(".")[2]

    # -- updates ----------------------------------------------------------------------------

    def update(self) -> None:
        """Fetch new state from the hardware; blocking, so it runs in the executor."""

    async def async_update(self) -> None:
        """Fetch new state; the default runs `update()` in the executor if overridden."""
        if type(self).update is not Entity.update:
            await self.async_run_in_executor(self.update)

    @callback
    def async_write_state(self) -> None:
        """Write the entity's current state to the state machine."""
        gw = self._require_gw()
        attributes: dict[str, Any] = {
            **self.state_attributes,
            **(self.extra_state_attributes or {}),
        }
        state = STATE_UNAVAILABLE if not self.available else (self.state or STATE_UNKNOWN)
        if self.device_class is not None:
            attributes.setdefault("device_class", self.device_class)
        gw.states.async_set(self.entity_id, state, attributes, self._attr_force_update)

    def schedule_update_state(self, force_refresh: bool = False) -> None:
        """Thread-safe: write the state (after an update when `force_refresh`)."""
        gw = self._require_gw()
        if force_refresh:
            gw.add_job(self.async_update_state, True)
        else:
            gw.loop.call_soon_threadsafe(self.async_write_state)

    async def async_update_state(self, force_refresh: bool = False) -> None:
        """Write the state, after an update when `force_refresh`."""
        if force_refresh:
            if self._update_in_progress:
                return
            self._update_in_progress = True
            try:
                await self.async_update()
            except TimeoutError:
                pass  # already logged by async_run_in_executor; the entity is unavailable
            except Exception as exc:  # a bug gets a traceback, a driver saying no one line
                log_failure(_LOGGER, exc, "Update of %s failed", self.entity_id)
            finally:
                self._update_in_progress = False
        self.async_write_state()

    async def async_run_in_executor(
        self, target: Callable[..., _R], *args: Any, **kwargs: Any
    ) -> _R:
        """Run a blocking driver call with the executor timeout.

        On timeout, or when the call raises, the entity becomes unavailable until a later call
        succeeds; raises TimeoutError or the driver's exception.
        """
        gw = self._require_gw()
        if kwargs:
            target = functools.partial(target, **kwargs)
        future = gw.async_add_executor_job(target, *args)
        name = getattr(target, "__qualname__", target)
        try:
            result = await asyncio.wait_for(asyncio.shield(future), gw.executor_timeout)
        except TimeoutError:
            _LOGGER.error(
                "%s: driver call %s did not return within %g s; marking unavailable",
                self.entity_id,
                name,
                gw.executor_timeout,
            )
            self._mark_hung(future)
            raise
        except Exception as exc:
            _LOGGER.warning(
                "%s: driver call %s failed (%s); marking unavailable", self.entity_id, name, exc
            )
            self._driver_failed = True
            self.async_write_state()
            raise
        if self._executor_hung or self._driver_failed:
            self._executor_hung = self._driver_failed = False
            self.async_write_state()
        return result

    @callback
    def _mark_hung(self, future: asyncio.Future[Any]) -> None:
        self._executor_hung = True
        self._require_gw().async_untrack(future)
        self.async_write_state()
        future.add_done_callback(lambda _: _LOGGER.info("%s: hung call returned", self.entity_id))

    # -- life cycle -------------------------------------------------------------------------

    def companions(self) -> Sequence[Entity]:
        """Entities of other domains this one brings along (an input's click events): added
        to their domains by the same platform right after it, and removed with it."""
        return ()

    async def async_added(self) -> None:
        """Called after the entity was added and its first state written."""

    async def async_will_remove(self) -> None:
        """Called before the entity is removed: release listeners and hardware here."""

    @callback
    def async_on_remove(self, remover: Callable[[], None]) -> None:
        """Call `remover` when the entity is removed."""
        if not hasattr(self, "_remove_listeners"):
            self._remove_listeners = []
        self._remove_listeners.append(remover)

    async def async_remove(self) -> None:
        """Remove the entity: hooks, listeners, then its state."""
        await self.async_will_remove()
        for remover in getattr(self, "_remove_listeners", []):
            remover()
        self._remove_listeners = []
        if self.gw is not None:
            self.gw.states.async_remove(self.entity_id)

    def _require_gw(self) -> Gateway:
        if self.gw is None:
            raise RuntimeError(f"{type(self).__name__} {self.name!r} is not added to a gateway")
        return self.gw

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.entity_id or self.name}>"
