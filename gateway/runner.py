"""Run the daemon: event loop, signals, stop and exit code."""

from __future__ import annotations

import asyncio
import logging
import signal
from types import FrameType
from typing import TYPE_CHECKING

from .blocking import enable_debug
from .bootstrap import async_setup_gateway
from .const import EXIT_OK
from .core import Gateway, callback
from .reload import async_schedule_reload
from .systemd import async_setup_systemd

if TYPE_CHECKING:
    from .config.model import Config

__all__ = [
    "async_act_on_early_signals",
    "hold_signals",
    "install_signal_handlers",
    "record_signals_during_setup",
    "run",
]

_LOGGER = logging.getLogger(__name__)
HELD_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
# Signals received before the gateway could act on them, in order (see `hold_signals`).
_early_signals: list[str] = []


def hold_signals() -> None:
    """From now until the gateway runs, SIGTERM/SIGINT/SIGHUP are remembered, not fatal.

    SIGHUP's default action kills the process: a reload asked for while the config is read
    or the entities are set up must not lose the daemon. Call it from the main thread, first.
    """
    for signum in HELD_SIGNALS:
        signal.signal(signum, _remember_signal)


def _remember_signal(signum: int, _frame: FrameType | None) -> None:
    _early_signals.append(signal.Signals(signum).name)


def run(config: Config, *, debug: bool = False) -> int:
    """Run until SIGTERM/SIGINT; returns the exit code."""
    return asyncio.run(_async_run(config, debug))


async def _async_run(config: Config, debug: bool) -> int:
    loop = asyncio.get_running_loop()
    undo_debug = enable_debug(loop) if debug else None
    record_signals_during_setup(loop)
    try:
        gw = await async_setup_gateway(config)
        install_signal_handlers(gw)
        async_act_on_early_signals(gw)
        async_setup_systemd(gw)
        _LOGGER.info(
            "Boardgate running as %s with %d entities", config.core.node_id, len(config.entities)
        )
        return await gw.async_wait_stopped()
    finally:
        if undo_debug is not None:
            undo_debug()


def record_signals_during_setup(loop: asyncio.AbstractEventLoop) -> None:
    """Until the gateway exists, SIGTERM/SIGINT/SIGHUP are remembered instead of killing the
    process (MQTT may already be connected, and a clean stop publishes `offline`);
    `async_act_on_early_signals` acts on them."""
    for signum in HELD_SIGNALS:
        loop.add_signal_handler(signum, _early_signals.append, signal.Signals(signum).name)


@callback
def async_act_on_early_signals(gw: Gateway) -> None:
    """A stop asked for during start-up stops now; else a SIGHUP then reloads once (the file
    may have changed after it was read)."""
    received, _early_signals[:] = list(_early_signals), []
    stops = [name for name in received if name != "SIGHUP"]
    if stops:
        _LOGGER.info("%s received during start-up; stopping", stops[0])
        gw.async_request_stop(EXIT_OK)
    elif received:
        _LOGGER.info("SIGHUP received during start-up; reloading the configuration")
        async_schedule_reload(gw)


def install_signal_handlers(gw: Gateway) -> None:
    """SIGTERM/SIGINT stop the gateway (exit 0); SIGHUP reloads the config."""

    def request_stop(signame: str) -> None:
        _LOGGER.info("%s received; stopping", signame)
        gw.loop.remove_signal_handler(signal.SIGTERM)
        gw.loop.remove_signal_handler(signal.SIGINT)
        gw.async_request_stop(EXIT_OK)

    gw.loop.add_signal_handler(signal.SIGTERM, request_stop, "SIGTERM")
    gw.loop.add_signal_handler(signal.SIGINT, request_stop, "SIGINT")
    gw.loop.add_signal_handler(signal.SIGHUP, _request_reload, gw)


@callback
def _request_reload(gw: Gateway) -> None:
    """SIGHUP: reload after any reload running (SIGHUPs meanwhile share one); an invalid file
    is logged and changes nothing."""
    _LOGGER.info("SIGHUP received; reloading the configuration")
    async_schedule_reload(gw)
