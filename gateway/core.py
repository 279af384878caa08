"""The core: the Gateway object with its jobs, event bus, state machine and services.

Threading rule, carried by the names: `async_*` methods run in the event loop and must be called
from it; plain names are thread-safe and hand over to the loop; `@callback` marks a plain function
that is safe to run in the loop and never blocks.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import inspect
import logging
import threading
from collections.abc import Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from .clock import Clock, LoopClock
from .const import (
    EVENT_CALL_SERVICE,
    EVENT_GATEWAY_CLOSE,
    EVENT_GATEWAY_FINAL_WRITE,
    EVENT_GATEWAY_START,
    EVENT_GATEWAY_STARTED,
    EVENT_GATEWAY_STOP,
    EVENT_SERVICE_REGISTERED,
    EVENT_STATE_CHANGED,
    EXIT_OK,
)
from .event_data import (
    CallServiceData,
    EventType,
    NoEventData,
    ServiceRegisteredData,
    StateChangedData,
)
from .exceptions import InvalidEntityId, ServiceNotFound
from .executor import DEFAULT_MAX_WORKERS, GatewayExecutor, LoopDefaultExecutor
from .gateway_data import GatewayData
from .util.async_ import run_callback_threadsafe, run_coroutine_threadsafe
from .util.memory import release_free_memory

if TYPE_CHECKING:
    from .config.model import Config

__all__ = [
    "CoreState",
    "Event",
    "EventBus",
    "Gateway",
    "Job",
    "JobType",
    "ServiceCall",
    "ServiceRegistry",
    "State",
    "StateMachine",
    "callback",
    "is_callback",
    "split_entity_id",
]

_LOGGER = logging.getLogger(__name__)
_R = TypeVar("_R")
_CallableT = TypeVar("_CallableT", bound=Callable[..., Any])
# What an event carries: covariant (a listener of any mapping takes any event) and, by default,
# any mapping, so a listener that reads no data may be typed plain `Event`.
# (typing_extensions only for mypy: at run time the default is not needed, and importing it
# costs ~0.6 MB of resident memory on a small board.)
if TYPE_CHECKING:
    from typing_extensions import TypeVar as TypeVarWithDefault

    _DataT_co = TypeVarWithDefault(
        "_DataT_co", bound=Mapping[str, Any], default=Mapping[str, Any], covariant=True
    )
else:
    _DataT_co = TypeVar("_DataT_co", bound=Mapping[str, Any], covariant=True)
_DataT = TypeVar("_DataT", bound=Mapping[str, Any])

STOP_STAGE_TIMEOUT = 2.0
FINAL_WRITE_TIMEOUT = 1.0
EXECUTOR_SHUTDOWN_TIMEOUT = 1.0
IO_SHUTDOWN_TIMEOUT = 0.5
DEFAULT_IO_WORKERS = 2


def callback(func: _CallableT) -> _CallableT:
    """Mark a plain function as safe to run in the loop: it never blocks."""
    setattr(func, "_boardgate_callback", True)  # noqa: B010
    return func


def is_callback(func: Callable[..., Any]) -> bool:
    """Whether `func` was decorated with `@callback`."""
    return getattr(func, "_boardgate_callback", False) is True


class JobType(enum.Enum):
    """How a job's target is run."""

    CALLBACK = "callback"
    COROUTINE_FUNCTION = "coroutine_function"
    EXECUTOR = "executor"


def get_job_type(target: Callable[..., Any]) -> JobType:
    """Decide how to run `target`, looking through `functools.partial`."""
    check = target
    while isinstance(check, functools.partial):
        check = check.func
    if inspect.iscoroutine(check):
        raise ValueError("a coroutine object is not a job target; pass the function")
    if inspect.iscoroutinefunction(check):
        return JobType.COROUTINE_FUNCTION
    if is_callback(check):
        return JobType.CALLBACK
    return JobType.EXECUTOR


