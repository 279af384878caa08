"""The `i2c:` and `expander:` sections: buses, simulated parts and GPIO expanders.

Imported only for a config that has one of them (validation of every other config never
loads it). Pure: names of models and their quantities are listed here; the drivers live in
`hardware/i2c` and are loaded by `platforms/i2c` when the gateway sets up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import voluptuous as vol

from gateway.config import cv

__all__ = [
    "EXPANDER_KEYS",
    "EXPANDER_MODELS",
    "EXPANDER_PINS",
    "I2C_KEYS",
    "SIM_QUANTITIES",
    "ExpanderConfig",
    "I2CBusConfig",
    "SimDeviceConfig",
    "i2c_address",
    "validate_expander",
    "validate_i2c_bus",
]

ExpanderModel = Literal["mcp23017", "pcf8574", "pcf8575"]
EXPANDER_MODELS: Final[tuple[ExpanderModel, ...]] = ("mcp23017", "pcf8574", "pcf8575")
EXPANDER_PINS: Final[dict[str, int]] = {"mcp23017": 16, "pcf8574": 8, "pcf8575": 16}
# What a simulated part may be given, per model (the quantities it encodes).
SIM_QUANTITIES: Final[dict[str, tuple[str, ...]]] = {
    "bme280": ("temperature", "humidity", "pressure"),
    "bmp280": ("temperature", "pressure"),
    "bh1750": ("illuminance",),
    "sht4x": ("temperature", "humidity"),
    "ads1115": ("voltages",),
    "ads1015": ("voltages",),
    "ina219": ("voltage", "current", "shunt_ohms"),
    "mcp23017": (),
    "pcf8574": (),
    "pcf8575": (),
}


@dataclass(frozen=True, slots=True)
class SimDeviceConfig:
    """One part on a simulated bus: a named model with its quantities, and/or raw registers."""

    address: int
    model: str | None = None
    values: Mapping[str, Any] = field(default_factory=dict)
    registers: Mapping[int, tuple[int, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class I2CBusConfig:
    """One entry of `i2c:`: `/dev/i2c-<bus>`, or `bus: simulated` with its `devices`."""

    id: str
    bus: int | Literal["simulated"]
    devices: tuple[SimDeviceConfig, ...] = ()

    @property
    def simulated(self) -> bool:
        return self.bus == "simulated"


@dataclass(frozen=True, slots=True)
class ExpanderConfig:
    """One entry of `expander:`; its pins are `<id>:<pin>` in gpio entities."""

    id: str
    model: ExpanderModel
    i2c_id: str
    address: int
    interrupt_pin: int | None = None


def i2c_address(value: Any) -> int:
    """A 7-bit address that is not reserved: 0x03-0x77 (`0x76` in YAML is already an int)."""
    number = cv.integer(value) if not isinstance(value, str) else _hex_or_int(value)
    if not 0x03 <= number <= 0x77:
        raise vol.Invalid("expected an I²C address from 0x03 to 0x77")
    return number


def _hex_or_int(text: str) -> int:
    try:
        return int(text.strip(), 0)
    except ValueError:
        raise vol.Invalid("expected an I²C address like 0x76") from None


def _bus_number(value: Any) -> int | Literal["simulated"]:
    if value == "simulated":
        return "simulated"
    try:
        return cv.int_range(0, 255)(value)
    except vol.Invalid:
        raise vol.Invalid("expected a bus number (1 for /dev/i2c-1) or simulated") from None


def _byte(value: Any) -> int:
    return cv.int_range(0, 255)(value)


def _registers(value: Any) -> dict[int, tuple[int, ...]]:
    if not isinstance(value, Mapping):
        raise vol.Invalid("expected a mapping of register: byte or [bytes]")
    image: dict[int, tuple[int, ...]] = {}
    for register, data in value.items():
        items = data if isinstance(data, list) else [data]
        image[_byte(register)] = tuple(_byte(item) for item in items)
    return image


_DEVICE: Final = vol.Schema(
    {
        vol.Required("address"): i2c_address,
        vol.Optional("model"): cv.one_of(*SIM_QUANTITIES),
        vol.Optional("registers"): _registers,
    },
    extra=vol.ALLOW_EXTRA,
)


def _device(value: Any) -> SimDeviceConfig:
    data = dict(_DEVICE(value))
    model = data.pop("model", None)
    registers = data.pop("registers", {})
    address = data.pop("address")
    allowed = SIM_QUANTITIES.get(model, ()) if model else ()
    values: dict[str, Any] = {}
    for key, raw in data.items():
        if key not in allowed:
            listed = ", ".join(allowed) or "nothing (only address, model, registers)"
            raise vol.Invalid(f"unknown key (a {model or 'raw'} device takes {listed})", [key])
        values[key] = (
            [cv.number(v) for v in cv.ensure_list(raw)] if key == "voltages" else (cv.number(raw))
        )
    if model is None and not registers:
        raise vol.Invalid("a simulated device needs a model or registers", ["model"])
    return SimDeviceConfig(address, model, values, registers)


_BUS: Final = vol.Schema(
    {
        vol.Required("id"): cv.slug,
        vol.Required("bus"): _bus_number,
        vol.Optional("devices"): [_device],
    }
)
I2C_KEYS: Final = ("id", "bus", "devices")


def _board_gpio(value: Any) -> int:
    """The INT line's board pin, as a BCM number (17 or GPIO17)."""
    if isinstance(value, str) and value.strip().upper().startswith(("GPIO", "BCM")):
        value = value.strip().upper().removeprefix("GPIO").removeprefix("BCM")
    try:
        return cv.int_range(0, 63)(value)
    except vol.Invalid:
        raise vol.Invalid("expected a board GPIO number (0-63) or GPIO17") from None


_EXPANDER: Final = vol.Schema(
    {
        vol.Required("id"): cv.slug,
        vol.Required("model"): cv.choice(EXPANDER_MODELS, ignore_case=True),
        vol.Required("i2c_id"): cv.slug,
        vol.Required("address"): i2c_address,
        vol.Optional("interrupt_pin"): _board_gpio,
    }
)
EXPANDER_KEYS: Final = ("id", "model", "i2c_id", "address", "interrupt_pin")


def validate_i2c_bus(value: Any) -> I2CBusConfig:
    data = _BUS(value)
    devices = tuple(data.get("devices", ()))
    if devices and data["bus"] != "simulated":
        raise vol.Invalid("only a simulated bus has devices", ["devices"])
    addresses = [device.address for device in devices]
    for index, address in enumerate(addresses):
        if address in addresses[:index]:
            raise vol.Invalid(f"two devices at 0x{address:02X}", ["devices", index, "address"])
    return I2CBusConfig(data["id"], data["bus"], devices)


def validate_expander(value: Any) -> ExpanderConfig:
    return ExpanderConfig(**_EXPANDER(value))
