"""Expander pins behind the gpio seam: binary_sensor, switch, button and counter on
`ext1:<pin>` exactly as on a board pin; INT edges or 50 ms polling; faults; config errors."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

import platforms.gpio
from gateway.config import load_config
from gateway.core import Gateway
from gateway.exceptions import ConfigError
from gateway.loader import resolve_platform_schema
from hardware.gpio import GpioDriver
from hardware.sim import mock_pin
from hardware.sim.i2c_devices import Mcp23017Model, Pcf857xModel
from platforms.i2c import get_runtime
from tests.helpers import in_thread

from .conftest import StartGateway, advance, sim_bus, state

ENTITIES = """\
binary_sensor:
  - {{platform: gpio, name: Button, pin: "ext1:{button}", pull_up: true}}
switch:
  - {{platform: gpio, name: Relay, pin: "ext1:{relay}", active_high: false, on_stop: "off"}}
button:
  - {{platform: gpio, name: Gate, pin: "ext1:{gate}", pulse: 0.5}}
sensor:
  - {{platform: gpio, type: counter, name: Meter, pin: "ext1:{meter}"}}
"""


def config_text(model: str, interrupt: bool) -> str:
    pins = {"mcp23017": ("B0", "A0", "A1", "B7"), "pcf8574": ("P4", "P0", "P1", "7"),
            "pcf8575": ("P10", "P00", "P01", "P17")}[model]  # fmt: skip
    int_pin = ", interrupt_pin: 4" if interrupt else ""
    return (
        "gpio: {pin_factory: mock}\n"
        f"i2c: [{{id: sim, bus: simulated, devices: [{{address: 0x20, model: {model}}}]}}]\n"
        f"expander: [{{id: ext1, model: {model}, i2c_id: sim, address: 0x20{int_pin}}}]\n"
        + ENTITIES.format(button=pins[0], relay=pins[1], gate=pins[2], meter=pins[3])
    )


BITS = {"mcp23017": (8, 0, 1, 15), "pcf8574": (4, 0, 1, 7), "pcf8575": (8, 0, 1, 15)}


def wire_interrupt(gw: Gateway, model: Mcp23017Model | Pcf857xModel) -> None:
    """The expander's INT (open drain, active low) to board GPIO4 (a mock pin)."""
    driver = platforms.gpio.get_runtime(gw).driver
    assert isinstance(driver, GpioDriver)
    pin = mock_pin(driver, 4)
    model.on_interrupt = lambda asserted: pin.drive_low() if asserted else pin.drive_high()


async def settle(gw: Gateway, interrupt: bool) -> None:
    """One poll interval (polled), or just the INT-triggered read (interrupt)."""
    await advance(gw, 0 if interrupt else 0.05)
    await gw.async_block_till_done()


@pytest.mark.parametrize(
    ("model_name", "interrupt"),
    [("mcp23017", True), ("mcp23017", False), ("pcf8574", False), ("pcf8574", True),
     ("pcf8575", False)],
)  # fmt: skip
async def test_expander_pins_work_as_board_pins(
    start_gateway: StartGateway, model_name: str, interrupt: bool
) -> None:
    gw = await start_gateway(config_text(model_name, interrupt))
    model = sim_bus(gw).devices[0x20]
    assert isinstance(model, Mcp23017Model | Pcf857xModel)
    if interrupt:
        wire_interrupt(gw, model)
    button, relay, gate, meter = BITS[model_name]
    watch = get_runtime(gw).watches[0]

    assert state(gw, "binary_sensor.button") == "OFF"
    polls = watch.polls
    # pressed: the pulled-up pin goes low; from a foreign thread, as a wire would (the INT
    # edge then arrives in that thread and must hand off to the loop)
    await in_thread(model.set_input, button, False)
    await settle(gw, interrupt)
    assert state(gw, "binary_sensor.button") == "ON"
    assert watch.polls == polls + 1  # one port read per edge
    model.set_input(button, True)
    await settle(gw, interrupt)
    assert state(gw, "binary_sensor.button") == "OFF"

    assert state(gw, "switch.relay") == "OFF"
    assert model.output_level(relay) is True  # active low: off = high
    await gw.services.async_call("switch", "turn_on", {"entity_id": "switch.relay"})
    await gw.async_block_till_done()
    assert state(gw, "switch.relay") == "ON"
    assert model.output_level(relay) is False

    await gw.services.async_call("button", "press", {"entity_id": "button.gate"})
    await gw.async_block_till_done()
    assert model.output_level(gate) is True
    await advance(gw, 0.5)
    assert model.output_level(gate) is False

    for _ in range(3):
        model.set_input(meter, False)
        await settle(gw, interrupt)
        model.set_input(meter, True)
        await settle(gw, interrupt)
    assert state(gw, "sensor.meter") == "3"


async def test_without_interrupt_nothing_is_read_more_than_every_50_ms(
    start_gateway: StartGateway,
) -> None:
    gw = await start_gateway(config_text("mcp23017", False))
    bus = sim_bus(gw)
    before = bus.transactions
    await advance(gw, 0.049)
    assert bus.transactions == before
    await advance(gw, 0.001)
    assert bus.transactions == before + 1  # one port read (GPIOA and GPIOB together)


