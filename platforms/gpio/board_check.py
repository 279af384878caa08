"""`check-config` warnings about gpio pins the board has no GPIO for.

The CLI finds `config_warnings` by the platform's name (`gateway.loader`), so the config layer
knows nothing of boards.

A pin outside the board's header passes the schema (BCM 0-63 covers every Broadcom SoC), and at
run time its entity would only be unavailable. `check-config` cannot be sure of the board (a
config is often checked on another machine), so these are warnings and the exit code stays 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from gateway.config.cv import split_expander_pin

if TYPE_CHECKING:
    from gateway.config.model import Config
    from hardware.gpio import Board

__all__ = ["config_warnings", "pin_warnings"]


def pin_warnings(config: Config, board: Board) -> list[str]:
    """One line per gpio entity whose pin is not a GPIO of `board` (pure)."""
    lines = []
    for entry in config.entities:
        pin = getattr(entry.config, "pin", None)
        if entry.platform != "gpio" or not isinstance(pin, int | str) or board.has_gpio(pin):
            continue
        if split_expander_pin(pin) is not None:  # an expander's pin, checked by the validator
            continue
        guess = " (no board detected: assumed)" if board.assumed else ""
        lines.append(
            f"{entry.source}: {entry.domain}.{entry.config.id}.pin: warning: "
            f"{board.describe_missing(pin)}{guess}; the entity would be unavailable"
        )
    return lines


def config_warnings(config: Config, environ: Mapping[str, str]) -> list[str]:
    """`pin_warnings` for the board the gateway would most likely run on. Blocking (reads
    /proc to identify a Raspberry Pi); returns nothing without gpio entities."""
    if not any(entry.platform == "gpio" for entry in config.entities):
        return []
    from hardware.gpio import expected_board

    board = expected_board(config.gpio.pin_factory, environ, host=config.gpio.host)
    return pin_warnings(config, board)
