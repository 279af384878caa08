"""The `switch` domain: outputs that are on or off (relays, MOSFETs).

Services `turn_on`/`turn_off`/`toggle` (with `for`); `<e>/set` takes `ON`/`OFF`/`TOGGLE` or
`{"state": ..., "for": seconds}`; `<e>/state` is `ON`/`OFF`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import voluptuous as vol

from ..const import SERVICE_TOGGLE, SERVICE_TURN_OFF, SERVICE_TURN_ON
from ..core import Gateway
from . import async_setup_domain, wire
from .spec import Command, CommandInput, DomainSpec, EntityService, PayloadError, StateOutput
from .toggle import ToggleEntity

if TYPE_CHECKING:
    from ..config.model import PlatformEntry
    from ..mqtt.publishers.discovery_payloads import DiscoveryEntity

DOMAIN = "switch"
__all__ = ["DOMAIN", "SPEC", "SwitchEntity", "async_setup"]

_FOR = {vol.Optional("for"): vol.All(vol.Coerce(float), vol.Range(min=0, min_included=False))}


class SwitchEntity(ToggleEntity):
    """A switchable output; `for` in a service call reverts it after that many seconds."""


def parse_command(payload: bytes) -> Command:
    """`ON`/`OFF`/`TOGGLE` or `{"state": ..., "for": seconds}`."""
    text = wire.text(payload)
    obj = wire.json_object(text)
    if obj is None:
        return wire.on_off_toggle(text)
    wire.check_keys(obj, frozenset({"state", "for"}))
    if "state" not in obj:
        raise PayloadError('"state" is required')
    service = wire.state_service(obj["state"])
    duration = wire.number(obj, "for", 0, open_low=True)
    return Command(service, {} if duration is None else {"for": duration})


def on_off_discovery(entity: DiscoveryEntity) -> dict[str, Any]:
    """The payloads Home Assistant compares the state with."""
    return {"payload_on": entity.payload_on, "payload_off": entity.payload_off}


SPEC = DomainSpec(
    name=DOMAIN,
    services={
        SERVICE_TURN_ON: EntityService(_FOR, ToggleEntity.async_service_turn_on),
        SERVICE_TURN_OFF: EntityService(_FOR, ToggleEntity.async_service_turn_off),
        SERVICE_TOGGLE: EntityService(_FOR, ToggleEntity.async_service_toggle),
    },
    commands=CommandInput(
        parse_command, 'ON, OFF or TOGGLE (any case), or JSON {"state": "ON", "for": 2.5}'
    ),
    state=StateOutput(wire.encode_plain_state),
    discovery=on_off_discovery,
)


async def async_setup(gw: Gateway, entries: Sequence[PlatformEntry]) -> None:
    await async_setup_domain(gw, SPEC, entries)
