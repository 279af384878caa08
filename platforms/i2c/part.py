"""One part read once for all its entities, with the entity timeout, logging each outage once.

A BME280 makes three entities; they share a `PolledPart`, so a scan reads the part once: the
first entity to update starts the read in the executor, the others (updating in the same scan)
get the same result. A read that raises an `I2CError` (a bus error, a bad chip id, a CRC
mismatch, a value out of range) or does not return within the executor timeout makes every
entity of the part unavailable; one WARNING says why, one INFO line says when it reads again.
While a read hangs, no other is started (the bus lock would queue them behind it); the other
buses, with their own locks, go on.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Final

from gateway.core import Gateway
from hardware.i2c import I2CError, SensorDriver

__all__ = ["PartUnavailable", "PolledPart"]

_LOGGER = logging.getLogger(__name__)
SAME_SCAN: Final = 0.5  # entities updating within this share of scan_interval share a read


class PartUnavailable(Exception):
    """This scan has no reading (already logged)."""


class PolledPart:
    """A driver and the last reading; `async_read` is called from the loop."""

    def __init__(self, gw: Gateway, driver: SensorDriver, label: str, scan_interval: float):
        self._gw = gw
        self._driver = driver
        self.label = label
        self._fresh_for = scan_interval * SAME_SCAN
        self._last: tuple[float, dict[str, float]] | None = None
        self._reading: asyncio.Future[dict[str, float]] | None = None
        self._hung: asyncio.Future[dict[str, float]] | None = None
        self._failing = False
        self.reads = 0

    @property
    def hung_read(self) -> asyncio.Future[dict[str, float]] | None:
        """The read that timed out and has not returned yet (None when there is none)."""
        return self._hung if self._hung is not None and not self._hung.done() else None

    async def async_read(self) -> dict[str, float]:
        """The part's values; raises PartUnavailable."""
        now = self._gw.clock.time()
        if self._last is not None and now - self._last[0] < self._fresh_for:
            return self._last[1]
        if self._reading is None:
            self._reading = self._gw.async_create_task(
                self._async_read_once(), name=f"read {self.label}"
            )
            self._reading.add_done_callback(self._forget)
        return await asyncio.shield(self._reading)

    def _forget(self, _future: object) -> None:
        self._reading = None

    async def _async_read_once(self) -> dict[str, float]:
        if self._hung is not None and not self._hung.done():
            raise PartUnavailable
        self.reads += 1
        future = self._gw.async_add_executor_job(self._driver.read)
        try:
            values = await asyncio.wait_for(asyncio.shield(future), self._gw.executor_timeout)
        except TimeoutError:
            self._hung = future
            self._gw.async_untrack(future)
            future.add_done_callback(_consume)
            self._fail(f"no answer within {self._gw.executor_timeout:g} s (bus hung?)")
        except I2CError as exc:
            self._fail(str(exc))
        self._last = (self._gw.clock.time(), values)
        if self._failing:
            _LOGGER.info("%s: reading again", self.label)
            self._failing = False
        return values

    def _fail(self, reason: str) -> None:
        self._last = None
        if not self._failing:
            _LOGGER.warning("%s: %s; unavailable until it reads again", self.label, reason)
        self._failing = True
        raise PartUnavailable(reason)


def _consume(future: asyncio.Future[dict[str, float]]) -> None:
    """A hung read that ends later: its result or error is not wanted any more."""
    if not future.cancelled():
        future.exception()
