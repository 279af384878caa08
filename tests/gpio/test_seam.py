"""The typed driver seam: gpiozero's lines and simulated ones both fit the line Protocols, and a
gpio entity drives either the same way (it cannot tell which it holds)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from gpiozero.pins.mock import MockFactory

import platforms.gpio
from gateway.clock import FakeClock
from gateway.config.model import GpioConfig
from gateway.core import Gateway
from hardware.gpio import (
    DigitalInput,
    DigitalOutput,
    GpioDriver,
    GpioLine,
    LineSource,
    PwmOutput,
)
from hardware.sim import SimulatedInput, SimulatedLines, SimulatedOutput, SimulatedPwm
from tests.broker import Mosquitto
from tests.fixtures_mqtt import MqttProbe
from tests.gpio.conftest import RecordingPin, pin, setup_entities, state
from tests.helpers import in_thread
from tests.mqtt.conftest import mqtt_config, setup_mqtt, wait_in_sync

WORKER = "boardgate-worker-"


def make_lines(driver: LineSource) -> tuple[DigitalInput, DigitalOutput, PwmOutput]:
    return (
        driver.input(17, pull="up", active_high=None, bounce_time=None),
        driver.output(22, active_high=False, initial=True),
        driver.pwm(18, active_high=True, frequency=100, initial=0.25),
    )


def test_gpiozero_lines_fit_the_protocols(factory: MockFactory) -> None:
    driver = GpioDriver("mock", factory, blocking=False)
    given, relay, strip = make_lines(driver)
    assert isinstance(given, DigitalInput)
    assert isinstance(relay, DigitalOutput)
    assert isinstance(strip, PwmOutput)
    assert not any(line.blocking for line in (given, relay, strip))
    assert relay.read() is True
    assert pin(factory, 22).state == 0  # active low: polarity is the line's, not the entity's
    relay.write(False)
    assert (relay.read(), pin(factory, 22).state) == (False, 1)
    assert strip.read() == 0.25
    strip.write(0.5)
    assert (strip.read(), pin(factory, 18).state) == (0.5, 0.5)
    driver.close()


def test_gpiozero_input_calls_when_changed_in_the_driving_thread(factory: MockFactory) -> None:
    driver = GpioDriver("mock", factory, blocking=False)
    given, _relay, _strip = make_lines(driver)
    seen: list[tuple[bool, str]] = []
    given.when_changed = lambda level: seen.append((level, threading.current_thread().name))
    assert given.read() is False  # pulled up, nothing pressed
    driver_thread = threading.Thread(target=pin(factory, 17).drive_low, name="gpio-driver")
    driver_thread.start()
    driver_thread.join()
    pin(factory, 17).drive_high()
    assert seen == [(True, "gpio-driver"), (False, threading.current_thread().name)]
    given.when_changed = None
    pin(factory, 17).drive_low()
    assert len(seen) == 2
    driver.close()


def test_gpiozero_close_releases_and_keeps_by_object(factory: MockFactory) -> None:
    driver = GpioDriver("mock", factory, blocking=False)
    given, relay, strip = make_lines(driver)
    given.close()
    assert driver.open_lines == [relay, strip]  # a closed line leaves the registry
    driver.close(keep=[relay])
    assert driver.open_lines == [relay]
    assert pin(factory, 22).function == "output"  # still driven
    assert pin(factory, 18).function == "input"  # released
    relay.close()


def test_gpiozero_pins_are_reserved_until_closed(factory: MockFactory) -> None:
    from gpiozero.exc import GPIOPinInUse

    driver = GpioDriver("mock", factory, blocking=False)
    relay = driver.output(22, active_high=True, initial=False)
    with pytest.raises(GPIOPinInUse):
        driver.input(22, pull="up", active_high=None, bounce_time=None)
    assert driver.open_lines == [relay]  # the refused line left nothing behind
    relay.close()
    relay.close()  # idempotent
    again = driver.input(22, pull="down", active_high=None, bounce_time=0.01)
    assert again.read() is False  # pulled down: active high, nothing driven
    pin(factory, 22).drive_high()
    assert again.read() is True
    driver.close()


def test_gpiozero_polarity_of_floating_input_and_active_low_pwm(factory: MockFactory) -> None:
    driver = GpioDriver("mock", factory, blocking=False)
    with pytest.raises(ValueError, match="floats"):
        driver.input(4, pull="floating", active_high=None, bounce_time=None)
    sensor = driver.input(4, pull="floating", active_high=False, bounce_time=None)
    pin(factory, 4).drive_low()
    assert sensor.read() is True
    dimmer = driver.pwm(18, active_high=False, frequency=200, initial=0.25)
    assert (dimmer.read(), pin(factory, 18).state) == (0.25, 0.75)
    assert pin(factory, 18).frequency == 200
    dimmer.close()
    assert (pin(factory, 18).function, pin(factory, 18).frequency) == ("input", None)
    driver.close()


def test_gpiozero_input_is_silent_after_close(factory: MockFactory) -> None:
    driver = GpioDriver("mock", factory, blocking=False)
    given = driver.input(17, pull="up", active_high=None, bounce_time=None)
    seen: list[bool] = []
    given.when_changed = seen.append
    pin(factory, 17).drive_low()
    given.close()
    pin(factory, 17).function = "input"
    pin(factory, 17).drive_high()
    assert seen == [True]
    driver.close()


def test_simulated_lines_fit_the_protocols() -> None:
    lines = SimulatedLines()
    made: list[GpioLine] = list(make_lines(lines))
    assert [type(line) for line in made] == [SimulatedInput, SimulatedOutput, SimulatedPwm]
    assert isinstance(made[0], DigitalInput)
    assert isinstance(made[1], DigitalOutput)
    assert isinstance(made[2], PwmOutput)


async def use_simulated_lines(gw: Gateway, *, blocking: bool = False) -> SimulatedLines:
    lines = SimulatedLines(blocking=blocking)
    await platforms.gpio.async_setup(gw, GpioConfig(), driver=lines)
    return lines


def simulated(lines: SimulatedLines, number: int, kind: type[Any]) -> Any:
    line = lines.lines[number]
    assert isinstance(line, kind)
    return line


async def test_entities_drive_simulated_lines_over_mqtt(
    real_gw: Gateway, mqtt_broker: Mosquitto, mqtt_probe_factory: Callable[..., Any]
) -> None:
    gw = real_gw
    data = await setup_mqtt(gw, mqtt_config(mqtt_broker.port))
    lines = await use_simulated_lines(gw)
    await setup_entities(gw, "switch", {"name": "Relay", "pin": 22, "active_high": False})
    await setup_entities(gw, "light", {"name": "Strip", "pin": 18})
    await setup_entities(gw, "binary_sensor", {"name": "Door", "pin": 17})
    await setup_entities(gw, "sensor", {"type": "counter", "name": "Meter", "pin": 5})
    await wait_in_sync(data.connection)
    probe: MqttProbe = await mqtt_probe_factory(mqtt_broker.port)
    await probe.subscribe(f"{data.node_base}/#")
    base = data.node_base

    await probe.publish(f"{base}/switch/relay/set", "ON")
    await probe.wait_for_value(f"{base}/switch/relay/state", "ON")
    assert simulated(lines, 22, SimulatedOutput).level is True

    await probe.publish(f"{base}/light/strip/set", '{"state": "ON", "brightness": 51}')
    strip_state = f"{base}/light/strip/state"
    await probe.wait_until(lambda: b'"brightness":51' in probe.latest.get(strip_state, b""))
    assert simulated(lines, 18, SimulatedPwm).duty == pytest.approx(0.2)

    door: SimulatedInput = simulated(lines, 17, SimulatedInput)
    await in_thread(door.drive, True, name="expander-irq")
    await probe.wait_for_value(f"{base}/binary_sensor/door/state", "ON")

    meter: SimulatedInput = simulated(lines, 5, SimulatedInput)
    for level in (True, False, True, False):
        await in_thread(meter.drive, level, name="expander-irq")
    await probe.wait_for_value(f"{base}/sensor/meter/state", "2")


async def test_blocking_simulated_lines_are_written_in_the_executor(
    gw: Gateway, clock: FakeClock
) -> None:
    lines = await use_simulated_lines(gw, blocking=True)
    await setup_entities(gw, "switch", {"name": "Relay", "pin": 22})
    await setup_entities(gw, "button", {"name": "Gate", "pin": 23, "pulse": 1})
    await gw.services.async_call("switch", "turn_on", {"entity_id": "switch.relay"})
    await gw.services.async_call("button", "press", {"entity_id": "button.gate"})
    clock.advance(1)
    await gw.async_block_till_done()
    relay, gate = simulated(lines, 22, SimulatedOutput), simulated(lines, 23, SimulatedOutput)
    assert [level for level, _thread in relay.writes] == [True]
    assert [level for level, _thread in gate.writes] == [True, False]
    assert all(thread.startswith(WORKER) for _l, thread in relay.writes + gate.writes)
    assert state(gw, "switch.relay") == "ON"


async def test_kept_outputs_stay_open_and_removed_ones_are_forgotten(gw: Gateway) -> None:
    lines = await use_simulated_lines(gw)
    switches = await setup_entities(
        gw,
        "switch",
        {"name": "Kept", "pin": 13, "initial": "on", "on_stop": "keep"},
        {"name": "Gone", "pin": 6, "on_stop": "on"},
        {"name": "Closed", "pin": 5, "initial": "on"},
    )
    kept, gone = simulated(lines, 13, SimulatedOutput), simulated(lines, 6, SimulatedOutput)
    await switches.async_remove_entity("switch.gone")
    assert gone.closed
    await gw.async_stop()
    assert lines.kept == [kept]  # the removed entity's line is no longer kept
    assert not kept.closed
    assert kept.level is True
    assert simulated(lines, 5, SimulatedOutput).closed


class CountingFactory(MockFactory):
    """A mock factory that counts how often it is closed."""

    closes = 0

    def close(self) -> None:
        type(self).closes += 1
        super().close()


async def test_a_removed_kept_output_no_longer_holds_the_factory_open(gw: Gateway) -> None:
    """Kept outputs were remembered by `id()`: a removed one kept the factory open at stop
    (and its id could later match an unrelated line)."""
    factory = CountingFactory(pin_class=RecordingPin)
    CountingFactory.closes = 0
    try:
        driver = GpioDriver("mock", factory, blocking=False)
        await platforms.gpio.async_setup(gw, GpioConfig("mock"), driver=driver)
        switches = await setup_entities(
            gw, "switch", {"name": "Pump", "pin": 24, "initial": "on", "on_stop": "on"}
        )
        await switches.async_remove_entity("switch.pump")
        assert pin(factory, 24).function == "input"  # released when the entity went
        await gw.async_stop()
        assert CountingFactory.closes == 1
    finally:
        factory.reset()
