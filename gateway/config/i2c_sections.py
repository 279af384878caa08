"""Validation of `i2c:` and `expander:` inside a `_Checker` run, and their links to entities.

Kept out of `validate.py` so that a config without these sections never imports them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import voluptuous as vol

from gateway.config.i2c_config import (
    EXPANDER_KEYS,
    EXPANDER_PINS,
    I2C_KEYS,
    ExpanderConfig,
    I2CBusConfig,
    validate_expander,
    validate_i2c_bus,
)
from gateway.config.issues import ConfigPath
from gateway.config.model import Claim, EntityConfig, PlatformEntry

if TYPE_CHECKING:
    from gateway.config.validate import _Checker

__all__ = ["check_i2c_sections", "expander_pin_problem", "interrupt_pin_entries"]


def check_i2c_sections(
    checker: _Checker,
) -> tuple[tuple[I2CBusConfig, ...], tuple[ExpanderConfig, ...]]:
    """The valid buses and expanders; ids are unique and an expander's bus must exist."""
    buses = tuple(_unique(checker, "i2c", validate_i2c_bus, I2C_KEYS, "I²C bus"))
    bus_ids = {bus.id for bus in buses}
    expanders: list[ExpanderConfig] = []
    for path, expander in _unique(checker, "expander", validate_expander, EXPANDER_KEYS, None):
        if expander.i2c_id not in bus_ids:
            listed = ", ".join(sorted(bus_ids)) or "none"
            checker.report((*path, "i2c_id"), f"unknown I²C bus (declared: {listed})")
            continue
        expanders.append(expander)
    return buses, tuple(expanders)


def _unique(
    checker: _Checker, section: str, validate: Any, keys: tuple[str, ...], what: str | None
) -> list[Any]:
    found: list[Any] = []
    first: dict[str, str] = {}
    for path, item in checker.items(section):
        item_id = item.get("id")
        if isinstance(item_id, str) and item_id in first:
            checker.report((*path, "id"), f"duplicate {section} id (first at {first[item_id]})")
            continue
        if isinstance(item_id, str):
            first[item_id] = checker.source(path)
        try:
            config = validate(item)
        except vol.Invalid as exc:
            checker.report_invalid(path, exc, keys)
            continue
        found.append(config if what else (path, config))
    return found


def expander_pin_problem(
    entry: PlatformEntry, pin: tuple[str, int], expanders: tuple[ExpanderConfig, ...]
) -> str | None:
    """What is wrong with `<expander>:<bit>` for `entry`: an undeclared expander, a bit it
    lacks, a PWM output (a light), a pull the expander does not have."""
    name, bit = pin
    expander = next((each for each in expanders if each.id == name), None)
    if expander is None:
        listed = ", ".join(sorted(each.id for each in expanders)) or "none"
        return f"unknown expander {name!r} (declared: {listed})"
    count = EXPANDER_PINS[expander.model]
    if bit >= count:
        return f"a {expander.model} has {count} pins (0-{count - 1})"
    if entry.domain == "light":
        return "expander pins have no PWM: use a board pin for a light"
    pull = getattr(entry.config, "pull_up", "up")
    if pull == "down":
        return f"a {expander.model} has no pull-downs (pull_up: true, or floating)"
    if pull == "floating" and expander.model != "mcp23017":
        return f"{expander.model} inputs are always pulled up (pull_up: true)"
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class _InterruptPin(EntityConfig):
    pin: int

    def claims(self) -> tuple[Claim, ...]:
        return (("interrupt_pin", f"gpio:{self.pin}", f"pin GPIO{self.pin}"),)


def interrupt_pin_entries(checker: _Checker) -> list[tuple[ConfigPath, PlatformEntry]]:
    """Each expander's INT pin as a claim, so an entity on the same board pin is an error."""
    entries: list[tuple[ConfigPath, PlatformEntry]] = []
    for index, expander in enumerate(checker.expander_configs or ()):
        if expander.interrupt_pin is None:
            continue
        path: ConfigPath = ("expander", index)
        config = _InterruptPin(
            platform="expander", name=expander.id, id=expander.id, pin=expander.interrupt_pin
        )
        entries.append((path, PlatformEntry("expander", "expander", config, checker.source(path))))
    return entries
