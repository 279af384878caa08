"""Retry delays (serial reopen, broker reconnects): exponential with jitter, so a fleet of
gateways does not retry in lockstep. 0.5 s to 30 s by default.

After a reset with `full_jitter`, the first delay is anywhere from 0 to twice `initial` (0-1 s
by default): gateways that lost their broker in the same instant (it restarted) then come
back spread over that second instead of within the 25 % jitter of one step.

A pure policy with no I/O: it lives in `hardware` because drivers need it and may not import
the core; the core imports it from here (the allowed direction)."""

from __future__ import annotations

import random
from collections.abc import Callable

__all__ = ["BACKOFF_INITIAL", "BACKOFF_MAXIMUM", "Backoff"]

BACKOFF_INITIAL = 0.5
BACKOFF_MAXIMUM = 30.0


class Backoff:
    """Delays of `initial * 2**n`, stretched by up to `jitter`, capped at `maximum`."""

    def __init__(
        self,
        initial: float = BACKOFF_INITIAL,
        maximum: float = BACKOFF_MAXIMUM,
        jitter: float = 0.25,
        rand: Callable[[], float] = random.random,
    ) -> None:
        if not 0 < initial <= maximum:
            raise ValueError("need 0 < initial <= maximum")
        self._initial = initial
        self._maximum = maximum
        self._jitter = jitter
        self._rand = rand
        self._attempt = 0
        self._full_jitter = False

    def next_delay(self) -> float:
        """The delay before the next attempt; each call doubles the base."""
        if self._full_jitter:
            self._full_jitter = False
            self._attempt = 1
            return min(self._maximum, 2 * self._initial * self._rand())
        base = min(self._maximum, self._initial * 2.0 ** min(self._attempt, 32))
        self._attempt += 1
        return min(self._maximum, base * (1 + self._jitter * self._rand()))

    def reset(self, *, full_jitter: bool = False) -> None:
        """Start again from `initial` (after a successful connection); with `full_jitter` the
        next delay is drawn from [0, 2 * initial) (module docstring)."""
        self._attempt = 0
        self._full_jitter = full_jitter
