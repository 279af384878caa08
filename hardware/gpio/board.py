"""Boards as gpiozero describes them: which pins are GPIOs, and which board a config will meet.

A pin the board lacks makes `GpioDriver` raise `PinNotOnBoard`, whose message names the pin and
the board; `expected_board` guesses the board without a pin factory, for `check-config`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from ..errors import HardwareError
from .lines import PinSpec

__all__ = ["MOCK_REVISION", "Board", "PinNotOnBoard", "PinSpec", "expected_board"]


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
