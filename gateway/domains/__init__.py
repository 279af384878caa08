"""Entity domains: each module holds one domain's entity base class and its `DomainSpec`.

`registry` lists the specs; `async_setup_domain` creates a domain's component and registers the
services its spec declares.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..core import Gateway
from ..entity_component import EntityComponent, async_register_component
from .spec import DomainSpec

if TYPE_CHECKING:
    from ..config.model import PlatformEntry

__all__ = ["async_setup_domain"]


async def async_setup_domain(
    gw: Gateway, spec: DomainSpec, entries: Sequence[PlatformEntry]
) -> EntityComponent:
    """Create the domain's component, register its services and set up its entries.

    A platform that fails to set up is logged with its config location; the others go on.
    """
    component = EntityComponent(gw, spec.name)
    async_register_component(gw, component)
    for name, service in spec.services.items():
        component.async_register_entity_service(name, service.schema, service.method)
    await component.async_setup_entries(entries)
    return component
