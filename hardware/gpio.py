"""GPIO through gpiozero: choosing a pin factory, making devices, and the hand-off into the loop.

A `GpioDriver` wraps one gpiozero pin factory. Every device is created with
`pin_factory=driver.factory`; gpiozero's module-global `Device.pin_factory` is never touched.

Threading: gpiozero backends call `when_changed` from their own threads (mock pins call it in
whichever thread drives them). Those callbacks enter the event loop only through
`threadsafe_handoff`, the single `loop.call_soon_threadsafe` of the GPIO layer.

Boards: gpiozero describes each board's headers (`BoardInfo`). A pin the board lacks makes
`GpioDriver` raise `PinNotOnBoard`, whose message names the pin and the board; `expected_board`
guesses the board without a pin factory, for `check-config`.

Blocking: `GpioDriver.blocking` says whether a pin write may block. pigpio talks to the `pigpiod`
daemon over a socket, so its calls go to the executor; lgpio, RPi.GPIO, native and mock writes
take microseconds and run in the loop. Creating devices and loading factories always block
(device-tree reads, socket connects) and run in the executor.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from .errors import HardwareError

__all__ = [
    "BLOCKING_FACTORIES",
    "FACTORY_CLASSES",
    "INSTALL_HINTS",
    "Board",
    "GpioDriver",
    "PinFactoryError",
    "PinNotOnBoard",
    "PinSpec",
    "Pull",
    "clear_callbacks",
    "expected_board",
    "load_pin_factory",
    "threadsafe_handoff",
]

_LOGGER = logging.getLogger(__name__)

PinSpec = int | str
Pull = Literal["up", "down", "floating"]

FACTORY_CLASSES: Final[Mapping[str, str]] = {
    "mock": "gpiozero.pins.mock:MockFactory",
    "lgpio": "gpiozero.pins.lgpio:LGPIOFactory",
    "rpigpio": "gpiozero.pins.rpigpio:RPiGPIOFactory",
    "pigpio": "gpiozero.pins.pigpio:PiGPIOFactory",
    "native": "gpiozero.pins.native:NativeFactory",
}
AUTO_ORDER: Final = ("lgpio", "rpigpio", "pigpio", "native")
"""gpiozero's own preference when nothing is configured (mock is never chosen on its own)."""

INSTALL_HINTS: Final[Mapping[str, str]] = {
    "lgpio": "install it with `pip install lgpio` (and the liblgpio system library)",
    "rpigpio": "install it with `pip install RPi.GPIO`",
    "pigpio": (
        "install it with `pip install pigpio` and run the pigpiod daemon "
        "(`sudo apt install pigpio && sudo systemctl enable --now pigpiod`)"
    ),
    "native": "it only works on a Raspberry Pi with /dev/gpiomem",
    "mock": "it ships with gpiozero",
}
BLOCKING_FACTORIES: Final = frozenset({"pigpio"})

FactoryImporter = Callable[[str], Callable[..., Any]]


class PinFactoryError(HardwareError):
    """No usable gpiozero pin factory; the message says what to install."""


class PinNotOnBoard(HardwareError):
    """The configured pin is not a GPIO of the board; the message names the pin and board."""


MOCK_REVISION: Final = "a02082"
"""gpiozero's default mock board (a Raspberry Pi 3B, GPIO0-GPIO27 on its 40-pin header)."""


@dataclass(frozen=True, slots=True)
class Board:
    """A board as gpiozero describes it (`info` is a gpiozero `BoardInfo`).

    `description` names it ("Raspberry Pi 3B rev 1.2"); `assumed` is true when nothing could
    tell which board it is and a Raspberry Pi's 40-pin header was assumed.
    """

    description: str
    info: Any
    assumed: bool = False

    @classmethod
    def of(cls, info: Any, *, assumed: bool = False) -> Board:
        description = "a Raspberry Pi 40-pin header" if assumed else str(info.description)
        return cls(description, info, assumed)

    def has_gpio(self, pin: PinSpec) -> bool:
        """Whether `pin` (any gpiozero spelling) names a GPIO on one of the board's headers."""
        try:
            found = list(self.info.find_pin(pin))
        except Exception:  # gpiozero parses names its own way; unparsable means absent
            return False
        return any(str(info.name).startswith("GPIO") for _header, info in found)

    def gpio_summary(self) -> str:
        """The GPIOs per header, e.g. `GPIO0-GPIO27 on header J8`."""
        parts = []
        for name, header in self.info.headers.items():
            numbers = sorted(
                int(pin.name[4:])
                for pin in header.pins.values()
                if str(pin.name).startswith("GPIO") and str(pin.name)[4:].isdigit()
            )
            if numbers:
                parts.append(f"{_ranges(numbers)} on header {name}")
        return "; ".join(parts) or "no GPIO pins"

    def describe_missing(self, pin: PinSpec) -> str:
        return f"pin {pin} is not a GPIO of {self.description} ({self.gpio_summary()})"


