"""What describes a domain: its services, its MQTT command and state forms, its discovery keys.

Each domain module declares one `DomainSpec`; the registry (`gateway.domains.registry`) lists
them, and the service registration, the MQTT command router, the state publisher and discovery
look a domain's spec up there instead of branching on the domain's name.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Concatenate, Generic, TypeVar

if TYPE_CHECKING:
    from ..core import State
    from ..entity import Entity
    from ..mqtt.publishers.discovery_payloads import DiscoveryEntity

__all__ = [
    "Command",
    "CommandInput",
    "DomainSpec",
    "EntityMethod",
    "EntityService",
    "PayloadError",
    "StateOutput",
]

_E = TypeVar("_E", bound="Entity")

EntityMethod = Callable[Concatenate[_E, ...], Awaitable[None]]


class PayloadError(ValueError):
    """The payload is not a command this entity accepts."""


@dataclass(frozen=True, slots=True)
class Command:
    """A service of the entity's domain to call, with its data (without `entity_id`)."""

    service: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EntityService(Generic[_E]):
    """A service of the domain: the schema of its data and the entity method it calls.

    `method` is the method itself (e.g. `ToggleEntity.async_service_turn_on`), called as
    `method(entity, **data)` on each target entity: a typo is a type error, not a lookup that
    fails at the first call.
    """

    schema: Mapping[Any, Any]
    method: EntityMethod[_E]


@dataclass(frozen=True, slots=True)
class CommandInput:
    """What `<e>/set` accepts: `parse` turns the payload into a command, or raises
    PayloadError; `accepted` describes the accepted forms for the warning."""

    parse: Callable[[bytes], Command]
    accepted: str


@dataclass(frozen=True, slots=True)
class StateOutput:
    """How an entity's state goes out: on `<e>/<suffix>`, as `encode(state)` (None: write
    nothing for this state).

    Retained: published when the payload changes and again on every connect. Not retained (a
    stream of events, such as the `event` domain's `<e>/event`): published once per state
    change, each change being one event, never replayed on a connect or an `<e>/get`.
    """

    encode: Callable[[State], bytes | None]
    suffix: str = "state"
    retained: bool = True


@dataclass(frozen=True, slots=True)
class DomainSpec:
    """Everything the gateway knows about one entity domain, in one place.

    `commands` None: the domain takes no `<e>/set`. `state` None: nothing is published for
    the state itself (a button); availability and attributes still are. `discovery` gives the
    domain's own keys of its Home Assistant discovery component; `discovery_extras`, given the
    entity and its state topic, more components that come with it (by unique id suffix), such
    as an event's device triggers. `configured` False: no config key of its own (its entities
    come with others', as `event` entities come with inputs that have `clicks`).
    """

    name: str
    services: Mapping[str, EntityService[Any]]
    commands: CommandInput | None
    state: StateOutput | None
    discovery: Callable[[DiscoveryEntity], dict[str, Any]]
    discovery_extras: Callable[[DiscoveryEntity, str], dict[str, dict[str, Any]]] | None = None
    configured: bool = True