async def test_with_interrupt_the_port_is_read_only_on_edges(
    start_gateway: StartGateway,
) -> None:
    gw = await start_gateway(config_text("mcp23017", True))
    bus = sim_bus(gw)
    before = bus.transactions
    await advance(gw, 5)
    assert bus.transactions == before


async def test_an_expander_that_vanishes_is_logged_once_and_read_again(
    start_gateway: StartGateway, caplog: pytest.LogCaptureFixture
) -> None:
    gw = await start_gateway(config_text("pcf8574", False))
    bus = sim_bus(gw)
    model = bus.devices[0x20]
    assert isinstance(model, Pcf857xModel)
    caplog.clear()
    bus.vanish(0x20)
    model.set_input(4, False)  # pressed while unplugged
    for _ in range(5):
        await advance(gw, 0.05)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "errno 121" in warnings[0].getMessage()
    # Its inputs say so: not a stale level shown as if it were read.
    assert state(gw, "binary_sensor.button") == "unavailable"
    assert state(gw, "sensor.meter") == "unavailable"
    assert state(gw, "switch.relay") != "unavailable"  # an output learns at its next command
    bus.restore(0x20)
    await advance(gw, 0.05)
    assert state(gw, "binary_sensor.button") == "ON"  # the edge arrives once it reads again
    assert state(gw, "sensor.meter") != "unavailable"
    assert "expander ext1: reading again" in caplog.text


async def test_an_absent_expander_makes_its_entities_unavailable(
    start_gateway: StartGateway, caplog: pytest.LogCaptureFixture
) -> None:
    text = config_text("mcp23017", False).replace("sim, address: 0x20", "sim, address: 0x21")
    gw = await start_gateway(text)
    await gw.async_block_till_done()
    assert state(gw, "switch.relay") == "unavailable"
    assert state(gw, "binary_sensor.button") == "unavailable"
    assert "errno 121" in caplog.text


async def test_inputs_of_an_expander_plugged_in_after_start_come_back(
    start_gateway: StartGateway,
) -> None:
    """Absent at start (nothing at 0x21), plugged in later: its inputs are read and available
    by themselves, with the level they have (no edge needed)."""
    text = config_text("mcp23017", False).replace("sim, address: 0x20", "sim, address: 0x21")
    gw = await start_gateway(text)
    await advance(gw, 0.05)
    assert state(gw, "binary_sensor.button") == "unavailable"
    model = Mcp23017Model()
    model.set_input(8, False)  # B0 held low (pressed) before it is plugged in
    sim_bus(gw).add(0x21, model)
    await advance(gw, 0.05)
    assert state(gw, "binary_sensor.button") == "ON"
    model.set_input(8, True)
    await advance(gw, 0.05)
    assert state(gw, "binary_sensor.button") == "OFF"
    assert model.load(Mcp23017Model.GPPU + 1) & 1  # set up: B0's pull-up is on


async def write_and_load(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "c.yaml"
    await in_thread(path.write_text, text)
    with pytest.raises(ConfigError) as caught:
        await in_thread(load_config, path, resolve_platform_schema)
    return caught.value.errors


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('name: Meter, pin: "ext1:B7"', 'name: Meter, pin: "ext1:8"'),
         'sensor.0.pin: pin ext1:8 (ext1 bit 8) is already used by binary_sensor.button'),
        (('pin: "ext1:A0"', 'pin: "ext9:A0"'),
         "switch.0.pin: unknown expander 'ext9' (declared: ext1)"),
        (('pin: "ext1:B7"', "pin: 4"),
         "sensor.0.pin: pin 4 (GPIO4) is already used by expander.ext1"),
        (("i2c_id: sim, address", "i2c_id: nope, address"),
         "expander.0.i2c_id: unknown I²C bus (declared: sim)"),
    ],
)  # fmt: skip
async def test_config_errors(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    text = config_text("mcp23017", True).replace(*change)
    errors = await write_and_load(tmp_path, text)
    assert any(message in line for line in errors), errors


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('light: [{platform: gpio, name: Strip, pin: "ext1:6"}]\n',
         "light.0.pin: expander pins have no PWM"),
        ('binary_sensor: [{platform: gpio, name: Low, pin: "ext1:5", pull_up: false}]\n',
         "binary_sensor.0.pin: a pcf8574 has no pull-downs"),
        ('binary_sensor: [{platform: gpio, name: F, pin: "ext1:5", pull_up: floating,'
         " active_state: high}]\n", "binary_sensor.0.pin: pcf8574 inputs are always pulled up"),
    ],
)  # fmt: skip
async def test_what_an_expander_pin_cannot_do(tmp_path: Path, extra: str, message: str) -> None:
    header = config_text("pcf8574", False).split("binary_sensor:")[0]
    errors = await write_and_load(tmp_path, header + extra)
    assert any(message in line for line in errors), errors


async def test_a_pcf8574_has_eight_pins(tmp_path: Path) -> None:
    text = config_text("pcf8574", False).replace('"ext1:7"', '"ext1:P17"')
    errors = await write_and_load(tmp_path, text)
    assert any("sensor.0.pin: a pcf8574 has 8 pins (0-7)" in line for line in errors), errors


