"""Apply a new configuration to a running gateway without a restart.

Entities are compared by their entity id: an entry that is gone is removed, a new one is set up,
one whose settings changed is removed and set up again, and an unchanged one is not touched (an
output keeps its state and its pin). Sections that need a restart (`gateway`, `mqtt`, `gpio`,
`serial`, `i2c`, `expander`) are reported, not applied.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Final

from .bootstrap import async_setup_component, async_setup_entities
from .config import load_config
from .const import EVENT_RELOAD_FINISHED, EVENT_RELOAD_STARTED
from .core import CoreState, Gateway, callback
from .entity_component import async_get_component
from .exceptions import ConfigError
from .gateway_data import DataKey
from .loader import async_import_component, resolve_platform_schema
from .user_errors import log_failure

if TYPE_CHECKING:
    from .config.model import Config, PlatformEntry

__all__ = [
    "ReloadPlan",
    "ReloadQueue",
    "async_reload",
    "async_reload_from_file",
    "async_schedule_reload",
    "plan_reload",
]

_LOGGER = logging.getLogger(__name__)
RESTART_SECTIONS = (
    "core",
    "mqtt",
    "gpio",
    "serial",
    "i2c",
    "expanders",
    "web",
    "homie",
    "sparkplug",
)
_DATA_QUEUE: Final[DataKey[ReloadQueue]] = DataKey("reload_queue")
_STOPPING = (CoreState.STOPPING, CoreState.FINAL_WRITE, CoreState.STOPPED)


@dataclass(frozen=True, slots=True)
class ReloadPlan:
    """What a reload changes, by entity id."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    restart_required: tuple[str, ...] = field(default=())
    automations_changed: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "added": list(self.added),
            "removed": list(self.removed),
            "changed": list(self.changed),
            "restart_required": list(self.restart_required),
            "automations_changed": self.automations_changed,
        }


def _entity_id(entry: PlatformEntry) -> str:
    return f"{entry.domain}.{entry.config.id}"


def _same(old: PlatformEntry, new: PlatformEntry) -> bool:
    """Equal settings; where the entry sits in the file does not matter."""
    return (old.platform, old.config) == (new.platform, new.config)


def plan_reload(old: Config, new: Config) -> ReloadPlan:
    """Compare two configs (pure)."""
    before = {_entity_id(entry): entry for entry in old.entities}
    after = {_entity_id(entry): entry for entry in new.entities}
    common = [entity_id for entity_id in after if entity_id in before]
    return ReloadPlan(
        added=tuple(entity_id for entity_id in after if entity_id not in before),
        removed=tuple(entity_id for entity_id in before if entity_id not in after),
        changed=tuple(e for e in common if not _same(before[e], after[e])),
        unchanged=tuple(e for e in common if _same(before[e], after[e])),
        restart_required=tuple(
            section
            for section in RESTART_SECTIONS
            if getattr(old, section) != getattr(new, section)
        ),
        automations_changed=old.automations != new.automations,
    )


async def async_reload(gw: Gateway, new: Config) -> ReloadPlan:
    """Apply `new` (already validated) to the running gateway; returns what changed."""
    if gw.config is None:
        raise RuntimeError("the gateway has no config to reload from")
    plan = plan_reload(gw.config, new)
    for entity_id in (*plan.removed, *plan.changed):
        domain = entity_id.partition(".")[0]
        component = async_get_component(gw, domain)
        if component is not None:
            await component.async_remove_entity(entity_id)
    wanted = {*plan.added, *plan.changed}
    await async_setup_entities(gw, [entry for entry in new.entities if _entity_id(entry) in wanted])
    if plan.automations_changed:
        await _async_reload_automations(gw, new)
    gw.config = _keep_restart_sections(gw.config, new)
    if plan.restart_required:
        _LOGGER.warning(
            "Reload: changes to %s take effect after a restart", ", ".join(plan.restart_required)
        )
    _LOGGER.info(
        "Reloaded: %d added, %d removed, %d changed, %d unchanged",
        len(plan.added),
        len(plan.removed),
        len(plan.changed),
        len(plan.unchanged),
    )
    return plan


