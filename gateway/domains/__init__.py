"""Entity domains: the base class each platform's entities derive from, and the services."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..core import Gateway
from ..entity_component import EntityComponent, async_register_component
from ..exceptions import GatewayError

if TYPE_CHECKING:
    from ..config.model import PlatformEntry

__all__ = ["async_setup_domain"]

_LOGGER = logging.getLogger(__name__)

ServiceTable = Mapping[str, tuple[Mapping[Any, Any], str]]


async def async_setup_domain(
    gw: Gateway, domain: str, services: ServiceTable, entries: Sequence[PlatformEntry]
) -> EntityComponent:
    """Create the domain's component, register its services and set up its entries.

    A platform that fails to set up is logged with its config location; the others go on.
    """
    component = EntityComponent(gw, domain)
    async_register_component(gw, component)
    for service, (schema, method) in services.items():
        component.async_register_entity_service(service, schema, method)
    results = await asyncio.gather(
        *(component.async_setup_entry(entry) for entry in entries), return_exceptions=True
    )
    for entry, result in zip(entries, results, strict=True):
        if isinstance(result, BaseException):
            _LOGGER.error(
                "%s: setting up %s.%s (platform %s) failed: %s",
                entry.source,
                domain,
                entry.config.id,
                entry.platform,
                result,
                exc_info=result
                if not isinstance(result, Exception | asyncio.CancelledError)
                else None,
            )
    return component


def _traceback_worthy(error: BaseException) -> BaseException | None:
    """Our own errors speak for themselves; anything else gets its traceback logged."""
    return None if isinstance(error, GatewayError | ImportError) else error
