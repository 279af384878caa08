"""When an expander's inputs are read: on an edge of its INT line, or every 50 ms.

The INT line is a board input (open drain, pulled up: asserted = logically on). Its edge
arrives in the GPIO driver's thread and enters the loop through `threadsafe_handoff`; the loop
then runs one `Expander.poll()` in the executor, which calls the changed inputs'
`when_changed` from that executor thread (the inputs' entities hand off to the loop in turn).
At most one poll runs at a time per expander; a request during a poll runs one more after it,
so no edge is lost and a hung bus does not pile up executor jobs. A failed read is logged once
and retried every `interval` until it succeeds (logged once more); meanwhile the inputs'
entities are unavailable (`when_reachable`).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Final

from ..gpio.handoff import threadsafe_handoff
from ..gpio.lines import DigitalInput
from ..loop_services import LoopServices, Timer
from .errors import I2CError
from .expanders import Expander

__all__ = ["POLL_INTERVAL", "ExpanderWatch"]

_LOGGER = logging.getLogger(__name__)
POLL_INTERVAL: Final = 0.05


class ExpanderWatch:
    """Schedules `expander.poll()`; `start` and `stop` are called from the loop."""

    def __init__(
        self,
        expander: Expander,
        services: LoopServices,
        interrupt: DigitalInput | None = None,
        interval: float = POLL_INTERVAL,
    ) -> None:
        self._expander = expander
        self._services = services
        self._interrupt = interrupt
        self._interval = interval
        self._timer: Timer | None = None
        self._polling = False
        self._again = False
        self._failing = False
        self._stopped = False
        self._inflight: asyncio.Future[None] | None = None
        self.polls = 0

    def start(self) -> None:
        if self._interrupt is not None:
            self._interrupt.when_changed = threadsafe_handoff(
                self._services.loop, self._async_interrupt
            )
        self.async_request_poll()
        self._schedule_tick()

    def stop(self) -> None:
        self._stopped = True
        if self._interrupt is not None:
            self._interrupt.when_changed = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _async_interrupt(self, asserted: bool) -> None:
        if asserted:
            self.async_request_poll()

    def _schedule_tick(self) -> None:
        if self._stopped:
            return
        clock = self._services.clock
        self._timer = clock.call_at(clock.time() + self._interval, self._async_tick)

    def _async_tick(self) -> None:
        self._timer = None
        if self._interrupt is None or self._failing:
            self.async_request_poll()
        self._schedule_tick()

    def async_request_poll(self) -> None:
        """Read the port now (or right after the read running)."""
        if self._stopped or not self._expander.has_inputs:
            return
        if self._polling:
            self._again = True
            return
        self._polling = True
        self._services.async_create_task(self._async_poll(), name=f"poll {self._expander.name}")

    async def _async_poll(self) -> None:
        """One read in the pool, waited for at most the executor timeout: a hung bus is
        logged once and not waited for (so the gateway can stop), and no other read starts
        until it returns."""
        future = self._inflight = self._services.async_add_executor_job(self._poll)
        try:
            await asyncio.wait_for(asyncio.shield(future), self._services.executor_timeout)
        except TimeoutError:
            self._services.async_untrack(future)
            if not self._failing:
                _LOGGER.warning(
                    "expander %s: no answer within %g s (bus hung?)",
                    self._expander.name,
                    self._services.executor_timeout,
                )
                self._expander.notify_reachable(False)
            self._failing = True
            future.add_done_callback(self._async_polled)
            return
        self._async_polled(future)

    async def async_idle(self) -> None:
        """Wait until the read running (if any) has returned (tests)."""
        while self._inflight is not None and not self._inflight.done():
            await asyncio.wait([self._inflight])

    def _async_polled(self, _future: object) -> None:
        self._polling = False
        if self._again:
            self._again = False
            self.async_request_poll()

    def _poll(self) -> None:
        """Executor: one port read; edges are delivered from this thread."""
        self.polls += 1
        try:
            self._expander.poll()
        except I2CError as exc:
            if not self._failing:
                _LOGGER.warning("expander %s: %s; retrying", self._expander.name, exc)
                self._expander.notify_reachable(False)  # its inputs are unavailable meanwhile
            self._failing = True
            return
        if self._failing:
            _LOGGER.info("expander %s: reading again", self._expander.name)  # (poll said so)
        self._failing = False