class Job(Generic[_R]):
    """A target with its kind decided once, so dispatching it costs nothing extra."""

    __slots__ = ("job_type", "name", "target")

    def __init__(self, target: Callable[..., _R], name: str | None = None) -> None:
        self.target = target
        self.name = name or getattr(target, "__qualname__", repr(target))
        self.job_type = get_job_type(target)

    def __repr__(self) -> str:
        return f"<Job {self.name} {self.job_type.value}>"


class CoreState(enum.Enum):
    """Life cycle of the gateway."""

    NOT_RUNNING = "not_running"
    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"
    FINAL_WRITE = "final_write"
    STOPPED = "stopped"


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _no_data() -> Any:
    return {}


@dataclass(frozen=True, slots=True)
class Event(Generic[_DataT_co]):
    """Something that happened, with its data (typed by the `EventType` it was fired as)."""

    event_type: str
    data: _DataT_co = field(default_factory=_no_data)
    time_fired: datetime = field(default_factory=_utcnow)


class EventBus:
    """Listeners per event type; `MATCH_ALL` listeners see every event."""

    MATCH_ALL = "*"

    def __init__(self, gw: Gateway) -> None:
        self._gw = gw
        self._listeners: dict[str, list[Job[Any]]] = {}

    @overload
    def async_fire(self, event_type: EventType[NoEventData]) -> None: ...
    @overload
    def async_fire(self, event_type: EventType[_DataT], data: _DataT) -> None: ...

    @callback
    def async_fire(self, event_type: EventType[_DataT], data: _DataT | None = None) -> None:
        """Fire an event; callback listeners run before this returns. Only an event that
        carries no data (`NoEventData`) may be fired without it."""
        self._async_fire(event_type, {} if data is None else data)

    @overload
    def fire(self, event_type: EventType[NoEventData]) -> None: ...
    @overload
    def fire(self, event_type: EventType[_DataT], data: _DataT) -> None: ...

    def fire(self, event_type: EventType[_DataT], data: _DataT | None = None) -> None:
        """Thread-safe `async_fire`."""
        self._gw.loop.call_soon_threadsafe(
            self._async_fire, event_type, {} if data is None else data
        )

    @callback
    def _async_fire(self, event_type: str, data: Mapping[str, Any]) -> None:
        event = Event(event_type, data)
        listeners = self._listeners.get(event_type, [])
        if event_type != EVENT_STATE_CHANGED:
            _LOGGER.debug("Event %s %s", event_type, event.data)
        for job in (*listeners, *self._listeners.get(self.MATCH_ALL, ())):
            try:
                self._gw.async_run_job(job, event)
            except Exception:
                _LOGGER.exception("Error in listener %s for %s", job.name, event_type)

    @callback
    def async_listen(
        self, event_type: EventType[_DataT], listener: Callable[[Event[_DataT]], Any]
    ) -> Callable[[], None]:
        """Call `listener(event)` for each event of this type; returns a remover."""
        job: Job[Any] = Job(listener)
        self._listeners.setdefault(event_type, []).append(job)

        @callback
        def remove() -> None:
            listeners = self._listeners.get(event_type, [])
            if job in listeners:
                listeners.remove(job)

        return remove

    @callback
    def async_listen_once(
        self, event_type: EventType[_DataT], listener: Callable[[Event[_DataT]], Any]
    ) -> Callable[[], None]:
        """Like `async_listen`, removed after the first event."""
        remove: Callable[[], None] | None = None
        job: Job[Any] = Job(listener)

        @callback
        def once(event: Event[_DataT]) -> None:
            if remove is not None:
                remove()
            self._gw.async_run_job(job, event)

        remove = self.async_listen(event_type, once)
        return remove

    def listen(
        self, event_type: EventType[_DataT], listener: Callable[[Event[_DataT]], Any]
    ) -> Callable[[], None]:
        """Thread-safe `async_listen`; the remover it returns is thread-safe too."""
        remove = run_callback_threadsafe(
            self._gw.loop, self.async_listen, event_type, listener
        ).result()

        def remove_threadsafe() -> None:
            run_callback_threadsafe(self._gw.loop, remove).result()

        return remove_threadsafe

    @callback
    def async_listener_count(self) -> dict[str, int]:
        """Listeners per event type (for diagnostics and leak checks)."""
        return {key: len(value) for key, value in self._listeners.items() if value}


