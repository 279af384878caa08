"""The `binary_sensor` domain: inputs that are on or off (doors, buttons, motion).

No services and no `<e>/set`; `<e>/state` is `ON`/`OFF`.

Behaviours from the entity's config apply here, to any platform whose config declares them
(`gateway.config.behaviour_fields`): `delayed_on` / `delayed_off` (a software debounce on the
gateway's clock, so mock pins and expander pins get it too) and `clicks` (press patterns become
events on the bus and on a companion `event` entity). A platform assigns the raw level to
`_attr_is_on` and writes the state; `is_on` is the debounced level.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final, TypedDict

from ..const import EVENT_GATEWAY_STOP, STATE_OFF, STATE_ON
from ..core import Event, Gateway, callback
from ..entity import Entity, refuse_class_attribute
from ..event_data import EventType
from . import async_setup_domain, wire
from .spec import DomainSpec, StateOutput
from .switch import on_off_discovery

if TYPE_CHECKING:
    from ..clock import TimerHandle
    from ..config.model import EntityConfig, PlatformEntry
    from ..input_patterns import ClickConfig, ClickDetector, Debouncer
    from .event import EventEntity

DOMAIN = "binary_sensor"
__all__ = ["DOMAIN", "EVENT_CLICK", "SPEC", "BinarySensorEntity", "ClickData", "async_setup"]


class ClickData(TypedDict):
    """`click`: a press pattern (`single`, `double`, `long`) on a binary sensor."""

    entity_id: str
    click: str


EVENT_CLICK: Final = EventType[ClickData]("click")


class BinarySensorEntity(Entity):
    """An input that is on or off; usually pushed by interrupts, so not polled."""

    _raw_is_on: bool | None = None
    _raw_fresh: bool = False
    _attr_should_poll = False
    _debouncer: Debouncer | None = None
    _clicks: ClickDetector | None = None
    _click_entity: EventEntity | None = None
    _debounce_timer: TimerHandle | None = None
    _click_timer: TimerHandle | None = None
    _timers_owned: bool = False
    _timers_stopped: bool = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        refuse_class_attribute(cls, "_attr_is_on")

    @property
    def _attr_is_on(self) -> bool | None:
        """The platform's raw level (before `delayed_on`/`delayed_off`)."""
        return self._raw_is_on

    @_attr_is_on.setter
    def _attr_is_on(self, value: bool | None) -> None:
        self._raw_is_on = value
        self._raw_fresh = True

    def set_identity(self, domain: str, config: EntityConfig) -> None:
        super().set_identity(domain, config)
        delayed_on: float = getattr(config, "delayed_on", 0.0)
        delayed_off: float = getattr(config, "delayed_off", 0.0)
        clicks: ClickConfig | None = getattr(config, "clicks", None)
        if delayed_on or delayed_off or clicks is not None:
            from ..input_patterns import Debouncer

            self._debouncer = Debouncer(delayed_on, delayed_off)
        if clicks is not None:
            self._setup_clicks(config, clicks)

    def _setup_clicks(self, config: EntityConfig, clicks: ClickConfig) -> None:
        from ..input_patterns import ClickDetector
        from .event import DOMAIN as EVENT_DOMAIN
        from .event import EventEntity

        self._clicks = ClickDetector(clicks)
        entity = EventEntity()
        entity.set_identity(EVENT_DOMAIN, config)
        entity._attr_event_types = clicks.types
        self._click_entity = entity

    def companions(self) -> Sequence[Entity]:
        return () if self._click_entity is None else (self._click_entity,)

    @property
    def is_on(self) -> bool | None:
        if self._debouncer is not None:
            return self._debouncer.level
        return self._attr_is_on

    @property
    def state(self) -> str | None:
        is_on = self.is_on
        if is_on is None:
            return None
        return STATE_ON if is_on else STATE_OFF

    @callback
    def async_write_state(self) -> None:
        changed: bool | None = None
        if self._debouncer is not None and self._raw_fresh:
            self._raw_fresh = False
            changed = self._async_feed(self._raw_is_on)
        super().async_write_state()
        if changed is not None:  # clicks follow the state change they come from
            self._async_level_changed(changed, self._require_gw().clock.time())

    # -- debounce and clicks, on the gateway's clock ------------------------------------------

    @callback
    def _async_feed(self, level: bool | None) -> bool | None:
        """A raw level into the debouncer; the debounced level if it changed now."""
        debouncer = self._debouncer
        if debouncer is None or level is None:
            return None
        gw = self._require_gw()
        if not self._timers_owned:
            self._timers_owned = True
            self.async_on_remove(self._async_cancel_timers)
            stop = gw.bus.async_listen_once(EVENT_GATEWAY_STOP, self._async_stop_timers)
            self.async_on_remove(stop)
        first = debouncer.level is None
        settled = debouncer.feed(level, gw.clock.time())
        self._debounce_timer = self._async_rearm(
            self._debounce_timer, debouncer.deadline, self._async_debounced
        )
        return None if first else settled

    @callback
    def _async_debounced(self) -> None:
        debouncer = self._debouncer
        assert debouncer is not None
        self._debounce_timer = None
        now = self._require_gw().clock.time()
        settled = debouncer.timer(now)
        if settled is not None:
            Entity.async_write_state(self)
            self._async_level_changed(settled, now)

    @callback
    def _async_level_changed(self, is_on: bool, now: float) -> None:
        clicks = self._clicks
        if clicks is None:
            return
        self._async_click(clicks.press(now) if is_on else clicks.release(now))
        self._click_timer = self._async_rearm(
            self._click_timer, clicks.deadline, self._async_click_timer
        )

    @callback
    def _async_click_timer(self) -> None:
        clicks = self._clicks
        assert clicks is not None
        self._click_timer = None
        self._async_click(clicks.timer(self._require_gw().clock.time()))

    @callback
    def _async_click(self, click: str | None) -> None:
        if click is None:
            return
        data: ClickData = {"entity_id": self.entity_id, "click": click}
        self._require_gw().bus.async_fire(EVENT_CLICK, data)
        if self._click_entity is not None and self._click_entity.gw is not None:
            self._click_entity.async_trigger(click)

    @callback
    def _async_rearm(
        self, timer: TimerHandle | None, deadline: float | None, action: Callable[[], None]
    ) -> TimerHandle | None:
        """The timer for `deadline` (None: none), replacing `timer`."""
        if timer is not None:
            timer.cancel()
        if deadline is None or self._timers_stopped:
            return None
        return self._require_gw().clock.call_at(deadline, action)

    @callback
    def _async_stop_timers(self, _event: Event) -> None:
        self._async_cancel_timers()
        self._timers_stopped = True  # the gateway stops: no more timed changes

    @callback
    def _async_cancel_timers(self) -> None:
        for timer in (self._debounce_timer, self._click_timer):
            if timer is not None:
                timer.cancel()
        self._debounce_timer = self._click_timer = None


SPEC = DomainSpec(
    name=DOMAIN,
    services={},
    commands=None,
    state=StateOutput(wire.encode_plain_state),
    discovery=on_off_discovery,
)


async def async_setup(gw: Gateway, entries: Sequence[PlatformEntry]) -> None:
    await async_setup_domain(gw, SPEC, entries)
