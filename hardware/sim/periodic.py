"""A repeating timer on a host's clock, so simulations run on a fake clock in tests."""

from __future__ import annotations

from collections.abc import Callable

from ..loop_services import Clock, Timer

__all__ = ["Periodic"]


class Periodic:
    """Calls `action()` in the loop every `interval` seconds until `cancel()`. Loop only."""

    def __init__(self, clock: Clock, interval: float, action: Callable[[], object]) -> None:
        if interval <= 0:
            raise ValueError("interval must be positive")
        self._clock = clock
        self._interval = interval
        self._action = action
        self._timer: Timer | None = None
        self._schedule()

    def cancel(self) -> None:
        """No more calls."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _schedule(self) -> None:
        self._timer = self._clock.call_at(self._clock.time() + self._interval, self._run)

    def _run(self) -> None:
        self._schedule()  # first: an action that raises does not stop the repetition
        self._action()
