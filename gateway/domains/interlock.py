"""Interlocked switches: never two of a group on at once, not even for a microsecond.

```yaml
switch:
  - {platform: gpio, name: Fan low, pin: 5, interlock: [fan_high], interlock_wait: 100ms}
  - {platform: gpio, name: Fan high, pin: 6, interlock: [fan_low], interlock_wait: 100ms}
```
Turning a switch on first turns its interlocked peers off, waits `interlock_wait` on the
gateway's clock if one of them was on, then turns it on. Every command of a group (on and off,
from MQTT, automations, `for` reverts or `on_stop`) runs under the group's lock, one after the
other, so two commands racing from different clients cannot interleave their steps. A group is
every switch reachable through `interlock` lists.
"""

from __future__ import annotations

import asyncio
from typing import Final, Protocol

from ..core import Gateway, callback
from ..event import async_call_later
from ..gateway_data import DataKey

__all__ = ["InterlockRegistry", "Interlocked", "async_interlock_registry"]


class Interlocked(Protocol):
    """A switch that takes part: its peers, the wait, and a way to drive it."""

    @property
    def entity_id(self) -> str: ...

    @property
    def interlock(self) -> tuple[str, ...]:
        """Entity ids of the switches it excludes."""
        ...

    @property
    def interlock_wait(self) -> float: ...

    @property
    def is_on(self) -> bool | None: ...

    async def async_drive(self, turn_on: bool) -> None:
        """Drive the output and record the state (no lock, no peers)."""
        ...

    def async_write_state(self) -> None: ...


class InterlockRegistry:
    """The interlocked switches of a gateway, and one lock per group."""

    def __init__(self, gw: Gateway) -> None:
        self._gw = gw
        self._members: dict[str, Interlocked] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def add(self, member: Interlocked) -> None:
        self._members[member.entity_id] = member

    def remove(self, member: Interlocked) -> None:
        if self._members.get(member.entity_id) is member:
            del self._members[member.entity_id]

    def _lock(self, member: Interlocked) -> asyncio.Lock:
        """The lock of the member's group, named by the group's first entity id."""
        seen, todo = {member.entity_id}, list(member.interlock)
        while todo:
            entity_id = todo.pop()
            if entity_id not in seen:
                seen.add(entity_id)
                if (peer := self._members.get(entity_id)) is not None:
                    todo.extend(peer.interlock)
        return self._locks.setdefault(min(seen), asyncio.Lock())

    async def async_command(self, member: Interlocked, turn_on: bool) -> None:
        """Turn `member` on (peers off first, then the wait) or off, under the group's lock."""
        async with self._lock(member):
            if turn_on:
                await self._async_peers_off(member)
            await member.async_drive(turn_on)

    async def _async_peers_off(self, member: Interlocked) -> None:
        was_on = False
        for entity_id in member.interlock:
            peer = self._members.get(entity_id)
            if peer is not None and peer.is_on is not False:
                was_on = True
                await peer.async_drive(False)
                peer.async_write_state()
        if was_on and member.interlock_wait > 0:
            await self._async_wait(member.interlock_wait)

    async def _async_wait(self, seconds: float) -> None:
        done: asyncio.Future[None] = self._gw.loop.create_future()

        @callback
        def wake(_now: float) -> None:
            if not done.done():
                done.set_result(None)

        cancel = async_call_later(self._gw, seconds, wake)
        try:
            await done
        finally:
            cancel()


DATA_INTERLOCKS: Final[DataKey[InterlockRegistry]] = DataKey("interlocks")


def async_interlock_registry(gw: Gateway) -> InterlockRegistry:
    """The gateway's registry, made on first use."""
    registry = gw.data.get(DATA_INTERLOCKS)
    if registry is None:
        registry = gw.data[DATA_INTERLOCKS] = InterlockRegistry(gw)
    return registry
