"""Entity domains: the base class each platform's entities derive from, and the services."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..core import Gateway
from ..entity_component import EntityComponent, async_register_component

if TYPE_CHECKING:
    from ..config.model import PlatformEntry

__all__ = ["async_setup_domain"]

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
    await component.async_setup_entries(entries)
    return component
