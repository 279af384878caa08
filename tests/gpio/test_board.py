"""Boards as gpiozero describes them: which pins are GPIOs, and the board check-config assumes."""

from __future__ import annotations

import pytest
from gpiozero.pins.mock import MockFactory

from gateway.core import Gateway
from hardware.gpio import Board, GpioDriver, PinNotOnBoard, expected_board
from tests.gpio.conftest import setup_entities, state

PI3B = "Raspberry Pi 3B rev 1.2"


@pytest.mark.parametrize("pin", [17, "GPIO17", "BCM17", "BOARD11", "J8:11", "WPI0", 0, 27])
def test_gpio_spellings_on_the_header(factory: MockFactory, pin: int | str) -> None:
    assert Board.of(factory.board_info).has_gpio(pin)


@pytest.mark.parametrize("pin", [28, 40, 63, "GPIO40", "BOARD1", "BOARD41", "J8:6"])
def test_pins_that_are_no_gpio_of_a_pi_3b(factory: MockFactory, pin: int | str) -> None:
    board = Board.of(factory.board_info)
    assert not board.has_gpio(pin)
    assert board.describe_missing(pin) == (
        f"pin {pin} is not a GPIO of {PI3B} (GPIO0-GPIO27 on header J8)"
    )


def test_driver_raises_a_one_line_error_naming_pin_and_board(factory: MockFactory) -> None:
    driver = GpioDriver("mock", factory, blocking=False)
    with pytest.raises(PinNotOnBoard, match=f"^pin 40 is not a GPIO of {PI3B} "):
        driver.output(40, active_high=True, initial=False)
    assert driver.open_lines == []


def test_expected_board() -> None:
    assert expected_board("mock", {}).description == PI3B
    cm3 = expected_board(None, {"GPIOZERO_PIN_FACTORY": "mock", "GPIOZERO_MOCK_REVISION": "a020a0"})
    assert cm3.has_gpio(45)
    assert cm3.gpio_summary() == "GPIO0-GPIO45 on header SODIMM"
    remote = expected_board("pigpio", {}, host="10.0.0.9")
    assert remote.assumed
    assert remote.description == "a Raspberry Pi 40-pin header"


@pytest.mark.usefixtures("gpio")
async def test_a_missing_pin_makes_a_refusing_unavailable_entity(
    gw: Gateway, factory: MockFactory, caplog: pytest.LogCaptureFixture
) -> None:
    await setup_entities(gw, "switch", {"name": "Far", "pin": 40}, {"name": "Near", "pin": 22})
    assert state(gw, "switch.far") == "unavailable"
    assert state(gw, "switch.near") == "OFF"
    lines = [r.getMessage() for r in caplog.records if "switch.far" in r.getMessage()]
    assert lines == [
        f"switch.far: pin 40 is not a GPIO of {PI3B} (GPIO0-GPIO27 on header J8); "
        "the entity is unavailable"
    ]
    assert "Traceback" not in caplog.text
    with pytest.raises(PinNotOnBoard):
        await gw.services.async_call("switch", "turn_on", {"entity_id": "switch.far"})
    assert state(gw, "switch.far") == "unavailable"