def split_entity_id(entity_id: str) -> tuple[str, str]:
    """`switch.relay_1` → (`switch`, `relay_1`); raises InvalidEntityId."""
    domain, sep, object_id = entity_id.partition(".")
    if not sep or not domain or not object_id:
        raise InvalidEntityId(f"invalid entity id: {entity_id!r}")
    return domain, object_id


@dataclass(frozen=True, slots=True)
class State:
    """An entity's state: a string plus read-only attributes and two timestamps."""

    entity_id: str
    state: str
    attributes: Mapping[str, Any]
    last_changed: datetime
    last_updated: datetime

    @property
    def domain(self) -> str:
        return split_entity_id(self.entity_id)[0]

    def as_dict(self) -> dict[str, Any]:
        return {
            "entity_id": self.entity_id,
            "state": self.state,
            "attributes": dict(self.attributes),
            "last_changed": self.last_changed.isoformat(),
            "last_updated": self.last_updated.isoformat(),
        }


class StateMachine:
    """The current state of every entity; changes fire `state_changed`."""

    def __init__(self, bus: EventBus, loop: asyncio.AbstractEventLoop) -> None:
        self._bus = bus
        self._loop = loop
        self._states: dict[str, State] = {}

    @callback
    def get(self, entity_id: str) -> State | None:
        return self._states.get(entity_id)

    @callback
    def async_all(self, domain: str | None = None) -> list[State]:
        if domain is None:
            return list(self._states.values())
        return [state for state in self._states.values() if state.domain == domain]

    @callback
    def async_entity_ids(self) -> list[str]:
        return list(self._states)

    @callback
    def async_set(
        self,
        entity_id: str,
        new_state: str,
        attributes: Mapping[str, Any] | None = None,
        force_update: bool = False,
    ) -> State:
        """Set a state; fires `state_changed` unless nothing changed (or forced)."""
        split_entity_id(entity_id)
        attrs = MappingProxyType(dict(attributes or {}))
        old = self._states.get(entity_id)
        same_state = old is not None and old.state == new_state
        if same_state and old is not None and not force_update and old.attributes == attrs:
            return old
        now = _utcnow()
        last_changed = old.last_changed if same_state and old is not None else now
        state = State(entity_id, new_state, attrs, last_changed, now)
        self._states[entity_id] = state
        changed: StateChangedData = {"entity_id": entity_id, "old_state": old, "new_state": state}
        self._bus.async_fire(EVENT_STATE_CHANGED, changed)
        return state

    def set(
        self, entity_id: str, new_state: str, attributes: Mapping[str, Any] | None = None
    ) -> State:
        """Thread-safe `async_set`."""
        return run_callback_threadsafe(
            self._loop, self.async_set, entity_id, new_state, attributes
        ).result()

    @callback
    def async_remove(self, entity_id: str) -> bool:
        """Forget an entity's state; fires `state_changed` with `new_state` None."""
        old = self._states.pop(entity_id, None)
        if old is None:
            return False
        removed: StateChangedData = {"entity_id": entity_id, "old_state": old, "new_state": None}
        self._bus.async_fire(EVENT_STATE_CHANGED, removed)
        return True


@dataclass(frozen=True, slots=True)
class ServiceCall:
    """A request to run a service, with its data."""

    domain: str
    service: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class _Service:
    job: Job[Any]
    schema: Callable[[Any], Any] | None


