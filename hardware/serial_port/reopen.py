"""Opening a port in the executor, and reopening it with backoff until it comes back.

An open attempt that does not return within the host's executor timeout counts as a failure
(a hung driver must not hold the port's entities hostage); if it returns later, the port it
opened is closed. Reopen attempts back off from 0.5 s to 30 s with jitter on the host's clock;
a connection that lasted `STABLE_SECONDS` resets the backoff. An outage is logged once as a
warning, its retries at debug level. Loop only.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable

import serial

from ..backoff import Backoff
from ..errors import SerialPortOpenError
from ..loop_services import LoopServices, Timer
from .settings import PortStats, SerialPortSettings
from .transport import Opener, close_port, open_checked

__all__ = ["STABLE_SECONDS", "ReopenSupervisor"]

_LOGGER = logging.getLogger(__name__)

STABLE_SECONDS = 10.0  # a connection that lasted this long resets the backoff


class ReopenSupervisor:
    """Opens one port, keeps reopening it after failures and losses, closes ports it is given.

    `on_open(port)` receives every port opened while not stopping.
    """

    def __init__(
        self,
        services: LoopServices,
        settings: SerialPortSettings,
        stats: PortStats,
        on_open: Callable[[serial.Serial], None],
        *,
        opener: Opener,
        backoff: Backoff,
    ) -> None:
        self._services = services
        self._settings = settings
        self._stats = stats
        self._on_open = on_open
        self._opener = opener
        self._backoff = backoff
        self.stopping = False
        self._connected_at = 0.0
        self._retry: Timer | None = None
        self._open_task: asyncio.Task[None] | None = None
        self._closing: set[asyncio.Future[None]] = set()
        self._outage_logged = False

    async def async_open(self) -> None:
        """One open attempt; on failure, the next one is scheduled."""
        future = self._services.async_add_executor_job(open_checked, self._opener, self._settings)
        try:
            port = await asyncio.wait_for(asyncio.shield(future), self._services.executor_timeout)
        except TimeoutError:
            self._services.async_untrack(future)
            future.add_done_callback(self._async_close_late_open)
            self._async_failed(f"opening {self._settings.port} did not return in time")
            return
        except SerialPortOpenError as exc:
            self._async_failed(str(exc))
            return
        if self.stopping:
            self.async_close(port, discard_output=True)
            return
        self._connected_at = self._services.clock.time()
        self._stats.opens += 1
        if self._outage_logged:
            _LOGGER.info("Serial port %s (%s) is back", self._settings.name, self._settings.port)
        self._outage_logged = False
        self._on_open(port)

    def async_lost(self, reason: str) -> None:
        """The open port went away: log it and schedule a reopen."""
        self._log_outage(f"{self._settings.port} went away ({reason})")
        if self._services.clock.time() - self._connected_at >= STABLE_SECONDS:
            self._backoff.reset()
        self._async_schedule_retry()

    def async_close(self, port: serial.Serial, *, discard_output: bool) -> None:
        """Close `port` in the executor; a reopen waits for it."""
        future = self._services.async_add_executor_job(
            functools.partial(close_port, port, discard_output=discard_output)
        )
        self._closing.add(future)
        future.add_done_callback(self._closing.discard)

    async def async_stop(self) -> None:
        """Stop retrying and let an attempt in progress finish (its port is then closed)."""
        self.stopping = True
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None
        if self._open_task is not None:
            await asyncio.gather(self._open_task, return_exceptions=True)

    async def async_wait_closed(self) -> None:
        """Wait until every close handed to the executor has returned."""
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    def _async_failed(self, message: str) -> None:
        self._stats.open_failures += 1
        self._log_outage(message)
        self._async_schedule_retry()

    def _async_close_late_open(self, future: asyncio.Future[serial.Serial]) -> None:
        if future.cancelled() or future.exception() is not None:
            return
        # RuntimeError: the executor is gone, the process is exiting anyway.
        with contextlib.suppress(RuntimeError):
            self.async_close(future.result(), discard_output=True)

    def _async_schedule_retry(self) -> None:
        if self.stopping:
            return
        delay = self._backoff.next_delay()
        _LOGGER.debug("Serial port %s: next open attempt in %.2f s", self._settings.name, delay)
        clock = self._services.clock
        self._retry = clock.call_at(clock.time() + delay, self._async_retry)

    def _async_retry(self) -> None:
        self._retry = None
        if self.stopping:
            return
        self._open_task = self._services.async_create_task(
            self._async_retry_open(), name=f"serial {self._settings.name} reopen"
        )

    async def _async_retry_open(self) -> None:
        # The previous connection's port must be closed before the device node is reopened.
        await self.async_wait_closed()
        try:
            await self.async_open()
        finally:
            self._open_task = None

    def _log_outage(self, message: str) -> None:
        if self._outage_logged:
            _LOGGER.debug("Serial port %s: %s", self._settings.name, message)
            return
        self._outage_logged = True
        _LOGGER.warning(
            "Serial port %s: %s; its entities are unavailable, retrying with backoff",
            self._settings.name,
            message,
        )
