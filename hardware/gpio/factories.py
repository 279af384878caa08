"""Choosing and loading a gpiozero pin factory, with a message that says what to install."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any, Final

from ..errors import HardwareError

__all__ = [
    "AUTO_ORDER",
    "BLOCKING_FACTORIES",
    "FACTORY_CLASSES",
    "INSTALL_HINTS",
    "PinFactoryError",
    "load_pin_factory",
]

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