def _ranges(numbers: list[int]) -> str:
    """[0, 1, 2, 5] -> `GPIO0-GPIO2, GPIO5`."""
    runs: list[list[int]] = []
    for number in numbers:
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    return ", ".join(
        f"GPIO{run[0]}" if len(run) == 1 else f"GPIO{run[0]}-GPIO{run[-1]}" for run in runs
    )


def expected_board(
    pin_factory: str | None, environ: Mapping[str, str], *, host: str | None = None
) -> Board:
    """The board a gateway started with this config would most likely drive. Blocking.

    Mock pins use gpiozero's mock board (`GPIOZERO_MOCK_REVISION`, default a Pi 3B); on a
    Raspberry Pi the board's revision is read from /proc; a remote pigpio host or any other
    machine gets the 40-pin header every Raspberry Pi since the B+ shares (`assumed`).
    """
    from gpiozero.pins.pi import pi_info

    chosen = pin_factory or environ.get("GPIOZERO_PIN_FACTORY", "").strip().lower() or None
    if chosen == "mock":
        return Board.of(pi_info(environ.get("GPIOZERO_MOCK_REVISION", MOCK_REVISION)))
    pigpio_host = host or environ.get("PIGPIO_ADDR") or "localhost"
    remote = chosen == "pigpio" and pigpio_host not in ("localhost", "127.0.0.1", "::1")
    if not remote:
        from gpiozero.pins.local import get_pi_revision

        try:
            return Board.of(pi_info(f"{get_pi_revision():x}"))
        except Exception:  # not a Raspberry Pi, or a revision gpiozero does not know
            pass
    return Board.of(pi_info(MOCK_REVISION), assumed=True)


def _import_factory_class(name: str) -> Callable[..., Any]:
    module_name, _, class_name = FACTORY_CLASSES[name].partition(":")
    module = importlib.import_module(module_name)
    factory_class: Callable[..., Any] = getattr(module, class_name)
    return factory_class


def load_pin_factory(
    name: str | None,
    *,
    host: str | None = None,
    port: int | None = None,
    environ: Mapping[str, str] | None = None,
    importer: FactoryImporter = _import_factory_class,
) -> tuple[str, Any]:
    """Create the pin factory `name`, or gpiozero's choice when None. Blocking.

    With `name` None, `GPIOZERO_PIN_FACTORY` in `environ` decides; else lgpio, rpigpio, pigpio
    and native are tried in that order, without gpiozero's fallback warnings.
    Returns (factory name, factory). Raises PinFactoryError naming the package to install.
    """
    if name is None and environ is not None:
        name = environ.get("GPIOZERO_PIN_FACTORY", "").strip().lower() or None
    if name is not None:
        return name, _create(name, host, port, importer)
    failures: list[str] = []
    for candidate in AUTO_ORDER:
        try:
            return candidate, _create(candidate, host, port, importer)
        except PinFactoryError as exc:
            failures.append(f"  {exc}")
    raise PinFactoryError(
        "no GPIO pin factory could be loaded; set gpio: {pin_factory: ...} or install one:\n"
        + "\n".join(failures)
    )


def _create(name: str, host: str | None, port: int | None, importer: FactoryImporter) -> Any:
    if name not in FACTORY_CLASSES:
        known = ", ".join(FACTORY_CLASSES)
        raise PinFactoryError(f"unknown pin factory {name!r} (known: {known})")
    try:
        factory_class = importer(name)
    except ImportError as exc:
        raise PinFactoryError(
            f"pin factory {name}: cannot import its library ({exc}); {INSTALL_HINTS[name]}"
        ) from exc
    try:
        if name == "mock":
            from gpiozero.pins.mock import MockPWMPin

            return factory_class(pin_class=MockPWMPin)
        if name == "pigpio":
            return factory_class(host=host, port=port)
        return factory_class()
    except Exception as exc:  # gpiozero raises many kinds (OSError, IOError, BadPinFactory ...)
        where = f" at {host or 'localhost'}:{port or 8888}" if name == "pigpio" else ""
        raise PinFactoryError(
            f"pin factory {name}{where} failed to start: {exc}; {INSTALL_HINTS[name]}"
        ) from exc