class ServiceRegistry:
    """Services registered per domain, called by name."""

    def __init__(self, gw: Gateway) -> None:
        self._gw = gw
        self._services: dict[str, dict[str, _Service]] = {}

    @callback
    def async_register(
        self,
        domain: str,
        service: str,
        handler: Callable[[ServiceCall], Any],
        schema: Callable[[Any], Any] | None = None,
    ) -> None:
        """Register `handler` as `domain.service`; `schema` validates the call's data."""
        self._services.setdefault(domain, {})[service] = _Service(Job(handler), schema)
        registered: ServiceRegisteredData = {"domain": domain, "service": service}
        self._gw.bus.async_fire(EVENT_SERVICE_REGISTERED, registered)

    @callback
    def async_remove(self, domain: str, service: str) -> None:
        self._services.get(domain, {}).pop(service, None)

    @callback
    def has_service(self, domain: str, service: str) -> bool:
        return service in self._services.get(domain, {})

    @callback
    def async_services(self) -> dict[str, list[str]]:
        return {domain: sorted(services) for domain, services in self._services.items()}

    async def async_call(
        self, domain: str, service: str, data: Mapping[str, Any] | None = None
    ) -> Any:
        """Run a service and wait for it; raises ServiceNotFound or the schema's error."""
        try:
            handler = self._services[domain][service]
        except KeyError:
            raise ServiceNotFound(domain, service) from None
        payload: Mapping[str, Any] = data or {}
        if handler.schema is not None:
            payload = handler.schema(dict(payload))
        call = ServiceCall(domain, service, payload)
        called: CallServiceData = {"domain": domain, "service": service}
        self._gw.bus.async_fire(EVENT_CALL_SERVICE, called)
        if handler.job.job_type is JobType.CALLBACK:
            return handler.job.target(call)
        if handler.job.job_type is JobType.COROUTINE_FUNCTION:
            # Awaited in the caller's task: a task of its own would only add a loop iteration
            # to every command (the caller awaits the result either way).
            return await handler.job.target(call)
        future = self._gw.async_run_job(handler.job, call)
        assert future is not None  # coroutine functions and executor jobs give a future
        return await future

    def call(self, domain: str, service: str, data: Mapping[str, Any] | None = None) -> Any:
        """Thread-safe `async_call`: blocks the calling thread until the service ran."""
        return run_coroutine_threadsafe(
            self.async_call(domain, service, data), self._gw.loop
        ).result()