async def test_an_expander_that_comes_back_reset_is_set_up_again(
    start_gateway: StartGateway,
) -> None:
    gw = await start_gateway(config_text("mcp23017", False))
    bus = sim_bus(gw)
    old = bus.devices[0x20]
    assert isinstance(old, Mcp23017Model)
    assert old.output_level(0) is True  # the relay (active low) is off: A0 high
    bus.vanish(0x20)
    await advance(gw, 0.05)
    fresh = Mcp23017Model()  # power-on state: every pin an input, latch 0
    bus.add(0x20, fresh)
    bus.restore(0x20)
    await advance(gw, 0.05)
    assert fresh.registers[Mcp23017Model.IODIR] & 0b11 == 0  # A0, A1 outputs again
    assert fresh.output_level(0) is True
    fresh.set_input(8, False)
    await advance(gw, 0.05)
    assert state(gw, "binary_sensor.button") == "ON"


OPTIONS = """\
gpio: {pin_factory: mock}
i2c: [{id: sim, bus: simulated, devices: [{address: 0x20, model: mcp23017}]}]
expander: [{id: ext1, model: mcp23017, i2c_id: sim, address: 0x20}]
switch:
  - {platform: gpio, name: Kept, pin: "ext1:A0", initial: "on", on_stop: "on"}
  - {platform: gpio, name: Dropped, pin: "ext1:A1", initial: "on", on_stop: "off"}
binary_sensor:
  - {platform: gpio, name: Inverted, pin: "ext1:B0", pull_up: true, invert: true}
  - {platform: gpio, name: Floating, pin: "ext1:B1", pull_up: floating, active_state: high}
"""


async def test_initial_on_stop_invert_and_floating_inputs(start_gateway: StartGateway) -> None:
    gw = await start_gateway(OPTIONS)
    model = sim_bus(gw).devices[0x20]
    assert isinstance(model, Mcp23017Model)
    assert state(gw, "switch.kept") == "ON"
    assert model.output_level(0) is True
    assert model.output_level(1) is True
    assert state(gw, "binary_sensor.inverted") == "ON"  # not pressed (high), inverted
    assert state(gw, "binary_sensor.floating") == "ON"  # high, active high
    assert model.registers[Mcp23017Model.GPPU + 1] == 0b01  # pull-up on B0 only
    model.set_input(9, False)
    await advance(gw, 0.05)
    assert state(gw, "binary_sensor.floating") == "OFF"
    await gw.async_stop()
    assert model.output_level(0) is True  # on_stop: on, kept driving
    assert model.output_level(1) is False  # on_stop: off
    assert model.registers[Mcp23017Model.IODIR] & 0b01 == 0  # A0 still an output


def test_check_config_does_not_warn_about_expander_pins(tmp_path: Path) -> None:
    from platforms.gpio.board_check import config_warnings

    path = tmp_path / "c.yaml"
    path.write_text(
        config_text("mcp23017", True).replace("pin_factory: mock", "pin_factory: lgpio")
    )
    config = load_config(path, resolve_platform_schema)
    assert config_warnings(config, {}) == []


async def test_a_switch_on_an_expander_that_is_away(start_gateway: StartGateway) -> None:
    from hardware.i2c import I2CBusError

    gw = await start_gateway(config_text("pcf8574", False))
    bus = sim_bus(gw)
    model = bus.devices[0x20]
    assert isinstance(model, Pcf857xModel)
    bus.vanish(0x20)
    with pytest.raises(I2CBusError):
        await gw.services.async_call("switch", "turn_on", {"entity_id": "switch.relay"})
    await gw.async_block_till_done()
    assert state(gw, "switch.relay") == "unavailable"
    bus.restore(0x20)
    await gw.services.async_call("switch", "turn_on", {"entity_id": "switch.relay"})
    await gw.async_block_till_done()
    assert state(gw, "switch.relay") == "ON"
    assert model.output_level(0) is False  # active low


async def test_a_hung_expander_read_does_not_pile_up_polls(
    start_gateway: StartGateway, caplog: pytest.LogCaptureFixture
) -> None:
    gw = await start_gateway(config_text("pcf8574", False), executor_timeout=0.2)
    bus = sim_bus(gw)
    watch = get_runtime(gw).watches[0]
    before = watch.polls
    bus.hang(0x20)
    try:
        await advance(gw, 0.05)  # returns once the read is overdue (0.2 s): not waited for
        assert "expander ext1: no answer within 0.2 s" in caplog.text
        for _ in range(10):
            await advance(gw, 0.05)
        assert watch.polls == before + 1  # one read stuck, none queued behind it
        assert state(gw, "binary_sensor.button") == "unavailable"
    finally:
        bus.release(0x20)
    await asyncio.wait_for(watch.async_idle(), 5)
    await advance(gw, 0.05)
    assert watch.polls >= before + 2  # the one asked for meanwhile, then the timer's
    assert "expander ext1: reading again" in caplog.text
    assert state(gw, "binary_sensor.button") == "OFF"
