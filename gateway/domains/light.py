"""The `light` domain: dimmable outputs (PWM), brightness 0-255.

Services `turn_on`/`toggle` (`brightness`, `transition`, `for`) and `turn_off` (`transition`);
`<e>/set` takes the switch forms plus JSON `brightness` and `transition`; `<e>/state` is JSON
`{"state": "ON", "brightness": 0-255}` (Home Assistant's JSON light schema).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import voluptuous as vol

from ..const import SERVICE_TOGGLE, SERVICE_TURN_OFF, SERVICE_TURN_ON, STATE_ON, STATE_UNKNOWN
from ..core import Gateway
from . import async_setup_domain, wire
from .spec import Command, CommandInput, DomainSpec, EntityService, PayloadError, StateOutput
from .toggle import ToggleEntity

if TYPE_CHECKING:
    from ..config.model import PlatformEntry
    from ..core import State

DOMAIN = "light"
__all__ = ["DOMAIN", "SPEC", "LightEntity", "async_setup"]

_TRANSITION = {vol.Optional("transition"): vol.All(vol.Coerce(float), vol.Range(min=0))}
_ON = {
    **_TRANSITION,
    vol.Optional("brightness"): vol.All(vol.Coerce(int), vol.Range(min=0, max=255)),
    vol.Optional("for"): vol.All(vol.Coerce(float), vol.Range(min=0, min_included=False)),
}


class LightEntity(ToggleEntity):
    """A dimmable output; `brightness` is 0-255 while on."""

    _attr_brightness: int | None = None

    @property
    def brightness(self) -> int | None:
        return self._attr_brightness

    @property
    def state_attributes(self) -> dict[str, Any]:
        return {"brightness": self.brightness if self.is_on else None}


def parse_command(payload: bytes) -> Command:
    """The switch forms plus `brightness` (0-255) and `transition` (seconds)."""
    text = wire.text(payload)
    obj = wire.json_object(text)
    if obj is None:
        return wire.on_off_toggle(text)
    wire.check_keys(obj, frozenset({"state", "for", "brightness", "transition"}))
    if "state" in obj:
        service = wire.state_service(obj["state"])
    elif "brightness" in obj:
        service = SERVICE_TURN_ON
    else:
        raise PayloadError('"state" is required')
    data: dict[str, Any] = {}
    transition = wire.number(obj, "transition", 0, open_low=False)
    if transition is not None:
        data["transition"] = transition
    if service == SERVICE_TURN_OFF:
        if "for" in obj or "brightness" in obj:
            raise PayloadError('OFF takes only "transition"')
        return Command(service, data)
    brightness = wire.number(obj, "brightness", 0, open_low=False)
    if brightness is not None:
        if brightness > 255 or brightness != int(brightness):
            raise PayloadError('"brightness" must be an integer 0-255')
        data["brightness"] = int(brightness)
    duration = wire.number(obj, "for", 0, open_low=True)
    if duration is not None:
        data["for"] = duration
    return Command(service, data)


def encode_state(state: State) -> bytes:
    """`{"state": "ON", "brightness": 128}`; `{"state": null}` while unknown."""
    if state.state == STATE_UNKNOWN:
        return wire.dumps({"state": None})
    body: dict[str, Any] = {"state": state.state}
    brightness = state.attributes.get("brightness")
    if state.state == STATE_ON and brightness is not None:
        body["brightness"] = brightness
    return wire.dumps(body)


SPEC = DomainSpec(
    name=DOMAIN,
    services={
        SERVICE_TURN_ON: EntityService(_ON, ToggleEntity.async_service_turn_on),
        SERVICE_TURN_OFF: EntityService(_TRANSITION, ToggleEntity.async_service_turn_off),
        SERVICE_TOGGLE: EntityService(_ON, ToggleEntity.async_service_toggle),
    },
    commands=CommandInput(
        parse_command,
        'ON, OFF or TOGGLE (any case), or JSON {"state": "ON", "brightness": 0-255, '
        '"transition": 1.5, "for": 2.5} (OFF takes only "transition")',
    ),
    state=StateOutput(encode_state),
    discovery=lambda _entity: {
        "schema": "json",
        "supported_color_modes": ["brightness"],
        "brightness_scale": 255,
    },
)


async def async_setup(gw: Gateway, entries: Sequence[PlatformEntry]) -> None:
    await async_setup_domain(gw, SPEC, entries)