class Gateway:
    """The root object: loop, thread pool, bus, states, services and life cycle.

    Create it inside a running event loop. `clock` defaults to the loop's clock; tests pass a
    `FakeClock`.
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        executor_workers: int = DEFAULT_MAX_WORKERS,
        executor_timeout: float = 10.0,
    ) -> None:
        self.loop = asyncio.get_running_loop()
        self.loop_thread_id = threading.get_ident()
        self.clock: Clock = clock or LoopClock(self.loop)
        self.executor = GatewayExecutor(
            executor_workers, "boardgate-worker", on_retire=release_free_memory
        )
        # Libraries (aiomqtt's connect, getaddrinfo) use the loop's default executor: give it
        # named daemon threads, and a deadline at the end of `asyncio.run`, so a stuck call
        # there (a slow DNS lookup) is recognisable and does not hold the exit.
        self.loop.set_default_executor(
            LoopDefaultExecutor(
                GatewayExecutor(DEFAULT_IO_WORKERS, "boardgate-io", idle_timeout=None),
                IO_SHUTDOWN_TIMEOUT,
            )
        )
        self.executor_timeout = executor_timeout
        self.bus = EventBus(self)
        self.states = StateMachine(self.bus, self.loop)
        self.services = ServiceRegistry(self)
        self.data = GatewayData()
        self.config: Config | None = None
        self.state = CoreState.NOT_RUNNING
        self.exit_code = EXIT_OK
        self._tasks: set[asyncio.Future[Any]] = set()
        self._background_tasks: set[asyncio.Task[Any]] = set()
        self._stopped = asyncio.Event()
        self._stop_task: asyncio.Task[None] | None = None

    # -- jobs -------------------------------------------------------------------------------

    @callback
    def async_run_job(
        self, target: Job[Any] | Callable[..., Any], *args: Any
    ) -> asyncio.Future[Any] | None:
        """Run now if a callback, as a task if a coroutine function, else in the pool."""
        job = target if isinstance(target, Job) else Job(target)
        if job.job_type is JobType.CALLBACK:
            job.target(*args)
            return None
        return self._async_dispatch(job, args)

    @callback
    def async_add_job(
        self, target: Job[Any] | Callable[..., Any], *args: Any
    ) -> asyncio.Future[Any] | None:
        """Like `async_run_job`, but a callback is scheduled with `call_soon`."""
        job = target if isinstance(target, Job) else Job(target)
        if job.job_type is JobType.CALLBACK:
            self.loop.call_soon(job.target, *args)
            return None
        return self._async_dispatch(job, args)

    def _async_dispatch(self, job: Job[Any], args: tuple[Any, ...]) -> asyncio.Future[Any]:
        if job.job_type is JobType.COROUTINE_FUNCTION:
            return self.async_create_task(job.target(*args), name=job.name)
        return self.async_add_executor_job(job.target, *args)

    def add_job(self, target: Job[Any] | Callable[..., Any], *args: Any) -> None:
        """Thread-safe: hand `target` to the loop, where it runs as `async_add_job`."""
        self.loop.call_soon_threadsafe(self.async_add_job, target, *args)

    @callback
    def async_add_executor_job(self, target: Callable[..., _R], *args: Any) -> asyncio.Future[_R]:
        """Run a blocking function in the bounded pool; tracked by `async_block_till_done`."""
        future = self.loop.run_in_executor(self.executor, target, *args)
        self._track(future)
        return future

    async def async_run_in_executor_with_timeout(
        self, target: Callable[..., _R], *args: Any, timeout: float | None = None
    ) -> _R:
        """Run in the pool and wait at most `timeout` (default: `executor_timeout`).

        Raises TimeoutError; the worker thread may still be busy afterwards.
        """
        future = self.async_add_executor_job(target, *args)
        return await asyncio.wait_for(future, timeout or self.executor_timeout)

    @callback
    def async_create_task(
        self, coro: Coroutine[Any, Any, _R], name: str | None = None
    ) -> asyncio.Task[_R]:
        """Start a task the gateway tracks and waits for on stop."""
        task = self.loop.create_task(coro, name=name)
        self._track(task)
        return task

    @callback
    def async_create_background_task(
        self, coro: Coroutine[Any, Any, _R], name: str
    ) -> asyncio.Task[_R]:
        """Start a long-running task; it is cancelled, not awaited, on stop."""
        task = self.loop.create_task(coro, name=name)
        self._background_tasks.add(task)
        task.add_done_callback(self._background_tasks.discard)
        return task

    def create_task(self, coro: Coroutine[Any, Any, Any], name: str | None = None) -> None:
        """Thread-safe `async_create_task`."""
        self.loop.call_soon_threadsafe(functools.partial(self.async_create_task, coro, name))

    def _track(self, future: asyncio.Future[Any]) -> None:
        self._tasks.add(future)
        future.add_done_callback(self._tasks.discard)

    @callback
    def async_untrack(self, future: asyncio.Future[Any]) -> None:
        """Stop waiting for `future` in `async_block_till_done` (e.g. a hung driver call)."""
        self._tasks.discard(future)

    async def async_block_till_done(self) -> None:
        """Wait until every tracked task and executor job is done (for tests)."""
        await asyncio.sleep(0)
        current = asyncio.current_task()
        while pending := [task for task in self._tasks if task is not current]:
            # FIRST_COMPLETED, then look again: a job may have been untracked meanwhile.
            await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            await asyncio.sleep(0)

    def block_till_done(self) -> None:
        """Thread-safe `async_block_till_done`."""
        run_coroutine_threadsafe(self.async_block_till_done(), self.loop).result()

    # -- life cycle -------------------------------------------------------------------------

    async def async_start(self) -> None:
        """Fire the start events and enter RUNNING."""
        self.state = CoreState.STARTING
        self.bus.async_fire(EVENT_GATEWAY_START)
        await self.async_block_till_done()
        self.state = CoreState.RUNNING
        self.bus.async_fire(EVENT_GATEWAY_STARTED)

    async def async_stop(self, exit_code: int = EXIT_OK) -> None:
        """Stop in stages: stop → final write → close → executor shutdown.

        `gateway_stop` listeners run first (automations stop, outputs go to `on_stop`), then
        background tasks are cancelled; `gateway_final_write` is for flushing (MQTT publishes
        `offline`), `gateway_close` for closing connections. Tracked tasks get a bounded wait
        per stage; a stuck executor thread is named in the log and left behind instead of
        hanging the stop.
        """
        if self.state in (CoreState.STOPPING, CoreState.FINAL_WRITE, CoreState.STOPPED):
            await self._stopped.wait()
            return
        self.exit_code = exit_code
        self.state = CoreState.STOPPING
        await self._async_stage(EVENT_GATEWAY_STOP, STOP_STAGE_TIMEOUT)
        await self._cancel_background_tasks()
        self.state = CoreState.FINAL_WRITE
        await self._async_stage(EVENT_GATEWAY_FINAL_WRITE, FINAL_WRITE_TIMEOUT)
        self.bus.async_fire(EVENT_GATEWAY_CLOSE)
        await self._cancel_tracked_tasks()
        await self._async_shutdown_executor()
        self.state = CoreState.STOPPED
        self._stopped.set()

    @callback
    def async_request_stop(self, exit_code: int = EXIT_OK) -> None:
        """Start `async_stop` in a task the gateway owns (from a signal handler, say)."""
        if self._stop_task is None:
            self._stop_task = self.loop.create_task(self.async_stop(exit_code), name="stop")

    async def async_wait_stopped(self) -> int:
        """Wait until `async_stop` has finished; returns the exit code."""
        await self._stopped.wait()
        return self.exit_code

    async def _async_stage(self, event_type: EventType[NoEventData], timeout: float) -> None:
        self.bus.async_fire(event_type)
        try:
            await asyncio.wait_for(self.async_block_till_done(), timeout)
        except TimeoutError:
            names = ", ".join(sorted(_describe(task) for task in self._tasks))
            _LOGGER.warning("Timed out during %s waiting for: %s", event_type, names)
            # Executor jobs still running now are stuck; later stages do not wait for them.
            for job in [task for task in self._tasks if not isinstance(task, asyncio.Task)]:
                self._tasks.discard(job)

    async def _cancel_background_tasks(self) -> None:
        await _cancel_all(self._background_tasks)

    async def _cancel_tracked_tasks(self) -> None:
        current = asyncio.current_task()
        await _cancel_all(
            {task for task in self._tasks if isinstance(task, asyncio.Task) and task is not current}
        )

    async def _async_shutdown_executor(self) -> None:
        """Join the pool in a throwaway thread so the loop stays responsive."""
        done: asyncio.Future[list[str]] = self.loop.create_future()

        def join() -> None:
            stuck = self.executor.shutdown_with_deadline(EXECUTOR_SHUTDOWN_TIMEOUT)
            self.loop.call_soon_threadsafe(_set_result_if_pending, done, stuck)

        threading.Thread(target=join, name="boardgate-executor-shutdown", daemon=True).start()
        await done


def _set_result_if_pending(future: asyncio.Future[_R], result: _R) -> None:
    if not future.done():
        future.set_result(result)


def _describe(task: asyncio.Future[Any]) -> str:
    if isinstance(task, asyncio.Task):
        return task.get_name()
    return "an executor job"


async def _cancel_all(tasks: Iterable[asyncio.Task[Any]]) -> None:
    pending = [task for task in tasks if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending, timeout=STOP_STAGE_TIMEOUT)
