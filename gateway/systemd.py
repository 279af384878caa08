"""systemd's notify protocol: READY, WATCHDOG, STOPPING, RELOADING.

A datagram to `$NOTIFY_SOCKET` (a path, or an abstract socket when it starts with `@`). Without
the variable every call is a no-op, so the daemon behaves the same outside systemd.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Mapping

from .const import EVENT_GATEWAY_STOP, EVENT_RELOAD_FINISHED, EVENT_RELOAD_STARTED
from .core import Event, Gateway, callback
from .event import async_track_time_interval

__all__ = ["Notifier", "async_setup_systemd"]

_LOGGER = logging.getLogger(__name__)


class Notifier:
    """Sends notify messages; the socket is non-blocking, so a send never stalls the loop."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        address = env.get("NOTIFY_SOCKET", "")
        self._address = "\0" + address[1:] if address.startswith("@") else address
        self._socket: socket.socket | None = None
        if self._address:
            self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self._socket.setblocking(False)
        self.watchdog_interval = _watchdog_interval(env)

    @property
    def enabled(self) -> bool:
        return self._socket is not None

    def notify(self, message: str) -> None:
        """Send one message such as `READY=1`; failures are logged, never raised."""
        if self._socket is None:
            return
        try:
            self._socket.sendto(message.encode(), self._address)
        except OSError as exc:
            _LOGGER.warning("systemd notify %r failed: %s", message, exc)

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None


def _watchdog_interval(env: Mapping[str, str]) -> float | None:
    """Half of `WatchdogSec` when the watchdog is meant for this process."""
    usec = env.get("WATCHDOG_USEC")
    pid = env.get("WATCHDOG_PID")
    if not usec or (pid and pid != str(os.getpid())):
        return None
    try:
        return int(usec) / 2_000_000
    except ValueError:
        return None


@callback
def async_setup_systemd(gw: Gateway, notifier: Notifier | None = None) -> None:
    """Send READY now, WATCHDOG from the loop, RELOADING/READY around reloads, STOPPING.

    Call it once hardware and entities are set up (not waiting for the broker). The watchdog
    ping runs in the loop, so a stalled loop stops the pings and systemd restarts the service.
    """
    notifier = notifier or Notifier()
    if not notifier.enabled:
        return
    cancel_watchdog: Callable[[], None] | None = None
    if notifier.watchdog_interval:
        cancel_watchdog = async_track_time_interval(
            gw, callback(lambda _now: notifier.notify("WATCHDOG=1")), notifier.watchdog_interval
        )

    @callback
    def on_stop(_event: Event) -> None:
        if cancel_watchdog is not None:
            cancel_watchdog()
        notifier.notify("STOPPING=1")
        notifier.close()

    gw.bus.async_listen_once(EVENT_GATEWAY_STOP, on_stop)
    gw.bus.async_listen(EVENT_RELOAD_STARTED, callback(lambda _e: notifier.notify("RELOADING=1")))
    gw.bus.async_listen(EVENT_RELOAD_FINISHED, callback(lambda _e: notifier.notify("READY=1")))
    notifier.notify("READY=1")
