"""Pin names and the "pin used twice" check (pure functions, no hardware).

gpiozero accepts a BCM number (17) or a name (GPIO17, BCM17, BOARD11, J8:11). Two entities that
name the same physical pin differently still clash, so names are reduced to the BCM number of
the 40-pin header first.
"""

from __future__ import annotations

import re
from typing import Final

from gateway.config.cv import split_expander_pin
from gateway.config.model import Claim

__all__ = ["HEADER_BCM", "bcm_number", "pin_claims"]

# Physical pin of the 40-pin J8 header -> BCM GPIO number (power and ground pins absent).
HEADER_BCM: Final[dict[int, int]] = {
    3: 2, 5: 3, 7: 4, 8: 14, 10: 15, 11: 17, 12: 18, 13: 27, 15: 22, 16: 23, 18: 24, 19: 10,
    21: 9, 22: 25, 23: 11, 24: 8, 26: 7, 27: 0, 28: 1, 29: 5, 31: 6, 32: 12, 33: 13, 35: 19,
    36: 16, 37: 26, 38: 20, 40: 21,
}  # fmt: skip
_NAME_RE: Final = re.compile(r"^\s*(GPIO|BCM|WPI|BOARD|J8:|P1:)?\s*(\d+)\s*$", re.IGNORECASE)
# wiringPi numbering -> BCM (the subset on the 40-pin header).
_WPI_BCM: Final[dict[int, int]] = {
    0: 17, 1: 18, 2: 27, 3: 22, 4: 23, 5: 24, 6: 25, 7: 4, 8: 2, 9: 3, 10: 8, 11: 7, 12: 10,
    13: 9, 14: 11, 15: 14, 16: 15, 21: 5, 22: 6, 23: 13, 24: 19, 25: 26, 26: 12, 27: 16,
    28: 20, 29: 21, 30: 0, 31: 1,
}  # fmt: skip


def bcm_number(pin: int | str) -> int | None:
    """The BCM number a pin spec refers to, or None for a power/ground pin or an unknown name.

    >>> bcm_number(17), bcm_number("GPIO17"), bcm_number("BOARD11"), bcm_number("J8:11")
    (17, 17, 17, 17)
    """
    if isinstance(pin, int):
        return pin
    match = _NAME_RE.match(pin)
    if match is None:
        return None
    prefix, number = (match[1] or "").upper(), int(match[2])
    if prefix in ("BOARD", "J8:", "P1:"):
        return HEADER_BCM.get(number)
    if prefix == "WPI":
        return _WPI_BCM.get(number)
    return number


def pin_claims(pin: int | str) -> tuple[Claim, ...]:
    """The config claim for a pin, keyed by BCM number so every spelling of a pin clashes (an
    expander's pin by expander and bit: `ext1:A3` and `ext1:3` clash)."""
    if (on_expander := split_expander_pin(pin)) is not None:
        expander, bit = on_expander
        return (("pin", f"expander:{expander}:{bit}", f"pin {pin} ({expander} bit {bit})"),)
    bcm = bcm_number(pin)
    if bcm is None:
        return ()
    return (("pin", f"gpio:{bcm}", f"pin {pin} (GPIO{bcm})"),)
