"""Pin factory selection: config, environment, automatic order, and clear errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from gpiozero import Device
from gpiozero.pins.mock import MockFactory, MockPWMPin

import platforms.gpio
from gateway.config.model import Config, CoreConfig, GpioConfig
from gateway.core import Gateway
from hardware.errors import HardwareError
from hardware.gpio import GpioDriver, PinFactoryError, load_pin_factory
from tests.gpio.conftest import entry, pin, setup_entities, state
from tests.helpers import in_thread


def importer(available: dict[str, Callable[..., Any]]) -> Callable[[str], Callable[..., Any]]:
    def load(name: str) -> Callable[..., Any]:
        if name not in available:
            raise ImportError(f"No module named {name!r}")
        return available[name]

    return load


class FakePigpio:
    def __init__(self, host: str | None = None, port: int | None = None) -> None:
        self.host, self.port = host, port


def broken() -> None:
    raise OSError("no /dev/gpiomem")


def test_mock_factory_gets_pwm_pins() -> None:
    name, factory = load_pin_factory("mock")
    assert name == "mock"
    assert isinstance(factory, MockFactory)
    assert factory.pin_class is MockPWMPin
    factory.close()


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("lgpio", "pip install lgpio"),
        ("rpigpio", "pip install RPi.GPIO"),
        ("pigpio", "pigpiod"),
    ],
)
def test_missing_library_names_the_package(name: str, hint: str) -> None:
    with pytest.raises(PinFactoryError, match=f"pin factory {name}: cannot import") as info:
        load_pin_factory(name, importer=importer({}))
    assert hint in str(info.value)
    assert isinstance(info.value, HardwareError)  # one line at start-up, no traceback


def test_pigpio_gets_host_and_port() -> None:
    name, factory = load_pin_factory(
        "pigpio", host="pi4", port=8889, importer=importer({"pigpio": FakePigpio})
    )
    assert (name, factory.host, factory.port) == ("pigpio", "pi4", 8889)


def test_factory_that_fails_to_start_says_why() -> None:
    with pytest.raises(PinFactoryError, match="native failed to start: no /dev/gpiomem"):
        load_pin_factory("native", importer=importer({"native": broken}))


def test_environment_variable_chooses_when_config_does_not() -> None:
    name, _factory = load_pin_factory(
        None, environ={"GPIOZERO_PIN_FACTORY": "pigpio"}, importer=importer({"pigpio": FakePigpio})
    )
    assert name == "pigpio"


def test_automatic_order_skips_what_is_missing() -> None:
    name, _ = load_pin_factory(
        None, environ={}, importer=importer({"rpigpio": object, "native": object})
    )
    assert name == "rpigpio"


def test_automatic_choice_failing_lists_every_factory() -> None:
    with pytest.raises(PinFactoryError) as info:
        load_pin_factory(None, environ={}, importer=importer({"native": broken}))
    message = str(info.value)
    for hint in ("pip install lgpio", "pip install RPi.GPIO", "pigpiod", "no /dev/gpiomem"):
        assert hint in message
    assert "Traceback" not in message


def test_unknown_factory() -> None:
    with pytest.raises(PinFactoryError, match="unknown pin factory 'wiring'"):
        load_pin_factory("wiring")


def test_pigpio_driver_blocks_others_do_not() -> None:
    assert GpioDriver("pigpio", None, blocking=True).blocking
    driver = GpioDriver.load("mock")
    assert not driver.blocking
    driver.close()


async def test_component_loads_the_configured_factory(gw: Gateway) -> None:
    await platforms.gpio.async_setup(gw, GpioConfig("mock"))
    driver = platforms.gpio.get_runtime(gw).driver
    assert driver is not None
    assert driver.name == "mock"
    assert Device.pin_factory is None  # gpiozero's global is never set
    await setup_entities(gw, "light", {"name": "Strip", "pin": 18})  # PWM works on mock
    assert state(gw, "light.strip") == "OFF"


async def test_component_reports_a_missing_library_at_setup(
    gw: Gateway, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    gw.config = Config(
        path=tmp_path / "boardgate.yaml",
        core=CoreConfig("test", "Test", tmp_path),
        mqtt=None,
        gpio=GpioConfig(),
        entities=(entry("switch", {"name": "Relay", "pin": 22}),),
    )
    monkeypatch.setenv("GPIOZERO_PIN_FACTORY", "lgpio")  # not installed here
    with pytest.raises(PinFactoryError, match="pip install lgpio"):
        await platforms.gpio.async_setup(gw, GpioConfig())


async def test_factory_is_loaded_lazily_without_gpio_entities(gw: Gateway) -> None:
    await platforms.gpio.async_setup(gw, GpioConfig())
    assert platforms.gpio.get_runtime(gw).driver is None


async def test_platform_without_component_is_a_clear_error(
    gw: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    await setup_entities(gw, "switch", {"name": "Relay", "pin": 22})
    assert gw.states.get("switch.relay") is None
    assert "gpio component is not set up" in caplog.text
    caplog.clear()


async def test_pin_in_use_fails_only_that_entity(
    gw: Gateway, gpio: GpioDriver, factory: MockFactory, caplog: pytest.LogCaptureFixture
) -> None:
    await setup_entities(
        gw, "switch", {"name": "One", "pin": 22}, {"name": "Two", "pin": "BOARD15"}
    )
    assert [gw.states.get(e) is not None for e in ("switch.one", "switch.two")].count(True) == 1
    assert "GPIOPinInUse" in caplog.text or "in use" in caplog.text
    caplog.clear()
    assert pin(factory, 22).function == "output"


async def test_load_runs_outside_the_loop() -> None:
    driver = await in_thread(GpioDriver.load, "mock")
    driver.close()
