"""The broker connection: one owned task that connects, serves, and reconnects with backoff.

The gateway never waits for the broker: publishes go through `Outgoing` (outgoing.py), which
the connection attaches to a connected paho client once its subscriptions are acknowledged and
detaches when the connection is lost; incoming messages are delivered by the `Subscriber`
(subscriber.py), called from paho's read through the dispatch queue (client.py).

On every connection, `online` means ready (DESIGN): every filter is subscribed and its SUBACK
received, then what waited in the outbox and every entity's state go out (the on-connect
hooks), then `<b>/status` = `online`, then the on-online hooks (discovery). A gateway that is
still being set up holds `online` back until `gateway_started`: entities and the bridge's
request topics exist (and are acknowledged) before anyone is told to use them.

With several brokers (`mqtt.host` as a list), a failed attempt moves on to the next broker, in
order and round, with the same backoff, except that a broker that answered but closed the
connection before its CONNACK gets one more attempt first (a NATS node refuses a CONNECT
while JetStream elects leaders, then works); after a lost connection the first retry goes to
the same broker (a restart or a cluster's hiccup: it probably still works, and a broker that does
not share sessions keeps ours), so the gateway stays on whichever works. `failovers` counts
connections made to another broker than the one before.

After losing a connection that had lasted (`STABLE_AFTER`), the first retry waits a random
0-1 s ("full jitter", `hardware.backoff`), so a fleet whose broker restarted does not come
back in the same instant.

A connection taken over by another client with our client id (MQTT 5 reason 0x8E, or, as
mosquitto 2.0 gives no reason, one lost soon after it was made: see `_taken_over`) does not
reset the backoff, so two gateways sharing a client id slow down instead of flapping; a hint
about the shared client id is logged once.

The task is not a gateway background task: those are cancelled right after `gateway_stop`, and
the connection must live through the final write (flush, `offline`, clean disconnect). A
connect attempt still under way is abandoned when the stop begins; the task is cancelled on
`gateway_close` if it has not finished by then.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

import aiomqtt

from ..clock import async_sleep_unless
from ..const import EVENT_GATEWAY_STARTED
from ..core import CoreState, Event, Gateway, Job, callback
from ..util.backoff import BACKOFF_INITIAL, Backoff
from .client import (
    CONNECT_TIMEOUT,
    SESSION_TAKEN_OVER,
    ClosedBeforeConnack,
    GatewayClient,
    build_client,
    call_when_drained,
    dispatch_queue_type,
)
from .models import MqttStats, ReceiveMessage
from .outgoing import Outgoing
from .subscriber import SUBSCRIBE_WINDOW, Subscriber

if TYPE_CHECKING:
    from ..config.model import BrokerAddress, MqttConfig

__all__ = ["MqttConnection"]

_LOGGER = logging.getLogger(__name__)

GOODBYE_TIMEOUT = 0.6  # publish `offline` and wait for its PUBACK (the final write has 1 s)
DISCONNECT_TIMEOUT = 0.2
FINAL_WRITE_BUDGET = 0.9
STABLE_AFTER = 10.0  # a connection lost sooner may have been taken over
# Full jitter for the first retry after a stable connection is lost; the fleet benchmark
# turns it off to measure the policy before it (tests/bench/fleet.py).
FULL_JITTER_AFTER_LOSS = True
FLAPS_BEFORE_HINT = 2
SHARED_CLIENT_ID_HINT = (
    "Another MQTT client probably uses the same client_id %r: the broker took %d connections "
    "in a row over soon after they were made; give each gateway its own mqtt.client_id"
)


async def _async_unless(
    work: Coroutine[Any, Any, object], interrupt: asyncio.Future[None], name: str
) -> bool:
    """Run `work` as a task until it ends or `interrupt` is done (then cancel it and wait for
    that). True when `work` ran to its end; raises what `work` raised.

    The task is dropped before its result is read: a raised error's traceback holds this
    frame, and without the task in it there is no cycle, so paho's socket of a failed TLS
    handshake is freed at once (`_async_failed`)."""
    task = asyncio.get_running_loop().create_task(work, name=name)
    try:
        await asyncio.wait((task, interrupt), return_when=asyncio.FIRST_COMPLETED)
    finally:
        if not task.done():
            task.cancel()
            await asyncio.wait((task,))
    if task.cancelled():
        return False
    try:
        task.result()
    finally:
        del task
    return True


class MqttConnection:
    """Owns the client's life cycle, the subscriber and the outgoing side; see the module
    docstring."""

    def __init__(
        self, gw: Gateway, config: MqttConfig, status_topic: str, backoff: Backoff | None = None
    ) -> None:
        self.gw = gw
        self.config = config
        self.status_topic = status_topic
        self._backoff = backoff or Backoff()
        self.subscriber = Subscriber(
            config.protocol == "5", self._async_subscriptions_synced, gw.async_run_job
        )
        self.outgoing = Outgoing(gw.loop, config.outbox_size, lambda: self.subscriber.in_sync)
        self._queue_type = dispatch_queue_type(self.subscriber.async_dispatch)
        self._client: GatewayClient | None = None
        self._ready = False
        self._online = False
        # A gateway still being set up is not ready: `online` waits for `gateway_started`.
        self._online_allowed = gw.state is CoreState.RUNNING
        self._on_connect: list[Job[Any]] = []
        self._on_online: list[Job[Any]] = []
        self._listeners: list[Callable[[], None]] = []
        self._task: asyncio.Task[None] | None = None
        self._stop: asyncio.Future[None] = gw.loop.create_future()
        self._connections = 0
        self._attempts = 0
        self._connected_at = 0.0
        self._flaps = 0  # connections in a row that were probably taken over
        self._hinted_shared_id = False
        self._failures = 0
        self._brokers = config.brokers
        self._target = 0  # index in `_brokers` of the next attempt
        self._broker: BrokerAddress | None = None  # of the current connection
        self._last_broker: BrokerAddress | None = None  # of the last connection made
        self._failovers = 0
        self._second_chance = True  # the current target may close before a CONNACK once
        self.last_error: Exception | None = None
        self.connect_timeout = CONNECT_TIMEOUT

    # -- state --------------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """True once subscribed on a connection, until it is lost or says goodbye."""
        return self.outgoing.attached

    @property
    def backed_up(self) -> bool:
        """Connected, but publishes wait for the socket (see `Outgoing.backed_up`)."""
        return self.outgoing.backed_up

    @property
    def ready(self) -> bool:
        """Connected, resubscribed and republished."""
        return self._ready

    @property
    def online(self) -> bool:
        """Ready, and `online` has been published on this connection."""
        return self._online

    @property
    def attempts(self) -> int:
        """Connection attempts made so far, successful or not."""
        return self._attempts

    @property
    def in_sync(self) -> bool:
        """Ready, and every subscription change has been acknowledged by the broker."""
        return self._ready and self.subscriber.in_sync

    @property
    def broker(self) -> BrokerAddress | None:
        """The broker of the current connection (None while disconnected)."""
        return self._broker

    @property
    def failovers(self) -> int:
        """Connections made to another broker than the one before."""
        return self._failovers

    @property
    def failures(self) -> int:
        """Connection attempts that failed since the last successful one."""
        return self._failures

    @callback
    def async_stats(self) -> MqttStats:
        """A snapshot of the counters for the health topic."""
        return MqttStats(
            connected=self.connected,
            reconnects=max(0, self._connections - 1),
            published=self.outgoing.published,
            received=self.subscriber.received,
            dropped=self.outgoing.dropped,
            queued=self.outgoing.queued,
            attempts=self._attempts,
            broker=None if self._broker is None else str(self._broker),
            failovers=self._failovers,
        )

    @callback
    def async_add_listener(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call `listener()` whenever `ready`, `in_sync` or `failures` may have changed."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    @callback
    def async_on_connect(self, target: Callable[[], Any]) -> Callable[[], None]:
        """Run `target()` after every (re)connect, once resubscribed and before `online`
        (to republish states); a `@callback` target runs before `online` is published."""
        return self._async_add_hook(self._on_connect, target)

    @callback
    def async_on_online(self, target: Callable[[], Any]) -> Callable[[], None]:
        """Run `target()` right after `online` is published (discovery)."""
        return self._async_add_hook(self._on_online, target)

    @staticmethod
    def _async_add_hook(hooks: list[Job[Any]], target: Callable[[], Any]) -> Callable[[], None]:
        job: Job[Any] = Job(target)
        hooks.append(job)
        return lambda: hooks.remove(job) if job in hooks else None

    @callback
    def _async_run_hooks(self, hooks: list[Job[Any]]) -> None:
        for job in list(hooks):
            try:
                self.gw.async_run_job(job)
            except Exception:
                _LOGGER.exception("Error in MQTT connection hook %s", job.name)

    def _notify(self) -> None:
        for listener in list(self._listeners):
            try:
                listener()
            except Exception:
                _LOGGER.exception("Error in MQTT connection listener %s", listener)

    # -- publishing ---------------------------------------------------------------------------

    @callback
    def async_publish(self, topic: str, payload: bytes, qos: int, retain: bool) -> None:
        """Publish without waiting; queued in the outbox while disconnected.

        While a subscription change is on its way to the broker, publishes wait for its
        acknowledgement: whatever is published after `async_subscribe` returns reaches the
        broker after the subscription is active (a state seen means its commands are heard).
        """
        self.outgoing.async_publish(topic, payload, qos, retain)

    @callback
    def async_when_writable(self, target: Callable[[], None]) -> None:
        """Call `target()` once, when the connection is no longer `backed_up`, is lost, or
        stops (a producer paused for it must not stay paused through an outage)."""
        self.outgoing.async_when_writable(target)

    @callback
    def _async_subscriptions_synced(self) -> None:
        """Release the publishes held during a subscription change, in order."""
        self.outgoing.async_release_held()
        self._notify()

    # -- subscriptions ------------------------------------------------------------------------

    @callback
    def async_subscribe(
        self, topic_filter: str, msg_callback: Callable[[ReceiveMessage], Any], qos: int = 1
    ) -> Callable[[], None]:
        """Deliver messages matching `topic_filter` to `msg_callback`; returns an unsubscriber.

        Raises ValueError for an invalid filter or QoS. Subscriptions survive reconnects.
        """
        return self.subscriber.async_add(topic_filter, msg_callback, qos)

    @callback
    def async_filters(self) -> list[str]:
        """The distinct filters subscribed (for diagnostics and tests)."""
        return self.subscriber.filters()

    # -- life cycle ---------------------------------------------------------------------------

    @callback
    def async_start(self) -> None:
        """Start connecting in the background; returns at once."""
        if not self._online_allowed:
            self.gw.bus.async_listen_once(EVENT_GATEWAY_STARTED, self._async_gateway_started)
        self._task = self.gw.loop.create_task(self._async_run(), name="mqtt connection")

    @callback
    def _async_gateway_started(self, _event: Event) -> None:
        """Every entity and subscription of the start-up exists: `online` may be told."""
        self._online_allowed = True
        if self._ready and not self._online:
            self._async_go_online()

    async def async_final_write(self, _event: Event | None = None) -> None:
        """Flush, publish `offline` and disconnect; gives up after `FINAL_WRITE_BUDGET`."""
        if not self._stop.done():
            self._stop.set_result(None)
        if self._task is not None and not self._task.done():
            await asyncio.wait({self._task}, timeout=FINAL_WRITE_BUDGET)

    @callback
    def async_close(self, _event: Event | None = None) -> None:
        """Cancel whatever is left of the connection task."""
        if not self._stop.done():
            self._stop.set_result(None)
        if self._task is not None and not self._task.done():
            _LOGGER.warning("MQTT connection did not close in time; cancelling it")
            if self._client is not None:
                self._client.drop()  # no clean DISCONNECT: the will says `offline`
            self._task.cancel()

    async def _async_run(self) -> None:
        while not self._stop.done():
            connections = self._connections
            self._attempts += 1
            client = build_client(
                self.config,
                self.status_topic,
                self._queue_type,
                self.connect_timeout,
                self._brokers[self._target],
            )
            call_when_drained(client, self.outgoing.async_socket_drained)
            try:
                await self._async_connect_and_serve(client)
            except aiomqtt.MqttError as err:
                if self._stop.done():
                    break
                if connections == self._connections:
                    self._async_failed(err)
                else:
                    self._async_lost(client)
            except Exception as err:
                _LOGGER.exception("Unexpected error in the MQTT connection")
                self._async_failed(err)
            if self._stop.done():
                break
            await self._async_wait_backoff()

    async def _async_connect_and_serve(self, client: GatewayClient) -> None:
        if not await self._async_connect(client):
            return
        try:
            await self._async_connected(client)
            if await self._async_serve(client):
                await self._async_goodbye(client)
        finally:
            self._async_disconnected()
            await client.__aexit__(None, None, None)

    async def _async_connect(self, client: GatewayClient) -> bool:
        """Connect, unless a stop comes first (a slow DNS lookup must not hold the stop; the
        executor thread may go on resolving, nobody waits for it). Raises the MqttError of a
        failed attempt."""
        return await _async_unless(client.__aenter__(), self._stop, "mqtt connect")

    async def _async_connected(self, client: GatewayClient) -> None:
        """Resubscribe (SUBACKs awaited), flush, republish, then `online` (module docstring)."""
        self._client = client
        self._connections += 1
        self._connected_at = self.gw.clock.time()
        self._async_arrived(self._brokers[self._target])
        if self._failures or self._connections > 1:
            _LOGGER.info("Connected to the MQTT broker at %s", self._address)
        self._failures = 0
        self.last_error = None
        client.pending_calls_threshold = 2 * SUBSCRIBE_WINDOW
        # Until the SUBACKs are in, publishes wait in the outbox, so they keep their order.
        await self._async_unless_lost(client, self.subscriber.async_attach(client))
        self.outgoing.async_attach(client.paho)
        self._async_run_hooks(self._on_connect)
        self._ready = True
        if self._online_allowed:
            self._async_go_online()
        self._notify()

    async def _async_unless_lost(
        self, client: GatewayClient, work: Coroutine[Any, Any, None]
    ) -> None:
        """Run `work`, but raise MqttError as soon as the connection is lost: aiomqtt would
        wait for a SUBACK that cannot come until its timeout."""
        if not await _async_unless(work, client.lost, "mqtt resubscribe"):
            raise aiomqtt.MqttError("Lost the connection while resubscribing")

    @callback
    def _async_go_online(self) -> None:
        """`online` after everything published so far (held ones included), then discovery."""
        self._online = True
        self.async_publish(self.status_topic, b"online", 1, True)
        self._async_run_hooks(self._on_online)

    async def _async_serve(self, client: GatewayClient) -> bool:
        """Wait until the connection drops (raises MqttError) or a stop is asked (True)."""
        reader = self.gw.loop.create_task(self._async_read(client), name="mqtt reader")
        try:
            await asyncio.wait((reader, self._stop), return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not reader.done():
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reader
        if reader.done() and not reader.cancelled():
            reader.result()  # raises the MqttError that ended the iteration
        return self._stop.done()

    @staticmethod
    async def _async_read(client: GatewayClient) -> None:
        # Messages are dispatched by the queue as they arrive; this only ends on disconnect.
        async for _message in client.messages:
            pass

    async def _async_goodbye(self, client: GatewayClient) -> None:
        """Publish `offline` and wait for its PUBACK: everything before it is then flushed."""
        self.outgoing.async_flush_and_detach()
        self._notify()  # no longer connected for publishers
        offline = self.gw.loop.create_task(
            client.publish(
                self.status_topic, b"offline", qos=1, retain=True, timeout=GOODBYE_TIMEOUT
            ),
            name="mqtt offline",
        )
        # A broker that dies meanwhile sends no PUBACK: stop waiting for one at once.
        await asyncio.wait((offline, client.lost), return_when=asyncio.FIRST_COMPLETED)
        if not offline.done():
            offline.cancel()
            _LOGGER.warning("Could not publish offline: the connection was lost while stopping")
        elif (error := offline.exception()) is not None:
            _LOGGER.warning("Could not publish offline before disconnecting: %s", error)
            if not await self._async_say_offline_at_qos0(client):
                client.drop()  # no clean DISCONNECT: the broker publishes the will instead
        client.timeout = DISCONNECT_TIMEOUT

    async def _async_say_offline_at_qos0(self, client: aiomqtt.Client) -> bool:
        """`offline` again, at QoS 0: it skips paho's in-flight window (full when PUBACKs are
        stuck behind an incoming flood) and is written before the DISCONNECT, which would
        otherwise leave `online` retained with no will sent. False when it was not written."""
        try:
            await client.publish(
                self.status_topic, b"offline", qos=0, retain=True, timeout=DISCONNECT_TIMEOUT
            )
        except aiomqtt.MqttError:
            return False
        return True

    @callback
    def _async_arrived(self, broker: BrokerAddress) -> None:
        """Count a failover: connected to another broker than the last time."""
        if self._last_broker is not None and broker != self._last_broker:
            self._failovers += 1
            _LOGGER.info("Failed over from the MQTT broker at %s to %s", self._last_broker, broker)
        self._broker = self._last_broker = broker
        self._second_chance = True

    @callback
    def _async_next_broker(self) -> None:
        """The next attempt goes to the next broker of the list (round), after a failure."""
        self._target = (self._target + 1) % len(self._brokers)
        self._second_chance = True

    @callback
    def _async_disconnected(self) -> None:
        was_ready = self._ready
        self._broker = None
        self._client = None
        self._ready = False
        self._online = False
        self.subscriber.async_detach()
        self.outgoing.async_detach()
        if was_ready and not self._stop.done():
            _LOGGER.warning("Lost the connection to the MQTT broker at %s", self._address)
        self._notify()

    @callback
    def _async_failed(self, err: Exception) -> None:
        # paho leaves the socket of a failed TLS handshake in the chained exception's
        # traceback; let it go now rather than whenever `last_error` is replaced.
        err.__context__ = None
        self._failures += 1
        self.last_error = err
        log = _LOGGER.warning if self._failures == 1 else _LOGGER.debug
        reason = str(err) or type(err).__name__
        log("Cannot connect to the MQTT broker at %s: %s", self._address, reason)
        if isinstance(err, ClosedBeforeConnack) and self._second_chance:
            self._second_chance = False
        else:
            self._async_next_broker()
        self._notify()

    @callback
    def _async_lost(self, client: GatewayClient) -> None:
        """Keep backing off after a connection that was probably taken over, else start again,
        with full jitter after a stable one (module docstring)."""
        if not self._taken_over(client):
            self._flaps = 0
            stable = self.gw.clock.time() - self._connected_at >= STABLE_AFTER
            self._backoff.reset(full_jitter=stable and FULL_JITTER_AFTER_LOSS)
            return
        self._flaps += 1
        if self._hinted_shared_id or self._flaps < FLAPS_BEFORE_HINT:
            return
        self._hinted_shared_id = True
        _LOGGER.warning(SHARED_CLIENT_ID_HINT, self.config.client_id, self._flaps)

    def _taken_over(self, client: GatewayClient) -> bool:
        """MQTT 5 may say so (0x8E); mosquitto 2.0 says nothing, with either protocol, so the
        connection's life tells: another client with our id takes over after its own retry
        delay (at least `BACKOFF_INITIAL`), and before we would call the connection stable; a
        broker restarted at once cuts it at any moment, typically sooner."""
        if client.disconnect_reason is not None:
            return client.disconnect_reason == SESSION_TAKEN_OVER
        lived = self.gw.clock.time() - self._connected_at
        return BACKOFF_INITIAL <= lived < STABLE_AFTER

    async def _async_wait_backoff(self) -> None:
        """Sleep the next backoff delay on the gateway clock, or until stopped."""
        await async_sleep_unless(self.gw.clock, self._backoff.next_delay(), self._stop)

    @property
    def _address(self) -> BrokerAddress:
        """The broker of the current connection, or of the attempt under way."""
        return self._broker or self._brokers[self._target]
