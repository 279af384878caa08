"""Health figures: loop lag, thread pool load, memory, entities, the state folder.

Measured here, published by whoever shows them (`bridge/health` on MQTT today; the web page
and `/metrics` next). Loop lag is measured in real time (not on the gateway's clock): a
callback scheduled every second notes how late it ran. A stalled loop shows up as a large
maximum.
"""

from __future__ import annotations

import asyncio
import logging
import os
import resource
import statistics
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Final

from .const import EVENT_GATEWAY_STOP, STATE_UNAVAILABLE
from .core import Event, Gateway, callback
from .gateway_data import DataKey
from .state_store import DATA_STATE_DIR, StateDir

__all__ = [
    "HealthSource",
    "LoopLagMonitor",
    "async_health",
    "async_health_source",
    "health_snapshot",
    "read_rss_mb",
]

_LOGGER = logging.getLogger(__name__)

LAG_SAMPLE_SECONDS = 1.0
LAG_WINDOW = 300  # samples kept: five minutes at one a second


class LoopLagMonitor:
    """Samples how late a 1 s loop timer fires; keeps a bounded window."""

    def __init__(self, loop: asyncio.AbstractEventLoop, interval: float = LAG_SAMPLE_SECONDS):
        self._loop = loop
        self._interval = interval
        self._samples: deque[float] = deque(maxlen=LAG_WINDOW)
        self._handle: asyncio.TimerHandle | None = None
        self._due = 0.0

    @callback
    def async_start(self) -> None:
        self._due = self._loop.time() + self._interval
        self._handle = self._loop.call_at(self._due, self._sample)

    @callback
    def async_stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _sample(self) -> None:
        now = self._loop.time()
        self._samples.append(max(0.0, now - self._due))
        self._due = now + self._interval
        self._handle = self._loop.call_at(self._due, self._sample)

    def record(self, lag_seconds: float) -> None:
        """Add a sample (the timer does this; tests may too)."""
        self._samples.append(lag_seconds)

    def summary_ms(self) -> dict[str, float]:
        """Median and maximum lag over the window, in milliseconds."""
        if not self._samples:
            return {"p50": 0.0, "max": 0.0}
        return {
            "p50": round(statistics.median(self._samples) * 1000, 2),
            "max": round(max(self._samples) * 1000, 2),
        }


@dataclass(frozen=True, slots=True)
class HealthSource:
    """What the health figures are measured from: one per gateway, whoever shows them."""

    lag: LoopLagMonitor
    started_monotonic: float


DATA_HEALTH: Final[DataKey[HealthSource]] = DataKey("health")


@callback
def async_health_source(gw: Gateway) -> HealthSource:
    """The gateway's lag monitor and start time: made and started on first use (by the MQTT
    bridge or the web server, whichever comes first), stopped with the gateway."""
    source = gw.data.get(DATA_HEALTH)
    if source is None:
        source = HealthSource(LoopLagMonitor(gw.loop), time.monotonic())
        gw.data[DATA_HEALTH] = source
        source.lag.async_start()

        @callback
        def stop(_event: Event) -> None:
            source.lag.async_stop()

        gw.bus.async_listen_once(EVENT_GATEWAY_STOP, stop)
    return source


async def async_health(gw: Gateway, mqtt: dict[str, Any] | None) -> dict[str, Any]:
    """The `bridge/health` data, also served at `/api/health` and behind `/metrics`."""
    source = async_health_source(gw)
    rss = read_rss_mb()  # in the loop: procfs never waits (see read_rss_mb)
    return health_snapshot(gw, source.lag, source.started_monotonic, rss, mqtt)


def read_rss_mb(statm: str = "/proc/self/statm") -> float:
    """Resident set size in MiB; falls back to the peak RSS where procfs is missing.

    Called in the event loop on purpose: the kernel answers /proc/self/statm from the
    process's own memory counters, with no disk or device behind it, so the read never waits.
    In the executor, each health tick would wake a worker, or start one on an idle board whose
    workers have all retired, and leave it resident for another idle timeout.
    """
    try:
        descriptor = os.open(statm, os.O_RDONLY)
        try:
            pages = int(os.read(descriptor, 128).split()[1])
        finally:
            os.close(descriptor)
        return round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)
    except (OSError, ValueError, IndexError):
        return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def health_snapshot(
    gw: Gateway,
    lag: LoopLagMonitor,
    started_monotonic: float,
    rss_mb: float,
    mqtt: dict[str, Any] | None,
) -> dict[str, Any]:
    """The `bridge/health` payload (pure apart from reading the gateway's state)."""
    states = gw.states.async_all()
    pool = gw.executor.stats()
    state_dir = gw.data.get(DATA_STATE_DIR)
    return {
        "uptime_s": round(time.monotonic() - started_monotonic, 1),
        "loop_lag_ms": lag.summary_ms(),
        "executor": {"workers": pool.workers, "busy": pool.busy, "queued": pool.queued},
        "mqtt": mqtt,
        "rss_mb": rss_mb,
        "entities": {
            "total": len(states),
            "unavailable": sum(1 for state in states if state.state == STATE_UNAVAILABLE),
        },
        "state_dir": state_dir.as_dict() if isinstance(state_dir, StateDir) else None,
    }
