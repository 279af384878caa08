"""The domains the gateway knows, by name: the one list a new domain is added to.

The MQTT command router, the state publisher, discovery, the config schema and bootstrap read
it; none of them names a domain.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from . import binary_sensor, button, event, light, sensor, switch
from .spec import Command, DomainSpec, PayloadError

__all__ = [
    "CONFIG_DOMAINS",
    "DOMAINS",
    "DOMAIN_SPECS",
    "domain_spec",
    "parse_command",
    "register_domain",
]

_SPECS: dict[str, DomainSpec] = {
    spec.name: spec
    # `event` before `binary_sensor`: an input with `clicks` adds its event entity there.
    for spec in (switch.SPEC, event.SPEC, binary_sensor.SPEC, sensor.SPEC, light.SPEC, button.SPEC)
}

DOMAIN_SPECS: Mapping[str, DomainSpec] = _SPECS
# Every domain, in the order bootstrap sets them up.
DOMAINS: tuple[str, ...] = tuple(_SPECS)
# The domains with a key of their own in the configuration.
CONFIG_DOMAINS: tuple[str, ...] = tuple(name for name, spec in _SPECS.items() if spec.configured)


def domain_spec(domain: str) -> DomainSpec | None:
    """The spec of `domain`; None for a domain the gateway does not know."""
    return _SPECS.get(domain)


def register_domain(spec: DomainSpec) -> Callable[[], None]:
    """Add a domain at run time (tests, extensions); returns the undo.

    The config schema and bootstrap read `DOMAINS` at import, so only the runtime lookups
    (commands, state, discovery) see a domain added this way.
    """
    if spec.name in _SPECS:
        raise ValueError(f"domain {spec.name} is already registered")
    _SPECS[spec.name] = spec

    def unregister() -> None:
        _SPECS.pop(spec.name, None)

    return unregister


def parse_command(domain: str, payload: bytes) -> Command:
    """The command an `<e>/set` payload asks of an entity of `domain`; raises PayloadError.

    Pure, whatever the bytes. (The command router binds `spec.commands.parse` once per entity;
    this is the same parse, looked up by name.)
    """
    spec = _SPECS.get(domain)
    if spec is None or spec.commands is None:
        raise PayloadError(f"{domain} entities take no commands")
    return spec.commands.parse(payload)
