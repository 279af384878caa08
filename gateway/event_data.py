"""Event names that carry the type of their data, and that data as `TypedDict`s.

`EventType[StateChangedData]("state_changed")` is a plain string at run time; to mypy it also
says what `event.data` holds, so `bus.async_fire` checks what a producer sends and a listener
typed `Event[StateChangedData]` reads `event.data["new_state"]` as `State | None`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Generic, TypedDict, TypeVar

if TYPE_CHECKING:
    from typing_extensions import TypeVar as TypeVarWithDefault

    from .core import State

__all__ = [
    "CallServiceData",
    "EventType",
    "NoEventData",
    "ServiceRegisteredData",
    "StateChangedData",
]

# A default, so that a bare `Event` (a listener that reads no data) means "any mapping" (to
# mypy; typing_extensions is not imported at run time, where the default changes nothing).
if TYPE_CHECKING:
    _DataT = TypeVarWithDefault("_DataT", bound=Mapping[str, Any], default=Mapping[str, Any])
else:
    _DataT = TypeVar("_DataT", bound=Mapping[str, Any])


class EventType(str, Generic[_DataT]):
    """An event's name; its type parameter is the type of the data it is fired with."""

    __slots__ = ()


class NoEventData(TypedDict):
    """The data of an event that carries none (the life-cycle and reload events)."""


class StateChangedData(TypedDict):
    """`state_changed`: `old_state` None for a new entity, `new_state` None for a removed one."""

    entity_id: str
    old_state: State | None
    new_state: State | None


class ServiceRegisteredData(TypedDict):
    """`service_registered`: `domain.service` can now be called."""

    domain: str
    service: str


class CallServiceData(TypedDict):
    """`call_service`: `domain.service` is about to run (its data stays with the call)."""

    domain: str
    service: str