async def _async_reload_automations(gw: Gateway, new: Config) -> None:
    """Automations are cheap to rebuild: unload them all and set up the new ones.

    Imported here (in the executor), not at the top: a gateway without automations never
    loads the package.
    """
    automation = await async_import_component(gw, "gateway.automation")
    if (component := automation.async_get_component(gw)) is not None:
        await component.async_unload()
    if new.automations:
        await async_setup_component(gw, "gateway.automation", new.automations)


def _keep_restart_sections(running: Config, new: Config) -> Config:
    """The new config, except for the sections that only a restart applies."""
    return replace(new, **{section: getattr(running, section) for section in RESTART_SECTIONS})


async def async_reload_from_file(gw: Gateway) -> ReloadPlan:
    """Re-read the config file and apply it, after any reload already running.

    Requests made while a reload runs share the one reload that follows it, which reads the
    file then: the config applied is the file as it was at the last request. Raises
    ConfigError (already logged) when that file is invalid: the running config stays.
    """
    outcome = await asyncio.shield(_async_queue(gw).async_request())
    if isinstance(outcome, ConfigError):
        raise ConfigError(outcome.errors)  # one instance per caller: coalesced ones share it
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


@callback
def async_schedule_reload(gw: Gateway) -> None:
    """Request a reload without waiting for it (SIGHUP); its outcome is logged."""
    _async_queue(gw).async_request()


def _async_queue(gw: Gateway) -> ReloadQueue:
    queue = gw.data.get(_DATA_QUEUE)
    if queue is None:
        queue = gw.data[_DATA_QUEUE] = ReloadQueue(gw)
    return queue


class ReloadQueue:
    """One reload at a time; the requests made meanwhile are covered by one more.

    Two reloads side by side would each plan from the same running config and finish in any
    order (the older file could win, entities of both would stay). The outcome a request gets
    is a ReloadPlan or the exception that stopped the reload, never a raised future: a SIGHUP
    does not wait for it, and nothing should complain that it was not retrieved.
    """

    def __init__(self, gw: Gateway) -> None:
        self._gw = gw
        self._next: asyncio.Future[ReloadPlan | Exception] | None = None
        self._task: asyncio.Task[None] | None = None

    @callback
    def async_request(self) -> asyncio.Future[ReloadPlan | Exception]:
        """The outcome of the next reload to start (one starts now if none is running)."""
        if self._next is None:
            self._next = self._gw.loop.create_future()
        if self._task is None:
            self._task = self._gw.async_create_task(self._async_run(), name="reload")
        return self._next

    async def _async_run(self) -> None:
        covered: asyncio.Future[ReloadPlan | Exception] | None = None
        try:
            # Once the gateway is stopping, the reloads still asked for are dropped (cancelled).
            while self._next is not None and self._gw.state not in _STOPPING:
                covered, self._next = self._next, None
                outcome = await self._async_reload_once()
                if not covered.done():
                    covered.set_result(outcome)
        finally:
            self._task = None
            for future in (covered, self._next):
                if future is not None and not future.done():
                    future.cancel()
            self._next = None

    async def _async_reload_once(self) -> ReloadPlan | Exception:
        try:
            return await _async_reload_file(self._gw)
        except ConfigError as exc:
            return exc
        except Exception as exc:  # a bug gets a traceback, a user error one line (user_errors)
            log_failure(_LOGGER, exc, "Reload failed")
            return exc


async def _async_reload_file(gw: Gateway) -> ReloadPlan:
    """Read the config file now and apply it; raises ConfigError (logged) when invalid."""
    if gw.config is None:
        raise RuntimeError("the gateway has no config file to reload")
    gw.bus.async_fire(EVENT_RELOAD_STARTED)
    try:
        new = await gw.async_add_executor_job(load_config, gw.config.path, resolve_platform_schema)
    except ConfigError as exc:
        _LOGGER.warning("Reload rejected; keeping the running config:\n%s", "\n".join(exc.errors))
        raise
    else:
        return await async_reload(gw, new)
    finally:
        gw.bus.async_fire(EVENT_RELOAD_FINISHED)
