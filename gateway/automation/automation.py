"""One automation: its triggers, its runs under the configured mode, and its state.

The automation appears in the state machine as `automation.<id>` with state `on` or `off` and
attributes `id`, `alias`, `mode`, `max`, `current` (runs going on), `queued`, `last_triggered`
(ISO time) and `last_trigger` (what fired).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ..core import Gateway, callback
from ..exceptions import GatewayError
from .conditions import condition_holds
from .config import AutomationConfig
from .mqtt_link import MqttLink
from .script import Run
from .triggers import TriggerData, async_attach_trigger, describe_trigger

__all__ = ["STATE_OFF", "STATE_ON", "Automation"]

_LOGGER = logging.getLogger(__name__)

STATE_ON = "on"
STATE_OFF = "off"


class Automation:
    """Attaches triggers while on, checks conditions when one fires, and runs the actions.

    Modes, when a trigger arrives while a run is going on: `single` ignores it (one warning
    per run, and the number ignored when the run ends: a busy topic must not flood the log),
    `restart` cancels the run and starts again, `queued` runs it afterwards (at most `max`
    runs waiting and running; more are dropped with a warning), `parallel` starts another run
    (at most `max` at once). Everything here is a `@callback`: nothing blocks the loop.
    """

    def __init__(
        self,
        gw: Gateway,
        config: AutomationConfig,
        link: MqttLink,
        on_change: Callable[[], None],
    ) -> None:
        self.gw = gw
        self.config = config
        self.entity_id = config.entity_id
        self._link = link
        self._on_change = on_change
        self._enabled = False
        self._removers: list[Callable[[], None]] = []
        self._runs: list[Run] = []
        self._stopping: list[Run] = []
        self._queue: deque[TriggerData] = deque()
        self._last_triggered: str | None = None
        self._last_trigger: str | None = None
        self._ignored = 0  # triggers ignored (mode single) during the current run

    @property
    def is_on(self) -> bool:
        return self._enabled

    @property
    def current(self) -> int:
        """Runs going on (not counting those queued or being cancelled)."""
        return len(self._runs)

    @property
    def runs(self) -> tuple[Run, ...]:
        """Every run not finished yet, those being cancelled included."""
        return (*self._runs, *self._stopping)

    @property
    def idle(self) -> bool:
        return all(run.idle for run in self.runs)

    # -- on and off -------------------------------------------------------------------------

    @callback
    def async_enable(self) -> None:
        """Attach the triggers (those that cannot attach are logged and skipped)."""
        if not self._enabled:
            self._enabled = True
            for index, trigger in enumerate(self.config.triggers, start=1):
                try:
                    remove = async_attach_trigger(
                        self.gw, self._link, trigger, self._async_triggered
                    )
                except (GatewayError, ValueError) as exc:
                    _LOGGER.error(
                        "%s (%s): trigger %d (%s) not attached: %s",
                        self.entity_id,
                        self.config.source or "config",
                        index,
                        describe_trigger(trigger),
                        exc,
                    )
                else:
                    self._removers.append(remove)
        self.async_write_state()

    @callback
    def async_disable(self, stop_actions: bool = True) -> None:
        """Detach the triggers; with `stop_actions`, cancel the runs and the queue too."""
        self._async_detach()
        if stop_actions:
            self._async_stop_runs()
        self.async_write_state()

    @callback
    def async_shutdown(self) -> list[asyncio.Task[None]]:
        """The gateway is stopping: detach and cancel, leave the state; returns the tasks."""
        self._async_detach()
        self._async_stop_runs()
        return [run.task for run in self._stopping]

    @callback
    def _async_detach(self) -> None:
        self._enabled = False
        for remove in self._removers:
            remove()
        self._removers.clear()

    # -- triggering -------------------------------------------------------------------------

    @callback
    def _async_triggered(self, data: TriggerData) -> None:
        self.async_trigger(data)

    @callback
    def async_trigger(self, data: TriggerData, *, skip_condition: bool = False) -> bool:
        """Check the conditions and start (or queue) a run; False if nothing will run.

        Works whether the automation is on or off (the `automation.trigger` service).
        """
        if not skip_condition and not self._conditions_hold():
            _LOGGER.debug("%s: %s; conditions do not hold", self.entity_id, data.description)
            return False
        mode, limit = self.config.mode, self.config.max_runs
        if self._runs:
            if mode == "single":
                self._async_ignore(data)
                return False
            if mode == "restart":
                self._async_stop_runs()
            elif len(self._runs) + len(self._queue) >= limit:
                _LOGGER.warning(
                    "%s: %d runs already (max %d); %s dropped (mode %s)",
                    self.entity_id,
                    len(self._runs) + len(self._queue),
                    limit,
                    data.description,
                    mode,
                )
                return False
            elif mode == "queued":
                self._note(data)
                self._queue.append(data)
                self.async_write_state()
                return True
        self._note(data)
        self._async_start_run(data)
        return True

    @callback
    def _async_ignore(self, data: TriggerData) -> None:
        """Mode single: warn about the first trigger ignored in a run, count the others."""
        self._ignored += 1
        if self._ignored == 1:
            _LOGGER.warning(
                "%s: already running; %s ignored (mode single; more are counted until the "
                "run ends)",
                self.entity_id,
                data.description,
            )

    @callback
    def _async_report_ignored(self) -> None:
        if self._ignored > 1:
            _LOGGER.warning(
                "%s: run ended; %d triggers were ignored while it ran (mode single)",
                self.entity_id,
                self._ignored,
            )
        self._ignored = 0

    def _conditions_hold(self) -> bool:
        get = self.gw.states.get
        return all(condition_holds(condition, get) for condition in self.config.conditions)

    def _note(self, data: TriggerData) -> None:
        self._last_triggered = datetime.now(UTC).isoformat()
        self._last_trigger = data.description

    @callback
    def _async_start_run(self, data: TriggerData) -> None:
        _LOGGER.debug("%s: %s; running the actions", self.entity_id, data.description)
        run = Run(self.gw, self._link, self.entity_id, self.config.actions, data, self._on_change)
        self._runs.append(run)
        run.task.add_done_callback(functools.partial(self._async_run_done, run))
        self.async_write_state()

    @callback
    def _async_run_done(self, run: Run, _task: asyncio.Task[None]) -> None:
        run.finished = True
        if run in self._runs:
            self._runs.remove(run)
        if run in self._stopping:
            self._stopping.remove(run)
        if not self._runs:
            self._async_report_ignored()
        if self._queue and not self._runs:
            self._async_start_run(self._queue.popleft())
        else:
            self.async_write_state()
        self._on_change()

    @callback
    def _async_stop_runs(self) -> None:
        self._queue.clear()
        for run in self._runs:
            run.task.cancel()
        self._stopping.extend(self._runs)
        self._runs.clear()

    # -- state ------------------------------------------------------------------------------

    @property
    def attributes(self) -> dict[str, Any]:
        return {
            "id": self.config.id,
            "alias": self.config.alias,
            "mode": self.config.mode,
            "max": self.config.max_runs,
            "current": len(self._runs),
            "queued": len(self._queue),
            "last_triggered": self._last_triggered,
            "last_trigger": self._last_trigger,
        }

    @callback
    def async_write_state(self) -> None:
        state = STATE_ON if self._enabled else STATE_OFF
        self.gw.states.async_set(self.entity_id, state, self.attributes)
