"""Config of interlocked switches: the `interlock` fields, and the check across entries.

`interlock` lists switch ids (not entity ids: `[fan_high]`); each must be a switch with
interlocks of its own that names this one back. A one-sided interlock would protect one
direction only, so it is an error, as is an unknown id or a switch naming itself.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator, Mapping
from typing import Any, Final

import voluptuous as vol

from gateway.config import cv
from gateway.config.model import PlatformEntry

__all__ = ["INTERLOCK_FIELDS", "find_interlock_problems", "interlock_ids"]


def interlock_ids(value: Any) -> tuple[str, ...]:
    """One switch id or a list of them."""
    ids = cv.ensure_list(value)
    if not ids:
        raise vol.Invalid("expected one or more switch ids")
    return tuple(dict.fromkeys(cv.slug(item) for item in ids))


INTERLOCK_FIELDS: Final[Mapping[Hashable, Any]] = {
    vol.Optional("interlock"): interlock_ids,
    vol.Optional("interlock_wait"): cv.time_period,
}


def _peers(entry: PlatformEntry) -> tuple[str, ...]:
    peers: tuple[str, ...] = getattr(entry.config, "interlock", ())
    return peers if entry.domain == "switch" else ()


def find_interlock_problems(
    entries: Iterable[PlatformEntry],
) -> Iterator[tuple[PlatformEntry, str]]:
    """(entry, message) for each switch whose `interlock` names an unknown switch, itself, or
    one that does not name it back, or that starts on (`initial: on`) as a peer does."""
    switches = {entry.config.id: entry for entry in entries if entry.domain == "switch"}
    for switch_id, entry in switches.items():
        for peer_id in _peers(entry):
            peer = switches.get(peer_id)
            if peer_id == switch_id:
                yield entry, "a switch cannot interlock with itself"
            elif peer is None:
                known = ", ".join(sorted(set(switches) - {switch_id})) or "none"
                yield entry, f"unknown switch {peer_id!r} (switches: {known})"
            elif not hasattr(peer.config, "interlock"):
                yield entry, f"switch {peer_id!r} (platform {peer.platform}) cannot be interlocked"
            elif switch_id not in _peers(peer):
                yield (
                    entry,
                    (
                        f"switch {peer_id!r} does not name {switch_id!r} in its interlock "
                        "(interlocks must name each other)"
                    ),
                )
            elif _starts_on(entry) and _starts_on(peer) and peer_id < switch_id:
                yield entry, f"switch {peer_id!r} also has initial: on (only one may start on)"


def _starts_on(entry: PlatformEntry) -> bool:
    return bool(getattr(entry.config, "initial", "off") == "on")
