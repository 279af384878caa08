"""Running an automation's actions: one `Run` per trigger, each a task the automation owns.

A run parks on a future while it waits (a `delay`, a `wait_for_trigger`); `idle` tells tests
and the component that nothing will happen until the clock moves or a trigger fires.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from ..core import Gateway, callback
from ..event import async_call_later
from ..user_errors import log_failure
from .action_config import (
    Action,
    DelayAction,
    MqttPublishAction,
    ServiceAction,
    WaitForTriggerAction,
)
from .mqtt_link import MqttLink
from .triggers import TriggerData, async_attach_trigger

__all__ = ["Run", "describe_action"]

_LOGGER = logging.getLogger(__name__)
_T = TypeVar("_T")


class _StopRun(Exception):
    """Ends a run quietly (a `wait_for_trigger` timed out without `continue_on_timeout`)."""


def describe_action(action: Action) -> str:
    if isinstance(action, ServiceAction):
        return f"service {action.domain}.{action.service}"
    if isinstance(action, MqttPublishAction):
        return f"mqtt.publish to {action.topic}"
    if isinstance(action, DelayAction):
        return f"delay {action.seconds:g} s"
    return "wait_for_trigger"


class Run:
    """One execution of `actions`, started at once as a task named after the automation.

    An action that raises is logged with the automation's entity id and ends this run only.
    Cancelling the task stops the run at its current action (timers and listeners released).
    """

    def __init__(
        self,
        gw: Gateway,
        link: MqttLink,
        entity_id: str,
        actions: tuple[Action, ...],
        trigger: TriggerData,
        on_park: Callable[[], None],
    ) -> None:
        self._gw = gw
        self._link = link
        self.entity_id = entity_id
        self.trigger = trigger
        self._actions = actions
        self._on_park = on_park
        self._waiting: asyncio.Future[Any] | None = None
        self.finished = False  # set by the owner once it has handled the task's end
        self.task = gw.async_create_background_task(self._async_run(), name=entity_id)

    @property
    def idle(self) -> bool:
        """Finished, or waiting for the clock or a trigger."""
        waiting = self._waiting
        return self.finished or (waiting is not None and not waiting.done())

    async def _async_run(self) -> None:
        for index, action in enumerate(self._actions, start=1):
            if self.task.cancelling():
                # Cancelled by a step that never suspended (a callback service turning this
                # automation off): stop before the next action, not at some later await.
                raise asyncio.CancelledError
            try:
                await self._async_step(action)
            except _StopRun as stop:
                _LOGGER.info("%s: stopped at action %d: %s", self.entity_id, index, stop)
                return
            except Exception as exc:  # a bug gets a traceback, a user error one line
                log_failure(
                    _LOGGER,
                    exc,
                    "%s: action %d (%s) failed",
                    self.entity_id,
                    index,
                    describe_action(action),
                )
                return

    async def _async_step(self, action: Action) -> None:
        if isinstance(action, ServiceAction):
            data = dict(action.data)
            if action.entity_ids:
                data["entity_id"] = list(action.entity_ids)
            await self._gw.services.async_call(action.domain, action.service, data)
        elif isinstance(action, MqttPublishAction):
            self._link.async_publish(action.topic, action.payload, action.qos, action.retain)
        elif isinstance(action, DelayAction):
            await self._async_delay(action.seconds)
        else:
            await self._async_wait_for_trigger(action)

    async def _async_delay(self, seconds: float) -> None:
        done: asyncio.Future[None] = self._gw.loop.create_future()
        cancel = async_call_later(self._gw, seconds, callback(lambda _now: _resolve(done, None)))
        try:
            await self._park(done)
        finally:
            cancel()

    async def _async_wait_for_trigger(self, action: WaitForTriggerAction) -> None:
        fired: asyncio.Future[TriggerData | None] = self._gw.loop.create_future()

        @callback
        def on_trigger(data: TriggerData) -> None:
            _resolve(fired, data)

        removers: list[Callable[[], None]] = []
        try:
            for trigger in action.triggers:
                removers.append(async_attach_trigger(self._gw, self._link, trigger, on_trigger))
            if action.timeout is not None:
                removers.append(
                    async_call_later(
                        self._gw, action.timeout, callback(lambda _now: _resolve(fired, None))
                    )
                )
            result = await self._park(fired)
        finally:
            for remove in removers:
                remove()
        if result is None and not action.continue_on_timeout:
            raise _StopRun(f"wait_for_trigger timed out after {action.timeout:g} s")

    async def _park(self, future: asyncio.Future[_T]) -> _T:
        self._waiting = future
        self._on_park()
        try:
            return await future
        finally:
            self._waiting = None


def _resolve(future: asyncio.Future[_T], value: _T) -> None:
    if not future.done():
        future.set_result(value)