@dataclass(slots=True)
class GpioDriver:
    """One pin factory and the devices made from it.

    Device constructors block (run them in the executor). Writes and reads on the devices block
    only when `blocking` is true.
    """

    name: str
    factory: Any
    blocking: bool
    devices: list[Any] = field(default_factory=list)

    @classmethod
    def load(
        cls,
        name: str | None,
        *,
        host: str | None = None,
        port: int | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> GpioDriver:
        """Blocking: `load_pin_factory` wrapped in a driver."""
        chosen, factory = load_pin_factory(name, host=host, port=port, environ=environ)
        return cls(chosen, factory, chosen in BLOCKING_FACTORIES)

    def input(
        self, pin: PinSpec, *, pull: Pull, active_high: bool | None, bounce_time: float | None
    ) -> Any:
        """A `DigitalInputDevice`; `active_high` is only used (and required) when floating."""
        from gpiozero import DigitalInputDevice

        pull_up: bool | None = {"up": True, "down": False, "floating": None}[pull]
        return self._make(
            DigitalInputDevice,
            pin,
            pull_up=pull_up,
            active_state=active_high if pull_up is None else None,
            bounce_time=bounce_time,
        )

    def output(self, pin: PinSpec, *, active_high: bool, initial: bool) -> Any:
        """A `DigitalOutputDevice` that is driven to `initial` as it is created."""
        from gpiozero import DigitalOutputDevice

        return self._make(DigitalOutputDevice, pin, active_high=active_high, initial_value=initial)

    def pwm(self, pin: PinSpec, *, active_high: bool, frequency: float, initial: float) -> Any:
        """A `PWMOutputDevice` at `frequency` Hz, duty cycle `initial` (0-1)."""
        from gpiozero import PWMOutputDevice

        return self._make(
            PWMOutputDevice,
            pin,
            active_high=active_high,
            initial_value=initial,
            frequency=frequency,
        )

    def _make(self, device_class: Callable[..., Any], pin: PinSpec, **options: Any) -> Any:
        """Create and remember a device; raises PinNotOnBoard for a pin the board lacks."""
        from gpiozero.exc import PinInvalidPin

        try:
            device = device_class(pin, pin_factory=self.factory, **options)
        except PinInvalidPin as exc:
            raise PinNotOnBoard(self.board.describe_missing(pin)) from exc
        self.devices.append(device)
        return device

    @property
    def board(self) -> Board:
        """The factory's board (a mock factory has one too)."""
        return Board.of(self.factory.board_info)

    def release(self, device: Any) -> None:
        """Close one device (its pin returns to an input). Blocking."""
        if device in self.devices:
            self.devices.remove(device)
        device.close()

    def close(self, keep: frozenset[int] = frozenset()) -> None:
        """Close every device except those whose `id()` is in `keep`, then the factory.

        Outputs that must hold their level after stop (`on_stop: on` or `keep`) are left open
        until the process exits; closing would release the pin. Blocking.
        """
        for device in list(self.devices):
            if id(device) in keep:
                continue
            try:
                self.release(device)
            except Exception:
                _LOGGER.exception("Closing GPIO device %r failed", device)
        if not keep:
            self.factory.close()


def clear_callbacks(device: Any) -> None:
    """Detach `when_activated`/`when_deactivated` (only those set: gpiozero warns otherwise)."""
    for name in ("when_activated", "when_deactivated"):
        if getattr(device, name, None) is not None:
            setattr(device, name, None)


def threadsafe_handoff(
    loop: asyncio.AbstractEventLoop, target: Callable[..., None]
) -> Callable[..., None]:
    """Wrap a loop `@callback` so a driver thread can call it: THE hand-off into the loop.

    The returned function may be called from any thread (including the loop's own, as a mock
    pin driven from a test does); `target(*args)` then runs in the loop. Calls made after the
    loop closed are dropped: the process is shutting down.
    """

    def handoff(*args: Any) -> None:
        try:
            loop.call_soon_threadsafe(target, *args)
        except RuntimeError:  # loop closed
            _LOGGER.debug("GPIO event after the loop closed dropped: %s%r", target, args)

    return handoff
